import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeInfobip } from '../../fakes/infobip.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { query } from '../../support/graphql-client.js';
import { FaultsMessage, FaultsSendMessage, configureInfobip, digitsOf, requestsFor, swissMobile, waitFor, type FaultsAttempt } from './support.js';

/** Sends through the hung connection, each its own dispatch job: more than the worker has slots (16). */
const HUNG_SENDS = 20;
/** A send through a healthy connection reaches its provider within this long of being accepted. */
const SEND_BOUND_MS = 2_000;
/** An expiry is recorded within this long of the moment it is due, and its SMS failover is on the wire soon after. */
const EXPIRY_BOUND_MS = 1_500;
const FAILOVER_BOUND_MS = 2_500;

/**
 * The operator's finding: 16 provider requests that never answer (= the worker's concurrency) blocked
 * every job for ~30 s (the adapter's timeout): no sends, retries or expiries for any account. Here
 * connection A (account one) never answers; account two's connection B must send, and its expiry and
 * failover fire, on time meanwhile.
 */
describe('one provider connection hangs', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const hung = new FakeInfobip({ apiKey: 'hung-infobip-key' });
  const healthy = new FakeInfobip({ apiKey: 'healthy-infobip-key' });
  const alsoHung = new FakeInfobip({ apiKey: 'also-hung-infobip-key' });
  let secondKey: string;

  beforeAll(async () => {
    await hung.start();
    await healthy.start();
    await alsoHung.start();
    hung.setDefaultOutcome({ hangMs: Infinity });
    alsoHung.setDefaultOutcome({ hangMs: Infinity });
    app = await startTestApp();
    await configureInfobip(app.graphqlUrl, app.apiKey, hung, 'Hung Infobip');
    secondKey = (await app.services.accounts.createApiKey('second account')).apiKey;
    await configureInfobip(app.graphqlUrl, secondKey, healthy, 'Healthy Infobip');
  });
  afterAll(async () => {
    // The hung requests end with the fake (their sockets are destroyed), so the worker can stop promptly.
    await hung.stop();
    await alsoHung.stop();
    await app?.stop();
    await app?.dropDatabase();
    await healthy.stop();
  });

  async function expiringSend(apiKey: string, to: string): Promise<string> {
    return send(apiKey, to, { validityPeriod: { amount: 2, timeUnit: 'SECONDS' }, smsFailover: { from: 'Omnishop', text: 'Hello by SMS' } });
  }

  /** The message's Viber attempt once it has EXPIRED, and how long after its expiry was due that was recorded. */
  async function viberExpiry(apiKey: string, messageId: string): Promise<{ attempt: FaultsAttempt; lateMs: number }> {
    const expired = async () => {
      const message = (await query(app.graphqlUrl, FaultsMessage, { messageId }, apiKey)).message;
      return message?.attempts.find((a) => a.channel === 'VIBER' && a.status.groupName === 'EXPIRED') ?? null;
    };
    const attempt = (await waitFor(expired, (a) => a !== null, 15_000, 50)) as FaultsAttempt;
    return { attempt, lateMs: Date.parse(attempt.doneAt!) - Date.parse(attempt.expiresAt!) };
  }

  async function send(apiKey: string, to: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await query(
      app.graphqlUrl,
      FaultsSendMessage,
      { input: { from: 'Omnishop', destinations: [{ to: { phoneNumber: to } }], viber: { text: { text: 'Hello' } }, ...extra } },
      apiKey,
    );
    if (res.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(`send refused: ${JSON.stringify(res.sendMessage)}`);
    return res.sendMessage.messages[0]!.messageId;
  }

  it('sends through another connection, and expires and fails over another account’s message, on time', async () => {
    // Fill the worker with sends that will not be answered (the adapter gives up only after 30 s).
    await Promise.all(Array.from({ length: HUNG_SENDS }, (_, i) => send(app.apiKey, swissMobile(100 + i))));
    await waitFor(() => hung.requests.length, (n) => n >= 8, 10_000, 20);
    // Let the dispatcher take whatever else it will take of the hung connection's jobs.
    await new Promise((r) => setTimeout(r, 500));
    const hungOnWire = hung.requests.length;

    // Account two: a plain send, and one whose 2-second Viber validity runs out (no report ever comes).
    const sentAt = Date.now();
    const plain = swissMobile(500);
    const expiring = swissMobile(501);
    await send(secondKey, plain);
    const expiringId = await expiringSend(secondKey, expiring);

    await waitFor(() => requestsFor(healthy, digitsOf(plain)).length, (n) => n === 1, 10_000, 20);
    const sendDelay = requestsFor(healthy, digitsOf(plain))[0]!.at - sentAt;

    const { attempt: viber, lateMs: expiryLate } = await viberExpiry(secondKey, expiringId);
    await waitFor(() => requestsFor(healthy, digitsOf(expiring), 'SMS').length, (n) => n === 1, 15_000, 20);
    const failoverLate = requestsFor(healthy, digitsOf(expiring), 'SMS')[0]!.at - Date.parse(viber.expiresAt!);

    console.info(
      `[hang] ${hungOnWire} requests held by the hung connection; other connection's send on the wire after ${sendDelay} ms; ` +
        `expiry recorded ${expiryLate} ms after due; SMS failover on the wire ${failoverLate} ms after the expiry was due`,
    );
    expect(sendDelay, 'send through the healthy connection (ms after accept)').toBeLessThan(SEND_BOUND_MS);
    expect(expiryLate, 'expiry (ms after due)').toBeLessThan(EXPIRY_BOUND_MS);
    expect(failoverLate, 'SMS failover on the wire (ms after the expiry was due)').toBeLessThan(FAILOVER_BOUND_MS);
    // The hung connection kept some slots, never all of them.
    expect(hungOnWire).toBeLessThan(16);
    healthy.assertNoViolations();
  }, 60_000);

  it('still expires on time when a second connection hangs too and every dispatch slot is held', async () => {
    const thirdKey = (await app.services.accounts.createApiKey('third account')).apiKey;
    await configureInfobip(app.graphqlUrl, thirdKey, alsoHung, 'Also hung Infobip');
    await Promise.all(Array.from({ length: HUNG_SENDS }, (_, i) => send(thirdKey, swissMobile(200 + i))));
    // The first connection still holds its slots (its requests time out only after 30 s); this one takes the rest.
    await waitFor(() => hung.requests.length + alsoHung.requests.length, (n) => n >= 16, 10_000, 20);

    const expiringId = await expiringSend(secondKey, swissMobile(502));
    const { lateMs } = await viberExpiry(secondKey, expiringId);
    console.info(`[hang] two hung connections hold ${hung.requests.length} + ${alsoHung.requests.length} requests; expiry recorded ${lateMs} ms after due`);
    expect(lateMs, 'expiry (ms after due) with every dispatch slot held').toBeLessThan(EXPIRY_BOUND_MS);
  }, 60_000);
});
