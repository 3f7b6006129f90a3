import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createKysely } from '../../../src/db/connect.js';
import type { Database } from '../../../src/db/schema.js';
import { FakeInfobip } from '../../fakes/infobip.js';
import { createTestDatabase, testPool } from '../../support/database.js';
import { query } from '../../support/graphql-client.js';
import { spawnService, type ChildService } from '../child-service.js';
import { DeliveryReporter } from './delivery-reporter.js';
import {
  FaultsBulkCounters,
  FaultsSendMessage,
  configureInfobip,
  deliveryUrl,
  finalCount,
  swissMobile,
  waitFor,
  wireRequest,
  type FaultsCounters,
} from './support.js';

const DESTINATIONS = 2_000;
/** Destinations on the wire (Infobip takes a dispatch batch in one request) before the kill. */
const KILL_AFTER_DESTINATIONS = 200;
/**
 * Short enough that the sends lost in the crash expire (and fail over) within the test; long enough that a
 * slow restart on a loaded machine does not expire most of the queue before the second life can send it
 * (each expired message fails over as a dispatch job of its own, which makes a mass failover slow).
 */
const VIBER_VALIDITY_SECONDS = 30;
const BULK_ID = 'crash-bulk';
/** Service settings of both lives of the process. */
const SERVICE_ENV = { LOG_LEVEL: 'info', WORKER_CONCURRENCY: '8', RETRY_BASE_MS: '100' };

/**
 * The acceptance test for crash safety: the real service in its own process is killed with SIGKILL in the
 * middle of dispatching a 2,000-message VIBER→SMS bulk, then started again on the same database. Every
 * message must still end final, and no destination may be sent twice on the same step.
 */
