/**
 * How many tries a send took and the last transient failure it was retried after, on each attempt:
 * recorded where the dispatcher schedules a retry, and also when it gives up because a retry could only
 * come after the step's validity.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DetailsMessages, DetailsSendMessage } from '../../documents/report-details.js';
import type { DetailsMessageFieldsFragment, SendMessageInput } from '../../generated/graphql.js';
import { FakeInfobip } from '../../fakes/infobip.js';
import { FaultsConfigureConnection } from '../faults/support.js';
import { as, caller, phone, startEngineApp, stopEngineApp, waitFor, type EngineApp } from './support.js';

const API_KEY = 'ib-transient-api-key-0123456789';

describe('tries and the last transient error of an attempt', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;
  const infobip = new FakeInfobip({ apiKey: API_KEY });
  let n = 0;

  beforeAll(async () => {
    await infobip.start();
    app = await startEngineApp();
    gql = caller(app);
  });
  afterEach(() => infobip.assertNoViolations());
  afterAll(async () => {
    await stopEngineApp(app);
    await infobip.stop();
  });

  async function send(input: Omit<SendMessageInput, 'destinations'>, to: string): Promise<string> {
    const r = as((await gql(DetailsSendMessage, { input: { ...input, destinations: [{ to: { phoneNumber: to } }] } })).sendMessage, 'SendMessageSuccess');
    return r.messages[0]!.messageId;
  }

  const message = async (messageId: string): Promise<DetailsMessageFieldsFragment> =>
    (await gql(DetailsMessages, { filter: { messageId } })).messages.edges[0]!.node;

  const final = (messageId: string) =>
    waitFor(() => message(messageId), (m) => ['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'].includes(m.status.groupName), 15_000, 50);

  it('a send that went through at once: one try, no transient error', async () => {
    n += 1;
    const m = await final(await send({ from: 'Omnishop', viber: { text: { text: 'Hi' } } }, phone(n, 4)));
    expect(m.attempts).toEqual([expect.objectContaining({ status: expect.objectContaining({ groupName: 'DELIVERED' }), tries: 1, lastTransientError: null })]);
  });

  it('the simulator failing twice with 503: three tries, and the 503 it was last retried after, with when', async () => {
    n += 1;
    const startedAt = Date.now();
    const m = await final(await send({ from: 'Omnishop', viber: { text: { text: 'Hi' } } }, phone(n, 3)));
    const [attempt] = m.attempts;
    expect(attempt).toMatchObject({ status: { groupName: 'DELIVERED' }, tries: 3, lastTransientError: { message: 'simulated HTTP 503 Service Unavailable' } });
    const at = Date.parse(attempt!.lastTransientError!.at);
    expect(at).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('Infobip answering 503 then 429: the attempt shows the last of them, and its tries', async () => {
    const r = as(
      (await gql(FaultsConfigureConnection, {
        input: { name: 'Infobip', type: 'INFOBIP', baseUrl: infobip.baseUrl, credentials: { apiKey: API_KEY }, channels: ['SMS'] },
      })).configureProviderConnection,
      'ConfigureProviderConnectionSuccess',
    );
    expect(r.connection.channels).toEqual(['SMS']);
    n += 1;
    const to = phone(n, 4);
    infobip.scriptOnce(to, { httpStatus: 503 }, { httpStatus: 429, retryAfter: 0 });
    const messageId = await send({ from: 'InfoSMS', sms: { text: 'Code 1234' } }, `+${to}`);
    const m = await waitFor(() => message(messageId), (x) => x.attempts[0]?.providerMessageId != null, 15_000, 50);
    expect(m.attempts[0]).toMatchObject({ provider: 'INFOBIP', tries: 3, lastTransientError: { message: expect.stringMatching(/^Infobip HTTP 429/) } });
  });

  it('a retry that could only come after the validity ends: the attempt expires now, keeping the error that made it give up', async () => {
    n += 1;
    const to = phone(n, 4);
    // Retry-After an hour on a step valid for 30 seconds.
    infobip.scriptOnce(to, { httpStatus: 429, retryAfter: 3600 });
    const messageId = await send({ from: 'InfoSMS', sms: { text: 'Code 5678' }, validityPeriod: { amount: 30, timeUnit: 'SECONDS' } }, `+${to}`);
    const m = await final(messageId);
    expect(m.status.groupName).toBe('EXPIRED');
    expect(m.attempts[0]).toMatchObject({ status: { groupName: 'EXPIRED' }, tries: 1, lastTransientError: { message: expect.stringMatching(/^Infobip HTTP 429/) } });
  });
});
