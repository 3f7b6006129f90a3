import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createKysely, withDatabase } from '../../src/db/connect.js';
import { query } from '../support/graphql-client.js';
import { spawnService, type ChildService } from '../integration/child-service.js';
import { FaultsConfigureConnection, FaultsSendMessage } from '../integration/faults/support.js';
import { InfobipWireFake } from './infobip-wire-fake.js';
import { testPool } from '../support/database.js';

/**
 * Crash trials: the service, in its own process, is killed with SIGKILL at a random point of a
 * 10,000-destination VIBER → SMS bulk (during accept, early, middle and late dispatch, while reports
 * flow), restarted on the same database about a second later, and must finish as if nothing had
 * happened: every message final (DELIVERED: the fake delivers everything, failing Viber over to SMS for
 * numbers ending in 0) within BOUND_MS of the restart, no messageId received twice by the provider on one
 * step, and no delivery report lost although the provider retries a refused callback for only a few
 * seconds. One fresh database per trial, on the machine's PostgreSQL (DATABASE_URL).
 *
 * The bound: recovery starts at the restart (a dead instance on the same host is recognised at once);
 * an attempt in doubt (claimed when the process died) is asked about IN_DOUBT_LOOKUP_DELAY_MS after its
 * claim (3 s here, since the fake's logs are immediate; 30 s by default for real providers), then
 * resent or followed; the rest is the bulk's own dispatch time on a loaded 2-core machine.
 */

const DESTINATIONS = 10_000;
const BOUND_MS = 90_000;
const RESTART_AFTER_MS = 1_000;
/** The provider's webhook retries: every second for ten seconds, then the report is lost. */
const REPORT_RETRY = { retryEveryMs: 1_000, retryForMs: 10_000 };
const KINDS = ['accept', 'early', 'middle', 'late', 'reports'] as const;
const TRIALS = Number(process.env.CHAOS_TRIALS ?? 10);
const FINAL_GROUPS = ['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'];

type Kind = (typeof KINDS)[number];

const serverUrl = process.env.DATABASE_URL;
const children: ChildService[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const c of children) await c.kill();
  if (!serverUrl) return;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  for (const name of databases) await admin.query(`drop database if exists "${name}" with (force)`).catch(() => undefined);
  await admin.end();
});

describe('kill -9 at random points of a 10,000-destination bulk, restarted a second later', () => {
  const figures: Array<Record<string, unknown>> = [];

  for (let trial = 0; trial < TRIALS; trial++) {
    const kind = KINDS[trial % KINDS.length]!;
    it(`trial ${trial + 1}: killed ${kind === 'accept' ? 'during accept' : kind === 'reports' ? 'while reports flow' : `in ${kind} dispatch`}`, async () => {
      if (!serverUrl) throw new Error('the crash trials need DATABASE_URL (the machine PostgreSQL)');
      const result = await runTrial(trial, kind);
      figures.push(result);
      console.info(`[chaos] ${JSON.stringify(result)}`);
    }, 240_000);
  }

  afterAll(() => {
    if (figures.length === 0) return;
    const worst = (k: string) => Math.max(...figures.map((f) => Number(f[k] ?? 0)));
    console.info(
      `[chaos] ${figures.length} trials; worst: port open again ${worst('portOpenAfterKillMs')} ms after the kill, ready ${worst('restartMs')} ms, ` +
        `first report answered ${worst('firstReportAnsweredMs')} ms after the kill, ` +
        `all final ${worst('allFinalAfterRestartMs')} ms after the restart (bound ${BOUND_MS} ms); duplicates ${worst('duplicates')}; reports lost ${worst('reportsLost')}`,
    );
  });
});

