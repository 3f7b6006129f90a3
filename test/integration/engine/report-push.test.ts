import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineAccount, EngineMessage, EngineSendMessage, EngineUpdateAccount } from '../../documents/engine.js';
import type { EngineMessageQuery } from '../../generated/graphql.js';
import { as, caller, phone, sleep, startEngineApp, stopEngineApp, waitFor, type EngineApp } from './support.js';

interface Received {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A webhook receiver on 127.0.0.1 that fails the first `failures` requests with 500, then answers 200. */
class Receiver {
  readonly requests: Received[] = [];
  private server!: Server;
  url = '';

  constructor(private readonly failures: number) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answered = this.requests.length < this.failures ? 500 : 200;
        this.requests.push({
          at: Date.now(),
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          answered,
        });
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'try again');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Checks `X-Omnigate-Signature: t=<unix>,v1=<hex>` against HMAC-SHA256(secret, `${t}.${rawBody}`). */
function verifySignature(header: string | string[] | undefined, secret: string, rawBody: string): { t: number } {
  expect(typeof header, 'X-Omnigate-Signature header').toBe('string');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header as string);
  expect(match, `signature header ${String(header)}`).not.toBeNull();
  const [, t, v1] = match!;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  expect(timingSafeEqual(Buffer.from(v1!, 'hex'), expected), 'v1 is the HMAC of t.body with the account secret').toBe(true);
  return { t: Number(t) };
}

type MessageView = NonNullable<EngineMessageQuery['message']>;

