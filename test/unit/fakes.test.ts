import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeServer, jsonReply, parseJsonExact, postJson, toRawJson } from '../fakes/fake-server.js';
import type { FakeReply, RecordedRequest } from '../fakes/fake-server.js';
import { FakeViberBot, viberSignature } from '../fakes/viber-bot.js';
import { FakeInfobip, INFOBIP_ERROR, INFOBIP_STATUS } from '../fakes/infobip.js';
import { FakeDecisionTelecom } from '../fakes/decisiontelecom.js';

// ---------------------------------------------------------------------------------------------------
// A tiny webhook receiver standing in for the application.

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

class Receiver {
  readonly got: Received[] = [];
  status = 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.got.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks) });
        res.writeHead(this.status, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  last(): Received {
    const r = this.got.at(-1);
    if (!r) throw new Error('receiver got nothing');
    return r;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }
}

async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; signal?: AbortSignal } = {},
): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await fetch(url, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = parseJsonExact(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const receiver = new Receiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());
afterEach(() => {
  receiver.got.length = 0;
  receiver.status = 200;
});

// ---------------------------------------------------------------------------------------------------

describe('FakeServer base', () => {
  class Echo extends FakeServer {
    protected handle(req: RecordedRequest): FakeReply {
      if (req.path === '/slow') return { ...jsonReply(200, { ok: true }), delayMs: Infinity };
      return jsonReply(200, { big: 12345678901234567890n, small: 1 });
    }
  }
  const fake = new Echo();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('records requests with exact big integers and writes bigint as bare numbers', async () => {
    const res = await call(`${fake.baseUrl}/x?a=1&a=2&b=3`, {
      headers: { 'x-test': 'yes' },
      body: '{"token":4912661846655238145,"n":5}',
    });
    expect(res.text).toBe('{"big":12345678901234567890,"small":1}');
    const [r] = await fake.waitForRequests(1, 1000);
    expect(r?.method).toBe('POST');
    expect(r?.path).toBe('/x');
    expect(r?.query).toEqual({ a: ['1', '2'], b: '3' });
    expect(r?.headers['x-test']).toBe('yes');
    expect(r?.rawBody).toBe('{"token":4912661846655238145,"n":5}');
    expect(r?.body).toEqual({ token: '4912661846655238145', n: 5 });
    expect(typeof r?.at).toBe('number');
  });

  it('waitForRequests rejects on timeout', async () => {
    await expect(fake.waitForRequests(99, 50)).rejects.toThrow(/expected 99/);
  });

  it('toRawJson matches JSON.stringify except for bigint', () => {
    const v = { a: 'x"y', b: [1, undefined, null], c: undefined, d: { e: true }, t: 9007199254740993n };
    expect(toRawJson(v)).toBe('{"a":"x\\"y","b":[1,null,null],"d":{"e":true},"t":9007199254740993}');
  });

  it('postJson refuses non-loopback targets', async () => {
    await expect(postJson('http://example.com/hook', {})).rejects.toThrow(/non-loopback/);
  });

  it('stop() releases a hung request', async () => {
    const other = new Echo();
    await other.start();
    const pending = call(`${other.baseUrl}/slow`, { body: {} }).then(
      () => 'answered',
      () => 'failed',
    );
    await other.waitForRequests(1, 1000);
    await other.stop();
    expect(await pending).toBe('failed');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('FakeViberBot', () => {
  const TOKEN = '445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9';
  const viber = new FakeViberBot({ authToken: TOKEN });
  const send = (body: unknown, token: string | null = TOKEN) =>
    call(`${viber.apiBase}/send_message`, { headers: token === null ? {} : { 'X-Viber-Auth-Token': token }, body });
  const textMsg = (receiver: string, extra: Record<string, unknown> = {}) => ({
    receiver,
    min_api_version: 1,
    sender: { name: 'John McClane', avatar: 'http://avatar.example.com' },
    tracking_data: 'tracking data',
    type: 'text',
    text: 'Hello world!',
    ...extra,
  });

  beforeAll(() => viber.start());
  afterAll(() => viber.stop());
  afterEach(() => viber.reset());

  it('accepts a valid text message and answers with a bare big-integer message_token', async () => {
    const res = await send(textMsg('01234567890A='));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^\{"status":0,"status_message":"ok","message_token":\d{19},/);
    const token = (res.json as { message_token: string }).message_token;
    expect(typeof token).toBe('string');
    expect(BigInt(token) > 2n ** 53n).toBe(true);
    expect(viber.sent).toHaveLength(1);
    expect(viber.sent[0]).toMatchObject({ receiver: '01234567890A=', messageToken: token, type: 'text' });
    expect(viber.requests[0]?.path).toBe('/pa/send_message');
    expect(viber.requests[0]?.headers['x-viber-auth-token']).toBe(TOKEN);
    expect(viber.violations).toEqual([]);
  });

  it('accepts the other documented message types, and the official SDK nulls for optional fields', async () => {
    const bodies = [
      { type: 'picture', media: 'https://x.example/p.jpg', text: null, thumbnail: null },
      { type: 'video', media: 'https://x.example/v.mp4', size: 10000, duration: 10, thumbnail: null },
      { type: 'file', media: 'https://x.example/f.pdf', size: 10000, file_name: 'f.pdf' },
      { type: 'contact', contact: { name: 'Itamar', phone_number: '+972511123123' } },
      { type: 'location', location: { lat: 37.7898, lon: -122.3942 } },
      { type: 'url', media: 'https://www.website.com/go_here' },
      { type: 'sticker', sticker_id: 46105 },
      {
        type: 'rich_media',
        min_api_version: 2,
        rich_media: {
          Type: 'rich_media',
          ButtonsGroupColumns: 6,
          ButtonsGroupRows: 7,
          BgColor: '#FFFFFF',
          Buttons: [{ Columns: 6, Rows: 3, ActionType: 'open-url', ActionBody: 'https://a.example', Image: 'https://a.example/i.png' }],
        },
        alt_text: 'upgrade now',
      },
      { keyboard: { Type: 'keyboard', Buttons: [{ ActionType: 'reply', ActionBody: 'yes', Text: 'Yes' }] } },
    ];
    for (const b of bodies) {
      const { type: _t, text: _x, ...base } = textMsg('u1');
      const res = await send({ ...base, ...b });
      expect(res.json, JSON.stringify(b)).toMatchObject({ status: 0 });
    }
    expect(viber.violations).toEqual([]);
  });

  it('refuses invalid bodies with badData and records each problem', async () => {
    const res = await send({
      receiver: 'u1',
      sender: { name: 'x'.repeat(29) },
      type: 'text',
      text: 'y'.repeat(7001),
      tracking_data: 'z'.repeat(4001),
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"status":3,"status_message":"badData"}');
    expect(viber.violations.map((v) => v.field).sort()).toEqual(['sender.name', 'text', 'tracking_data']);
    expect(viber.sent).toEqual([]);
  });

  it.each([
    ['video without size', { type: 'video', media: 'https://x.example/v.mp4' }, 'size'],
    ['file without file_name', { type: 'file', media: 'https://x.example/f', size: 1 }, 'file_name'],
    ['sticker_id as string', { type: 'sticker', sticker_id: '46105' }, 'sticker_id'],
    ['picture without media', { type: 'picture', text: 'hi' }, 'media'],
    [
      'rich_media without min_api_version',
      { type: 'rich_media', rich_media: { Type: 'rich_media', Buttons: [{ ActionType: 'reply', ActionBody: 'a' }] } },
      'min_api_version',
    ],
    ['rich_media with a bad button', { type: 'rich_media', min_api_version: 2, rich_media: { Type: 'rich_media', Buttons: [{ ActionType: 'jump' }] } }, 'rich_media.Buttons[0].ActionType'],
    ['unknown type', { type: 'carousel' }, 'type'],
    ['null tracking_data', { type: 'text', text: 'a', tracking_data: null }, 'tracking_data'],
  ])('refuses %s', async (_name, fields, field) => {
    const base = { receiver: 'u1', sender: { name: 'Bot' } };
    const res = await send({ ...base, ...fields });
    expect(res.json).toEqual({ status: 3, status_message: 'badData' });
    expect(viber.violations.map((v) => v.field)).toContain(field);
  });

  it('refuses a wrong or missing auth token with status 2 over HTTP 200', async () => {
    for (const token of ['nope', null]) {
      const res = await send(textMsg('u1'), token);
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"status":2,"status_message":"invalidAuthToken"}');
    }
    const acct = await call(`${viber.apiBase}/get_account_info`, { headers: { 'X-Viber-Auth-Token': 'bad' }, body: {} });
    expect(acct.json).toEqual({ status: 2, status_message: 'invalidAuthToken' });
    expect(viber.sent).toEqual([]);
  });

  it('answers scripted outcomes per receiver', async () => {
    viber.script('gone', { status: 6 }).script('busy', { status: 12 }).script('down', { httpStatus: 503 });
    viber.scriptOnce('flaky', { status: 5 }, 'accept');
    expect((await send(textMsg('gone'))).text).toBe('{"status":6,"status_message":"receiverNotSubscribed"}');
    expect((await send(textMsg('busy'))).text).toBe('{"status":12,"status_message":"tooManyRequests"}');
    expect((await send(textMsg('down'))).status).toBe(503);
    expect((await send(textMsg('flaky'))).json).toEqual({ status: 5, status_message: 'receiverNotRegistered' });
    expect((await send(textMsg('flaky'))).json).toMatchObject({ status: 0 });
    expect(viber.sent.map((s) => s.receiver)).toEqual(['flaky']);
  });

  it('a finite hang answers late, then as scripted', async () => {
    viber.script('slow', { hangMs: 250, then: { status: 12 } });
    const started = Date.now();
    const res = await send(textMsg('slow'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(res.json).toEqual({ status: 12, status_message: 'tooManyRequests' });
  });

  it('aborting a hung call leaves the request recorded', async () => {
    viber.script('slow', { hangMs: Infinity });
    const res = call(`${viber.apiBase}/send_message`, {
      headers: { 'X-Viber-Auth-Token': TOKEN },
      body: textMsg('slow'),
      signal: AbortSignal.timeout(150),
    });
    await expect(res).rejects.toThrow();
    expect(viber.requests).toHaveLength(1);
  });

  it('broadcast reports scripted receivers in failed_list', async () => {
    viber.script('b2', { status: 6 });
    const { receiver: _r, ...msg } = textMsg('x');
    const res = await call(`${viber.apiBase}/broadcast_message`, {
      headers: { 'X-Viber-Auth-Token': TOKEN },
      body: { ...msg, broadcast_list: ['b1', 'b2'] },
    });
    expect(res.text).toMatch(
      /^\{"message_token":\d{19},"status":0,"status_message":"ok","failed_list":\[\{"receiver":"b2","status":6,"status_message":"receiverNotSubscribed"\}\]\}$/,
    );
    expect(viber.sent.map((s) => s.receiver)).toEqual(['b1']);
  });

  it('set_webhook sends a signed webhook check, then get_account_info reports it', async () => {
    const hook = `${receiver.url}/viber`;
    const res = await call(`${viber.apiBase}/set_webhook`, {
      headers: { 'X-Viber-Auth-Token': TOKEN },
      body: { url: hook, event_types: ['delivered', 'seen', 'failed'], send_name: true, send_photo: true },
    });
    expect(res.json).toEqual({
      status: 0,
      status_message: 'ok',
      chat_hostname: 'SN-CHAT-05_',
      event_types: ['delivered', 'seen', 'failed'],
    });
    const check = receiver.last();
    expect(check.url).toBe('/viber');
    expect(check.raw.toString()).toMatch(/^\{"event":"webhook","timestamp":\d{13},"message_token":\d+\}$/);
    const expected = createHmac('sha256', TOKEN).update(check.raw).digest('hex');
    expect(check.headers['x-viber-content-signature']).toBe(expected);

    const info = await call(`${viber.apiBase}/get_account_info`, { headers: { 'X-Viber-Auth-Token': TOKEN }, body: {} });
    expect(info.json).toMatchObject({ status: 0, webhook: hook, event_types: ['delivered', 'seen', 'failed'] });

    receiver.status = 500;
    const bad = await call(`${viber.apiBase}/set_webhook`, {
      headers: { 'X-Viber-Auth-Token': TOKEN },
      body: { url: `${receiver.url}/other` },
    });
    expect(bad.json).toEqual({ status: 1, status_message: 'invalidUrl' });
  });

  it('posts the documented message callback, signed over the raw bytes', async () => {
    const res = await viber.callbackMessage(
      `${receiver.url}/viber`,
      {
        user: { id: '01234567890A=' },
        message: { type: 'text', text: 'a message to the service' },
        trackingData: 'tracking data',
      },
      { timestamp: 1457764197627, messageToken: '4912661846655238145' },
    );
    expect(res.status).toBe(200);
    const got = receiver.last();
    expect(got.raw.toString('utf8')).toBe(
      '{"event":"message","timestamp":1457764197627,"message_token":4912661846655238145,' +
        '"sender":{"id":"01234567890A=","name":"John McClane","avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1},' +
        '"message":{"type":"text","text":"a message to the service","tracking_data":"tracking data"},"silent":false}',
    );
    const sig = String(got.headers['x-viber-content-signature']);
    const mine = createHmac('sha256', TOKEN).update(got.raw).digest();
    expect(timingSafeEqual(Buffer.from(sig, 'hex'), mine)).toBe(true);
    expect(res.signature).toBe(sig);
  });

  it('posts delivered/seen/failed/subscribed/unsubscribed/conversation_started bodies exactly', async () => {
    const url = `${receiver.url}/viber`;
    const opts = { timestamp: 1457764197627 };
    const t = '4912661846655238145';
    const user = { id: '01234567890A=' };
    await viber.callbackDelivered(url, { messageToken: t, userId: user.id }, opts);
    await viber.callbackSeen(url, { messageToken: t, userId: user.id }, opts);
    await viber.callbackFailed(url, { messageToken: t, userId: user.id }, opts);
    await viber.callbackSubscribed(url, { user }, { ...opts, messageToken: t });
    await viber.callbackUnsubscribed(url, { userId: user.id }, { ...opts, messageToken: t });
    await viber.callbackConversationStarted(url, { user, context: 'context information' }, { ...opts, messageToken: t });
    const u =
      '{"id":"01234567890A=","name":"John McClane","avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1}';
    expect(receiver.got.map((g) => g.raw.toString())).toEqual([
      '{"event":"delivered","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A="}',
      '{"event":"seen","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A="}',
      '{"event":"failed","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A=","desc":"failure description"}',
      `{"event":"subscribed","timestamp":1457764197627,"user":${u},"message_token":4912661846655238145}`,
      '{"event":"unsubscribed","timestamp":1457764197627,"user_id":"01234567890A=","message_token":4912661846655238145}',
      `{"event":"conversation_started","timestamp":1457764197627,"message_token":4912661846655238145,"type":"open","context":"context information","user":${u},"subscribed":false}`,
    ]);
    for (const g of receiver.got) {
      expect(g.headers['x-viber-content-signature']).toBe(viberSignature(g.raw.toString('utf8'), TOKEN));
    }
  });

  it('media message callbacks use the send-side field names', async () => {
    await viber.callbackMessage(
      `${receiver.url}/v`,
      { user: { id: 'u', avatar: undefined }, message: { type: 'file', media: 'https://m.example/f.pdf', size: 10, file_name: 'f.pdf' } },
      { timestamp: 1, messageToken: 9007199254740993n },
    );
    expect(receiver.last().raw.toString()).toBe(
      '{"event":"message","timestamp":1,"message_token":9007199254740993,' +
        '"sender":{"id":"u","name":"John McClane","country":"UK","language":"en","api_version":1},' +
        '"message":{"type":"file","media":"https://m.example/f.pdf","size":10,"file_name":"f.pdf"},"silent":false}',
    );
  });

  it('can send a wrong signature, none, or only ?sig=', async () => {
    const url = `${receiver.url}/viber`;
    const input = { messageToken: 1n, userId: 'u' };
    await viber.callbackDelivered(url, input, { signature: 'wrong' });
    const wrong = receiver.last();
    expect(wrong.headers['x-viber-content-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(wrong.headers['x-viber-content-signature']).not.toBe(viberSignature(wrong.raw.toString(), TOKEN));

    await viber.callbackDelivered(url, input, { signature: 'none' });
    expect(receiver.last().headers['x-viber-content-signature']).toBeUndefined();

    await viber.callbackDelivered(url, input, { signature: 'query' });
    const q = receiver.last();
    expect(q.headers['x-viber-content-signature']).toBeUndefined();
    expect(new URL(q.url, 'http://x').searchParams.get('sig')).toBe(viberSignature(q.raw.toString(), TOKEN));
  });
});

// ---------------------------------------------------------------------------------------------------

describe('FakeInfobip', () => {
  const KEY = '003026bbc133714df1834b8638bb496e-8f4b3d9a-e931-478d-a994-28a725159ab9';
  const ib = new FakeInfobip({ apiKey: KEY, callbackHeaders: { Authorization: 'Basic d2g6c2VjcmV0' } });
  const auth = { Authorization: `App ${KEY}` };
  const viberMsg = (to: string, extra: Record<string, unknown> = {}) => ({
    messages: [
      {
        sender: '441134960000',
        destinations: [{ to, messageId: `m-${to}` }],
        content: { type: 'TEXT', text: 'Some text', button: { title: 'Button title', action: 'https://example.com' } },
        options: { smsFailover: { sender: '441134960000', text: 'Some failover text' }, label: 'TRANSACTIONAL' },
        webhooks: { delivery: { url: `${receiver.url}/dlr` }, callbackData: 'cb-1' },
        ...extra,
      },
    ],
  });

  beforeAll(() => ib.start());
  afterAll(() => ib.stop());
  afterEach(() => ib.reset());

  it('accepts a valid Viber send, echoing the client messageId', async () => {
    const res = await call(`${ib.baseUrl}/viber/2/messages`, { headers: auth, body: viberMsg('441134960001') });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      bulkId: expect.any(String),
      messages: [
        {
          messageId: 'm-441134960001',
          status: { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' },
          destination: '441134960001',
        },
      ],
    });
    expect(res.text).toContain('"messages":[{"messageId":"m-441134960001","status":{"groupId":1,');
    expect(ib.sent[0]).toMatchObject({
      channel: 'VIBER',
      messageId: 'm-441134960001',
      to: '441134960001',
      callbackData: 'cb-1',
      deliveryUrl: `${receiver.url}/dlr`,
    });
    expect(ib.violations).toEqual([]);
  });

  it('refuses invalid Viber bodies with HTTP 400 and validationErrors', async () => {
    const body = viberMsg('+441134960001', {
      content: { type: 'TEXT', text: 'x'.repeat(1001), button: { title: 'a very long button title', action: 'https://e.com' } },
    });
    const res = await call(`${ib.baseUrl}/viber/2/messages`, { headers: auth, body });
    expect(res.status).toBe(400);
    const se = (res.json as any).requestError.serviceException;
    expect(se.messageId).toBe('BAD_REQUEST');
    expect(Object.keys(se.validationErrors).sort()).toEqual([
      'messages[0].content.button.title',
      'messages[0].content.text',
      'messages[0].destinations[0].to',
    ]);
    expect(ib.violations).toHaveLength(3);
    expect(ib.sent).toEqual([]);
  });

  it('refuses wrong or missing auth with the documented 401 body', async () => {
    const headerSets: Record<string, string>[] = [{ Authorization: 'App wrong' }, { Authorization: `Bearer ${KEY}` }, {}];
    for (const headers of headerSets) {
      const res = await call(`${ib.baseUrl}/sms/3/messages`, { headers, body: {} });
      expect(res.status).toBe(401);
      expect(res.text).toBe(
        '{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}',
      );
    }
  });

  it('answers scripted reject / 503 / 429 per destination', async () => {
    ib.script('385911111111', 'reject').script('385922222222', { httpStatus: 503 });
    ib.script('385933333333', { httpStatus: 429, retryAfter: 7 });
    const rej = await call(`${ib.baseUrl}/viber/2/messages`, { headers: auth, body: viberMsg('385911111111') });
    expect(rej.status).toBe(200);
    expect((rej.json as any).messages[0].status).toEqual(INFOBIP_STATUS.REJECTED_DESTINATION_NOT_REGISTERED);
    expect((rej.json as any).messages[0].status.groupName).toBe('REJECTED');

    const down = await call(`${ib.baseUrl}/viber/2/messages`, { headers: auth, body: viberMsg('385922222222') });
    expect(down.status).toBe(503);
    expect((down.json as any).requestError.serviceException.messageId).toBe('GENERAL_ERROR');

    const limited = await call(`${ib.baseUrl}/viber/2/messages`, { headers: auth, body: viberMsg('385933333333') });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((limited.json as any).requestError.serviceException.messageId).toBe('TOO_MANY_REQUESTS');

    ib.script('385944444444', { hangMs: Infinity });
    await expect(
      call(`${ib.baseUrl}/viber/2/messages`, { headers: auth, body: viberMsg('385944444444'), signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
  });

  it('SMS v3 answers with "to"; v2-style fields in a v3 body are refused; v2 works on its own path', async () => {
    const v3 = await call(`${ib.baseUrl}/sms/3/messages`, {
      headers: auth,
      body: {
        messages: [
          {
            sender: 'InfoSMS',
            destinations: [{ to: '41793026727' }],
            content: { text: 'Hello' },
            options: { validityPeriod: { amount: 2, timeUnit: 'HOURS' } },
            webhooks: { delivery: { url: `${receiver.url}/dlr` }, callbackData: 'cb' },
          },
        ],
      },
    });
    expect(v3.status).toBe(200);
    expect((v3.json as any).messages[0]).toEqual({
      to: '41793026727',
      messageId: expect.any(String),
      status: INFOBIP_STATUS.PENDING_ACCEPTED,
    });

    const mixed = await call(`${ib.baseUrl}/sms/3/messages`, {
      headers: auth,
      body: { messages: [{ from: 'InfoSMS', destinations: [{ to: '41793026727' }], text: 'Hello' }] },
    });
    expect(mixed.status).toBe(400);
    expect(Object.keys((mixed.json as any).requestError.serviceException.validationErrors)).toEqual(
      expect.arrayContaining(['messages[0].from', 'messages[0].text', 'messages[0].content']),
    );

    const badValidity = await call(`${ib.baseUrl}/sms/3/messages`, {
      headers: auth,
      body: { messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'x' }, options: { validityPeriod: { amount: 3, timeUnit: 'DAYS' } } }] },
    });
    expect(badValidity.status).toBe(400);

    const v2 = await call(`${ib.baseUrl}/sms/2/text/advanced`, {
      headers: auth,
      body: { messages: [{ from: 'InfoSMS', destinations: [{ to: '385991112222', messageId: 'v2-1' }], text: 'Hi', validityPeriod: 720 }] },
    });
    expect(v2.status).toBe(200);
    expect((v2.json as any).messages[0]).toEqual({ to: '385991112222', status: INFOBIP_STATUS.PENDING_ACCEPTED, messageId: 'v2-1' });
  });

  it('posts the documented delivery report with the configured auth header', async () => {
    await call(`${ib.baseUrl}/viber/2/messages`, { headers: auth, body: viberMsg('41793026727') });
    const sent = ib.sent[0];
    if (!sent) throw new Error('not sent');
    const res = await ib.deliver(sent, {
      sentAt: '2019-11-09T16:00:00.000+0000',
      doneAt: new Date(Date.UTC(2019, 10, 9, 16, 0, 1)),
      bulkId: 'BULK-1',
    });
    expect(res.status).toBe(200);
    const got = receiver.last();
    expect(got.url).toBe('/dlr');
    expect(got.headers.authorization).toBe('Basic d2g6c2VjcmV0');
    expect(got.raw.toString()).toBe(
      '{"results":[{"bulkId":"BULK-1","messageId":"m-41793026727","to":"41793026727","sender":"441134960000",' +
        '"sentAt":"2019-11-09T16:00:00.000+0000","doneAt":"2019-11-09T16:00:01.000+0000","messageCount":1,"mccMnc":"22801","callbackData":"cb-1",' +
        '"price":{"pricePerMessage":0.01,"currency":"EUR"},' +
        '"status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET","description":"Message delivered to handset"},' +
        '"error":{"groupId":0,"groupName":"OK","id":0,"name":"NO_ERROR","description":"No Error","permanent":false},"channel":"VIBER"}]}',
    );

    await ib.deliver(sent, { url: `${receiver.url}/x`, status: INFOBIP_STATUS.UNDELIVERABLE_NOT_DELIVERED, error: INFOBIP_ERROR.EC_ABSENT_SUBSCRIBER_SM }, { headers: {} });
    const undel = JSON.parse(receiver.last().raw.toString());
    expect(receiver.last().headers.authorization).toBeUndefined();
    expect(undel.results[0].status.name).toBe('UNDELIVERABLE_NOT_DELIVERED');
    expect(undel.results[0].error).toEqual({ groupId: 1, groupName: 'HANDSET_ERRORS', id: 6, name: 'EC_ABSENT_SUBSCRIBER_SM', description: 'Absent Subscriber', permanent: false });
  });

  it('posts inbound SMS, inbound Viber and seen reports in the documented shapes', async () => {
    const url = `${receiver.url}/in`;
    await ib.postInboundSms(url, [
      { messageId: 'mo-1', from: '385916242493', to: '385921004026', text: 'QUIZ Correct answer is Paris', cleanText: 'Correct answer is Paris', keyword: 'QUIZ', receivedAt: '2016-10-06T09:28:39.220+0000' },
    ]);
    expect(receiver.last().raw.toString()).toBe(
      '{"results":[{"messageId":"mo-1","from":"385916242493","to":"385921004026","text":"QUIZ Correct answer is Paris",' +
        '"cleanText":"Correct answer is Paris","keyword":"QUIZ","receivedAt":"2016-10-06T09:28:39.220+0000","smsCount":1,' +
        '"price":{"pricePerMessage":0,"currency":"EUR"}}],"messageCount":1,"pendingMessageCount":0}',
    );

    await ib.postInboundViber(url, [
      {
        sender: '385916242493',
        to: 'ViberSender',
        messageId: 'mo-2',
        pairedMessageId: 'm-1',
        callbackData: 'cb-1',
        receivedAt: '2020-02-06T11:43:42.000+0000',
        message: { type: 'TEXT', text: 'hi', trackingData: 't-1' },
      },
    ]);
    expect(receiver.last().raw.toString()).toBe(
      '{"results":[{"sender":"385916242493","to":"ViberSender","integrationType":"VIBER","receivedAt":"2020-02-06T11:43:42.000+0000",' +
        '"messageId":"mo-2","pairedMessageId":"m-1","callbackData":"cb-1","message":{"type":"TEXT","text":"hi","trackingData":"t-1"},' +
        '"price":{"pricePerMessage":0,"currency":"EUR"}}]}',
    );

    await ib.postSeenReports(url, [
      { messageId: 'm-1', from: 'ViberSender', to: '385916242493', sentAt: '2019-11-09T16:00:00.000+0000', seenAt: new Date(Date.UTC(2019, 10, 9, 16, 5)) },
    ]);
    expect(receiver.last().raw.toString()).toBe(
      '{"results":[{"messageId":"m-1","from":"ViberSender","to":"385916242493","sentAt":"2019-11-09T16:00:00.000+0000","seenAt":"2019-11-09T16:05:00.000+0000"}]}',
    );
    expect(receiver.last().headers.authorization).toBe('Basic d2g6c2VjcmV0');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('FakeDecisionTelecom', () => {
  const KEY = 'user-hash-key-123';
  const dt = new FakeDecisionTelecom({ apiKey: KEY });
  const auth = { Authorization: `Basic ${Buffer.from(KEY).toString('base64')}` };
  const viberBody = (dest: string | number, extra: Record<string, unknown> = {}) => ({
    source_addr: 'Custom Company',
    destination_addr: dest,
    message_type: 106,
    text: 'Message content',
    text_sms: 'SMS message content',
    source_type: 2,
    callback_url: 'https://yourdomain.com/viber-callback',
    validity_period: 40,
    ...extra,
  });
  const sendViber = (body: unknown, headers: Record<string, string> = auth) =>
    call(`${dt.baseUrl}/v1/api/send-viber`, { headers, body });

  beforeAll(() => dt.start());
  afterAll(() => dt.stop());
  afterEach(() => dt.reset());

  it('accepts valid sends (number or string destination) with incrementing message_id', async () => {
    const a = await sendViber(viberBody(380636111112));
    expect(a.status).toBe(200);
    expect(a.text).toBe('{"message_id":429}');
    const b = await sendViber(
      viberBody('380636111113', {
        message_type: 108,
        source_type: 1,
        text_sms: undefined,
        image: 'https://yourdomain.com/images/image.jpg',
        button_caption: 'Join Us',
        button_action: 'https://yourdomain.com/join-us',
        validity_period: 3600,
      }),
    );
    expect(b.text).toBe('{"message_id":430}');
    expect(dt.sent.map((s) => [s.messageId, s.destination, s.destinationWasString])).toEqual([
      [429, '380636111112', false],
      [430, '380636111113', true],
    ]);
    expect(dt.violations).toEqual([]);

    const sms = await call(`${dt.baseUrl}/v1/api/send-sms`, {
      headers: auth,
      body: { source_addr: 'Custom', destination_addr: '380636111112', text: 'hi' },
    });
    expect(sms.text).toBe('{"message_id":36478}');
  });

  it('refuses invalid parameters with the documented body over HTTP 200', async () => {
    const res = await sendViber(viberBody('380636111112', { text: '' }));
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      '{"name":"Invalid Parameter: text","message":"Empty parameter or parameter validation error","code":1,"status":400}',
    );
    const cases: [Record<string, unknown>, string][] = [
      [{ source_addr: 'x'.repeat(21) }, 'source_addr'],
      [{ destination_addr: '+380636111112' }, 'destination_addr'],
      [{ message_type: 107 }, 'message_type'],
      [{ message_type: '106' }, 'message_type'],
      [{ text: 'x'.repeat(1001) }, 'text'],
      [{ message_type: 108, source_type: 1, text_sms: undefined, button_caption: 'Join', button_action: 'https://a.b' }, 'image'],
      [{ button_caption: 'x'.repeat(31) }, 'button_caption'],
      [{ source_type: 3 }, 'source_type'],
      [{ validity_period: 39 }, 'validity_period'],
      [{ validity_period: 21601 }, 'validity_period'],
      [{ text_sms: 'é'.repeat(80) + 'ж' }, 'text_sms'],
      [{ text_sms: 'a'.repeat(161) }, 'text_sms'],
    ];
    for (const [extra, field] of cases) {
      dt.reset();
      const r = await sendViber(viberBody('380636111112', extra));
      expect(r.json, JSON.stringify(extra)).toMatchObject({ code: 1, status: 400 });
      expect(dt.violations.map((v) => v.field), JSON.stringify(extra)).toContain(field);
    }
    // 160 GSM characters fit, and so does 70 UCS-2.
    dt.reset();
    expect((await sendViber(viberBody('380636111112', { text_sms: 'a'.repeat(160) }))).json).toHaveProperty('message_id');
    expect((await sendViber(viberBody('380636111112', { text_sms: 'ж'.repeat(70) }))).json).toHaveProperty('message_id');
    expect(dt.sent).toHaveLength(2);
  });

  it('refuses wrong auth; the "key:" form only when enabled', async () => {
    const colon = { Authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` };
    for (const headers of [{ Authorization: `Basic ${Buffer.from('other').toString('base64')}` }, { Authorization: 'Basic api key' }, colon, {}]) {
      const r = await sendViber(viberBody('380636111112'), headers);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ name: 'Unauthorized', message: 'Your request was made with invalid credentials.', code: 0, status: 401 });
    }
    const lenient = new FakeDecisionTelecom({ apiKey: KEY, acceptKeyColonForm: true });
    await lenient.start();
    try {
      const r = await call(`${lenient.baseUrl}/v1/api/send-viber`, { headers: colon, body: viberBody('380636111112') });
      expect(r.text).toBe('{"message_id":429}');
    } finally {
      await lenient.stop();
    }
  });

  it('answers scripted rate limit / balance / 503 per destination', async () => {
    dt.script('380000000001', { error: 'rateLimit' }).script('380000000002', { error: 'balance' });
    dt.script('380000000003', { httpStatus: 503 });
    const rl = await sendViber(viberBody('380000000001'));
    expect(rl.status).toBe(200);
    expect(rl.text).toBe('{"name":"Too Many Requests","message":"Rate limit exceeded","code":0,"status":429}');
    const bal = await sendViber(viberBody('380000000002'));
    expect(bal.json).toEqual({ name: 'Topup balance is required', message: 'User balance is empty', code: 3, status: 402 });
    expect((await sendViber(viberBody('380000000003'))).status).toBe(503);
    expect(dt.sent).toEqual([]);

    const strict = new FakeDecisionTelecom({ apiKey: KEY, errorsAsHttpStatus: true });
    await strict.start();
    try {
      strict.script('380000000001', { error: 'rateLimit' });
      const r = await call(`${strict.baseUrl}/v1/api/send-viber`, { headers: auth, body: viberBody('380000000001') });
      expect(r.status).toBe(429);
    } finally {
      await strict.stop();
    }
  });

  it('receive-viber reports the scripted status', async () => {
    const sent = await sendViber(viberBody('380636111112'));
    const id = (sent.json as { message_id: number }).message_id;
    const before = await call(`${dt.baseUrl}/v1/api/receive-viber`, { headers: auth, body: { message_id: id } });
    expect(before.text).toBe(`{"message_id":${id},"status":0}`);
    dt.setViberStatus(id, { status: 1, smsMessageId: 36478, smsMessageStatus: 2 });
    const after = await call(`${dt.baseUrl}/v1/api/receive-viber`, { headers: auth, body: { message_id: id } });
    expect(after.text).toBe(`{"message_id":${id},"status":1,"sms_message_id":36478,"sms_message_status":2}`);
    const unknown = await call(`${dt.baseUrl}/v1/api/receive-viber`, { headers: auth, body: { message_id: 1 } });
    expect(unknown.json).toMatchObject({ name: 'Invalid Parameter: message_id', code: 1 });
  });

  it('posts the documented two-way callback with a bare big-integer token, and the assumed status callback', async () => {
    const url = `${receiver.url}/dt`;
    await dt.postTwoWayInbound(url, {
      phoneNumber: '972512222222',
      text: 'a message to the service',
      trackingData: 'tracking_id:100035',
      messageToken: 44444444444444444444n,
      time: 2121212121,
    });
    expect(receiver.last().raw.toString()).toBe(
      '{"message_token":44444444444444444444,"phone_number":"972512222222","time":2121212121,' +
        '"message":{"text":"a message to the service","tracking_data":"tracking_id:100035"}}',
    );
    await dt.postStatusCallback(url, { messageId: 429, status: 1 }, { headers: { 'X-Test': 'dt' } });
    expect(receiver.last().raw.toString()).toBe('{"message_id":429,"status":1}');
    expect(receiver.last().headers['x-test']).toBe('dt');
  });
});