describe('kill -9 in the middle of a 2,000-message bulk', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let db: Kysely<Database> | null = null;
  const services: ChildService[] = [];
  const fake = new FakeInfobip({ apiKey: 'crash-infobip-key' });
  let reporter: DeliveryReporter | null = null;

  afterAll(async () => {
    await reporter?.stop();
    // Never leave a child behind, whatever failed; a second kill of a dead child is a no-op.
    for (const s of services) await s.kill();
    await fake.stop();
    await db?.destroy();
    await database?.drop();
  });

  it('ends every message final and never sends a destination twice on one step', async () => {
    const started = Date.now();
    database = await createTestDatabase();
    db = createKysely(testPool(database.url, 2));
    await fake.start();
    // Every send is accepted after a short while, so a few hundred sends are on the wire at any time and
    // the bulk takes long enough to be killed in its middle.
    fake.setDefaultOutcome({ hangMs: 200, then: 'accept' });

    const first = await spawnService(database.url, SERVICE_ENV);
    services.push(first);
    const apiKey = first.bootstrapKey;
    if (!apiKey) throw new Error(`no bootstrap key printed:\n${first.output()}`);
    const connection = await configureInfobip(first.graphqlUrl, apiKey, fake);
    reporter = new DeliveryReporter(fake, connection.callbackAuthorization);
    reporter.target = deliveryUrl(first.url, connection.id);
    reporter.start();

    const numbers = Array.from({ length: DESTINATIONS }, (_, i) => swissMobile(i));
    const acceptStarted = Date.now();
    const accepted = await query(
      first.graphqlUrl,
      FaultsSendMessage,
      {
        input: {
          bulkId: BULK_ID,
          from: 'Omnishop',
          destinations: numbers.map((phoneNumber) => ({ to: { phoneNumber } })),
          viber: { text: { text: 'Your parcel is on its way' } },
          validityPeriod: { amount: VIBER_VALIDITY_SECONDS, timeUnit: 'SECONDS' },
          smsFailover: { from: 'Omnishop', text: 'Your parcel is on its way (SMS)' },
        },
      },
      apiKey,
    );
    if (accepted.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(`bulk refused: ${JSON.stringify(accepted.sendMessage)}`);
    expect(accepted.sendMessage.messages).toHaveLength(DESTINATIONS);
    const acceptMs = Date.now() - acceptStarted;

    // Crash in the middle: some sends done, some on the wire, most still queued.
    const destinationsOnWire = () => fake.requests.map(wireRequest).reduce((n, w) => n + w.to.length, 0);
    await waitFor(destinationsOnWire, (n) => n >= KILL_AFTER_DESTINATIONS, 20_000, 5);
    await first.kill();
    const killedAt = Date.now();
    expect(first.child.signalCode).toBe('SIGKILL');
    const requestsAtKill = destinationsOnWire();
    expect(requestsAtKill).toBeGreaterThanOrEqual(KILL_AFTER_DESTINATIONS);
    expect(requestsAtKill, 'the kill must fall in the middle of the bulk').toBeLessThan(DESTINATIONS);
    const stateAtKill = await attemptStates(db);

    // Second life, same database: the worker must pick the bulk up where it can, and nothing may go twice.
    const second = await spawnService(database.url, SERVICE_ENV);
    services.push(second);
    const restartMs = Date.now() - killedAt;
    expect(second.bootstrapKey).toBeNull(); // the same account, not a fresh database
    reporter.target = deliveryUrl(second.url, connection.id);

    const counters = await waitFor(
      async () => {
        reporter!.assertHealthy();
        return (await query(second.graphqlUrl, FaultsBulkCounters, { bulkId: BULK_ID }, apiKey)).bulk?.counters ?? null;
      },
      (c: FaultsCounters | null) => c !== null && finalCount(c) === DESTINATIONS,
      80_000,
      250,
    );
    const settledMs = Date.now() - started;
    await reporter.drain();

    // 1. Every message final, and in fact delivered: the fake accepted and reported every send it got, and
    //    a Viber step lost in the crash expired and failed over to SMS.
    expect(counters).toMatchObject({ total: DESTINATIONS, accepted: 0, pending: 0 });
    expect(counters!.delivered).toBe(DESTINATIONS);

    // 2. No destination twice on the same step (channel), counting every request the fake ever received.
    const perStep = new Map<string, number>();
    for (const w of fake.requests.map(wireRequest)) {
      for (const to of w.to) perStep.set(`${w.channel}:${to}`, (perStep.get(`${w.channel}:${to}`) ?? 0) + 1);
    }
    const repeated = [...perStep].filter(([, n]) => n > 1);
    expect(repeated, 'destinations sent more than once on one channel').toEqual([]);

    // 3. The database agrees: no attempt was claimed twice, none is left open, and each message's path
    //    matches what reached the provider.
    const rows = await db
      .selectFrom('attempt')
      .innerJoin('message', 'message.id', 'attempt.messageRef')
      .select(['message.toNumber', 'attempt.channel', 'attempt.tries', 'attempt.statusGroup', 'attempt.dispatchState'])
      .where('message.bulkId', '=', BULK_ID)
      .execute();
    expect(rows.filter((r) => r.tries > 1), 'attempts claimed more than once').toEqual([]);
    expect(rows.filter((r) => !['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'].includes(r.statusGroup))).toEqual([]);
    const viber = rows.filter((r) => r.channel === 'VIBER');
    const sms = rows.filter((r) => r.channel === 'SMS');
    expect(viber).toHaveLength(DESTINATIONS);
    expect(new Set(viber.map((r) => r.toNumber)).size).toBe(DESTINATIONS);
    const viberSentTo = new Set(fake.sent.filter((s) => s.channel === 'VIBER').map((s) => `+${s.to}`));
    const smsSentTo = new Set(fake.sent.filter((s) => s.channel === 'SMS').map((s) => `+${s.to}`));
    for (const r of viber) {
      if (r.statusGroup === 'DELIVERED') expect(viberSentTo.has(r.toNumber!), `${r.toNumber} delivered on Viber without a send`).toBe(true);
      else expect(r.statusGroup, `${r.toNumber} Viber`).toBe('EXPIRED');
    }
    const expiredViber = new Set(viber.filter((r) => r.statusGroup === 'EXPIRED').map((r) => r.toNumber));
    expect(new Set(sms.map((r) => r.toNumber))).toEqual(expiredViber); // failover exactly where Viber expired
    for (const r of sms) {
      expect(r.statusGroup, `${r.toNumber} SMS`).toBe('DELIVERED');
      expect(smsSentTo.has(r.toNumber!), `${r.toNumber} delivered by SMS without a send`).toBe(true);
    }
    // The second life did real work: it sent what the first had not reached.
    expect(fake.requests.filter((r) => r.at > killedAt && wireRequest(r).channel === 'VIBER').length).toBeGreaterThan(0);
    // And everything either life put on the wire was a well-formed Infobip request.
    fake.assertNoViolations();

    // What the crash cost, for the record (not asserted: it depends on timing).
    const viberWireTo = new Set(fake.requests.map(wireRequest).filter((w) => w.channel === 'VIBER').flatMap((w) => w.to.map((t) => `+${t}`)));
    const expired = viber.filter((r) => r.statusGroup === 'EXPIRED');
    const sentNoReportInTime = expired.filter((r) => viberWireTo.has(r.toNumber!)).length;
    const claimedNeverSent = expired.filter((r) => r.tries === 1 && !viberWireTo.has(r.toNumber!)).length;
    const neverClaimed = expired.filter((r) => r.tries === 0).length;
    const errorLines = services.flatMap((s) => s.output().split('\n').filter((l) => /"level":(50|60)/.test(l)));
    console.info(
      `[crash] accept ${acceptMs} ms; killed after ${requestsAtKill} destinations on the wire (attempts ${JSON.stringify(stateAtKill)}); ` +
        `restart ${restartMs} ms; all final ${settledMs} ms after start. Viber delivered ${viber.length - expired.length}; ` +
        `Viber expired → SMS ${expired.length} (claimed, never reached the provider: ${claimedNeverSent}; sent but no report ` +
        `within validity: ${sentNoReportInTime}; never claimed before expiry: ${neverClaimed}). Report posts retried: ` +
        `${reporter.failedPosts}, of which server errors: ${reporter.serverErrors.length}; service error log lines: ${errorLines.length}` +
        (errorLines.length > 0 ? `, first: ${errorLines[0]!.slice(0, 400)}` : ''),
    );
  }, 120_000);
});

/** How many attempts were in each dispatch state when the process died (for the log line). */
async function attemptStates(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('attempt')
    .select(['dispatchState', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('dispatchState')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.dispatchState, Number(r.n)]));
}