describe('delivery report push to webhooks', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;
  const receivers: Receiver[] = [];
  const receiver = async (failures: number) => {
    const r = await new Receiver(failures).start();
    receivers.push(r);
    return r;
  };
  const message = async (messageId: string): Promise<MessageView> => (await gql(EngineMessage, { messageId })).message!;

  beforeAll(async () => {
    app = await startEngineApp({ REPORT_PUSH_RETRY_BASE_MS: '100' });
    gql = caller(app);
  });
  afterAll(async () => {
    await stopEngineApp(app);
    for (const r of receivers) await r.stop();
  });

  it('pushes the final report in Infobip shape, signed, retrying after two 500s, and records every try', async () => {
    const hook = await receiver(2);
    const secret = (await gql(EngineAccount, {})).account.webhookSigningSecret;
    expect(secret.length).toBeGreaterThanOrEqual(16);

    const to = phone(1, 4);
    const startedAt = Date.now();
    const sent = as(
      (
        await gql(EngineSendMessage, {
          input: {
            bulkId: 'pushed-bulk',
            from: 'Omnishop',
            viber: { text: { text: 'Your parcel is on its way' } },
            destinations: [{ to: { phoneNumber: to } }],
            callbackData: 'order-42;customer=7',
            webhooks: { delivery: { url: `${hook.url}/reports?source=omnigate` } },
          },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );
    const messageId = sent.messages[0]!.messageId;

    await waitFor(async () => hook.requests.length, (n) => n >= 3, 20_000, 50);
    await sleep(500); // nothing more after the 200
    expect(hook.requests.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(hook.requests.every((r) => r.method === 'POST' && r.path === '/reports?source=omnigate')).toBe(true);
    expect(hook.requests.every((r) => r.headers['content-type']?.startsWith('application/json'))).toBe(true);

    // The same body each time, byte for byte.
    const bodies = new Set(hook.requests.map((r) => r.body));
    expect(bodies.size).toBe(1);
    const rawBody = hook.requests[0]!.body;
    const body = JSON.parse(rawBody) as { results: Array<Record<string, any>> };
    expect(Object.keys(body)).toEqual(['results']);
    expect(body.results).toHaveLength(1);
    const result = body.results[0]!;
    expect(result).toMatchObject({
      messageId,
      bulkId: 'pushed-bulk',
      to, // digits, no +
      status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET', groupId: 3 },
      channel: 'VIBER',
      callbackData: 'order-42;customer=7',
    });
    expect(result.to).toMatch(/^\d+$/);
    expect(result).toHaveProperty('error');
    expect(result.error === null || result.error.groupName === 'OK').toBe(true);
    const infobipTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;
    expect(result.sentAt).toMatch(infobipTime);
    expect(result.doneAt).toMatch(infobipTime);
    expect(Date.parse(result.doneAt.replace('+0000', 'Z'))).toBeGreaterThanOrEqual(Date.parse(result.sentAt.replace('+0000', 'Z')));

    // Every try is signed with the account's secret over that exact body, with a current timestamp.
    for (const r of hook.requests) {
      const { t } = verifySignature(r.headers['x-omnigate-signature'], secret, r.body);
      expect(t).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) - 1);
      expect(t).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 1);
    }
    // A body changed by one character no longer matches.
    const [, t0, v10] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hook.requests[0]!.headers['x-omnigate-signature'] as string)!;
    expect(createHmac('sha256', secret).update(`${t0}.${rawBody.replace('order-42', 'order-43')}`).digest('hex')).not.toBe(v10);

    // The API shows the push: DELIVERED after 3 tries, the two 500s recorded.
    const m = await waitFor(() => message(messageId), (x) => x.reportDeliveries[0]?.state === 'DELIVERED', 10_000);
    expect(m.status.groupName).toBe('DELIVERED');
    expect(m.reportDeliveries).toHaveLength(1);
    const delivery = m.reportDeliveries[0]!;
    expect(delivery).toMatchObject({ url: `${hook.url}/reports?source=omnigate`, state: 'DELIVERED', tries: 3, nextTryAt: null });
    expect(delivery.deliveredAt).not.toBeNull();
    expect(delivery.attempts.map((a) => [a.statusCode, a.error])).toEqual([
      [500, expect.stringContaining('500')],
      [500, expect.stringContaining('500')],
      [200, null],
    ]);
    // Retried with backoff from a 100 ms base, not hammered and not after 30 s.
    const gaps = hook.requests.slice(1).map((r, i) => r.at - hook.requests[i]!.at);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(40);
      expect(gap).toBeLessThan(5_000);
    }
  });

  it("pushes to the account's default URL when a send names none, and the send's own URL wins over it", async () => {
    const accountHook = await receiver(0);
    const ownHook = await receiver(0);
    const updated = as((await gql(EngineUpdateAccount, { input: { deliveryWebhookUrl: `${accountHook.url}/account-default` } })).updateAccount, 'UpdateAccountSuccess');
    expect(updated.account.deliveryWebhookUrl).toBe(`${accountHook.url}/account-default`);
    expect((await gql(EngineAccount, {})).account.deliveryWebhookUrl).toBe(`${accountHook.url}/account-default`);
    const secret = (await gql(EngineAccount, {})).account.webhookSigningSecret;

    const viaDefault = as(
      (
        await gql(EngineSendMessage, {
          input: { from: 'Omnishop', viber: { text: { text: 'Default hook' } }, destinations: [{ to: { phoneNumber: phone(2, 5) } }], callbackData: 'default' },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );
    const viaOwn = as(
      (
        await gql(EngineSendMessage, {
          input: {
            from: 'Omnishop',
            viber: { text: { text: 'Own hook' } },
            destinations: [{ to: { phoneNumber: phone(3, 6) } }],
            callbackData: 'own',
            webhooks: { delivery: { url: `${ownHook.url}/own` } },
          },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );

    await waitFor(async () => accountHook.requests.length + ownHook.requests.length, (n) => n >= 2, 20_000, 50);
    await sleep(500);
    expect(accountHook.requests).toHaveLength(1);
    expect(ownHook.requests).toHaveLength(1);
    const defaultReport = JSON.parse(accountHook.requests[0]!.body).results[0];
    expect(accountHook.requests[0]!.path).toBe('/account-default');
    expect(defaultReport).toMatchObject({ messageId: viaDefault.messages[0]!.messageId, callbackData: 'default', to: phone(2, 5), status: { groupName: 'DELIVERED' } });
    verifySignature(accountHook.requests[0]!.headers['x-omnigate-signature'], secret, accountHook.requests[0]!.body);
    const ownReport = JSON.parse(ownHook.requests[0]!.body).results[0];
    expect(ownReport).toMatchObject({ messageId: viaOwn.messages[0]!.messageId, callbackData: 'own' });

    const m = await waitFor(() => message(viaDefault.messages[0]!.messageId), (x) => x.reportDeliveries[0]?.state === 'DELIVERED', 10_000);
    expect(m.reportDeliveries).toMatchObject([{ url: `${accountHook.url}/account-default`, state: 'DELIVERED', tries: 1 }]);
  });
});
