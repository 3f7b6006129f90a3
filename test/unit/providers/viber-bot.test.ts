import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StepContent, ViberContent } from '../../../src/domain/content.js';
import { ERROR, STATUS } from '../../../src/domain/status.js';
import { ViberBotAdapter } from '../../../src/providers/viber-bot/adapter.js';
import { ViberBotCallbacks } from '../../../src/providers/viber-bot/callbacks.js';
import { VIBER_ERROR } from '../../../src/providers/viber-bot/status-map.js';
import { validateViberBotContent } from '../../../src/providers/viber-bot/validate.js';
import {
  CallbackAuthError,
  MalformedCallbackError,
  SendInDoubtError,
  TransientProviderError,
} from '../../../src/providers/types.js';
import type { OutboundMessage, ProviderReport, SendResult, WebhookRequest } from '../../../src/providers/types.js';
import { FakeViberBot, viberSignature } from '../../fakes/viber-bot.js';

const TOKEN = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';
const USER = '01234567890A=';

function outbound(content: StepContent, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    attemptId: randomUUID(),
    messageId: randomUUID(),
    channel: 'VIBER',
    from: 'Omnigate',
    to: { viberUserId: USER },
    content,
    validitySeconds: 3600,
    callbackData: null,
    viberLabel: 'TRANSACTIONAL',
    ...overrides,
  };
}

function expectRejected(result: SendResult): Extract<SendResult, { kind: 'rejected' }> {
  if (result.kind !== 'rejected') throw new Error(`expected rejected, got ${JSON.stringify(result)}`);
  return result;
}

