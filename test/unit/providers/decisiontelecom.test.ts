import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StepContent } from '../../../src/domain/content.js';
import { ERROR, STATUS } from '../../../src/domain/status.js';
import { DecisionTelecomAdapter, type DecisionTelecomAdapterOptions } from '../../../src/providers/decisiontelecom/adapter.js';
import { DecisionTelecomCallbacks } from '../../../src/providers/decisiontelecom/callbacks.js';
import { DT_ERROR } from '../../../src/providers/decisiontelecom/status-map.js';
import { validateDecisionTelecomContent, validateDecisionTelecomSender } from '../../../src/providers/decisiontelecom/validate.js';
import {
  CallbackAuthError,
  MalformedCallbackError,
  SendInDoubtError,
  TransientProviderError,
  type OutboundMessage,
  type ProviderReport,
  type WebhookRequest,
} from '../../../src/providers/types.js';
import { DT_UNAUTHORIZED_BODY, FakeDecisionTelecom, dtErrorBody } from '../../fakes/decisiontelecom.js';
import { FakeServer, jsonReply, type FakeReply } from '../../fakes/fake-server.js';

const KEY = 'user-hash-key-123';
const SECRET = 's3cr3t-webhook';
const BASIC_KEY = `Basic ${Buffer.from(KEY).toString('base64')}`;
const BASIC_KEY_COLON = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;
const TO = '+380636111112';
const TO_DIGITS = '380636111112';

const TEXT: StepContent = { type: 'TEXT', text: 'Message content' };
const RICH: StepContent = {
  type: 'RICH',
  text: 'Join us today',
  imageUrl: 'https://yourdomain.com/images/image.jpg',
  button: { text: 'Join Us', url: 'https://yourdomain.com/join-us' },
};

function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    attemptId: 'att-1',
    messageId: 'msg-1',
    channel: 'VIBER',
    from: 'Custom Company',
    to: { phoneNumber: TO },
    content: TEXT,
    validitySeconds: 3600,
    callbackData: null,
    viberLabel: 'TRANSACTIONAL',
    ...overrides,
  };
}

async function rejectsWith<T extends Error>(p: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as T;
}

// ---------------------------------------------------------------------------------------------------
// Our side of the webhook, reached over real HTTP: turns requests into WebhookRequests the way the app's
// route under /webhooks/decisiontelecom/<connectionId> would.

const WEBHOOK_PREFIX = '/webhooks/decisiontelecom/conn-1';

