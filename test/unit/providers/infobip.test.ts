import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StepContent } from '../../../src/domain/content.js';
import { ERROR, STATUS } from '../../../src/domain/status.js';
import { InfobipAdapter } from '../../../src/providers/infobip/adapter.js';
import { InfobipCallbacks, parseInfobipTime } from '../../../src/providers/infobip/callbacks.js';
import { validateInfobipContent } from '../../../src/providers/infobip/validate.js';
import {
  CallbackAuthError,
  MalformedCallbackError,
  SendInDoubtError,
  TransientProviderError,
  type OutboundMessage,
  type SendResult,
  type WebhookRequest,
} from '../../../src/providers/types.js';
import { FakeInfobip, INFOBIP_ERROR, INFOBIP_STATUS, deliveryReport } from '../../fakes/infobip.js';

// ---------------------------------------------------------------------------------------------------
// Stands in for our webhook endpoint: keeps the exact bytes and headers each callback arrived with.

interface Captured {
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

const HOOK_PREFIX = '/webhooks/infobip/conn-1';

class WebhookCapture {
  readonly got: Captured[] = [];
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        this.got.push({ path: url.pathname, query: url.search, headers: req.headers, raw: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${HOOK_PREFIX}`;
  }

  /** The last callback as the webhook route would hand it to the parser. */
  lastRequest(): WebhookRequest {
    const c = this.got.at(-1);
    if (!c) throw new Error('no callback captured');
    if (!c.path.startsWith(HOOK_PREFIX)) throw new Error(`callback went to ${c.path}`);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(c.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return { subPath: c.path.slice(HOOK_PREFIX.length), headers, query: new URLSearchParams(c.query), rawBody: c.raw };
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

// ---------------------------------------------------------------------------------------------------

const KEY = '003026bbc133714df1834b8638bb496e-8f4b3d9a-e931-478d-a994-28a725159ab9';
const SECRET = '6f1d0c2e9b7a48d5a3c1e0f2b4d6a8c0';
const TO = '41793026727';

const fake = new FakeInfobip({ apiKey: KEY, callbackHeaders: { Authorization: `App ${SECRET}` } });
const hook = new WebhookCapture();
const callbacks = new InfobipCallbacks({ webhookSecret: SECRET });
let adapter: InfobipAdapter;

beforeAll(async () => {
  await fake.start();
  await hook.start();
  adapter = new InfobipAdapter({ baseUrl: fake.baseUrl, apiKey: KEY, deliveryWebhookUrl: `${hook.base}/delivery`, timeoutMs: 5_000 });
});

afterEach(() => {
  fake.reset();
  hook.got.length = 0;
});

afterAll(async () => {
  await fake.stop();
  await hook.stop();
});

function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    attemptId: randomUUID(),
    messageId: 'client-msg-1',
    channel: 'VIBER',
    from: 'OmniBrand',
    to: { phoneNumber: `+${TO}` },
    content: { type: 'TEXT', text: 'Your order has shipped' },
    validitySeconds: 3600,
    callbackData: 'cb-1',
    viberLabel: 'TRANSACTIONAL',
    ...overrides,
  };
}

async function sendError(a: InfobipAdapter, m: OutboundMessage): Promise<unknown> {
  try {
    await a.send(m);
  } catch (e) {
    return e;
  }
  throw new Error('send did not throw');
}

function onlyRequestBody(): unknown {
  expect(fake.requests).toHaveLength(1);
  return fake.requests[0]?.body;
}

// ---------------------------------------------------------------------------------------------------

describe('InfobipAdapter: Viber Business Messages wire format', () => {
  it('sends TEXT with the documented body, App auth and our attempt id as messageId', async () => {
    const m = outbound();
    const result = await adapter.send(m);

    expect(result).toEqual({ kind: 'accepted', providerMessageId: m.attemptId });
    expect(fake.violations).toEqual([]);
    const req = fake.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/viber/2/messages');
    expect(req?.headers.authorization).toBe(`App ${KEY}`);
    expect(req?.headers['content-type']).toMatch(/^application\/json/);
    expect(onlyRequestBody()).toEqual({
      messages: [
        {
          sender: 'OmniBrand',
          destinations: [{ to: TO, messageId: m.attemptId }],
          content: { type: 'TEXT', text: 'Your order has shipped' },
          options: { label: 'TRANSACTIONAL', validityPeriod: { amount: 1, timeUnit: 'HOURS' } },
          webhooks: { delivery: { url: `${hook.base}/delivery` }, callbackData: 'cb-1' },
        },
      ],
    });
    expect(fake.sent[0]).toMatchObject({ channel: 'VIBER', messageId: m.attemptId, to: TO, callbackData: 'cb-1' });
  });

  const cases: Array<{ name: string; content: StepContent; wire: Record<string, unknown> }> = [
    {
      name: 'RICH as IMAGE with text and button',
      content: { type: 'RICH', text: 'Spring sale', imageUrl: 'https://cdn.example.com/sale.png', button: { text: 'Shop now', url: 'https://example.com/sale' } },
      wire: {
        type: 'IMAGE',
        mediaUrl: 'https://cdn.example.com/sale.png',
        text: 'Spring sale',
        button: { title: 'Shop now', action: 'https://example.com/sale' },
      },
    },
    {
      name: 'IMAGE with caption',
      content: { type: 'IMAGE', url: 'https://cdn.example.com/a.jpg', text: 'Your receipt', thumbnailUrl: null },
      wire: { type: 'IMAGE', mediaUrl: 'https://cdn.example.com/a.jpg', text: 'Your receipt' },
    },
    {
      name: 'IMAGE alone',
      content: { type: 'IMAGE', url: 'https://cdn.example.com/a.jpg' },
      wire: { type: 'IMAGE', mediaUrl: 'https://cdn.example.com/a.jpg' },
    },
    {
      name: 'VIDEO',
      content: {
        type: 'VIDEO',
        url: 'https://cdn.example.com/v.mp4',
        sizeBytes: 1_000_000,
        durationSeconds: 42,
        thumbnailUrl: 'https://cdn.example.com/v.jpg',
        text: 'Watch',
      },
      wire: { type: 'VIDEO', mediaUrl: 'https://cdn.example.com/v.mp4', thumbnailUrl: 'https://cdn.example.com/v.jpg', mediaDuration: 42, text: 'Watch' },
    },
    {
      name: 'FILE',
      content: { type: 'FILE', url: 'https://cdn.example.com/invoice.pdf', sizeBytes: 2048, fileName: 'invoice.pdf' },
      wire: { type: 'FILE', mediaUrl: 'https://cdn.example.com/invoice.pdf', fileName: 'invoice.pdf', filename: 'invoice.pdf' },
    },
    {
      name: 'CAROUSEL',
      content: {
        type: 'CAROUSEL',
        altText: 'Pick a plan',
        items: [
          { title: 'Basic', imageUrl: 'https://cdn.example.com/1.png', buttonText: 'Choose', buttonUrl: 'https://example.com/1' },
          { title: 'Pro', imageUrl: 'https://cdn.example.com/2.png', buttonText: 'Choose', buttonUrl: 'https://example.com/2' },
        ],
      },
      wire: {
        type: 'CAROUSEL',
        text: 'Pick a plan',
        cards: [
          { text: 'Basic', mediaUrl: 'https://cdn.example.com/1.png', buttons: [{ title: 'Choose', action: 'https://example.com/1' }] },
          { text: 'Pro', mediaUrl: 'https://cdn.example.com/2.png', buttons: [{ title: 'Choose', action: 'https://example.com/2' }] },
        ],
      },
    },
  ];

  it.each(cases)('sends $name', async ({ content, wire }) => {
    const m = outbound({ content, viberLabel: 'PROMOTIONAL', validitySeconds: 1800 });
    expect(await adapter.send(m)).toEqual({ kind: 'accepted', providerMessageId: m.attemptId });
    expect(fake.violations).toEqual([]);
    const body = onlyRequestBody() as { messages: Array<Record<string, unknown>> };
    expect(body.messages[0]?.content).toEqual(wire);
    expect(body.messages[0]?.options).toEqual({ label: 'PROMOTIONAL', validityPeriod: { amount: 30, timeUnit: 'MINUTES' } });
  });

  it('leaves webhooks out when there is neither a delivery URL nor callbackData', async () => {
    const bare = new InfobipAdapter({ baseUrl: fake.baseUrl, apiKey: KEY, deliveryWebhookUrl: null });
    const m = outbound({ callbackData: null, validitySeconds: 90 });
    await bare.send(m);
    const body = onlyRequestBody() as { messages: Array<Record<string, unknown>> };
    expect(body.messages[0]).not.toHaveProperty('webhooks');
    expect(body.messages[0]?.options).toEqual({ label: 'TRANSACTIONAL', validityPeriod: { amount: 90, timeUnit: 'SECONDS' } });
    expect(fake.violations).toEqual([]);
  });
});

describe('InfobipAdapter: SMS v3 wire format', () => {
  it('sends the documented /sms/3 body and counts segments when the response has no count', async () => {
    const text = 'a'.repeat(200);
    const m = outbound({ channel: 'SMS', from: 'InfoSMS', content: { type: 'SMS_TEXT', text }, validitySeconds: 48 * 3600 });
    const result = await adapter.send(m);

    expect(result).toEqual({ kind: 'accepted', providerMessageId: m.attemptId, messageCount: 2 });
    expect(fake.violations).toEqual([]);
    expect(fake.requests[0]?.path).toBe('/sms/3/messages');
    expect(fake.requests[0]?.headers.authorization).toBe(`App ${KEY}`);
    expect(onlyRequestBody()).toEqual({
      messages: [
        {
          sender: 'InfoSMS',
          destinations: [{ to: TO, messageId: m.attemptId }],
          content: { text },
          options: { validityPeriod: { amount: 48, timeUnit: 'HOURS' } },
          webhooks: { delivery: { url: `${hook.base}/delivery` }, callbackData: 'cb-1' },
        },
      ],
    });
  });

  it('counts UCS-2 segments for a text outside GSM-7', async () => {
    const m = outbound({ channel: 'SMS', from: 'InfoSMS', content: { type: 'SMS_TEXT', text: 'Привет! '.repeat(10) } });
    expect(await adapter.send(m)).toMatchObject({ kind: 'accepted', messageCount: 2 });
  });
});

describe('InfobipAdapter: outcomes', () => {
  it('a scripted Viber reject is rejected with REJECTED_DESTINATION_NOT_REGISTERED, a failover error', async () => {
    fake.script(TO, 'reject');
    const m = outbound();
    expect(await adapter.send(m)).toEqual({
      kind: 'rejected',
      status: STATUS.REJECTED_DESTINATION_NOT_REGISTERED,
      error: ERROR.EC_NOT_CHANNEL_USER,
      providerMessageId: m.attemptId,
    });
  });

  it('a scripted SMS reject carries that status and a permanent error', async () => {
    fake.script(TO, { reject: INFOBIP_STATUS.REJECTED_NOT_ENOUGH_CREDITS });
    const result = await adapter.send(outbound({ channel: 'SMS', from: 'InfoSMS', content: { type: 'SMS_TEXT', text: 'hi' } }));
    expect(result).toMatchObject({ kind: 'rejected', status: STATUS.REJECTED_NOT_ENOUGH_CREDITS, error: { permanent: true } });
  });

  it('a duplicate-messageId refusal means our earlier send got through: accepted', async () => {
    fake.script(TO, { reject: INFOBIP_STATUS.REJECTED_DUPLICATE_MESSAGE_ID });
    const m = outbound();
    expect(await adapter.send(m)).toEqual({ kind: 'accepted', providerMessageId: m.attemptId });
  });

  it('HTTP 503 is transient without a retry hint', async () => {
    fake.script(TO, { httpStatus: 503 });
    const err = await sendError(adapter, outbound());
    expect(err).toBeInstanceOf(TransientProviderError);
    expect((err as TransientProviderError).retryAfterMs).toBeNull();
    expect((err as Error).message).toContain('503');
  });

  it('HTTP 429 is transient and honours Retry-After', async () => {
    fake.script(TO, { httpStatus: 429, retryAfter: 7 });
    const err = await sendError(adapter, outbound());
    expect(err).toBeInstanceOf(TransientProviderError);
    expect((err as TransientProviderError).retryAfterMs).toBe(7_000);
  });

  it('HTTP 401 (wrong API key) is rejected with the serviceException text', async () => {
    const wrongKey = new InfobipAdapter({ baseUrl: fake.baseUrl, apiKey: 'not-the-key', deliveryWebhookUrl: null });
    const result = await wrongKey.send(outbound());
    expect(result).toMatchObject({ kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR });
    const error = (result as Extract<SendResult, { kind: 'rejected' }>).error;
    expect(error.permanent).toBe(true);
    expect(error.description).toContain('401');
    expect(error.description).toContain('Invalid login details');
    expect(fake.violations.map((v) => v.field)).toEqual(['Authorization']);
  });

  it('HTTP 403 is rejected', async () => {
    fake.script(TO, { httpStatus: 403 });
    const result = await adapter.send(outbound());
    expect(result).toMatchObject({ kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: { permanent: true } });
    expect((result as Extract<SendResult, { kind: 'rejected' }>).error.description).toContain('Forbidden');
  });

  it('HTTP 400 naming the sender is rejected as REJECTED_SENDER', async () => {
    const result = await adapter.send(outbound({ from: '' }));
    expect(result).toMatchObject({ kind: 'rejected', status: STATUS.REJECTED_SENDER, error: { permanent: true } });
    expect((result as Extract<SendResult, { kind: 'rejected' }>).error.description).toContain('messages[0].sender');
  });

  it('a timeout after the request was written is in doubt, not a retry: Infobip may have the message', async () => {
    fake.script(TO, { hangMs: Infinity });
    const impatient = new InfobipAdapter({ baseUrl: fake.baseUrl, apiKey: KEY, deliveryWebhookUrl: null, timeoutMs: 150 });
    const err = await sendError(impatient, outbound());
    expect(err).toBeInstanceOf(SendInDoubtError);
    expect(err).not.toBeInstanceOf(TransientProviderError);
  });

  it('a refused connection is transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = new InfobipAdapter({ baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY, deliveryWebhookUrl: null });
    expect(await sendError(nowhere, outbound())).toBeInstanceOf(TransientProviderError);
  });

  it('a Viber user id destination is rejected without a request', async () => {
    const result = await adapter.send(outbound({ to: { viberUserId: '01234567890A=' } }));
    expect(result).toMatchObject({ kind: 'rejected', status: STATUS.REJECTED_INVALID_DESTINATION, error: { permanent: true } });
    expect(fake.requests).toEqual([]);
  });

  it('content Infobip cannot carry is rejected without a request', async () => {
    const result = await adapter.send(outbound({ content: { type: 'LOCATION', latitude: 45.8, longitude: 15.97 } }));
    expect(result).toMatchObject({ kind: 'rejected', error: { permanent: true, description: 'LOCATION messages are not supported by Infobip Viber Business Messages' } });
    expect(fake.requests).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('InfobipAdapter: batches', () => {
  const numbers = ['41793026701', '41793026702', '41793026703'];
  const viberTo = (digits: string) => outbound({ to: { phoneNumber: `+${digits}` } });
  const smsTo = (digits: string) => outbound({ to: { phoneNumber: `+${digits}` }, channel: 'SMS', from: 'InfoSMS', content: { type: 'SMS_TEXT', text: 'hi' } });

  it('sends one request per endpoint, each message an entry with its own messageId, and matches each verdict by it', async () => {
    fake.script(numbers[1]!, 'reject');
    const batch = [viberTo(numbers[0]!), smsTo(numbers[2]!), viberTo(numbers[1]!)];
    const results = await adapter.sendBatch(batch);
    expect(fake.requests.map((r) => r.path).sort()).toEqual(['/sms/3/messages', '/viber/2/messages']);
    const viber = fake.requests.find((r) => r.path === '/viber/2/messages')!.body as { messages: Array<{ destinations: unknown[] }> };
    expect(viber.messages.map((m) => m.destinations)).toEqual([
      [{ to: numbers[0], messageId: batch[0]!.attemptId }],
      [{ to: numbers[1], messageId: batch[2]!.attemptId }],
    ]);
    expect(results).toEqual([
      { kind: 'accepted', providerMessageId: batch[0]!.attemptId },
      { kind: 'accepted', providerMessageId: batch[1]!.attemptId, messageCount: 1 },
      { kind: 'rejected', status: STATUS.REJECTED_DESTINATION_NOT_REGISTERED, error: ERROR.EC_NOT_CHANNEL_USER, providerMessageId: batch[2]!.attemptId },
    ]);
  });

  it('a request-level 503 makes every message of that request transient, and only of that request', async () => {
    fake.script(numbers[0]!, { httpStatus: 503 });
    const results = await adapter.sendBatch([viberTo(numbers[0]!), viberTo(numbers[1]!), smsTo(numbers[2]!)]);
    expect(results[0]).toBeInstanceOf(TransientProviderError);
    expect(results[1]).toBeInstanceOf(TransientProviderError);
    expect(results[2]).toMatchObject({ kind: 'accepted' });
  });

  it('a 400 over one bad message is asked again one by one, so only that message is rejected', async () => {
    const batch = [viberTo(numbers[0]!), outbound({ to: { phoneNumber: `+${numbers[1]}` }, from: '' }), viberTo(numbers[2]!)];
    const results = await adapter.sendBatch(batch);
    expect(fake.requests.map((r) => (r.body as { messages: unknown[] }).messages.length)).toEqual([3, 1, 1, 1]);
    expect(results[0]).toEqual({ kind: 'accepted', providerMessageId: batch[0]!.attemptId });
    expect(results[1]).toMatchObject({ kind: 'rejected', status: STATUS.REJECTED_SENDER });
    expect(results[2]).toEqual({ kind: 'accepted', providerMessageId: batch[2]!.attemptId });
  });

  it('a 2xx answer without a message\'s entry leaves that message unknown (an Error, not transient: never sent twice)', async () => {
    fake.script(numbers[0]!, { httpStatus: 200, body: JSON.stringify({ bulkId: 'b', messages: [] }) });
    const results = await adapter.sendBatch([viberTo(numbers[0]!), viberTo(numbers[1]!)]);
    for (const r of results) {
      expect(r).toBeInstanceOf(Error);
      expect(r).not.toBeInstanceOf(TransientProviderError);
    }
  });
});

describe('validateInfobipContent', () => {
  const ok = (content: StepContent) => expect(validateInfobipContent(content)).toEqual([]);
  const rich = (over: Partial<{ text: string; imageUrl: string; buttonText: string; buttonUrl: string }> = {}): StepContent => ({
    type: 'RICH',
    text: over.text ?? 'Sale',
    imageUrl: over.imageUrl ?? 'https://cdn.example.com/i.png',
    button: { text: over.buttonText ?? 'Open', url: over.buttonUrl ?? 'https://example.com' },
  });
  const item = (over: Record<string, string> = {}) => ({
    title: 'Item',
    imageUrl: 'https://cdn.example.com/i.png',
    buttonText: 'Buy',
    buttonUrl: 'https://example.com',
    ...over,
  });
  const video = (over: Record<string, unknown> = {}): StepContent =>
    ({ type: 'VIDEO', url: 'https://cdn.example.com/v.mp4', sizeBytes: 1000, durationSeconds: 10, thumbnailUrl: 'https://cdn.example.com/t.jpg', ...over }) as StepContent;

  it('text: at most 1000 characters, counted as code points', () => {
    ok({ type: 'TEXT', text: '😀'.repeat(1000) });
    expect(validateInfobipContent({ type: 'TEXT', text: 'x'.repeat(1001) })).toEqual([
      { path: ['text'], message: 'must be at most 1000 characters for Infobip' },
    ]);
    expect(validateInfobipContent({ type: 'TEXT', text: '' })).toEqual([{ path: ['text'], message: 'is required by Infobip' }]);
  });

  it('rich: button text at most 20 characters', () => {
    ok(rich({ buttonText: 'x'.repeat(20) }));
    expect(validateInfobipContent(rich({ buttonText: 'x'.repeat(21) }))).toEqual([
      { path: ['button', 'text'], message: 'button text must be at most 20 characters for Infobip' },
    ]);
  });

  it('rich: text at most 1000 characters', () => {
    expect(validateInfobipContent(rich({ text: 'x'.repeat(1001) }))).toEqual([
      { path: ['text'], message: 'must be at most 1000 characters for Infobip' },
    ]);
  });

  it('rich: image and button URLs must be http(s)', () => {
    expect(validateInfobipContent(rich({ imageUrl: 'ftp://cdn.example.com/i.png', buttonUrl: 'javascript:alert(1)' }))).toEqual([
      { path: ['imageUrl'], message: 'image URL must be an http(s) URL for Infobip' },
      { path: ['button', 'url'], message: 'button URL must be an http(s) URL for Infobip' },
    ]);
  });

  it('media URLs: at most 1000 characters', () => {
    expect(validateInfobipContent({ type: 'IMAGE', url: `https://cdn.example.com/${'a'.repeat(1000)}.png` })).toEqual([
      { path: ['url'], message: 'image URL must be at most 1000 characters for Infobip' },
    ]);
  });

  it('image: caption at most 1000 characters', () => {
    expect(validateInfobipContent({ type: 'IMAGE', url: 'https://cdn.example.com/a.png', text: 'x'.repeat(1001) })).toEqual([
      { path: ['text'], message: 'must be at most 1000 characters for Infobip' },
    ]);
  });

  it('video: thumbnail and duration are required, duration 1..600 s, size at most 200 MB', () => {
    ok(video({ durationSeconds: 600 }));
    expect(validateInfobipContent(video({ thumbnailUrl: null }))).toEqual([
      { path: ['thumbnailUrl'], message: 'thumbnail URL is required by Infobip' },
    ]);
    expect(validateInfobipContent(video({ durationSeconds: null }))).toEqual([
      { path: ['durationSeconds'], message: 'is required by Infobip for a video' },
    ]);
    expect(validateInfobipContent(video({ durationSeconds: 601 }))).toEqual([
      { path: ['durationSeconds'], message: 'must be a whole number of seconds from 1 to 600 for Infobip' },
    ]);
    expect(validateInfobipContent(video({ sizeBytes: 200 * 1024 * 1024 + 1 }))).toEqual([
      { path: ['sizeBytes'], message: 'video must be at most 200 MB for Infobip' },
    ]);
  });

  it('file: the name must carry a document extension Infobip accepts', () => {
    ok({ type: 'FILE', url: 'https://cdn.example.com/r', sizeBytes: 1, fileName: 'REPORT.PDF' });
    const problems = validateInfobipContent({ type: 'FILE', url: 'https://cdn.example.com/r', sizeBytes: 1, fileName: 'setup.exe' });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(['fileName']);
    expect(problems[0]?.message).toMatch(/Infobip/);
  });

  it('carousel: 2 to 5 items, text required', () => {
    expect(validateInfobipContent({ type: 'CAROUSEL', altText: 'Pick', items: [item()] })).toEqual([
      { path: ['items'], message: 'must have from 2 to 5 items for Infobip' },
    ]);
    expect(validateInfobipContent({ type: 'CAROUSEL', altText: 'Pick', items: Array.from({ length: 6 }, () => item()) })).toEqual([
      { path: ['items'], message: 'must have from 2 to 5 items for Infobip' },
    ]);
    expect(validateInfobipContent({ type: 'CAROUSEL', altText: null, items: [item(), item()] })).toEqual([
      { path: ['altText'], message: 'carousel text is required by Infobip' },
    ]);
  });

  it('carousel: item title at most 38, button text at most 10, URLs http(s)', () => {
    expect(
      validateInfobipContent({
        type: 'CAROUSEL',
        altText: 'Pick',
        items: [item(), item({ title: 'x'.repeat(39), buttonText: 'x'.repeat(11), imageUrl: 'data:image/png;base64,AAAA' })],
      }),
    ).toEqual([
      { path: ['items', '1', 'title'], message: 'title must be at most 38 characters for Infobip' },
      { path: ['items', '1', 'imageUrl'], message: 'image URL must be an http(s) URL for Infobip' },
      { path: ['items', '1', 'buttonText'], message: 'button text must be at most 10 characters for Infobip' },
    ]);
  });

  it('sms: at most 1600 characters', () => {
    ok({ type: 'SMS_TEXT', text: 'x'.repeat(1600) });
    expect(validateInfobipContent({ type: 'SMS_TEXT', text: 'x'.repeat(1601) })).toEqual([
      { path: ['text'], message: 'must be at most 1600 characters for Infobip' },
    ]);
  });

  const unsupported: StepContent[] = [
    { type: 'LOCATION', latitude: 1, longitude: 2 },
    { type: 'CONTACT', name: 'Ana', phoneNumber: '+385911111111' },
    { type: 'STICKER', stickerId: 40133 },
    { type: 'URL', url: 'https://example.com' },
  ];
  it.each(unsupported)('$type is not supported', (content) => {
    expect(validateInfobipContent(content)).toEqual([
      { path: [], message: `${content.type} messages are not supported by Infobip Viber Business Messages` },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('InfobipCallbacks', () => {
  it('parses the documented delivery report', async () => {
    const entry = deliveryReport({
      bulkId: 'BULK-1',
      messageId: 'MSG-1',
      to: '41793026727',
      sender: 'InfoSMS',
      sentAt: '2019-11-09T16:00:00.000+0000',
      doneAt: '2019-11-09T16:00:00.000+0000',
      messageCount: 1,
      mccMnc: '22801',
      callbackData: 'x',
      price: { pricePerMessage: 0.01, currency: 'EUR' },
      status: INFOBIP_STATUS.DELIVERED_TO_HANDSET,
      error: INFOBIP_ERROR.NO_ERROR,
      channel: 'VIBER',
    });
    await fake.postDeliveryReports(`${hook.base}/delivery`, [entry]);
    const req = hook.lastRequest();
    expect(req.rawBody.toString()).toBe(
      '{"results":[{"bulkId":"BULK-1","messageId":"MSG-1","to":"41793026727","sender":"InfoSMS",' +
        '"sentAt":"2019-11-09T16:00:00.000+0000","doneAt":"2019-11-09T16:00:00.000+0000","messageCount":1,"mccMnc":"22801","callbackData":"x",' +
        '"price":{"pricePerMessage":0.01,"currency":"EUR"},' +
        '"status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET","description":"Message delivered to handset"},' +
        '"error":{"groupId":0,"groupName":"OK","id":0,"name":"NO_ERROR","description":"No Error","permanent":false},"channel":"VIBER"}]}',
    );
    expect(callbacks.parse(req)).toEqual([
      {
        kind: 'status',
        match: { provider: 'INFOBIP', providerMessageId: 'MSG-1' },
        status: STATUS.DELIVERED_TO_HANDSET,
        error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
        doneAt: new Date('2019-11-09T16:00:00.000Z'),
        details: { price: { pricePerMessage: '0.01', currency: 'EUR' }, mccMnc: '22801', messageCount: 1 },
      },
    ]);
  });

  it('parses a v2 report (from/smsCount) with a +0100 offset and keeps the error as Infobip sent it', async () => {
    const entry = deliveryReport({
      messageId: '1215f543ab19-345f-adbd-12ad31451ed25f35',
      to: '41793026731',
      sender: 'InfoSMS',
      sentAt: '2016-02-23T17:41:11.833+0100',
      doneAt: '2016-02-23T17:41:11.843+0100',
      status: INFOBIP_STATUS.UNDELIVERABLE_NOT_DELIVERED,
      error: INFOBIP_ERROR.EC_VALIDITYEXPIRED,
      format: 'v2',
    });
    await fake.postDeliveryReports(`${hook.base}/delivery`, [entry]);
    const req = hook.lastRequest();
    expect(req.rawBody.toString()).toContain('"from":"InfoSMS"');
    expect(req.rawBody.toString()).toContain('"smsCount":1');
    expect(callbacks.parse(req)).toEqual([
      {
        kind: 'status',
        match: { provider: 'INFOBIP', providerMessageId: '1215f543ab19-345f-adbd-12ad31451ed25f35' },
        status: STATUS.UNDELIVERABLE_NOT_DELIVERED,
        // Infobip's own group and permanence, not our catalogue's entry of the same name.
        error: { groupId: 2, groupName: 'USER_ERRORS', id: 4101, name: 'EC_VALIDITYEXPIRED', description: 'Validity expired', permanent: false },
        doneAt: new Date('2016-02-23T16:41:11.843Z'),
        details: { price: { pricePerMessage: '0.01', currency: 'EUR' }, mccMnc: '22801', messageCount: 1 },
      },
    ]);
  });

  it('matches a report for our own send by attempt id, end to end', async () => {
    const m = outbound();
    await adapter.send(m);
    const sent = fake.sent[0];
    if (!sent) throw new Error('not sent');
    await fake.deliver(sent, { status: INFOBIP_STATUS.UNDELIVERABLE_NOT_DELIVERED, error: INFOBIP_ERROR.EC_ABSENT_SUBSCRIBER_SM, doneAt: '2024-03-01T10:00:00.500+0000' });
    const req = hook.lastRequest();
    expect(req.subPath).toBe('/delivery');
    expect(callbacks.parse(req)).toEqual([
      {
        kind: 'status',
        match: { attemptId: m.attemptId },
        status: STATUS.UNDELIVERABLE_NOT_DELIVERED,
        error: ERROR.EC_ABSENT_SUBSCRIBER_SM,
        doneAt: new Date('2024-03-01T10:00:00.500Z'),
        details: { price: { pricePerMessage: '0.01', currency: 'EUR' }, mccMnc: '22801', messageCount: 1 },
      },
    ]);
  });

  it("keeps an unknown status id in one of our groups as Infobip's own object", async () => {
    const status = { groupId: 2, groupName: 'UNDELIVERABLE', id: 77, name: 'UNDELIVERABLE_NEW_REASON', description: 'Something new' };
    await fake.postDeliveryReports(`${hook.base}/delivery`, [deliveryReport({ messageId: 'MSG-2', to: TO, status })]);
    const [report] = callbacks.parse(hook.lastRequest());
    expect(report).toMatchObject({ kind: 'status', status });
  });

  it('refuses a status in a group we do not have', async () => {
    const status = { groupId: 9, groupName: 'SOMETHING_ELSE', id: 77, name: 'X', description: 'x' };
    await fake.postDeliveryReports(`${hook.base}/delivery`, [deliveryReport({ messageId: 'MSG-2', to: TO, status })]);
    expect(() => callbacks.parse(hook.lastRequest())).toThrow(MalformedCallbackError);
  });

  it('parses the documented inbound SMS', async () => {
    await fake.postInboundSms(`${hook.base}/inbound`, [
      {
        messageId: 'mo-1',
        from: '385916242493',
        to: '385921004026',
        text: 'QUIZ Correct answer is Paris',
        cleanText: 'Correct answer is Paris',
        keyword: 'QUIZ',
        receivedAt: '2016-10-06T09:28:39.220+0000',
      },
    ]);
    expect(callbacks.parse(hook.lastRequest())).toEqual([
      {
        kind: 'inbound',
        provider: 'INFOBIP',
        channel: 'SMS',
        providerMessageId: 'mo-1',
        from: '+385916242493',
        to: '385921004026',
        receivedAt: new Date('2016-10-06T09:28:39.220Z'),
        content: { type: 'TEXT', text: 'QUIZ Correct answer is Paris' },
        replyTo: null,
      },
    ]);
  });

  it('parses inbound Viber of every type, with replyTo from pairedMessageId', async () => {
    const attemptId = randomUUID();
    const base = { sender: '385916242493', to: 'ViberSender', receivedAt: '2020-02-06T11:43:42.000+0000' };
    await fake.postInboundViber(`${hook.base}/inbound`, [
      { ...base, messageId: 'mo-t', pairedMessageId: attemptId, message: { type: 'TEXT', text: 'hi', trackingData: 't-1' } },
      { ...base, messageId: 'mo-i', pairedMessageId: 'ib-generated-1', message: { type: 'IMAGE', url: 'https://ib.example/i.jpg', caption: 'look' } },
      { ...base, messageId: 'mo-v', message: { type: 'VIDEO', url: 'https://ib.example/v.mp4' } },
      { ...base, messageId: 'mo-f', message: { type: 'FILE', url: 'https://ib.example/f.pdf', fileName: 'f.pdf' } },
      { ...base, messageId: 'mo-a', message: { type: 'AUDIO', url: 'https://ib.example/a.m4a' } },
      { ...base, messageId: 'mo-l', message: { type: 'LOCATION', latitude: 45.815, longitude: 15.982 } },
      { ...base, messageId: 'mo-c', message: { type: 'CONTACT', name: 'Ana', phoneNumber: '385911111111' } },
      { ...base, messageId: 'mo-s', message: { type: 'STICKER', url: 'https://ib.example/s.png' } },
    ]);
    const reports = callbacks.parse(hook.lastRequest());
    const common = {
      kind: 'inbound',
      provider: 'INFOBIP',
      channel: 'VIBER',
      from: '+385916242493',
      to: 'ViberSender',
      receivedAt: new Date('2020-02-06T11:43:42.000Z'),
    };
    expect(reports).toEqual([
      { ...common, providerMessageId: 'mo-t', content: { type: 'TEXT', text: 'hi' }, replyTo: { attemptId } },
      {
        ...common,
        providerMessageId: 'mo-i',
        content: { type: 'IMAGE', url: 'https://ib.example/i.jpg', text: 'look' },
        replyTo: { provider: 'INFOBIP', providerMessageId: 'ib-generated-1' },
      },
      { ...common, providerMessageId: 'mo-v', content: { type: 'VIDEO', url: 'https://ib.example/v.mp4' }, replyTo: null },
      { ...common, providerMessageId: 'mo-f', content: { type: 'FILE', url: 'https://ib.example/f.pdf', fileName: 'f.pdf' }, replyTo: null },
      { ...common, providerMessageId: 'mo-a', content: { type: 'AUDIO', url: 'https://ib.example/a.m4a' }, replyTo: null },
      { ...common, providerMessageId: 'mo-l', content: { type: 'LOCATION', latitude: 45.815, longitude: 15.982 }, replyTo: null },
      { ...common, providerMessageId: 'mo-c', content: { type: 'CONTACT', name: 'Ana', phoneNumber: '385911111111' }, replyTo: null },
      { ...common, providerMessageId: 'mo-s', content: { type: 'STICKER', url: 'https://ib.example/s.png', stickerId: null }, replyTo: null },
    ]);
  });

  it('parses the documented seen report', async () => {
    const attemptId = randomUUID();
    await fake.postSeenReports(`${hook.base}/seen`, [
      { messageId: attemptId, from: 'ViberSender', to: '385916242493', sentAt: '2019-11-09T16:00:00.000+0000', seenAt: '2019-11-09T16:05:00.000+0000' },
    ]);
    expect(callbacks.parse(hook.lastRequest())).toEqual([
      { kind: 'seen', match: { attemptId }, seenAt: new Date('2019-11-09T16:05:00.000Z') },
    ]);
  });

  it('tells the report kinds apart by shape when the webhook URL has no sub-path', async () => {
    await fake.postDeliveryReports(hook.base, [deliveryReport({ messageId: 'MSG-1', to: TO })]);
    expect(callbacks.parse(hook.lastRequest())).toMatchObject([{ kind: 'status', status: STATUS.DELIVERED_TO_HANDSET }]);
    await fake.postSeenReports(hook.base, [{ messageId: 'MSG-1', from: 'ViberSender', to: TO }]);
    expect(callbacks.parse(hook.lastRequest())).toMatchObject([{ kind: 'seen' }]);
    await fake.postInboundSms(hook.base, [{ from: TO, to: '385921004026', text: 'STOP' }]);
    expect(callbacks.parse(hook.lastRequest())).toMatchObject([{ kind: 'inbound', channel: 'SMS', content: { type: 'TEXT', text: 'STOP' } }]);
    await fake.postInboundViber(hook.base, [{ sender: TO, to: 'ViberSender', message: { type: 'TEXT', text: 'yes' } }]);
    expect(callbacks.parse(hook.lastRequest())).toMatchObject([{ kind: 'inbound', channel: 'VIBER', content: { type: 'TEXT', text: 'yes' } }]);
  });

  it('accepts the secret as App, Bearer or X-Webhook-Secret', async () => {
    const accepted: Array<Record<string, string>> = [
      { Authorization: `App ${SECRET}` },
      { Authorization: `Bearer ${SECRET}` },
      { 'X-Webhook-Secret': SECRET },
    ];
    for (const headers of accepted) {
      await fake.postSeenReports(`${hook.base}/seen`, [{ messageId: 'MSG-1', from: 'ViberSender', to: TO }], { headers });
      expect(callbacks.parse(hook.lastRequest())).toHaveLength(1);
    }
  });

  it('refuses a wrong or missing secret', async () => {
    const wrong: Array<Record<string, string>> = [
      { Authorization: 'App not-the-secret' },
      // Same length, last character differs: only the content comparison can catch this one.
      { Authorization: `App ${SECRET.slice(0, -1)}${SECRET.endsWith('0') ? '1' : '0'}` },
      { Authorization: `App ${SECRET}x` },
      { 'X-Webhook-Secret': SECRET.slice(0, -1) },
      { Authorization: `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}` },
    ];
    for (const headers of [...wrong, {}]) {
      await fake.postSeenReports(`${hook.base}/seen`, [{ messageId: 'MSG-1', from: 'ViberSender', to: TO }], { headers });
      expect(() => callbacks.parse(hook.lastRequest()), JSON.stringify(headers)).toThrow(CallbackAuthError);
    }
  });

  it('checks the secret before looking at the body', () => {
    const req: WebhookRequest = { subPath: '/delivery', headers: {}, query: new URLSearchParams(), rawBody: Buffer.from('not json') };
    expect(() => callbacks.parse(req)).toThrow(CallbackAuthError);
  });

  const authed = (subPath: string, raw: string): WebhookRequest => ({
    subPath,
    headers: { authorization: `App ${SECRET}` },
    query: new URLSearchParams(),
    rawBody: Buffer.from(raw),
  });

  it.each([
    ['not JSON', '/delivery', '{"results":['],
    ['no results array', '/delivery', '{"messages":[]}'],
    ['a delivery report without status', '/delivery', '{"results":[{"messageId":"MSG-1","doneAt":"2019-11-09T16:00:00.000+0000"}]}'],
    ['a timestamp that is not Infobip\'s', '/seen', '{"results":[{"messageId":"MSG-1","seenAt":"yesterday"}]}'],
    ['an inbound Viber message of an unknown type', '/inbound', '{"results":[{"sender":"41793026727","to":"S","receivedAt":"2020-02-06T11:43:42.000+0000","messageId":"m","message":{"type":"HOLOGRAM"}}]}'],
    ['an entry of no known shape', '', '{"results":[{"messageId":"MSG-1"}]}'],
    ['an unknown sub-path', '/other', '{"results":[]}'],
  ])('refuses a malformed body: %s', (_name, subPath, raw) => {
    expect(() => callbacks.parse(authed(subPath, raw))).toThrow(MalformedCallbackError);
  });
});

describe('parseInfobipTime', () => {
  it.each([
    ['2019-11-09T16:00:00.000+0000', '2019-11-09T16:00:00.000Z'],
    ['2016-02-23T17:41:11.833+0100', '2016-02-23T16:41:11.833Z'],
    ['2020-01-01T00:10:00.000-0530', '2020-01-01T05:40:00.000Z'],
    ['2020-01-01T00:10:00+05:30', '2019-12-31T18:40:00.000Z'],
    ['2020-01-01T00:10:00.5Z', '2020-01-01T00:10:00.500Z'],
  ])('%s is %s', (input, iso) => {
    expect(parseInfobipTime(input)?.toISOString()).toBe(iso);
  });

  it.each(['2019-02-30T16:00:00.000+0000', '2019-11-09 16:00:00', '2019-11-09T16:00:00.000', '1'])('refuses %s', (input) => {
    expect(parseInfobipTime(input)).toBeNull();
  });
});
