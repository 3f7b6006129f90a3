import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { query } from '../../support/graphql-client.js';
import { FakeInfobip } from '../../fakes/infobip.js';
import {
  FaultsMessage,
  FaultsSendMessage,
  FaultsSendMessages,
  configureInfobip,
  deliveryUrl,
  digitsOf,
  requestsFor,
  sleep,
  swissMobile,
  waitFor,
} from './support.js';

/**
 * Delivery reports racing the dispatcher and each other, as they do with a real provider: Infobip posts
 * reports in batches, in no particular order, possibly while we are still recording the sends they are
 * about, and retries a callback whose answer it did not get while the first may still be running.
 */
describe('delivery reports racing dispatch and each other', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const fake = new FakeInfobip({ apiKey: 'race-infobip-key' });
  let connection: { id: string; callbackAuthorization: string };
  let url: string;
  let auth: { headers: Record<string, string> };

  beforeAll(async () => {
    await fake.start();
    app = await startTestApp({ RETRY_BASE_MS: '100' });
    connection = await configureInfobip(app.graphqlUrl, app.apiKey, fake);
    url = deliveryUrl(app.url, connection.id);
    auth = { headers: { Authorization: connection.callbackAuthorization } };
  });
  afterEach(() => {
    fake.assertNoViolations();
    fake.setDefaultOutcome('accept');
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await fake.stop();
  });

  async function sendTo(numbers: string[]): Promise<string[]> {
    const res = await query(
      app.graphqlUrl,
      FaultsSendMessage,
      { input: { from: 'Omnishop', destinations: numbers.map((phoneNumber) => ({ to: { phoneNumber } })), viber: { text: { text: 'Race test' } } } },
      app.apiKey,
    );
    if (res.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(`send refused: ${JSON.stringify(res.sendMessage)}`);
    return res.sendMessage.messages.map((m) => m.messageId);
  }

  const attemptRows = (messageIds: string[]) =>
    app.database.db
      .selectFrom('attempt')
      .innerJoin('message', 'message.id', 'attempt.messageRef')
      .select(['attempt.id', 'message.messageId', 'attempt.attemptId', 'attempt.statusGroup', 'attempt.dispatchState', 'attempt.sentAt', 'attempt.providerMessageId', 'attempt.tries'])
      .where('message.messageId', 'in', messageIds)
      .execute();

  it('answers two overlapping report callbacks (same messages, different order) with 200 and applies each report once', async () => {
    const numbers = Array.from({ length: 100 }, (_, i) => swissMobile(2000 + i));
    const messageIds = await sendTo(numbers);
    // All sent and their answers recorded: nothing but the two callbacks touches these rows below.
    await waitFor(() => attemptRows(messageIds), (rows) => rows.length === 100 && rows.every((r) => r.dispatchState === 'SENT'), 20_000);

    const reports = fake.sent.filter((s) => numbers.includes(`+${s.to}`)).map((s) => fake.deliveryReportFor(s));
    expect(reports).toHaveLength(100);
    // A batch and its retry (or two batches sharing messages), in flight at once in opposite orders.
    const [a, b] = await Promise.all([fake.postDeliveryReports(url, reports, auth), fake.postDeliveryReports(url, [...reports].reverse(), auth)]);
    expect([a.status, b.status], `answers: ${a.status} ${a.text} / ${b.status} ${b.text}`).toEqual([200, 200]);

    const rows = await attemptRows(messageIds);
    expect(rows.filter((r) => r.statusGroup !== 'DELIVERED')).toEqual([]);
    const events = await app.database.db
      .selectFrom('statusEvent')
      .select(['attemptRef', (eb) => eb.fn.countAll<string>().as('n')])
      .where('attemptRef', 'in', rows.map((r) => r.id))
      .where('source', '=', 'callback')
      .groupBy('attemptRef')
      .execute();
    expect(events.filter((e) => Number(e.n) !== 1)).toEqual([]);
    expect(events).toHaveLength(100);
  });

  it('keeps the send on record when its delivery report overtakes the provider’s answer', async () => {
    const to = swissMobile(2200);
    const digits = digitsOf(to);
    fake.script(digits, { hangMs: 800, then: 'accept' });
    const [messageId] = await sendTo([to]);
    await waitFor(() => requestsFor(fake, digits).length, (n) => n === 1, 10_000);
    const [sent] = fake.sent.filter((s) => s.to === digits);

    // Infobip has the message (and may report on it) before our HTTP call returns.
    let report = await fake.deliver(sent!, { url }, auth);
    expect([200, 503], report.text).toContain(report.status);
    if (report.status === 503) {
      // "Retry later" is a fair answer; the provider retries once our side has recorded the send.
      await sleep(1_500);
      report = await fake.deliver(sent!, { url }, auth);
      expect(report.status, report.text).toBe(200);
    }

    const message = await waitFor(
      async () => (await query(app.graphqlUrl, FaultsMessage, { messageId: messageId! }, app.apiKey)).message,
      (m) => m?.status.groupName === 'DELIVERED',
      10_000,
    );
    await sleep(1_000); // the dispatcher has long had the provider's answer by now
    const [row] = await attemptRows([messageId!]);
    expect(row, 'attempt row').toBeDefined();
    // When it was sent, and under which provider id, must not depend on which of the two arrived first.
    expect(row!.sentAt, 'attempt.sentAt').not.toBeNull();
    expect(row!.providerMessageId, 'attempt.providerMessageId').toBe(row!.attemptId);
    const after = (await query(app.graphqlUrl, FaultsMessage, { messageId: messageId! }, app.apiKey)).message;
    expect(after?.attempts[0]?.sentAt, 'Attempt.sentAt in the API').not.toBeNull();
    expect(message?.status.name).toBe('DELIVERED_TO_HANDSET');
  });

  it('does not lose a retry when reports arrive while the dispatcher records a batch', async () => {
    // One dispatch job of 50 attempts, one bulk: 49 Viber messages and one SMS. Infobip takes each channel's
    // messages in one request; both requests are answered after 1 s, the SMS one with a 503.
    const numbers = Array.from({ length: 50 }, (_, i) => swissMobile(2300 + i));
    const transient = digitsOf(numbers[0]!);
    fake.setDefaultOutcome({ hangMs: 1_000, then: 'accept' });
    fake.scriptOnce(transient, { hangMs: 1_000, then: { httpStatus: 503 } });
    const res = await query(
      app.graphqlUrl,
      FaultsSendMessages,
      {
        input: {
          messages: [
            { from: 'Omnishop', destinations: [{ to: { phoneNumber: numbers[0]! } }], sms: { text: 'Race test' } },
            { from: 'Omnishop', destinations: numbers.slice(1).map((phoneNumber) => ({ to: { phoneNumber } })), viber: { text: { text: 'Race test' } } },
          ],
        },
      },
      app.apiKey,
    );
    if (res.sendMessages.__typename !== 'SendMessageSuccess') throw new Error(`send refused: ${JSON.stringify(res.sendMessages)}`);
    const messageIds = res.sendMessages.messages.map((m) => m.messageId);
    const firstTries = await waitFor(
      () => numbers.flatMap((n) => requestsFor(fake, digitsOf(n))),
      (w) => w.length === 50,
      10_000,
    );
    fake.setDefaultOutcome('accept');
    const answeredAt = Math.max(...firstTries.map((w) => w.at)) + 1_000;

    // Reports for the 49 accepted sends, posted as the dispatcher gets its answers and records them.
    const reports = fake.sent.filter((s) => numbers.includes(`+${s.to}`)).map((s) => fake.deliveryReportFor(s)).reverse();
    expect(reports).toHaveLength(49);
    await sleep(Math.max(0, answeredAt - Date.now()));
    const answers = await Promise.all(
      [0, 15, 30, 45, 60].map(async (delay) => {
        await sleep(delay);
        return fake.postDeliveryReports(url, reports, auth);
      }),
    );
    // 503 would be a fair "try again"; an internal error is not.
    const internalErrors = answers.filter((r) => r.status !== 200 && r.status !== 503).map((r) => `${r.status} ${r.text}`);

    // The 503'd send must be retried (RETRY_BASE_MS is 100 ms) whatever the reports did meanwhile.
    const retried = await waitFor(
      () => requestsFor(fake, transient, 'SMS').length,
      (n) => n >= 2,
      5_000,
    ).then(
      () => true,
      () => false,
    );
    const [row] = (await attemptRows([messageIds[0]!])).map((r) => ({ statusGroup: r.statusGroup, tries: r.tries, sentAt: r.sentAt }));
    expect({ internalErrors, retried }, `the 503'd attempt: ${JSON.stringify(row)}`).toEqual({ internalErrors: [], retried: true });
  });
});