async function runTrial(trial: number, kind: Kind): Promise<Record<string, unknown>> {
  const name = `omnigate_chaos_${process.pid}_${trial}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  databases.push(name);
  const databaseUrl = withDatabase(serverUrl!, name);
  const pool = testPool(databaseUrl, 2);
  pool.on('error', () => undefined);
  const db = createKysely(pool);
  const fake = new InfobipWireFake({ apiKey: `chaos-key-${trial}`, ...REPORT_RETRY });
  await fake.start();
  try {
    // A fixed port: the delivery URL the provider got before the crash must still reach the second life.
    const env = { PORT: String(await freePort()), IN_DOUBT_LOOKUP_DELAY_MS: '3000', IN_DOUBT_LOOKUP_RETRY_MS: '1000' };
    const first = await spawnService(databaseUrl, env, 60_000);
    children.push(first);
    const apiKey = first.bootstrapKey;
    if (!apiKey) throw new Error(`no bootstrap key:\n${first.output()}`);
    const configured = await query(
      first.graphqlUrl,
      FaultsConfigureConnection,
      { input: { name: 'Chaos Infobip', type: 'INFOBIP', baseUrl: fake.baseUrl, credentials: { apiKey: `chaos-key-${trial}` }, channels: ['VIBER', 'SMS'] } },
      apiKey,
    );
    const conn = configured.configureProviderConnection;
    if (conn.__typename !== 'ConfigureProviderConnectionSuccess' || !conn.connection.callbackAuthorization) throw new Error(JSON.stringify(conn));
    fake.callbackAuthorization = conn.connection.callbackAuthorization;

    const bulkId = `chaos-${trial}`;
    const input = {
      bulkId,
      idempotencyKey: `chaos-${trial}`,
      from: 'Omnishop',
      destinations: Array.from({ length: DESTINATIONS }, (_, i) => ({ to: { phoneNumber: `+4179${String(3000000 + i)}` } })),
      viber: { text: { text: 'Your parcel is on its way' } },
      smsFailover: { from: 'Omnishop', text: 'Your parcel is on its way (SMS)' },
    };
    const accept = () => query(first.graphqlUrl, FaultsSendMessage, { input }, apiKey);

    // Pick the point, then kill.
    let acceptAnswered = false;
    let killPoint = '';
    if (kind === 'accept') {
      const inFlight = accept().then(
        () => (acceptAnswered = true),
        () => undefined,
      );
      const afterMs = 50 + Math.floor(Math.random() * 1_500);
      await sleep(afterMs);
      killPoint = `${afterMs} ms after the accept request was sent`;
      await first.kill();
      await inFlight;
    } else {
      const accepted = await accept();
      if (accepted.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(JSON.stringify(accepted.sendMessage));
      acceptAnswered = true;
      const target =
        kind === 'early' ? rand(200, 1_500) : kind === 'middle' ? rand(4_000, 6_000) : kind === 'late' ? rand(8_500, 9_800) : DESTINATIONS;
      await waitUntil(() => fake.stats.destinations >= target, 120_000, 2);
      if (kind === 'reports') await sleep(rand(0, 300));
      killPoint = `${fake.stats.destinations} destinations on the wire (target ${target})`;
      await first.kill();
    }
    const killedAt = Date.now();
    const atKill = await attemptStates(db);
    const wireAtKill = fake.stats.destinations;

    await sleep(RESTART_AFTER_MS);
    const second = await spawnService(databaseUrl, env, 60_000);
    children.push(second);
    const restartMs = Date.now() - killedAt;
    if (kind === 'accept') {
      // The client did not hear (or did): it sends again with the same idempotency key, as it must.
      const again = await query(second.graphqlUrl, FaultsSendMessage, { input }, apiKey);
      if (again.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(JSON.stringify(again.sendMessage));
    }

    const restartedAt = Date.now();
    const counts = await waitUntilValue(() => bulkCounts(db, bulkId), (c) => c.total === DESTINATIONS && c.final === DESTINATIONS, BOUND_MS, 250).catch(
      async (err: unknown) => {
        throw new Error(`${String(err)}\nstates: ${JSON.stringify(await attemptStates(db))}\n${second.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-20).join('\n')}`);
      },
    );
    const allFinalAfterRestartMs = Date.now() - restartedAt;
    await waitUntil(() => fake.reportsPending === 0, REPORT_RETRY.retryForMs + 5_000, 50);
    const delivered = (await bulkCounts(db, bulkId)).delivered;
    const firstOk = fake.okAt.find((t) => t > killedAt);
    // When the new process opened its port (its first log line): from then on nothing is refused.
    const opened = /"time":"([^"]+)"[^\n]*"msg":"accepting connections; starting"/.exec(second.output())?.[1];
    await second.kill();

    const result = {
      trial: trial + 1,
      kind,
      killPoint,
      acceptAnsweredBeforeKill: acceptAnswered,
      attemptsAtKill: atKill,
      destinationsOnWireAtKill: wireAtKill,
      restartMs,
      portOpenAfterKillMs: opened ? Date.parse(opened) - killedAt : null,
      firstReportAnsweredMs: firstOk ? firstOk - killedAt : null,
      firstReportAnsweredAfterSpawnMs: firstOk ? firstOk - killedAt - RESTART_AFTER_MS : null,
      allFinalAfterRestartMs,
      messages: counts.total,
      delivered,
      destinationsReceived: fake.stats.destinations,
      duplicates: fake.stats.duplicates.length,
      reportCallbacksRetried: fake.stats.failedTries,
      reportsLost: fake.stats.reportsLost,
      logQueries: fake.stats.logQueries,
    };
    expect(counts.final, 'messages final').toBe(DESTINATIONS);
    expect(fake.stats.duplicates.slice(0, 5), 'messageIds the provider received twice on one step').toEqual([]);
    expect(fake.stats.reportsLost, 'delivery reports lost').toBe(0);
    expect(delivered, 'messages delivered').toBe(DESTINATIONS);
    return result;
  } finally {
    await fake.stop();
    await db.destroy();
  }
}

async function bulkCounts(db: ReturnType<typeof createKysely>, bulkId: string): Promise<{ total: number; final: number; delivered: number }> {
  const row = await db
    .selectFrom('message')
    .select((eb) => [
      eb.fn.countAll<string>().as('total'),
      eb.fn.count<string>('id').filterWhere('statusGroup', 'in', FINAL_GROUPS as never).as('final'),
      eb.fn.count<string>('id').filterWhere('statusGroup', '=', 'DELIVERED').as('delivered'),
    ])
    .where('bulkId', '=', bulkId)
    .executeTakeFirstOrThrow();
  return { total: Number(row.total), final: Number(row.final), delivered: Number(row.delivered) };
}

async function attemptStates(db: ReturnType<typeof createKysely>): Promise<Record<string, number>> {
  const rows = await db.selectFrom('attempt').select(['dispatchState', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('dispatchState').execute();
  return Object.fromEntries(rows.map((r) => [r.dispatchState, Number(r.n)]));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

async function waitUntil(done: () => boolean, timeoutMs: number, everyMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

async function waitUntilValue<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number, everyMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await sleep(everyMs);
    last = await probe();
  }
  return last;
}
