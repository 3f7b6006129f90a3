import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SendMessageInput } from '../../generated/graphql.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { query } from '../../support/graphql-client.js';
import type { InfobipOutcome } from '../../fakes/infobip.js';
import {
  ChannelScriptedInfobip,
  FaultsMessage,
  FaultsSendMessage,
  configureInfobip,
  deliveryUrl,
  digitsOf,
  requestsFor,
  sentFor,
  sleep,
  swissMobile,
  waitFor,
  type FaultsMessageShape,
} from './support.js';

/**
 * Transient and permanent provider failures on a real Infobip connection (the fake Infobip over HTTP):
 * what is retried, when, how often, and when the flow gives up on a step and fails over.
 */
describe('provider failures on an Infobip connection', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const fake = new ChannelScriptedInfobip({ apiKey: 'faults-infobip-key' });
  let connection: { id: string; callbackAuthorization: string };
  let serial = 0;

  beforeAll(async () => {
    await fake.start();
    app = await startTestApp({ RETRY_BASE_MS: '100' });
    connection = await configureInfobip(app.graphqlUrl, app.apiKey, fake);
  });
  afterEach(() => {
    // Whatever we sent (first tries and retries alike) must be a well-formed Infobip request.
    fake.assertNoViolations();
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await fake.stop();
  });

  /** A destination no other test in this file uses. */
  const nextNumber = () => swissMobile(1000 + ++serial);

  async function send(to: string, extra: Partial<SendMessageInput> = {}): Promise<string> {
    const res = await query(
      app.graphqlUrl,
      FaultsSendMessage,
      { input: { from: 'Omnishop', destinations: [{ to: { phoneNumber: to } }], viber: { text: { text: 'Fault test' } }, ...extra } },
      app.apiKey,
    );
    if (res.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(`send refused: ${JSON.stringify(res.sendMessage)}`);
    return res.sendMessage.messages[0]!.messageId;
  }

  const viberThenSms = (validitySeconds?: number): Partial<SendMessageInput> => ({
    smsFailover: { from: 'Omnishop', text: 'Fault test by SMS' },
    ...(validitySeconds ? { validityPeriod: { amount: validitySeconds, timeUnit: 'SECONDS' } } : {}),
  });

  async function message(messageId: string): Promise<FaultsMessageShape> {
    const res = await query(app.graphqlUrl, FaultsMessage, { messageId }, app.apiKey);
    if (!res.message) throw new Error(`message ${messageId} not found`);
    return res.message;
  }

  /** The attempts' bookkeeping, which the API does not show: how often each was claimed for sending. */
  async function tries(messageId: string): Promise<Array<{ channel: string; tries: number; dispatchState: string }>> {
    const rows = await app.database.db
      .selectFrom('attempt')
      .innerJoin('message', 'message.id', 'attempt.messageRef')
      .select(['attempt.channel', 'attempt.tries', 'attempt.dispatchState', 'attempt.connectionId'])
      .where('message.messageId', '=', messageId)
      .orderBy('attempt.stepIndex')
      .execute();
    // Every attempt must be tied to the connection that carries its step, or it is not sent through it.
    for (const r of rows) expect(r.connectionId, `the ${r.channel} attempt's connection`).toBe(connection.id);
    return rows.map(({ channel, tries, dispatchState }) => ({ channel, tries, dispatchState }));
  }

  /** Posts the fake's delivery report for the one message it accepted for `digits` on `channel`. */
  async function deliver(digits: string, channel: 'VIBER' | 'SMS'): Promise<void> {
    const [sent] = sentFor(fake, digits, channel);
    if (!sent) throw new Error(`the fake accepted nothing for ${digits} on ${channel}`);
    // We hand Infobip our own webhook URL with each send; the report goes back to it, authorised.
    expect(sent.deliveryUrl).toBe(deliveryUrl(app.url, connection.id));
    const res = await fake.deliver(sent, { url: sent.deliveryUrl! }, { headers: { Authorization: connection.callbackAuthorization } });
    expect(res.status, res.text).toBe(200);
  }

  const waitForMessage = (messageId: string, done: (m: FaultsMessageShape) => boolean, timeoutMs = 10_000) =>
    waitFor(() => message(messageId), done, timeoutMs);

  it('retries a 503 once and sends the message exactly twice, then follows the delivery report to DELIVERED', async () => {
    const to = nextNumber();
    const digits = digitsOf(to);
    fake.scriptOnce(digits, { httpStatus: 503 });
    const messageId = await send(to);

    const pending = await waitForMessage(messageId, (m) => m.status.name === 'PENDING_ENROUTE');
    await tries(messageId); // the attempt is on the Infobip connection (else it goes to the built-in simulator)
    expect(pending).toMatchObject({ channel: 'VIBER', status: { groupName: 'PENDING', name: 'PENDING_ENROUTE' } });
    expect(pending.attempts).toHaveLength(1);
    expect(pending.attempts[0]).toMatchObject({ channel: 'VIBER', provider: 'INFOBIP', status: { groupName: 'PENDING' }, error: null });

    const wire = requestsFor(fake, digits, 'VIBER');
    expect(wire).toHaveLength(2);
    // The retry waited out the backoff (at least RETRY_BASE_MS / 2) instead of hammering the provider.
    expect(wire[1]!.at - wire[0]!.at).toBeGreaterThanOrEqual(50);
    expect(sentFor(fake, digits, 'VIBER')).toHaveLength(1); // only the second one was accepted
    expect(await tries(messageId)).toEqual([{ channel: 'VIBER', tries: 2, dispatchState: 'SENT' }]);

    await deliver(digits, 'VIBER');
    const delivered = await waitForMessage(messageId, (m) => m.status.groupName === 'DELIVERED');
    expect(delivered).toMatchObject({ channel: 'VIBER', status: { name: 'DELIVERED_TO_HANDSET' } });
    expect(delivered.attempts.map((a) => `${a.channel}:${a.status.name}`)).toEqual(['VIBER:DELIVERED_TO_HANDSET']);

    await sleep(400); // nothing left to retry: no third request
    expect(requestsFor(fake, digits)).toHaveLength(2);
    expect(await tries(messageId)).toEqual([{ channel: 'VIBER', tries: 2, dispatchState: 'DONE' }]);
  });

  it('honours Retry-After on a 429: the second request comes no sooner than 2 s after the first', async () => {
    const to = nextNumber();
    const digits = digitsOf(to);
    fake.scriptOnce(digits, { httpStatus: 429, retryAfter: 2 });
    const messageId = await send(to);

    const wire = await waitFor(
      () => requestsFor(fake, digits, 'VIBER'),
      (w) => w.length >= 2,
      8_000,
    );
    const gap = wire[1]!.at - wire[0]!.at;
    // RETRY_BASE_MS is 100 ms: only the header can explain a two-second wait.
    expect(gap).toBeGreaterThanOrEqual(1_950);
    expect(gap).toBeLessThan(5_000);

    await waitForMessage(messageId, (m) => m.status.name === 'PENDING_ENROUTE');
    expect(await tries(messageId)).toEqual([{ channel: 'VIBER', tries: 2, dispatchState: 'SENT' }]);
    await deliver(digits, 'VIBER');
    const delivered = await waitForMessage(messageId, (m) => m.status.groupName === 'DELIVERED');
    expect(delivered.attempts.map((a) => `${a.channel}:${a.status.name}`)).toEqual(['VIBER:DELIVERED_TO_HANDSET']);
    expect(requestsFor(fake, digits)).toHaveLength(2);
  });

  const permanent: Array<[string, InfobipOutcome, string, string]> = [
    ['an HTTP 400 refusal', { httpStatus: 400 }, 'REJECTED_SYSTEM_ERROR', 'EC_PROVIDER_REJECTED'],
    ['a rejected destination in a 200 answer', 'reject', 'REJECTED_DESTINATION_NOT_REGISTERED', 'EC_NOT_CHANNEL_USER'],
  ];
  it.each(permanent)('does not retry %s: the Viber attempt ends REJECTED at once and fails over to SMS', async (_label, outcome, status, error) => {
    const to = nextNumber();
    const digits = digitsOf(to);
    fake.scriptOnce(digits, outcome); // the first request only, i.e. the Viber one; the SMS is accepted
    const messageId = await send(to, viberThenSms());

    const failedOver = await waitForMessage(messageId, (m) => m.channel === 'SMS' && m.status.name === 'PENDING_ENROUTE');
    const [viber, sms] = failedOver.attempts;
    expect(failedOver.attempts).toHaveLength(2);
    expect(viber).toMatchObject({ step: 1, channel: 'VIBER', provider: 'INFOBIP', status: { groupName: 'REJECTED', name: status }, error: { name: error, permanent: true } });
    expect(sms).toMatchObject({ step: 2, channel: 'SMS', provider: 'INFOBIP', status: { groupName: 'PENDING' } });

    const viberWire = requestsFor(fake, digits, 'VIBER');
    expect(viberWire).toHaveLength(1);
    // "At once": ended by the answer to the one request, not after some backoff or the validity.
    expect(Date.parse(viber!.doneAt!) - viberWire[0]!.at).toBeLessThan(2_000);
    expect(await tries(messageId)).toEqual([
      { channel: 'VIBER', tries: 1, dispatchState: 'DONE' },
      { channel: 'SMS', tries: 1, dispatchState: 'SENT' },
    ]);

    await deliver(digits, 'SMS');
    const delivered = await waitForMessage(messageId, (m) => m.status.groupName === 'DELIVERED');
    expect(delivered).toMatchObject({ channel: 'SMS', status: { name: 'DELIVERED_TO_HANDSET' } });
    expect(delivered.attempts.map((a) => `${a.channel}:${a.status.name}`)).toEqual([`VIBER:${status}`, 'SMS:DELIVERED_TO_HANDSET']);

    await sleep(400);
    expect(requestsFor(fake, digits, 'VIBER')).toHaveLength(1);
    expect(requestsFor(fake, digits, 'SMS')).toHaveLength(1);
  });

  it('gives up on a step whose provider stays unavailable past its validity: EXPIRED, then SMS failover', async () => {
    const to = nextNumber();
    const digits = digitsOf(to);
    fake.failChannel('VIBER', digits, { httpStatus: 503 }); // every Viber request, however often retried
    const acceptedFrom = Date.now();
    const messageId = await send(to, viberThenSms(2));
    const acceptedBy = Date.now();

    const failedOver = await waitForMessage(messageId, (m) => m.channel === 'SMS' && m.status.name === 'PENDING_ENROUTE', 8_000);
    const [viber, sms] = failedOver.attempts;
    expect(failedOver.attempts).toHaveLength(2);
    expect(viber).toMatchObject({ step: 1, channel: 'VIBER', status: { groupName: 'EXPIRED', name: 'EXPIRED_EXPIRED' }, error: { permanent: true } });
    // Given up by the dispatcher (the next retry would fall after the validity) or by the expiry job.
    expect(['EC_PROVIDER_UNAVAILABLE', 'EC_VALIDITYEXPIRED']).toContain(viber!.error!.name);
    expect(sms).toMatchObject({ step: 2, channel: 'SMS', status: { groupName: 'PENDING' } });

    const expiresAt = Date.parse(viber!.expiresAt!);
    // Two seconds from acceptance.
    expect(expiresAt).toBeGreaterThanOrEqual(acceptedFrom + 1_950);
    expect(expiresAt).toBeLessThanOrEqual(acceptedBy + 2_050);
    // It kept retrying while the step was valid, and stopped at its end.
    const viberWire = requestsFor(fake, digits, 'VIBER');
    expect(viberWire.length).toBeGreaterThanOrEqual(2);
    for (const r of viberWire) expect(r.at).toBeLessThanOrEqual(expiresAt + 500); // claimed while valid, on the wire just after
    expect(Date.parse(viber!.doneAt!)).toBeLessThanOrEqual(expiresAt + 2_000);
    // Each try is counted, and every one of them reached the provider.
    const [viberTries] = await tries(messageId);
    expect(viberTries).toEqual({ channel: 'VIBER', tries: viberWire.length, dispatchState: 'DONE' });

    await deliver(digits, 'SMS');
    const delivered = await waitForMessage(messageId, (m) => m.status.groupName === 'DELIVERED');
    expect(delivered.attempts.map((a) => `${a.channel}:${a.status.groupName}`)).toEqual(['VIBER:EXPIRED', 'SMS:DELIVERED']);

    // A retry that was already scheduled must not go out once the step has expired.
    await sleep(800);
    expect(requestsFor(fake, digits, 'VIBER')).toHaveLength(viberWire.length);
    expect(requestsFor(fake, digits, 'SMS')).toHaveLength(1);
    fake.clearChannelFailures();
  });
});