async function transientOf(promise: Promise<unknown>): Promise<TransientProviderError> {
  const err = await promise.then(
    (v) => new Error(`expected TransientProviderError, got ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransientProviderError);
  return err as TransientProviderError;
}

/** A loopback port nothing listens on: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A webhook endpoint on loopback that runs ViberBotCallbacks the way the app's route would. */
class CallbackEndpoint {
  readonly got: Array<{ request: WebhookRequest; reports?: ProviderReport[]; error?: unknown }> = [];
  url = '';
  private server: Server | undefined;

  constructor(private readonly parser: ViberBotCallbacks) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
        const request: WebhookRequest = {
          subPath: '',
          headers,
          query: new URL(req.url ?? '/', 'http://127.0.0.1').searchParams,
          rawBody: Buffer.concat(chunks),
        };
        try {
          const reports = this.parser.parse(request);
          this.got.push({ request, reports });
          res.writeHead(200).end();
        } catch (error) {
          this.got.push({ request, error });
          res.writeHead(error instanceof CallbackAuthError ? 401 : 400).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/viber`;
  }

  last(): { request: WebhookRequest; reports?: ProviderReport[]; error?: unknown } {
    const r = this.got.at(-1);
    if (!r) throw new Error('the endpoint received nothing');
    return r;
  }

  reports(): ProviderReport[] {
    const r = this.last();
    if (r.error !== undefined) throw r.error;
    return r.reports ?? [];
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

const fake = new FakeViberBot({ authToken: TOKEN });
const callbacks = new ViberBotCallbacks({ authToken: TOKEN });
const endpoint = new CallbackEndpoint(callbacks);
let adapter: ViberBotAdapter;

beforeAll(async () => {
  await Promise.all([fake.start(), endpoint.start()]);
  adapter = new ViberBotAdapter({ baseUrl: fake.apiBase, authToken: TOKEN, timeoutMs: 300 });
});
afterAll(() => Promise.all([fake.stop(), endpoint.stop()]));
afterEach(() => {
  fake.reset();
  endpoint.got.length = 0;
});

// ---------------------------------------------------------------------------------------------------

describe('ViberBotAdapter.send: wire bodies', () => {
  const carouselItems = [
    { title: 'Red shoes', imageUrl: 'https://cdn.example.com/red.jpg', buttonText: 'Buy', buttonUrl: 'https://shop.example.com/red' },
    { title: 'Blue shoes', imageUrl: 'https://cdn.example.com/blue.png', buttonText: 'Details', buttonUrl: 'https://shop.example.com/blue' },
  ];
  const card = (i: (typeof carouselItems)[number]) => [
    { Columns: 6, Rows: 4, ActionType: 'open-url', ActionBody: i.buttonUrl, Image: i.imageUrl },
    { Columns: 6, Rows: 2, ActionType: 'open-url', ActionBody: i.buttonUrl, Text: i.title, TextSize: 'regular', TextVAlign: 'middle', TextHAlign: 'left' },
    { Columns: 6, Rows: 1, ActionType: 'open-url', ActionBody: i.buttonUrl, Text: i.buttonText, TextSize: 'large', TextVAlign: 'middle', TextHAlign: 'middle' },
  ];

  const cases: Array<[string, ViberContent, Record<string, unknown>]> = [
    ['TEXT', { type: 'TEXT', text: 'Hello there' }, { type: 'text', text: 'Hello there' }],
    [
      'IMAGE without caption',
      { type: 'IMAGE', url: 'https://cdn.example.com/a.jpg' },
      { type: 'picture', media: 'https://cdn.example.com/a.jpg', text: '' },
    ],
    [
      'IMAGE with caption and thumbnail',
      { type: 'IMAGE', url: 'https://cdn.example.com/a.jpg', text: 'Look', thumbnailUrl: 'https://cdn.example.com/a-t.jpg' },
      { type: 'picture', media: 'https://cdn.example.com/a.jpg', text: 'Look', thumbnail: 'https://cdn.example.com/a-t.jpg' },
    ],
    [
      'VIDEO with everything',
      {
        type: 'VIDEO',
        url: 'https://cdn.example.com/v.mp4',
        sizeBytes: 1_048_576,
        durationSeconds: 12,
        thumbnailUrl: 'https://cdn.example.com/v.jpg',
        text: 'Watch',
      },
      {
        type: 'video',
        media: 'https://cdn.example.com/v.mp4',
        size: 1_048_576,
        duration: 12,
        thumbnail: 'https://cdn.example.com/v.jpg',
        text: 'Watch',
      },
    ],
    [
      'VIDEO minimal',
      { type: 'VIDEO', url: 'https://cdn.example.com/v.mp4', sizeBytes: 5000, durationSeconds: null },
      { type: 'video', media: 'https://cdn.example.com/v.mp4', size: 5000 },
    ],
    [
      'FILE',
      { type: 'FILE', url: 'https://cdn.example.com/doc.pdf', sizeBytes: 2048, fileName: 'doc.pdf' },
      { type: 'file', media: 'https://cdn.example.com/doc.pdf', size: 2048, file_name: 'doc.pdf' },
    ],
    [
      'CONTACT',
      { type: 'CONTACT', name: 'Itamar', phoneNumber: '+972511123123', avatarUrl: 'https://cdn.example.com/i.jpg' },
      { type: 'contact', contact: { name: 'Itamar', phone_number: '+972511123123', avatar: 'https://cdn.example.com/i.jpg' } },
    ],
    [
      'LOCATION',
      { type: 'LOCATION', latitude: 37.7898, longitude: -122.3942 },
      { type: 'location', location: { lat: 37.7898, lon: -122.3942 } },
    ],
    ['URL', { type: 'URL', url: 'https://www.example.com/x' }, { type: 'url', media: 'https://www.example.com/x' }],
    ['STICKER', { type: 'STICKER', stickerId: 46105 }, { type: 'sticker', sticker_id: 46105 }],
    [
      'CAROUSEL',
      { type: 'CAROUSEL', altText: 'Our shoes', items: carouselItems },
      {
        type: 'rich_media',
        min_api_version: 2,
        rich_media: { Type: 'rich_media', ButtonsGroupColumns: 6, ButtonsGroupRows: 7, Buttons: carouselItems.flatMap(card) },
        alt_text: 'Our shoes',
      },
    ],
    [
      'CAROUSEL without alt text',
      { type: 'CAROUSEL', items: carouselItems.slice(0, 1) },
      {
        type: 'rich_media',
        min_api_version: 2,
        rich_media: { Type: 'rich_media', ButtonsGroupColumns: 6, ButtonsGroupRows: 7, Buttons: card(carouselItems[0]!) },
        alt_text: 'Red shoes: https://shop.example.com/red',
      },
    ],
    [
      'RICH',
      { type: 'RICH', text: 'Spring sale', imageUrl: 'https://cdn.example.com/sale.png', button: { text: 'Shop', url: 'https://shop.example.com' } },
      {
        type: 'picture',
        media: 'https://cdn.example.com/sale.png',
        text: 'Spring sale',
        keyboard: {
          Type: 'keyboard',
          DefaultHeight: false,
          Buttons: [{ Columns: 6, Rows: 1, ActionType: 'open-url', ActionBody: 'https://shop.example.com', Text: 'Shop' }],
        },
      },
    ],
  ];

  it.each(cases)('%s', async (_name, content, typeFields) => {
    expect(validateViberBotContent(content)).toEqual([]);
    const message = outbound(content);
    const result = await adapter.send(message);

    expect(result.kind).toBe('accepted');
    expect(fake.violations).toEqual([]);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.path).toBe('/pa/send_message');
    expect(req.headers['x-viber-auth-token']).toBe(TOKEN);
    expect(req.headers['content-type']).toBe('application/json');
    // The fake's json-bigint parse builds a null-prototype object; spreading it gives a plain one to compare.
    expect({ ...(req.body as object) }).toEqual({
      receiver: USER,
      sender: { name: 'Omnigate' },
      tracking_data: message.attemptId,
      ...typeFields,
    });
    expect(Object.keys(req.body as object).sort()).toEqual(
      ['receiver', 'sender', 'tracking_data', ...Object.keys(typeFields)].sort(),
    );
  });
});

describe('ViberBotAdapter.send: outcomes', () => {
  const text: ViberContent = { type: 'TEXT', text: 'hi' };

  it('returns the message_token beyond 2^53 exactly', async () => {
    const result = await adapter.send(outbound(text));
    const issued = fake.sent[0]?.messageToken;
    expect(issued).toBeDefined();
    expect(BigInt(issued!)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    expect(result).toEqual({ kind: 'accepted', providerMessageId: issued, messageCount: 1 });
    // The raw answer carries it as a bare integer, which plain JSON.parse would have rounded.
    expect(String(Number(issued))).not.toBe(issued);
  });

  it.each([
    [5, STATUS.REJECTED_DESTINATION_NOT_REGISTERED, VIBER_ERROR.RECEIVER_NOT_REGISTERED],
    [6, STATUS.REJECTED_DESTINATION_NOT_REGISTERED, VIBER_ERROR.RECEIVER_NOT_SUBSCRIBED],
    [11, STATUS.REJECTED_DESTINATION, VIBER_ERROR.NO_SUITABLE_DEVICE],
    [2, STATUS.REJECTED_SOURCE, VIBER_ERROR.INVALID_AUTH_TOKEN],
    [3, STATUS.REJECTED_SYSTEM_ERROR, VIBER_ERROR.BAD_DATA],
    [7, STATUS.REJECTED_SENDER, VIBER_ERROR.ACCOUNT_BLOCKED],
  ])('Viber status %i → rejected with a permanent error', async (code, status, error) => {
    fake.script(USER, { status: code });
    const result = expectRejected(await adapter.send(outbound(text)));
    expect(result.status).toEqual(status);
    expect(result.status.groupName).toBe('REJECTED');
    expect(result.error).toEqual(error);
    expect(result.error.permanent).toBe(true);
    expect(result.error.id).toBeGreaterThanOrEqual(5000);
  });

  it('an unknown Viber status is a rejected system error naming the code', async () => {
    fake.script(USER, { status: 97, statusMessage: 'somethingNew' });
    const result = expectRejected(await adapter.send(outbound(text)));
    expect(result.status).toEqual(STATUS.REJECTED_SYSTEM_ERROR);
    expect(result.error.name).toBe('VIBER_GENERAL_ERROR');
    expect(result.error.description).toContain('status 97: somethingNew');
    expect(result.error.permanent).toBe(true);
  });

  it('status 12 tooManyRequests is transient', async () => {
    fake.script(USER, { status: 12 });
    const err = await transientOf(adapter.send(outbound(text)));
    expect(err.retryAfterMs).toBeNull();
    expect(err.message).toContain('tooManyRequests');
  });

  it('HTTP 503 is transient', async () => {
    fake.script(USER, { httpStatus: 503, body: 'upstream down' });
    const err = await transientOf(adapter.send(outbound(text)));
    expect(err.message).toContain('503');
  });

  it('HTTP 429 honours Retry-After', async () => {
    fake.script(USER, { httpStatus: 429, headers: { 'Retry-After': '7' } });
    const err = await transientOf(adapter.send(outbound(text)));
    expect(err.retryAfterMs).toBe(7000);
  });

  it('a timeout after the request was written is in doubt, not a retry: Viber may have the message', async () => {
    fake.script(USER, { hangMs: Infinity });
    const err = await adapter.send(outbound(text)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SendInDoubtError);
    expect((err as Error).message).toContain('no answer within 300 ms');
  });

  it('a refused connection is transient', async () => {
    const offline = new ViberBotAdapter({ baseUrl: `http://127.0.0.1:${await closedPort()}/pa`, authToken: TOKEN, timeoutMs: 1000 });
    await transientOf(offline.send(outbound(text)));
  });

  it('another HTTP error is a rejection, not a retry', async () => {
    fake.script(USER, { httpStatus: 400 });
    const result = expectRejected(await adapter.send(outbound(text)));
    expect(result.status).toEqual(STATUS.REJECTED_SYSTEM_ERROR);
    expect(result.error.name).toBe('VIBER_HTTP_ERROR');
  });

  it('an unreadable 200 is neither accepted nor retried', async () => {
    fake.script(USER, { httpStatus: 200, body: '<html>' });
    const err = await adapter.send(outbound(text)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(TransientProviderError);
  });

  it('refuses a phone-number destination without calling Viber', async () => {
    const result = expectRejected(await adapter.send(outbound(text, { to: { phoneNumber: '+385991112222' } })));
    expect(result.status).toEqual(STATUS.REJECTED_DESTINATION);
    expect(result.error.permanent).toBe(true);
    expect(result.error.description).toBe('the Viber Bot API addresses subscribers by Viber user id, not phone number');
    expect(fake.requests).toEqual([]);
  });

  it('refuses SMS content without calling Viber', async () => {
    const result = expectRejected(await adapter.send(outbound({ type: 'SMS_TEXT', text: 'x' })));
    expect(result.error.permanent).toBe(true);
    expect(fake.requests).toEqual([]);
  });
});

describe('ViberBotAdapter webhooks', () => {
  it('setWebhook sends the documented body and passes Viber’s check through our parser', async () => {
    expect(await adapter.setWebhook(endpoint.url)).toEqual({ ok: true });
    expect(fake.violations).toEqual([]);
    const req = fake.requests.find((r) => r.path === '/pa/set_webhook');
    expect({ ...(req?.body as object) }).toEqual({
      url: endpoint.url,
      event_types: ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started', 'message'],
      send_name: true,
      send_photo: true,
    });
    expect(fake.webhook).toBe(endpoint.url);
    // The fake verified the URL with a signed `webhook` event before answering.
    expect(endpoint.reports()).toEqual([{ kind: 'ping' }]);
  });

  it('setWebhook reports Viber’s refusal', async () => {
    const wrongParser = new CallbackEndpoint(new ViberBotCallbacks({ authToken: 'another-token' }));
    await wrongParser.start();
    try {
      expect(await adapter.setWebhook(wrongParser.url)).toEqual({ ok: false, status: 1, message: 'invalidUrl' });
      expect(wrongParser.last().error).toBeInstanceOf(CallbackAuthError);
    } finally {
      await wrongParser.stop();
    }
  });

  it('removeWebhook sets an empty URL', async () => {
    await adapter.setWebhook(endpoint.url);
    expect(await adapter.removeWebhook()).toEqual({ ok: true });
    expect({ ...(fake.requests.at(-1)?.body as object) }).toEqual({ url: '' });
    expect(fake.webhook).toBe('');
  });

  it('a webhook call that cannot reach Viber is reported, not thrown', async () => {
    const offline = new ViberBotAdapter({ baseUrl: `http://127.0.0.1:${await closedPort()}/pa`, authToken: TOKEN, timeoutMs: 1000 });
    const result = await offline.setWebhook(endpoint.url);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.status).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------

/** A callback as it would reach our route, signed like Viber signs it. */
function signed(raw: string, opts: { key?: string; query?: boolean; header?: string } = {}): WebhookRequest {
  const sig = viberSignature(raw, opts.key ?? TOKEN);
  return {
    subPath: '',
    headers: opts.query ? {} : { 'x-viber-content-signature': opts.header ?? sig },
    query: new URLSearchParams(opts.query ? { sig } : {}),
    rawBody: Buffer.from(raw, 'utf8'),
  };
}

const DOC_USER = {
  id: '01234567890A=',
  name: 'John McClane',
  avatar: 'http://avatar.example.com',
  country: 'UK',
  language: 'en',
  apiVersion: 1,
};
const DOC_AT = new Date(1457764197627);
const DOC_TOKEN = '4912661846655238145';

describe('ViberBotCallbacks: the documented examples', () => {
  const examples: Array<[string, string, ProviderReport[]]> = [
    [
      'message',
      '{"event":"message","timestamp":1457764197627,"message_token":4912661846655238145,\n "sender":{"id":"01234567890A=","name":"John McClane","avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1},\n "message":{"type":"text","text":"a message to the service","tracking_data":"tracking data"},"silent":false}',
      [
        {
          kind: 'inbound',
          provider: 'VIBER_BOT',
          channel: 'VIBER',
          providerMessageId: DOC_TOKEN,
          from: '01234567890A=',
          to: '',
          receivedAt: DOC_AT,
          content: { type: 'TEXT', text: 'a message to the service' },
          // "tracking data" is not one of our attempt ids.
          replyTo: null,
          viberUser: DOC_USER,
        },
      ],
    ],
    [
      'conversation_started',
      '{"event":"conversation_started","timestamp":1457764197627,"message_token":4912661846655238145,"type":"open","context":"context information","user":{"id":"01234567890A=","name":"John McClane","avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1},"subscribed":false}',
      [{ kind: 'subscriber', event: 'conversation_started', user: DOC_USER, subscribed: false, at: DOC_AT }],
    ],
    [
      'subscribed',
      '{"event":"subscribed","timestamp":1457764197627,"user":{"id":"01234567890A=","name":"John McClane","avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1},"message_token":4912661846655238145}',
      [{ kind: 'subscriber', event: 'subscribed', user: DOC_USER, subscribed: true, at: DOC_AT }],
    ],
    [
      'unsubscribed',
      '{"event":"unsubscribed","timestamp":1457764197627,"user_id":"01234567890A=","message_token":4912661846655238145}',
      [{ kind: 'subscriber', event: 'unsubscribed', user: { id: '01234567890A=' }, subscribed: false, at: DOC_AT }],
    ],
    [
      'delivered',
      '{"event":"delivered","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A="}',
      [
        {
          kind: 'status',
          match: { provider: 'VIBER_BOT', providerMessageId: DOC_TOKEN },
          status: STATUS.DELIVERED_TO_HANDSET,
          error: ERROR.NO_ERROR,
          doneAt: DOC_AT,
        },
      ],
    ],
    [
      'seen',
      '{"event":"seen","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A="}',
      [{ kind: 'seen', match: { provider: 'VIBER_BOT', providerMessageId: DOC_TOKEN }, seenAt: DOC_AT }],
    ],
    [
      'failed',
      '{"event":"failed","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A=","desc":"failure description"}',
      [
        {
          kind: 'status',
          match: { provider: 'VIBER_BOT', providerMessageId: DOC_TOKEN },
          status: STATUS.UNDELIVERABLE_NOT_DELIVERED,
          error: { ...VIBER_ERROR.DELIVERY_FAILED, description: 'Viber: delivery failed: failure description' },
          doneAt: DOC_AT,
        },
      ],
    ],
    ['webhook', '{"event":"webhook","timestamp":1457764197627,"message_token":241256543215}', [{ kind: 'ping' }]],
  ];

  it.each(examples)('%s', (_event, raw, expected) => {
    expect(callbacks.parse(signed(raw))).toEqual(expected);
  });
});

describe('ViberBotCallbacks: signatures and malformed bodies', () => {
  const raw = '{"event":"delivered","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A="}';

  it('rejects a signature made with another key', () => {
    expect(() => callbacks.parse(signed(raw, { key: 'not-the-token' }))).toThrow(CallbackAuthError);
  });

  it('rejects a body altered after signing', () => {
    const req = signed(raw);
    expect(() => callbacks.parse({ ...req, rawBody: Buffer.from(raw.replace('8145', '8146')) })).toThrow(CallbackAuthError);
  });

  it('rejects a missing signature', () => {
    expect(() => callbacks.parse({ ...signed(raw), headers: {} })).toThrow(CallbackAuthError);
  });

  it('rejects a signature of the wrong length or not hex', () => {
    const sig = viberSignature(raw, TOKEN);
    expect(() => callbacks.parse(signed(raw, { header: sig.slice(0, 62) }))).toThrow(CallbackAuthError);
    expect(() => callbacks.parse(signed(raw, { header: `${sig}00` }))).toThrow(CallbackAuthError);
    expect(() => callbacks.parse(signed(raw, { header: 'z'.repeat(64) }))).toThrow(CallbackAuthError);
  });

  it('accepts ?sig= when the header is absent, in any header case', () => {
    expect(callbacks.parse(signed(raw, { query: true }))).toHaveLength(1);
    const req = signed(raw);
    expect(callbacks.parse({ ...req, headers: { 'X-Viber-Content-Signature': req.headers['x-viber-content-signature'] } })).toHaveLength(1);
  });

  it('does not let ?sig= override a wrong header', () => {
    const good = signed(raw, { query: true });
    expect(() => callbacks.parse({ ...good, headers: { 'x-viber-content-signature': '0'.repeat(64) } })).toThrow(CallbackAuthError);
  });

  it('rejects invalid JSON, even correctly signed', () => {
    expect(() => callbacks.parse(signed('{"event":"delivered",'))).toThrow(MalformedCallbackError);
    expect(() => callbacks.parse(signed('[1,2]'))).toThrow(MalformedCallbackError);
  });

  it.each([
    ['no event', '{"timestamp":1457764197627}'],
    ['delivered without message_token', '{"event":"delivered","timestamp":1457764197627,"user_id":"u"}'],
    ['seen without timestamp', '{"event":"seen","message_token":4912661846655238145}'],
    ['message without sender', '{"event":"message","timestamp":1,"message_token":1,"message":{"type":"text","text":"x"}}'],
    ['picture without media', '{"event":"message","timestamp":1,"message_token":1,"sender":{"id":"u"},"message":{"type":"picture"}}'],
    ['unsubscribed without user_id', '{"event":"unsubscribed","timestamp":1457764197627}'],
  ])('rejects %s', (_name, body) => {
    expect(() => callbacks.parse(signed(body))).toThrow(MalformedCallbackError);
  });

  it('ignores an event type Viber may add later', () => {
    expect(callbacks.parse(signed('{"event":"client_status","timestamp":1457764197627}'))).toEqual([]);
  });
});

describe('ViberBotCallbacks over HTTP from the fake', () => {
  const user = { id: 'u-1=', name: 'Ann' };

  it('pairs delivered and seen with the token send() returned', async () => {
    const sent = await adapter.send(outbound({ type: 'TEXT', text: 'hi' }));
    if (sent.kind !== 'accepted' || !sent.providerMessageId) throw new Error('not accepted');
    const token = sent.providerMessageId;

    const delivered = await fake.callbackDelivered(endpoint.url, { messageToken: token, userId: USER }, { timestamp: 1_700_000_000_123 });
    expect(delivered.status).toBe(200);
    expect(endpoint.reports()).toEqual([
      {
        kind: 'status',
        match: { provider: 'VIBER_BOT', providerMessageId: token },
        status: STATUS.DELIVERED_TO_HANDSET,
        error: ERROR.NO_ERROR,
        doneAt: new Date(1_700_000_000_123),
      },
    ]);

    await fake.callbackSeen(endpoint.url, { messageToken: token, userId: USER });
    const seen = endpoint.reports()[0];
    expect(seen?.kind === 'seen' && seen.match).toEqual({ provider: 'VIBER_BOT', providerMessageId: token });
  });

  it('answers 401 to forged and unsigned callbacks', async () => {
    const forged = await fake.callbackDelivered(endpoint.url, { messageToken: '5000000000000000001', userId: USER }, { signature: 'wrong' });
    expect(forged.status).toBe(401);
    expect(endpoint.last().error).toBeInstanceOf(CallbackAuthError);
    const unsigned = await fake.callbackSeen(endpoint.url, { messageToken: '5000000000000000001', userId: USER }, { signature: 'none' });
    expect(unsigned.status).toBe(401);
  });

  it('accepts the ?sig= form', async () => {
    const res = await fake.callbackSubscribed(endpoint.url, { user }, { signature: 'query' });
    expect(res.status).toBe(200);
    expect(endpoint.reports()).toMatchObject([{ kind: 'subscriber', event: 'subscribed', user: { id: 'u-1=', name: 'Ann' } }]);
  });

  it('pairs a reply with the attempt through tracking_data and keeps extra fields harmless', async () => {
    const attemptId = randomUUID();
    const res = await fake.callbackMessage(
      endpoint.url,
      { user, message: { type: 'text', text: 'yes please' }, trackingData: attemptId },
      { extra: { chat_hostname: 'SN-CHAT-05_' } },
    );
    expect(res.status).toBe(200);
    const [report] = endpoint.reports();
    expect(report).toMatchObject({
      kind: 'inbound',
      providerMessageId: res.messageToken,
      from: 'u-1=',
      content: { type: 'TEXT', text: 'yes please' },
      replyTo: { attemptId },
      viberUser: { id: 'u-1=', name: 'Ann' },
    });
  });

  it.each([
    [
      'picture',
      { type: 'picture', media: 'https://m.example.com/p.jpg', text: 'cap' },
      { type: 'IMAGE', url: 'https://m.example.com/p.jpg', text: 'cap' },
    ],
    [
      'video',
      { type: 'video', media: 'https://m.example.com/v.mp4', size: 1234, duration: 7 },
      { type: 'VIDEO', url: 'https://m.example.com/v.mp4', sizeBytes: 1234, durationSeconds: 7 },
    ],
    [
      'file',
      { type: 'file', media: 'https://m.example.com/f.pdf', size: 99, file_name: 'f.pdf' },
      { type: 'FILE', url: 'https://m.example.com/f.pdf', fileName: 'f.pdf', sizeBytes: 99 },
    ],
    ['sticker', { type: 'sticker', sticker_id: 46105 }, { type: 'STICKER', stickerId: 46105, url: null }],
    [
      'contact',
      { type: 'contact', contact: { name: 'Bob', phone_number: '+385991112222' } },
      { type: 'CONTACT', name: 'Bob', phoneNumber: '+385991112222' },
    ],
    [
      'location',
      { type: 'location', location: { lat: 45.81501234567891, lon: 15.9819 } },
      { type: 'LOCATION', latitude: 45.81501234567891, longitude: 15.9819, address: null },
    ],
    ['url', { type: 'url', media: 'https://www.example.com' }, { type: 'TEXT', text: 'https://www.example.com' }],
  ] as const)('maps an inbound %s', async (_name, message, content) => {
    const res = await fake.callbackMessage(endpoint.url, { user, message });
    expect(res.status).toBe(200);
    const [report] = endpoint.reports();
    expect(report?.kind === 'inbound' && report.content).toEqual(content);
    expect(report?.kind === 'inbound' && report.replyTo).toBeNull();
  });

  it('maps conversation_started and unsubscribed', async () => {
    await fake.callbackConversationStarted(endpoint.url, { user, subscribed: true });
    expect(endpoint.reports()).toMatchObject([{ kind: 'subscriber', event: 'conversation_started', subscribed: true, user: { id: 'u-1=' } }]);
    await fake.callbackUnsubscribed(endpoint.url, { userId: 'u-1=' });
    expect(endpoint.reports()).toMatchObject([{ kind: 'subscriber', event: 'unsubscribed', subscribed: false, user: { id: 'u-1=' } }]);
  });

  it('maps failed with its description', async () => {
    await fake.callbackFailed(endpoint.url, { messageToken: '5000000000000000007', userId: USER, desc: 'blocked by user' });
    expect(endpoint.reports()).toMatchObject([
      {
        kind: 'status',
        match: { provider: 'VIBER_BOT', providerMessageId: '5000000000000000007' },
        status: STATUS.UNDELIVERABLE_NOT_DELIVERED,
        error: { name: 'VIBER_DELIVERY_FAILED', description: 'Viber: delivery failed: blocked by user' },
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('validateViberBotContent', () => {
  const url = (path: string) => `https://cdn.example.com/${path}`;
  const item = { title: 'T', imageUrl: url('i.jpg'), buttonText: 'Go', buttonUrl: url('go') };
  const problems = (content: StepContent, options?: Parameters<typeof validateViberBotContent>[1]) =>
    validateViberBotContent(content, options);

  it('text: at most 7000 characters, counted as the user sees them', () => {
    expect(problems({ type: 'TEXT', text: 'a'.repeat(7001) })).toEqual([
      { path: ['text'], message: 'must be at most 7000 characters for the Viber Bot API' },
    ]);
    expect(problems({ type: 'TEXT', text: '😀'.repeat(7000) })).toEqual([]);
    expect(problems({ type: 'TEXT', text: '' })).toEqual([{ path: ['text'], message: 'must not be empty for the Viber Bot API' }]);
  });

  it('picture caption: at most 768 characters', () => {
    expect(problems({ type: 'IMAGE', url: url('a.png'), text: 'x'.repeat(769) })).toEqual([
      { path: ['text'], message: 'must be at most 768 characters for the Viber Bot API' },
    ]);
  });

  it('image URL: http(s) and a picture extension (switchable)', () => {
    expect(problems({ type: 'IMAGE', url: 'ftp://cdn.example.com/a.jpg' })).toEqual([
      { path: ['url'], message: 'must be an http(s) URL for the Viber Bot API' },
    ]);
    expect(problems({ type: 'IMAGE', url: url('a.bmp') })).toEqual([
      { path: ['url'], message: 'must be a .jpg, .jpeg, .png or .gif image URL for the Viber Bot API' },
    ]);
    expect(problems({ type: 'IMAGE', url: url('a.JPEG?w=200') })).toEqual([]);
    expect(problems({ type: 'IMAGE', url: url('image?id=5') }, { requireImageExtension: false })).toEqual([]);
  });

  it('url: at most 2000 characters', () => {
    const long = `https://example.com/${'a'.repeat(1981)}`;
    expect(long).toHaveLength(2001);
    expect(problems({ type: 'URL', url: long })).toEqual([
      { path: ['url'], message: 'must be at most 2000 characters for the Viber Bot API' },
    ]);
    expect(problems({ type: 'URL', url: long.slice(0, 2000) })).toEqual([]);
  });

  it('file: name at most 256 characters, size required, at most 50 MB', () => {
    expect(problems({ type: 'FILE', url: url('f'), sizeBytes: 10, fileName: `${'n'.repeat(253)}.pdf` })).toEqual([
      { path: ['fileName'], message: 'must be at most 256 characters for the Viber Bot API' },
    ]);
    expect(problems({ type: 'FILE', url: url('f'), sizeBytes: 50 * 1024 * 1024 + 1, fileName: 'f.pdf' })).toEqual([
      { path: ['sizeBytes'], message: 'must be at most 50 MB (52428800 bytes) for the Viber Bot API' },
    ]);
  });

  it('video: size required, at most 26 MB', () => {
    expect(problems({ type: 'VIDEO', url: url('v.mp4'), sizeBytes: 0 })).toEqual([
      { path: ['sizeBytes'], message: 'must be a positive whole number of bytes for the Viber Bot API' },
    ]);
    expect(problems({ type: 'VIDEO', url: url('v.mp4'), sizeBytes: 26 * 1024 * 1024 + 1 })).toEqual([
      { path: ['sizeBytes'], message: 'must be at most 26 MB (27262976 bytes) for the Viber Bot API' },
    ]);
  });

  it('sticker: an integer id', () => {
    expect(problems({ type: 'STICKER', stickerId: 1.5 })).toEqual([
      { path: ['stickerId'], message: 'must be a positive integer sticker id for the Viber Bot API' },
    ]);
  });

  it('location: latitude and longitude in range', () => {
    expect(problems({ type: 'LOCATION', latitude: 91, longitude: -181 })).toEqual([
      { path: ['latitude'], message: 'must be between -90 and 90 for the Viber Bot API' },
      { path: ['longitude'], message: 'must be between -180 and 180 for the Viber Bot API' },
    ]);
  });

  it('carousel: 1 to 6 items', () => {
    expect(problems({ type: 'CAROUSEL', items: [] })).toEqual([{ path: ['items'], message: 'must have 1 to 6 items for the Viber Bot API' }]);
    expect(problems({ type: 'CAROUSEL', items: Array.from({ length: 7 }, () => item) })).toEqual([
      { path: ['items'], message: 'must have 1 to 6 items for the Viber Bot API' },
    ]);
    expect(problems({ type: 'CAROUSEL', items: Array.from({ length: 6 }, () => item) })).toEqual([]);
  });

  it('carousel: button text fits one row, item paths are indexed', () => {
    expect(problems({ type: 'CAROUSEL', items: [item, { ...item, buttonText: 'b'.repeat(31), imageUrl: 'not a url' }] })).toEqual([
      { path: ['items', '1', 'imageUrl'], message: 'must be an http(s) URL for the Viber Bot API' },
      { path: ['items', '1', 'buttonText'], message: 'must be at most 30 characters for the Viber Bot API' },
    ]);
  });

  it('rich: caption limit and button text', () => {
    expect(
      problems({ type: 'RICH', text: 't'.repeat(769), imageUrl: url('r.png'), button: { text: 'x'.repeat(31), url: url('go') } }),
    ).toEqual([
      { path: ['text'], message: 'must be at most 768 characters for the Viber Bot API' },
      { path: ['button', 'text'], message: 'must be at most 30 characters for the Viber Bot API' },
    ]);
  });

  it('the whole request must fit in 30 KB', () => {
    const longUrl = `https://example.com/${'a'.repeat(1980)}`;
    const big = Array.from({ length: 6 }, () => ({ ...item, buttonUrl: longUrl }));
    expect(problems({ type: 'CAROUSEL', items: big })).toEqual([
      { path: [], message: expect.stringMatching(/^must fit in a request of at most 30 KB .* for the Viber Bot API$/) },
    ]);
  });

  it('refuses SMS content', () => {
    expect(problems({ type: 'SMS_TEXT', text: 'hi' })).toEqual([
      { path: ['type'], message: 'the Viber Bot API carries only VIBER steps' },
    ]);
  });
});