class WebhookReceiver {
  readonly got: WebhookRequest[] = [];
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        this.got.push({
          subPath: url.pathname.startsWith(WEBHOOK_PREFIX) ? url.pathname.slice(WEBHOOK_PREFIX.length) : url.pathname,
          headers,
          query: url.searchParams,
          rawBody: Buffer.concat(chunks),
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${WEBHOOK_PREFIX}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  last(): WebhookRequest {
    const r = this.got.at(-1);
    if (!r) throw new Error('no webhook received');
    return r;
  }
}

/** Answers every request with one fixed reply: for what the DecisionTelecom fake cannot script. */
class FixedReplyServer extends FakeServer {
  constructor(public reply: FakeReply) {
    super();
  }
  protected handle(): FakeReply {
    return this.reply;
  }
}

const receiver = new WebhookReceiver();
// A fresh fake per test, so ids start at the documented 429 (Viber) and 36478 (SMS) every time.
let dt: FakeDecisionTelecom;

beforeAll(() => receiver.start());
afterAll(() => receiver.stop());
beforeEach(async () => {
  dt = new FakeDecisionTelecom({ apiKey: KEY });
  await dt.start();
});
afterEach(async () => {
  await dt.stop();
  receiver.got.length = 0;
  // Every request the adapter makes must be one the fake finds valid, unless a test cleared what it provoked.
  dt.assertNoViolations();
});

function adapter(options: Partial<DecisionTelecomAdapterOptions> = {}): DecisionTelecomAdapter {
  return new DecisionTelecomAdapter({ baseUrl: dt.baseUrl, apiKey: KEY, ...options });
}

// ---------------------------------------------------------------------------------------------------

describe('DecisionTelecomAdapter.send: wire format', () => {
  it('sends TEXT as message_type 106, transactional, with the documented headers', async () => {
    const result = await adapter().send(outbound());
    expect(result).toEqual({ kind: 'accepted', providerMessageId: '429', messageCount: 1 });
    const req = dt.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/api/send-viber');
    expect(req.headers.authorization).toBe(BASIC_KEY);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.rawBody).toBe(
      '{"source_addr":"Custom Company","destination_addr":"380636111112","message_type":106,' +
        '"text":"Message content","source_type":2,"validity_period":3600}',
    );
  });

  it('sends RICH as 108, promotional, with image, button and our status callback URL', async () => {
    const statusWebhookUrl = `${receiver.base}?secret=${SECRET}`;
    const result = await adapter({ statusWebhookUrl }).send(outbound({ content: RICH, viberLabel: 'PROMOTIONAL' }));
    expect(result).toEqual({ kind: 'accepted', providerMessageId: '429', messageCount: 1 });
    expect(dt.requests[0]!.rawBody).toBe(
      '{"source_addr":"Custom Company","destination_addr":"380636111112","message_type":108,"text":"Join us today",' +
        '"image":"https://yourdomain.com/images/image.jpg","button_caption":"Join Us",' +
        '"button_action":"https://yourdomain.com/join-us","source_type":1,' +
        `"callback_url":"${statusWebhookUrl}","validity_period":3600}`,
    );
  });

  it('labels transactional and promotional independently of the content type', async () => {
    const a = adapter();
    await a.send(outbound({ viberLabel: 'PROMOTIONAL' }));
    await a.send(outbound({ viberLabel: 'TRANSACTIONAL' }));
    expect(dt.sent.map((s) => s.body.source_type)).toEqual([1, 2]);
  });

  it('uses the two-way types 206/208 on a two-way connection', async () => {
    const a = adapter({ twoWay: true });
    await a.send(outbound());
    await a.send(outbound({ content: RICH, viberLabel: 'PROMOTIONAL' }));
    expect(dt.sent.map((s) => s.body.message_type)).toEqual([206, 208]);
    expect(dt.sent.map((s) => s.messageId)).toEqual([429, 430]);
  });

  it('sends destination_addr as a string by default and as a number when configured', async () => {
    await adapter().send(outbound());
    await adapter({ destinationAsNumber: true }).send(outbound());
    expect(dt.sent.map((s) => [s.destination, s.destinationWasString])).toEqual([
      [TO_DIGITS, true],
      [TO_DIGITS, false],
    ]);
    expect(dt.requests[1]!.rawBody).toContain('"destination_addr":380636111112,');
  });

  it('clamps validity_period into 40..21600 seconds', async () => {
    const a = adapter();
    for (const validitySeconds of [24 * 3600, 10, 40, 21_600, 120.7]) await a.send(outbound({ validitySeconds }));
    expect(dt.sent.map((s) => s.body.validity_period)).toEqual([21_600, 40, 40, 21_600, 120]);
  });

  it('sends SMS through send-sms with a namespaced id, the segment count and the /sms callback URL', async () => {
    const text = 'a'.repeat(161);
    const result = await adapter({ statusWebhookUrl: `${receiver.base}?secret=${SECRET}` }).send(
      outbound({ channel: 'SMS', from: 'InfoSMS', content: { type: 'SMS_TEXT', text } }),
    );
    expect(result).toEqual({ kind: 'accepted', providerMessageId: 'sms:36478', messageCount: 2 });
    const req = dt.requests[0]!;
    expect(req.path).toBe('/v1/api/send-sms');
    expect(req.rawBody).toBe(
      `{"source_addr":"InfoSMS","destination_addr":"380636111112","text":"${text}",` +
        `"callback_url":"${receiver.base}/sms?secret=${SECRET}"}`,
    );
  });

  it('sends SMS to the configured path', async () => {
    const result = await adapter({ smsPath: '/v2/sms/send' }).send(
      outbound({ channel: 'SMS', content: { type: 'SMS_TEXT', text: 'hi' } }),
    );
    expect(dt.requests.map((r) => r.path)).toEqual(['/v2/sms/send']);
    // The fake knows no such path and answers 404: a permanent refusal, not a retry.
    expect(result).toMatchObject({ kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: ERROR.EC_PROVIDER_REJECTED });
    dt.violations.length = 0;
  });
});

describe('DecisionTelecomAdapter.send: auth', () => {
  it('sends Basic base64("key:") when configured, which a lenient server accepts', async () => {
    const lenient = new FakeDecisionTelecom({ apiKey: KEY, acceptKeyColonForm: true });
    await lenient.start();
    try {
      const a = new DecisionTelecomAdapter({ baseUrl: lenient.baseUrl, apiKey: KEY, authForm: 'key-colon' });
      expect(await a.send(outbound())).toMatchObject({ kind: 'accepted', providerMessageId: '429' });
      expect(lenient.requests[0]!.headers.authorization).toBe(BASIC_KEY_COLON);
      lenient.assertNoViolations();
    } finally {
      await lenient.stop();
    }
  });

  it('treats the 401 body as refused credentials, not as its code 0 "rate limit"', async () => {
    expect(DT_UNAUTHORIZED_BODY.code).toBe(0);
    const result = await adapter({ authForm: 'key-colon' }).send(outbound());
    expect(dt.requests[0]!.headers.authorization).toBe(BASIC_KEY_COLON);
    expect(result).toEqual({ kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: DT_ERROR.EC_DT_UNAUTHORIZED });
    dt.violations.length = 0;
  });
});

describe('DecisionTelecomAdapter.send: errors', () => {
  it('rate limit over HTTP 200 is transient', async () => {
    dt.script(TO_DIGITS, { error: 'rateLimit' });
    const err = await rejectsWith(adapter().send(outbound()), TransientProviderError);
    expect(err.message).toContain('Rate limit exceeded');
    expect(err.retryAfterMs).toBeNull();
  });

  it('internal error over HTTP 200 is transient', async () => {
    dt.script(TO_DIGITS, { error: 'internal' });
    await rejectsWith(adapter().send(outbound()), TransientProviderError);
  });

  it('invalid parameter over HTTP 200 is a permanent rejection, more precise when it names the number or sender', async () => {
    const a = adapter();
    dt.scriptOnce(TO_DIGITS, { error: 'invalidParameter', param: 'text' }, { error: 'invalidParameter', param: 'destination_addr' }, {
      error: 'invalidParameter',
      param: 'source_addr',
    });
    const results = [await a.send(outbound()), await a.send(outbound()), await a.send(outbound())];
    expect(results).toEqual([
      { kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: DT_ERROR.EC_DT_INVALID_PARAMETER },
      { kind: 'rejected', status: STATUS.REJECTED_INVALID_DESTINATION, error: DT_ERROR.EC_DT_INVALID_PARAMETER },
      { kind: 'rejected', status: STATUS.REJECTED_SOURCE, error: DT_ERROR.EC_DT_INVALID_PARAMETER },
    ]);
    expect(DT_ERROR.EC_DT_INVALID_PARAMETER.permanent).toBe(true);
  });

  it('empty balance over HTTP 200 is rejected with REJECTED_NOT_ENOUGH_CREDITS', async () => {
    dt.script(TO_DIGITS, { error: 'balance' });
    expect(await adapter().send(outbound())).toEqual({
      kind: 'rejected',
      status: STATUS.REJECTED_NOT_ENOUGH_CREDITS,
      error: DT_ERROR.EC_DT_BALANCE_EMPTY,
    });
    expect(dt.sent).toEqual([]);
  });

  it('the same errors with their status as the HTTP code are classified alike', async () => {
    const strict = new FakeDecisionTelecom({ apiKey: KEY, errorsAsHttpStatus: true });
    await strict.start();
    try {
      const a = new DecisionTelecomAdapter({ baseUrl: strict.baseUrl, apiKey: KEY });
      strict.scriptOnce(TO_DIGITS, { error: 'rateLimit' }, { error: 'balance' }, { error: 'invalidParameter' });
      await rejectsWith(a.send(outbound()), TransientProviderError);
      expect(await a.send(outbound())).toMatchObject({ kind: 'rejected', status: STATUS.REJECTED_NOT_ENOUGH_CREDITS });
      expect(await a.send(outbound())).toMatchObject({ kind: 'rejected', error: DT_ERROR.EC_DT_INVALID_PARAMETER });
    } finally {
      await strict.stop();
    }
  });

  it('HTTP 503 is transient', async () => {
    dt.script(TO_DIGITS, { httpStatus: 503, body: '<html>Service Unavailable</html>' });
    const err = await rejectsWith(adapter().send(outbound()), TransientProviderError);
    expect(err.message).toContain('503');
  });

  it('HTTP 429 honours Retry-After', async () => {
    const server = new FixedReplyServer(jsonReply(429, dtErrorBody('rateLimit'), { 'retry-after': '7' }));
    await server.start();
    try {
      const a = new DecisionTelecomAdapter({ baseUrl: server.baseUrl, apiKey: KEY });
      const err = await rejectsWith(a.send(outbound()), TransientProviderError);
      expect(err.retryAfterMs).toBe(7000);
      const now = new Date('2030-01-01T00:00:00Z');
      server.reply = jsonReply(429, dtErrorBody('rateLimit'), { 'retry-after': 'Tue, 01 Jan 2030 00:00:30 GMT' });
      const dated = new DecisionTelecomAdapter({ baseUrl: server.baseUrl, apiKey: KEY, now: () => now });
      expect((await rejectsWith(dated.send(outbound()), TransientProviderError)).retryAfterMs).toBe(30_000);
    } finally {
      await server.stop();
    }
  });

  it('a timeout after the request was written is in doubt, not a retry: DecisionTelecom may have the message', async () => {
    dt.script(TO_DIGITS, { hangMs: 5_000 });
    const err = await rejectsWith(adapter({ timeoutMs: 150 }).send(outbound()), SendInDoubtError);
    expect(err.message).toContain('no answer within 150 ms');
  });

  it('a refused connection is transient', async () => {
    const gone = new FixedReplyServer({ status: 200 });
    await gone.start();
    const baseUrl = gone.baseUrl;
    await gone.stop();
    await rejectsWith(new DecisionTelecomAdapter({ baseUrl, apiKey: KEY }).send(outbound()), TransientProviderError);
  });

  it('HTTP 200 with neither message_id nor an error body is an unknown state, not a retry', async () => {
    dt.script(TO_DIGITS, { httpStatus: 200, body: 'OK' });
    const err = await rejectsWith(adapter().send(outbound()), Error);
    expect(err).not.toBeInstanceOf(TransientProviderError);
  });

  it('refuses Viber user ids and content it cannot carry without calling DecisionTelecom', async () => {
    const a = adapter();
    expect(await a.send(outbound({ to: { viberUserId: '01234567890A=' } }))).toEqual({
      kind: 'rejected',
      status: STATUS.REJECTED_INVALID_DESTINATION,
      error: DT_ERROR.EC_DT_PHONE_NUMBER_REQUIRED,
    });
    expect(await a.send(outbound({ content: { type: 'STICKER', stickerId: 40133 } }))).toMatchObject({
      kind: 'rejected',
      error: DT_ERROR.EC_DT_UNSUPPORTED_CONTENT,
    });
    expect(DT_ERROR.EC_DT_PHONE_NUMBER_REQUIRED.permanent).toBe(true);
    expect(dt.requests).toEqual([]);
  });
});

describe('DecisionTelecomAdapter.poll', () => {
  const final: Array<[number, ProviderReport & { kind: 'status' }]> = [
    [1, { kind: 'status', match: { provider: 'DECISIONTELECOM', providerMessageId: '429' }, status: STATUS.DELIVERED_TO_HANDSET, error: ERROR.NO_ERROR, doneAt: null }],
    [2, { kind: 'status', match: { provider: 'DECISIONTELECOM', providerMessageId: '429' }, status: STATUS.UNDELIVERABLE_NOT_DELIVERED, error: DT_ERROR.EC_DT_VIBER_FAILED, doneAt: null }],
    [3, { kind: 'status', match: { provider: 'DECISIONTELECOM', providerMessageId: '429' }, status: STATUS.UNDELIVERABLE_REJECTED_OPERATOR, error: ERROR.EC_PROVIDER_REJECTED, doneAt: null }],
    [4, { kind: 'status', match: { provider: 'DECISIONTELECOM', providerMessageId: '429' }, status: STATUS.UNDELIVERABLE_NOT_DELIVERED, error: DT_ERROR.EC_DT_VIBER_UNDELIVERED, doneAt: null }],
  ];

  it.each(final)('reports Viber status %i as final', async (code, expected) => {
    const a = adapter();
    const sent = await a.send(outbound());
    expect(sent).toMatchObject({ providerMessageId: '429' });
    dt.setViberStatus(429, { status: code });
    expect(await a.poll({ attemptId: 'att-1', providerMessageId: '429', channel: 'VIBER' })).toEqual([expected]);
    const req = dt.requests.at(-1)!;
    expect(req.path).toBe('/v1/api/receive-viber');
    expect(req.rawBody).toBe('{"message_id":429}');
    expect(req.headers.authorization).toBe(BASIC_KEY);
  });

  it.each([
    [0, 'sent'],
    [5, 'pending'],
    [20, 'unknown'],
  ])('reports nothing while the Viber status is %i (%s)', async (code) => {
    const a = adapter();
    await a.send(outbound());
    dt.setViberStatus(429, { status: code });
    expect(await a.poll({ attemptId: 'att-1', providerMessageId: '429', channel: 'VIBER' })).toEqual([]);
    expect(dt.requests).toHaveLength(2);
  });

  it('reports nothing for an id DecisionTelecom does not know (or no longer keeps)', async () => {
    expect(await adapter().poll({ attemptId: 'att-1', providerMessageId: '999', channel: 'VIBER' })).toEqual([]);
    expect(dt.requests).toHaveLength(1);
  });

  it('does not poll SMS attempts: no status query exists for send-sms', async () => {
    expect(await adapter().poll({ attemptId: 'att-1', providerMessageId: 'sms:36478', channel: 'SMS' })).toEqual([]);
    expect(dt.requests).toEqual([]);
  });

  it('is transient on rate limit and HTTP 5xx', async () => {
    const server = new FixedReplyServer(jsonReply(200, dtErrorBody('rateLimit')));
    await server.start();
    try {
      const a = new DecisionTelecomAdapter({ baseUrl: server.baseUrl, apiKey: KEY });
      await rejectsWith(a.poll({ attemptId: 'a', providerMessageId: '429', channel: 'VIBER' }), TransientProviderError);
      server.reply = { status: 502, body: 'Bad Gateway' };
      await rejectsWith(a.poll({ attemptId: 'a', providerMessageId: '429', channel: 'VIBER' }), TransientProviderError);
    } finally {
      await server.stop();
    }
  });
});

describe('validateDecisionTelecomContent', () => {
  it('accepts TEXT up to 1000 characters (an emoji counts one)', () => {
    expect(validateDecisionTelecomContent({ type: 'TEXT', text: 'x'.repeat(1000) })).toEqual([]);
    expect(validateDecisionTelecomContent({ type: 'TEXT', text: '😀'.repeat(1000) })).toEqual([]);
    expect(validateDecisionTelecomContent({ type: 'TEXT', text: 'x'.repeat(1001) })).toEqual([
      { path: ['text'], message: 'must be at most 1000 characters for DecisionTelecom' },
    ]);
  });

  it('limits RICH text to 1000 characters', () => {
    expect(validateDecisionTelecomContent({ ...RICH, text: 'x'.repeat(1001) } as StepContent)).toEqual([
      { path: ['text'], message: 'must be at most 1000 characters for DecisionTelecom' },
    ]);
  });

  it('limits the button text to 30 characters', () => {
    const rich = (text: string): StepContent => ({ ...(RICH as StepContent & { type: 'RICH' }), button: { text, url: 'https://a.example/x' } });
    expect(validateDecisionTelecomContent(rich('x'.repeat(30)))).toEqual([]);
    expect(validateDecisionTelecomContent(rich('x'.repeat(31)))).toEqual([
      { path: ['button', 'text'], message: 'button text must be at most 30 characters for DecisionTelecom' },
    ]);
  });

  it('requires the image to be an http(s) URL of a jpg/jpeg/png', () => {
    const rich = (imageUrl: string): StepContent => ({ ...(RICH as StepContent & { type: 'RICH' }), imageUrl });
    for (const ok of ['https://a.example/p.jpg', 'http://a.example/p.JPEG?v=2', 'https://a.example/x/p.png']) {
      expect(validateDecisionTelecomContent(rich(ok)), ok).toEqual([]);
    }
    for (const bad of ['https://a.example/p.gif', 'ftp://a.example/p.jpg', 'p.jpg', 'https://a.example/p.jpg.html']) {
      expect(validateDecisionTelecomContent(rich(bad)), bad).toEqual([
        { path: ['imageUrl'], message: 'must be an http(s) URL of a .jpg, .jpeg or .png image for DecisionTelecom' },
      ]);
    }
  });

  it('requires the button URL to be http(s)', () => {
    const rich: StepContent = { ...(RICH as StepContent & { type: 'RICH' }), button: { text: 'Go', url: 'javascript:alert(1)' } };
    expect(validateDecisionTelecomContent(rich)).toEqual([
      { path: ['button', 'url'], message: 'button URL must be an http(s) URL for DecisionTelecom' },
    ]);
  });

  const unsupported: StepContent[] = [
    { type: 'IMAGE', url: 'https://a.example/p.jpg' },
    { type: 'VIDEO', url: 'https://a.example/v.mp4', sizeBytes: 1000 },
    { type: 'FILE', url: 'https://a.example/f.pdf', sizeBytes: 1000, fileName: 'f.pdf' },
    { type: 'CAROUSEL', items: [] },
    { type: 'LOCATION', latitude: 1, longitude: 2 },
    { type: 'CONTACT', name: 'A', phoneNumber: '+41793026727' },
    { type: 'STICKER', stickerId: 40133 },
    { type: 'URL', url: 'https://a.example' },
  ];
  it.each(unsupported.map((c) => [c.type, c] as const))('refuses %s', (type, content) => {
    expect(validateDecisionTelecomContent(content)).toEqual([{ path: [], message: `${type} messages are not supported by DecisionTelecom` }]);
  });

  it('limits the sender to 20 characters', () => {
    expect(validateDecisionTelecomSender('x'.repeat(20))).toEqual([]);
    expect(validateDecisionTelecomSender('x'.repeat(21))).toEqual([
      { path: [], message: 'sender must be at most 20 characters for DecisionTelecom' },
    ]);
  });

  it('what it accepts at the limits, the fake DecisionTelecom accepts too', async () => {
    const content: StepContent = {
      type: 'RICH',
      text: 'ж'.repeat(1000),
      imageUrl: 'https://a.example/p.png',
      button: { text: 'b'.repeat(30), url: 'https://a.example/go' },
    };
    const from = 'S'.repeat(20);
    expect([...validateDecisionTelecomContent(content), ...validateDecisionTelecomSender(from)]).toEqual([]);
    expect(await adapter().send(outbound({ content, from, viberLabel: 'PROMOTIONAL' }))).toMatchObject({ kind: 'accepted' });
  });
});

describe('DecisionTelecomCallbacks', () => {
  const callbacks = new DecisionTelecomCallbacks({ webhookSecret: SECRET, inboundTo: 'Custom Company' });
  const request = (raw: string, opts: { subPath?: string; secret?: string | null; header?: string } = {}): WebhookRequest => ({
    subPath: opts.subPath ?? '',
    headers: opts.header === undefined ? {} : { 'x-webhook-secret': opts.header },
    query: new URLSearchParams(opts.secret === null ? '' : `secret=${opts.secret ?? SECRET}`),
    rawBody: Buffer.from(raw),
  });

  it('parses the documented two-way callback', () => {
    const raw =
      '{\n    "message_token": 44444444444444,\n    "phone_number": "972512222222",\n    "time": 2121212121,\n' +
      '    "message": \n    {\n        "text": "a message to the service",\n        "tracking_data": "tracking_id:100035"\n    }\n}';
    expect(callbacks.parse(request(raw))).toEqual([
      {
        kind: 'inbound',
        provider: 'DECISIONTELECOM',
        channel: 'VIBER',
        providerMessageId: '44444444444444',
        from: '+972512222222',
        to: 'Custom Company',
        receivedAt: new Date(2121212121 * 1000),
        content: { type: 'TEXT', text: 'a message to the service' },
        replyTo: { provider: 'DECISIONTELECOM', providerMessageId: '100035' },
      },
    ]);
  });

  it('keeps a message_token beyond 2^53 exact, over real HTTP from the fake', async () => {
    const result = await dt.postTwoWayInbound(`${receiver.base}?secret=${SECRET}`, {
      phoneNumber: '972512222222',
      text: 'a message to the service',
      trackingData: 'tracking_id:100035',
      messageToken: 44444444444444444444n,
      time: 2121212121,
    });
    expect(result.rawBody).toContain('"message_token":44444444444444444444,');
    const [report] = callbacks.parse(receiver.last());
    expect(report).toMatchObject({ kind: 'inbound', providerMessageId: '44444444444444444444', from: '+972512222222' });
  });

  it('has no replyTo without tracking data', () => {
    const raw = '{"message_token":1,"phone_number":"972512222222","time":1700000000,"message":{"text":"hi"}}';
    expect(callbacks.parse(request(raw))).toMatchObject([{ kind: 'inbound', replyTo: null }]);
  });

  it('turns the status callback sent to our callback_url into a report matching the send', async () => {
    const a = adapter({ statusWebhookUrl: `${receiver.base}?secret=${SECRET}` });
    const sent = await a.send(outbound());
    const callbackUrl = dt.sent[0]!.body.callback_url as string;
    await dt.postStatusCallback(callbackUrl, { messageId: 429, status: 1 });
    expect(callbacks.parse(receiver.last())).toEqual([
      {
        kind: 'status',
        match: { provider: 'DECISIONTELECOM', providerMessageId: (sent as { providerMessageId: string }).providerMessageId },
        status: STATUS.DELIVERED_TO_HANDSET,
        error: ERROR.NO_ERROR,
        doneAt: null,
      },
    ]);
  });

  it('reads SMS status codes on the SMS callback URL, where 2 means delivered rather than error', async () => {
    const a = adapter({ statusWebhookUrl: `${receiver.base}?secret=${SECRET}` });
    const sent = await a.send(outbound({ channel: 'SMS', content: { type: 'SMS_TEXT', text: 'hi' } }));
    const callbackUrl = dt.sent[0]!.body.callback_url as string;
    await dt.postStatusCallback(callbackUrl, { messageId: 36478, status: 2 });
    expect(receiver.last().subPath).toBe('/sms');
    expect(callbacks.parse(receiver.last())).toEqual([
      {
        kind: 'status',
        match: { provider: 'DECISIONTELECOM', providerMessageId: 'sms:36478' },
        status: STATUS.DELIVERED_TO_HANDSET,
        error: ERROR.NO_ERROR,
        doneAt: null,
      },
    ]);
    expect(sent).toMatchObject({ providerMessageId: 'sms:36478' });
    expect(callbacks.parse(request('{"message_id":36478,"status":2}'))).toMatchObject([
      { match: { providerMessageId: '36478' }, status: STATUS.UNDELIVERABLE_NOT_DELIVERED, error: DT_ERROR.EC_DT_VIBER_FAILED },
    ]);
    expect(callbacks.parse(request('{"message_id":36478,"status":3}', { subPath: '/sms' }))).toMatchObject([
      { status: STATUS.EXPIRED_EXPIRED, error: ERROR.EC_VALIDITYEXPIRED },
    ]);
    expect(callbacks.parse(request('{"message_id":36478,"status":5}', { subPath: '/sms' }))).toMatchObject([
      { status: STATUS.UNDELIVERABLE_NOT_DELIVERED, error: DT_ERROR.EC_DT_SMS_UNDELIVERABLE },
    ]);
  });

  it('skips non-final and unknown statuses', () => {
    for (const status of [0, 5, 20, 77]) expect(callbacks.parse(request(`{"message_id":429,"status":${status}}`))).toEqual([]);
    for (const status of [0, 6]) expect(callbacks.parse(request(`{"message_id":1,"status":${status}}`, { subPath: '/sms' }))).toEqual([]);
  });

  it('accepts the secret in X-Webhook-Secret instead of the query', () => {
    expect(callbacks.parse(request('{"message_id":429,"status":1}', { secret: null, header: SECRET }))).toHaveLength(1);
  });

  it('refuses a missing or wrong secret', () => {
    const raw = '{"message_id":429,"status":1}';
    for (const opts of [
      { secret: null },
      { secret: 'wrong' },
      { secret: `${SECRET}x` },
      { secret: '' },
      { secret: null, header: 'wrong' },
      { secret: SECRET, header: 'wrong' },
    ]) {
      expect(() => callbacks.parse(request(raw, opts)), JSON.stringify(opts)).toThrow(CallbackAuthError);
    }
  });

  it('checks the secret before reading the body', () => {
    expect(() => callbacks.parse(request('not json', { secret: 'wrong' }))).toThrow(CallbackAuthError);
  });

  it('refuses malformed bodies', () => {
    const bad = [
      'not json',
      '',
      '[1,2]',
      '{}',
      '{"message_id":"abc","status":1}',
      '{"message_id":429}',
      '{"message_id":429,"status":1.5}',
      '{"message_token":"x1","phone_number":"972512222222","time":1,"message":{"text":"hi"}}',
      '{"message_token":1,"phone_number":"+972512222222","time":1,"message":{"text":"hi"}}',
      '{"message_token":1,"phone_number":"972512222222","message":{"text":"hi"}}',
      '{"message_token":1,"phone_number":"972512222222","time":1,"message":{}}',
      '{"message_token":1,"phone_number":"972512222222","time":1}',
    ];
    for (const raw of bad) expect(() => callbacks.parse(request(raw)), raw).toThrow(MalformedCallbackError);
  });

  it('refuses to be built with an empty secret', () => {
    expect(() => new DecisionTelecomCallbacks({ webhookSecret: '' })).toThrow();
  });
});
