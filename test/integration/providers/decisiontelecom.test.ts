/**
 * DecisionTelecom Viber + SMS end to end: the real service configured through GraphQL, the fake
 * DecisionTelecom API (test/fakes/decisiontelecom.ts), status polling through `receive-viber`, and
 * callbacks posted to the URLs the connection shows (the secret rides in the URL).
 * Wire facts: docs/providers.md, DecisionTelecom.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SendMessageInput, ViberContentInput } from '../../generated/graphql.js';
import { DT_SMS_STATUS, DT_VIBER_STATUS, FakeDecisionTelecom } from '../../fakes/decisiontelecom.js';
import type { RecordedRequest } from '../../fakes/fake-server.js';
import {
  attemptIdOf,
  callbackRowCounts,
  configureConnection,
  createScenario,
  getMessage,
  iso,
  listInbound,
  liveInbound,
  liveStatus,
  rawPost,
  send,
  sendInvalid,
  sleep,
  startProviderApp,
  waitForAccepted,
  waitForMessage,
  webhookUrl,
  withConnectionId,
  type Connection,
  type ProviderApp,
} from './support.js';

const API_KEY = 'dt-e2e-access-key-6f1c2a';
const TWO_WAY_KEY = 'dt-e2e-two-way-key-93b7';
const SENDER = 'DTShop';
const POLL_MS = 200;

const basic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

describe('DecisionTelecom provider, end to end', () => {
  let app: ProviderApp;
  // Separate id ranges: reports are matched by DecisionTelecom's message id within the account.
  const dt = new FakeDecisionTelecom({ apiKey: API_KEY, firstMessageId: 429, firstSmsMessageId: 36478 });
  const dt2 = new FakeDecisionTelecom({ apiKey: TWO_WAY_KEY, acceptKeyColonForm: true, firstMessageId: 900_001, firstSmsMessageId: 990_001 });
  let conn: Connection;
  let twoWay: Connection;
  let statusUrl: string;
  let smsStatusUrl: string;
  let twoWayUrl: string;
  let viberOnly: string;
  let smsOnly: string;
  let viberThenSms: string;
  let twoWayViber: string;
  let phoneSeq = 0;

  const nextPhone = () => {
    phoneSeq += 1;
    const digits = `38063611${String(1000 + phoneSeq).padStart(4, '0')}`;
    return { e164: `+${digits}`, digits };
  };

  beforeAll(async () => {
    await dt.start();
    await dt2.start();
    app = await startProviderApp({ STATUS_POLL_INTERVAL_MS: String(POLL_MS) });
    conn = await configureConnection(app, {
      name: 'DecisionTelecom',
      type: 'DECISIONTELECOM',
      baseUrl: dt.baseUrl,
      credentials: { apiKey: API_KEY },
      channels: ['VIBER', 'SMS'],
    });
    twoWay = await configureConnection(app, {
      name: 'DecisionTelecom two-way',
      type: 'DECISIONTELECOM',
      baseUrl: dt2.baseUrl,
      credentials: { apiKey: TWO_WAY_KEY },
      channels: ['VIBER'],
      options: { twoWay: true, decisionTelecomAuthForm: 'KEY_COLON' },
    });
    statusUrl = webhookUrl(conn, 'STATUS_AND_INBOUND');
    smsStatusUrl = webhookUrl(conn, 'SMS_STATUS');
    twoWayUrl = webhookUrl(twoWay, 'STATUS_AND_INBOUND');
    viberOnly = await createScenario(app, 'DT Viber', [{ channel: 'VIBER', from: SENDER, connectionId: conn.id }]);
    smsOnly = await createScenario(app, 'DT SMS', [{ channel: 'SMS', from: SENDER, connectionId: conn.id }]);
    viberThenSms = await createScenario(app, 'DT Viber then SMS', [
      { channel: 'VIBER', from: SENDER, connectionId: conn.id },
      { channel: 'SMS', from: SENDER, connectionId: conn.id },
    ]);
    twoWayViber = await createScenario(app, 'DT two-way Viber', [{ channel: 'VIBER', from: SENDER, connectionId: twoWay.id }]);
  });

  afterEach(() => {
    dt.assertNoViolations();
    dt2.assertNoViolations();
  });

  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await dt.stop();
    await dt2.stop();
  });

  const sendsTo = (digits: string) => (r: RecordedRequest) =>
    r.path.startsWith('/v1/api/send-') && String((r.body as { destination_addr?: unknown } | undefined)?.destination_addr) === digits;
  const pollsOf = (id: number) => (r: RecordedRequest) =>
    r.path === '/v1/api/receive-viber' && (r.body as { message_id?: unknown } | undefined)?.message_id === id;

  async function sendVia(fake: FakeDecisionTelecom, input: Omit<SendMessageInput, 'destinations'>, phone = nextPhone()) {
    const messageId = `dt-${randomUUID()}`;
    const [accepted] = await send(app, { ...input, destinations: [{ messageId, to: { phoneNumber: phone.e164 } }] });
    expect(accepted).toMatchObject({ messageId, to: phone.e164 });
    const [request] = await fake.waitForRequests(1, 10_000, sendsTo(phone.digits));
    return { messageId, phone, request: request! };
  }

  async function sendAccepted(fake: FakeDecisionTelecom, input: Omit<SendMessageInput, 'destinations'>) {
    const sent = await sendVia(fake, input);
    const { providerMessageId } = await waitForAccepted(app, sent.messageId);
    const fakeSent = fake.sent.find((s) => s.requestIndex === fake.requests.indexOf(sent.request))!;
    expect(fakeSent).toBeDefined();
    return { ...sent, providerMessageId, dtId: fakeSent.messageId };
  }

  const viberText = (text = 'Your order has shipped'): Omit<SendMessageInput, 'destinations'> => ({ scenarioKey: viberOnly, viber: { text: { text } } });

  describe('configuration and the wire', () => {
    it('shows a status/two-way URL and an SMS status URL on this service, each carrying the secret', () => {
      const base = `${app.url}/webhooks/decisiontelecom/${conn.id}`;
      expect(conn.webhookUrls).toHaveLength(2);
      expect(statusUrl).toMatch(new RegExp(`^${base.replace(/[.?]/g, '\\$&')}\\?secret=[A-Za-z0-9_-]{16,}$`));
      const secret = new URL(statusUrl).searchParams.get('secret');
      expect(smsStatusUrl).toBe(`${base}/sms?secret=${secret}`);
      expect(conn).toMatchObject({ type: 'DECISIONTELECOM', baseUrl: dt.baseUrl, twoWay: false, callbackAuthorization: null });
      expect(twoWay).toMatchObject({ twoWay: true });
      expect(new URL(twoWayUrl).searchParams.get('secret')).not.toBe(secret);
    });

    it('sends Viber text to send-viber with Basic base64(key), digits without +, and our callback_url', async () => {
      const { messageId, phone, request } = await sendVia(dt, { ...viberText('Message content'), validityPeriod: { amount: 1, timeUnit: 'HOURS' } });
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/v1/api/send-viber');
      expect(request.headers.authorization).toBe(basic(API_KEY));
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(request.body).toEqual({
        source_addr: SENDER,
        destination_addr: phone.digits,
        message_type: 106,
        text: 'Message content',
        source_type: 2,
        callback_url: statusUrl,
        validity_period: 3600,
      });
      const { attempt } = await waitForAccepted(app, messageId);
      const sent = dt.sent.find((s) => s.destination === phone.digits)!;
      expect(attempt).toMatchObject({ provider: 'DECISIONTELECOM', channel: 'VIBER', providerMessageId: String(sent.messageId), status: { name: 'PENDING_ENROUTE' } });
      expect(dt.violations).toEqual([]);
    });

    it('keeps validity_period within 40..21600 s (the 24 h Viber default becomes 21600)', async () => {
      const { request } = await sendVia(dt, viberText());
      expect((request.body as { validity_period: number }).validity_period).toBe(21600);
    });

    it('sends SMS to send-sms with the SMS status URL as callback_url', async () => {
      const { messageId, phone, request } = await sendVia(dt, { scenarioKey: smsOnly, sms: { text: 'Code 9876' } });
      expect(request.path).toBe('/v1/api/send-sms');
      expect(request.headers.authorization).toBe(basic(API_KEY));
      expect(request.body).toEqual({ source_addr: SENDER, destination_addr: phone.digits, text: 'Code 9876', callback_url: smsStatusUrl });
      const { attempt } = await waitForAccepted(app, messageId);
      expect(attempt).toMatchObject({ provider: 'DECISIONTELECOM', channel: 'SMS', providerMessageId: expect.stringContaining(String(dt.sent.find((s) => s.destination === phone.digits)!.messageId)) });
    });

    it('a two-way connection sends 206 with the base64("key:") auth form', async () => {
      const { phone, request } = await sendVia(dt2, { scenarioKey: twoWayViber, viber: { text: { text: 'Reply YES to confirm' } } });
      expect(request.headers.authorization).toBe(basic(`${TWO_WAY_KEY}:`));
      expect(request.body).toMatchObject({ source_addr: SENDER, destination_addr: phone.digits, message_type: 206, text: 'Reply YES to confirm', callback_url: twoWayUrl });
    });
  });

  describe('status', () => {
    it('polls receive-viber every STATUS_POLL_INTERVAL_MS and reports DELIVERED once the fake says status 1, then stops polling', async () => {
      const a = await sendAccepted(dt, viberText());
      const live = await liveStatus(app, { messageId: a.messageId });
      try {
        const polls = await dt.waitForRequests(3, 5_000, pollsOf(a.dtId));
        for (const p of polls) {
          expect(p.rawBody).toBe(`{"message_id":${a.dtId}}`);
          expect(p.headers.authorization).toBe(basic(API_KEY));
        }
        const gaps = polls.slice(1).map((p, i) => p.at - polls[i]!.at);
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(POLL_MS * 0.75);
        expect((await getMessage(app, a.messageId)).status.groupName).not.toBe('DELIVERED');

        dt.setViberStatus(a.dtId, { status: DT_VIBER_STATUS.delivered });
        const events = await live.sub.until((evs) => evs.some((e) => e.messageStatusChanged.message.status.groupName === 'DELIVERED'), 5_000);
        const ev = events.map((e) => e.messageStatusChanged).find((e) => e.message.status.groupName === 'DELIVERED')!;
        expect(ev.attempt).toMatchObject({ provider: 'DECISIONTELECOM', providerMessageId: String(a.dtId), status: { name: 'DELIVERED_TO_HANDSET' } });
        const m = await getMessage(app, a.messageId);
        expect(m).toMatchObject({ channel: 'VIBER', status: { name: 'DELIVERED_TO_HANDSET' } });
        expect(m.attempts).toHaveLength(1);

        const after = dt.requests.filter(pollsOf(a.dtId)).length;
        await sleep(POLL_MS * 4);
        expect(dt.requests.filter(pollsOf(a.dtId)).length - after).toBeLessThanOrEqual(1);
      } finally {
        await live.close();
      }
    });

    it('a polled "undelivered" (4) fails the Viber step over to SMS through send-sms', async () => {
      const phone = nextPhone();
      const sent = await sendVia(dt, { scenarioKey: viberThenSms, viber: { text: { text: 'Viber first' } }, sms: { text: 'SMS second' } }, phone);
      await waitForAccepted(app, sent.messageId);
      const dtId = dt.sent.find((s) => s.destination === phone.digits && s.kind === 'viber')!.messageId;
      dt.setViberStatus(dtId, { status: DT_VIBER_STATUS.undelivered });
      const [, smsRequest] = await dt.waitForRequests(2, 5_000, sendsTo(phone.digits));
      expect(smsRequest!.path).toBe('/v1/api/send-sms');
      expect(smsRequest!.body).toEqual({ source_addr: SENDER, destination_addr: phone.digits, text: 'SMS second', callback_url: smsStatusUrl });
      const m = await waitForMessage(app, sent.messageId, (x) => x.attempts.length === 2);
      expect(m.attempts[0]).toMatchObject({ channel: 'VIBER', status: { groupName: 'UNDELIVERABLE' } });
      expect(m.attempts[1]).toMatchObject({ channel: 'SMS', provider: 'DECISIONTELECOM' });
    });

    it('a status callback on the shown URL reports DELIVERED over messageStatusChanged', async () => {
      const a = await sendAccepted(dt, viberText());
      const live = await liveStatus(app, { messageId: a.messageId });
      try {
        const res = await dt.postStatusCallback(statusUrl, { messageId: a.dtId, status: DT_VIBER_STATUS.delivered });
        expect(res.status).toBe(200);
        await live.sub.until((evs) => evs.some((e) => e.messageStatusChanged.message.status.groupName === 'DELIVERED'), 5_000);
        const m = await getMessage(app, a.messageId);
        expect(m).toMatchObject({ channel: 'VIBER', status: { name: 'DELIVERED_TO_HANDSET' } });
        expect(m.attempts[0]).toMatchObject({ provider: 'DECISIONTELECOM', providerMessageId: String(a.dtId), status: { name: 'DELIVERED_TO_HANDSET' } });
      } finally {
        await live.close();
      }
    });

    it('an SMS status callback on the SMS URL reports the SMS attempt (and never a Viber message with the same number)', async () => {
      const a = await sendAccepted(dt, { scenarioKey: smsOnly, sms: { text: 'SMS status' } });
      expect((await dt.postStatusCallback(smsStatusUrl, { messageId: a.dtId, status: DT_SMS_STATUS.delivered })).status).toBe(200);
      const m = await waitForMessage(app, a.messageId, (x) => x.status.groupName === 'DELIVERED', 5_000);
      expect(m).toMatchObject({ channel: 'SMS', status: { name: 'DELIVERED_TO_HANDSET' } });

      // An SMS report whose number is a pending Viber message's id must not touch that Viber message.
      const v = await sendAccepted(dt, viberText());
      const counts = await callbackRowCounts(app);
      const res = await dt.postStatusCallback(smsStatusUrl, { messageId: v.dtId, status: DT_SMS_STATUS.undeliverable });
      expect(res.status).toBe(503);
      expect((await getMessage(app, v.messageId)).status.name).toBe('PENDING_ENROUTE');
      expect(await callbackRowCounts(app)).toEqual(counts);
    });

    it('a late non-final or failed report after DELIVERED changes nothing', async () => {
      const a = await sendAccepted(dt, viberText());
      expect((await dt.postStatusCallback(statusUrl, { messageId: a.dtId, status: DT_VIBER_STATUS.delivered })).status).toBe(200);
      await waitForMessage(app, a.messageId, (m) => m.status.groupName === 'DELIVERED');
      const counts = await callbackRowCounts(app);
      for (const status of [DT_VIBER_STATUS.pending, DT_VIBER_STATUS.sent, DT_VIBER_STATUS.error, DT_VIBER_STATUS.undelivered]) {
        expect((await dt.postStatusCallback(statusUrl, { messageId: a.dtId, status })).status).toBe(200);
      }
      dt.setViberStatus(a.dtId, { status: DT_VIBER_STATUS.error });
      await sleep(POLL_MS * 2);
      const m = await getMessage(app, a.messageId);
      expect(m.status).toMatchObject({ groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' });
      expect(m.attempts.map((x) => x.status.name)).toEqual(['DELIVERED_TO_HANDSET']);
      expect(await callbackRowCounts(app)).toEqual(counts);
    });
  });

  describe('two connections of the same provider', () => {
    // Two DecisionTelecom accounts (say, two brands) each number their messages from their own
    // sequence: a status learned through one connection must never land on the other's message.
    const dtA = new FakeDecisionTelecom({ apiKey: 'dt-brand-a-key', firstMessageId: 5000 });
    const dtB = new FakeDecisionTelecom({ apiKey: 'dt-brand-b-key', firstMessageId: 5000 });
    let scenarioA: string;
    let scenarioB: string;

    beforeAll(async () => {
      await dtA.start();
      await dtB.start();
      const a = await configureConnection(app, { name: 'DT brand A', type: 'DECISIONTELECOM', baseUrl: dtA.baseUrl, credentials: { apiKey: 'dt-brand-a-key' }, channels: ['VIBER'] });
      const b = await configureConnection(app, { name: 'DT brand B', type: 'DECISIONTELECOM', baseUrl: dtB.baseUrl, credentials: { apiKey: 'dt-brand-b-key' }, channels: ['VIBER'] });
      scenarioA = await createScenario(app, 'DT brand A', [{ channel: 'VIBER', from: 'BrandA', connectionId: a.id }]);
      scenarioB = await createScenario(app, 'DT brand B', [{ channel: 'VIBER', from: 'BrandB', connectionId: b.id }]);
    });

    afterAll(async () => {
      await dtA.stop();
      await dtB.stop();
    });

    it('a status polled through connection B ends B’s message, not A’s message with the same DecisionTelecom id', async () => {
      const a = await sendAccepted(dtA, { scenarioKey: scenarioA, viber: { text: { text: 'from A' } } });
      const b = await sendAccepted(dtB, { scenarioKey: scenarioB, viber: { text: { text: 'from B' } } });
      expect([a.dtId, b.dtId]).toEqual([5000, 5000]);
      expect(a.providerMessageId).toBe(b.providerMessageId);

      dtB.setViberStatus(b.dtId, { status: DT_VIBER_STATUS.delivered });
      // B's first poll after the status is set ends B's message; A keeps being polled, and stays pending.
      await dtB.waitForRequests(1, 5_000, pollsOf(b.dtId));
      await dtA.waitForRequests(2, 5_000, pollsOf(a.dtId));
      await sleep(POLL_MS * 3);
      const [ma, mb] = [await getMessage(app, a.messageId), await getMessage(app, b.messageId)];
      expect({ a: ma.status.name, b: mb.status.name }).toEqual({ a: 'PENDING_ENROUTE', b: 'DELIVERED_TO_HANDSET' });
      dtA.assertNoViolations();
      dtB.assertNoViolations();
    });
  });

  describe('two-way', () => {
    it('a reply naming our message in tracking_data arrives live and in inboundMessages, paired, and a retry is stored once', async () => {
      const a = await sendAccepted(dt2, { scenarioKey: twoWayViber, viber: { text: { text: 'Reply YES to confirm' } } });
      const live = await liveInbound(app, { from: a.phone.e164 });
      try {
        const token = 44_444_444_444_444_444_999n; // beyond 2^53
        const time = Math.floor(Date.now() / 1000) - 5;
        const reply = () => dt2.postTwoWayInbound(twoWayUrl, { phoneNumber: a.phone.digits, text: 'YES', trackingData: `tracking_id:${a.dtId}`, messageToken: token, time });
        const first = await reply();
        const second = await reply();
        expect([first.status, second.status]).toEqual([200, 200]);
        expect(first.rawBody).toContain(`"message_token":${token}`);

        const expected = {
          id: token.toString(),
          provider: 'DECISIONTELECOM',
          channel: 'VIBER',
          from: a.phone.e164,
          receivedAt: iso(time * 1000),
          pairedMessageId: a.messageId,
          content: { type: 'TEXT', text: 'YES' },
        };
        const events = await live.sub.until((evs) => evs.length >= 1);
        expect(events[0]!.inboundMessageReceived).toMatchObject(expected);
        await sleep(500);
        expect(live.sub.events).toHaveLength(1);
        const stored = await listInbound(app, { from: a.phone.digits });
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject(expected);
      } finally {
        await live.close();
      }
    });

    it('takes the documented two-way callback verbatim (unpaired: tracking_id 100035 is not ours)', async () => {
      const documented = '{"message_token":44444444444444,"phone_number":"972512222222","time":2121212121,"message":{"text":"a message to the service","tracking_data":"tracking_id:100035"}}';
      expect((await rawPost(twoWayUrl, documented)).status).toBe(200);
      expect((await rawPost(twoWayUrl, documented)).status).toBe(200);
      const stored = await listInbound(app, { from: '+972512222222' });
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        id: '44444444444444',
        provider: 'DECISIONTELECOM',
        channel: 'VIBER',
        from: '+972512222222',
        receivedAt: iso(2121212121 * 1000),
        pairedMessageId: null,
        content: { type: 'TEXT', text: 'a message to the service' },
      });
    });
  });

  describe('refused callbacks store nothing', () => {
    it('401 for a wrong or missing secret, 400 for a malformed body, 404 for an unknown connection, 413 over 1 MiB', async () => {
      const a = await sendAccepted(dt, viberText());
      const before = await callbackRowCounts(app);
      const status = JSON.stringify({ message_id: a.dtId, status: 1 });
      const inbound = JSON.stringify({ message_token: 1234567, phone_number: '972512222299', time: 2121212121, message: { text: 'forged' } });
      const secret = new URL(statusUrl).searchParams.get('secret')!;
      const bare = statusUrl.split('?')[0]!;
      const withSecret = (s: string) => `${bare}?secret=${encodeURIComponent(s)}`;

      expect((await rawPost(withSecret(`${secret}x`), status)).status).toBe(401);
      expect((await rawPost(withSecret(`${secret}x`), inbound)).status).toBe(401);
      expect((await rawPost(bare, status)).status).toBe(401);
      expect((await rawPost(bare, inbound, { 'X-Webhook-Secret': 'nope' })).status).toBe(401);
      expect((await rawPost(statusUrl, status, { 'X-Webhook-Secret': 'nope' })).status).toBe(401); // a wrong one is not excused by a right one
      expect((await rawPost(withSecret(new URL(twoWayUrl).searchParams.get('secret')!), status)).status).toBe(401); // another connection's secret

      expect((await rawPost(statusUrl, '{"message_id":')).status).toBe(400);
      expect((await rawPost(statusUrl, '{"hello":"world"}')).status).toBe(400);
      expect((await rawPost(statusUrl, '{"message_id":"abc","status":1}')).status).toBe(400);
      expect((await rawPost(statusUrl, '{"message_token":1,"phone_number":"972512222299","time":1,"message":{}}')).status).toBe(400);

      expect((await rawPost(withConnectionId(statusUrl, conn.id, randomUUID()), status)).status).toBe(404);
      expect((await rawPost(statusUrl.replace('/webhooks/decisiontelecom/', '/webhooks/infobip/'), status)).status).toBe(404);

      const big = JSON.stringify({ message_token: 7654321, phone_number: '972512222299', time: 2121212121, message: { text: 'x'.repeat(1024 * 1024) } });
      expect((await rawPost(statusUrl, big)).status).toBe(413);

      expect(await callbackRowCounts(app)).toEqual(before);
      expect((await getMessage(app, a.messageId)).status.groupName).not.toBe('DELIVERED');
      expect(await listInbound(app, { from: '+972512222299' })).toEqual([]);
    });
  });

  describe('content types', () => {
    it('rich → 108 (promotional) with image and button', async () => {
      const { phone, request } = await sendVia(dt, {
        scenarioKey: viberOnly,
        viber: { rich: { text: 'Spring sale', imageUrl: 'https://cdn.example.com/sale.jpg', button: { text: 'Join Us', url: 'https://shop.example.com/join-us' } } },
        validityPeriod: { amount: 40, timeUnit: 'SECONDS' },
      });
      expect(request.body).toEqual({
        source_addr: SENDER,
        destination_addr: phone.digits,
        message_type: 108,
        text: 'Spring sale',
        image: 'https://cdn.example.com/sale.jpg',
        button_caption: 'Join Us',
        button_action: 'https://shop.example.com/join-us',
        source_type: 1,
        callback_url: statusUrl,
        validity_period: 40,
      });
    });

    it('rich on a two-way connection → 208', async () => {
      const { request } = await sendVia(dt2, {
        scenarioKey: twoWayViber,
        viber: { rich: { text: 'Sale', imageUrl: 'https://cdn.example.com/s.png', button: { text: 'Go', url: 'https://shop.example.com' } } },
      });
      expect(request.body).toMatchObject({ message_type: 208, source_type: 1, image: 'https://cdn.example.com/s.png', button_caption: 'Go' });
    });

    it('text → 106 (transactional) without text_sms (SMS failover is our own step)', async () => {
      const { request } = await sendVia(dt, viberText('Just text'));
      expect(request.body).toMatchObject({ message_type: 106, source_type: 2, text: 'Just text' });
      expect(request.body).not.toHaveProperty('text_sms');
    });

    const unsupported: Array<[string, ViberContentInput]> = [
      ['image', { image: { url: 'https://cdn.example.com/i.jpg' } }],
      ['video', { video: { url: 'https://cdn.example.com/v.mp4', sizeBytes: 10, durationSeconds: 5, thumbnailUrl: 'https://cdn.example.com/v.jpg' } }],
      ['file', { file: { url: 'https://cdn.example.com/f.pdf', sizeBytes: 10, fileName: 'f.pdf' } }],
      ['carousel', { carousel: { items: [{ title: 'A', imageUrl: 'https://cdn.example.com/a.jpg', buttonText: 'Buy', buttonUrl: 'https://shop.example.com/a' }] } }],
      ['location', { location: { latitude: 50.45, longitude: 30.52 } }],
      ['contact', { contact: { name: 'Support', phoneNumber: '+380636111112' } }],
      ['sticker', { sticker: { stickerId: 40133 } }],
      ['url', { url: { url: 'https://shop.example.com' } }],
    ];

    it.each(unsupported)('%s is refused at accept, naming the field and DecisionTelecom', async (key, content) => {
      const before = dt.requests.filter((r) => r.path.startsWith('/v1/api/send-')).length;
      const errors = await sendInvalid(app, { scenarioKey: viberOnly, destinations: [{ to: { phoneNumber: nextPhone().e164 } }], viber: content });
      expect(errors).toEqual([{ path: ['input', 'viber', key], message: expect.stringContaining('DecisionTelecom') }]);
      await sleep(200);
      expect(dt.requests.filter((r) => r.path.startsWith('/v1/api/send-')).length).toBe(before);
    });
  });

  describe('DecisionTelecom limits refuse at accept, naming field, limit and provider', () => {
    async function refused(input: Omit<SendMessageInput, 'destinations'>) {
      const before = dt.requests.filter((r) => r.path.startsWith('/v1/api/send-')).length;
      const errors = await sendInvalid(app, { ...input, destinations: [{ to: { phoneNumber: nextPhone().e164 } }] });
      await sleep(200);
      expect(dt.requests.filter((r) => r.path.startsWith('/v1/api/send-')).length).toBe(before);
      return errors;
    }

    it('button caption of 31 characters', async () => {
      const errors = await refused({
        scenarioKey: viberOnly,
        viber: { rich: { text: 'Sale', imageUrl: 'https://cdn.example.com/s.jpg', button: { text: 'c'.repeat(31), url: 'https://shop.example.com' } } },
      });
      expect(errors).toEqual([{ path: ['input', 'viber', 'rich', 'button', 'text'], message: expect.stringMatching(/30.*DecisionTelecom/) }]);
    });

    it('a button caption of 30 characters is sent whole', async () => {
      const { request } = await sendVia(dt, {
        scenarioKey: viberOnly,
        viber: { rich: { text: 'Sale', imageUrl: 'https://cdn.example.com/s.jpg', button: { text: 'd'.repeat(30), url: 'https://shop.example.com' } } },
      });
      expect((request.body as { button_caption: string }).button_caption).toHaveLength(30);
    });

    it('text of 1001 characters', async () => {
      const errors = await refused(viberText('t'.repeat(1001)));
      expect(errors).toEqual([{ path: ['input', 'viber', 'text', 'text'], message: expect.stringMatching(/1000.*DecisionTelecom/) }]);
    });

    it('a rich image that is not a .jpg/.png URL', async () => {
      const errors = await refused({
        scenarioKey: viberOnly,
        viber: { rich: { text: 'Sale', imageUrl: 'https://cdn.example.com/s.gif', button: { text: 'Go', url: 'https://shop.example.com' } } },
      });
      expect(errors).toEqual([{ path: ['input', 'viber', 'rich', 'imageUrl'], message: expect.stringContaining('DecisionTelecom') }]);
    });

    it('a sender (source_addr) of 21 characters', async () => {
      const errors = await refused({ ...viberText('hi'), from: 's'.repeat(21) });
      expect(errors).toEqual([{ path: ['input', 'from'], message: expect.stringMatching(/20.*DecisionTelecom/) }]);
    });
  });
});
