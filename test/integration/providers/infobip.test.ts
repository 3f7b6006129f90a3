/**
 * Infobip (Viber Business Messages `/viber/2/messages` and SMS `/sms/3/messages`) end to end: the real
 * service configured through GraphQL, the fake Infobip API (test/fakes/infobip.ts), and Infobip's
 * callbacks posted to the webhook URLs the connection shows, with the Authorization it tells us to
 * configure. Wire facts: docs/providers.md, Infobip.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SendMessageInput, ViberContentInput } from '../../generated/graphql.js';
import { FakeInfobip, INFOBIP_ERROR, INFOBIP_STATUS, deliveryReport, type InfobipInboundViberMessage, type InfobipSentMessage } from '../../fakes/infobip.js';
import type { RecordedRequest } from '../../fakes/fake-server.js';
import {
  attemptIdOf,
  callbackRowCounts,
  configureConnection,
  createScenario,
  getMessage,
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

const API_KEY = 'ib-e2e-api-key-fedcba9876543210';
const VIBER_SENDER = 'InfoShop';
const SMS_SENDER = 'InfoSMS';

describe('Infobip provider, end to end', () => {
  let app: ProviderApp;
  const infobip = new FakeInfobip({ apiKey: API_KEY });
  let conn: Connection;
  let urls: { delivery: string; seen: string; inbound: string };
  let auth: Record<string, string>;
  let viberOnly: string;
  let smsOnly: string;
  let viberThenSms: string;
  let phoneSeq = 0;

  /** A fresh number per send, so fake scripts and request filters never cross between tests. */
  const nextPhone = () => {
    phoneSeq += 1;
    const digits = `4179302${String(6000 + phoneSeq).padStart(4, '0')}`;
    return { e164: `+${digits}`, digits };
  };

  beforeAll(async () => {
    await infobip.start();
    app = await startProviderApp();
    conn = await configureConnection(app, {
      name: 'Infobip',
      type: 'INFOBIP',
      baseUrl: infobip.baseUrl,
      credentials: { apiKey: API_KEY },
      channels: ['VIBER', 'SMS'],
    });
    urls = {
      delivery: webhookUrl(conn, 'DELIVERY_REPORTS'),
      seen: webhookUrl(conn, 'SEEN_REPORTS'),
      inbound: webhookUrl(conn, 'INBOUND_MESSAGES'),
    };
    auth = { Authorization: conn.callbackAuthorization! };
    viberOnly = await createScenario(app, 'Infobip Viber', [{ channel: 'VIBER', from: VIBER_SENDER, connectionId: conn.id }]);
    smsOnly = await createScenario(app, 'Infobip SMS', [{ channel: 'SMS', from: SMS_SENDER, connectionId: conn.id }]);
    viberThenSms = await createScenario(app, 'Infobip Viber then SMS', [
      { channel: 'VIBER', from: VIBER_SENDER, connectionId: conn.id },
      { channel: 'SMS', from: SMS_SENDER, connectionId: conn.id },
    ]);
  });

  afterEach(() => infobip.assertNoViolations());

  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await infobip.stop();
  });

  const requestsTo = (digits: string) => (r: RecordedRequest) => JSON.stringify(r.body ?? {}).includes(`"to":"${digits}"`);

  async function sendVia(input: Omit<SendMessageInput, 'destinations'>, phone = nextPhone()) {
    const messageId = `ib-${randomUUID()}`;
    const [accepted] = await send(app, { ...input, destinations: [{ messageId, to: { phoneNumber: phone.e164 } }] });
    expect(accepted).toMatchObject({ messageId, to: phone.e164 });
    const [request] = await infobip.waitForRequests(1, 10_000, requestsTo(phone.digits));
    const attemptId = await attemptIdOf(app, messageId);
    return { messageId, phone, attemptId, request: request! };
  }

  async function sendAccepted(input: Omit<SendMessageInput, 'destinations'> = { scenarioKey: viberOnly, viber: { text: { text: 'Hello' } } }) {
    const sent = await sendVia(input);
    const { providerMessageId } = await waitForAccepted(app, sent.messageId);
    const fakeSent = infobip.sent.find((s) => s.messageId === sent.attemptId) as InfobipSentMessage;
    expect(fakeSent).toBeDefined();
    return { ...sent, providerMessageId, fakeSent };
  }

  const viberMessage = (body: unknown) => (body as { messages: Array<Record<string, unknown>> }).messages[0]!;

  describe('configuration and the wire', () => {
    it('shows delivery, seen and inbound webhook URLs on this service and the Authorization to configure on them', () => {
      const base = `${app.url}/webhooks/infobip/${conn.id}`;
      expect(conn.webhookUrls).toEqual([
        { purpose: 'DELIVERY_REPORTS', url: `${base}/delivery` },
        { purpose: 'SEEN_REPORTS', url: `${base}/seen` },
        { purpose: 'INBOUND_MESSAGES', url: `${base}/inbound` },
      ]);
      expect(conn).toMatchObject({ type: 'INFOBIP', baseUrl: infobip.baseUrl, channels: ['VIBER', 'SMS'], hasCredentials: true });
      expect(conn.callbackAuthorization).toMatch(/^App \S{16,}$/);
      expect(conn.callbackAuthorization).not.toContain(API_KEY);
    });

    it('sends Viber text to /viber/2/messages with App auth, digits without +, our attempt id as messageId and our delivery URL', async () => {
      const { messageId, phone, attemptId, request } = await sendVia({
        scenarioKey: viberOnly,
        viber: { text: { text: 'Your parcel is on its way' } },
        validityPeriod: { amount: 30, timeUnit: 'MINUTES' },
        callbackData: 'order-42',
      });
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/viber/2/messages');
      expect(request.headers.authorization).toBe(`App ${API_KEY}`);
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(request.body).toEqual({
        messages: [
          {
            sender: VIBER_SENDER,
            destinations: [{ to: phone.digits, messageId: attemptId }],
            content: { type: 'TEXT', text: 'Your parcel is on its way' },
            options: { label: 'TRANSACTIONAL', validityPeriod: { amount: 30, timeUnit: 'MINUTES' } },
            webhooks: { delivery: { url: urls.delivery }, callbackData: 'order-42' },
          },
        ],
      });
      const { attempt } = await waitForAccepted(app, messageId);
      expect(attempt).toMatchObject({ provider: 'INFOBIP', channel: 'VIBER', providerMessageId: attemptId, status: { name: 'PENDING_ENROUTE' } });
      expect(infobip.violations).toEqual([]);
    });

    it('sends SMS to /sms/3/messages in the v3 shape', async () => {
      const { messageId, phone, attemptId, request } = await sendVia({ scenarioKey: smsOnly, sms: { text: 'Code 1234' } });
      expect(request.path).toBe('/sms/3/messages');
      expect(request.headers.authorization).toBe(`App ${API_KEY}`);
      expect(request.body).toEqual({
        messages: [
          {
            sender: SMS_SENDER,
            destinations: [{ to: phone.digits, messageId: attemptId }],
            content: { text: 'Code 1234' },
            options: { validityPeriod: { amount: 48, timeUnit: 'HOURS' } },
            webhooks: { delivery: { url: urls.delivery } },
          },
        ],
      });
      const { attempt } = await waitForAccepted(app, messageId);
      expect(attempt).toMatchObject({ provider: 'INFOBIP', channel: 'SMS', providerMessageId: attemptId, messageCount: 1 });
    });

    it('a Viber refusal in the send response (REJECTED_DESTINATION_NOT_REGISTERED) fails over to SMS on the same connection', async () => {
      const phone = nextPhone();
      infobip.scriptOnce(phone.digits, 'reject');
      const sent = await sendVia({ scenarioKey: viberThenSms, viber: { text: { text: 'Viber first' } }, sms: { text: 'Then SMS' } }, phone);
      const [, sms] = await infobip.waitForRequests(2, 10_000, requestsTo(phone.digits));
      expect(sms!.path).toBe('/sms/3/messages');
      const m = await waitForMessage(app, sent.messageId, (x) => x.attempts.length === 2 && Boolean(x.attempts[1]!.providerMessageId));
      expect(m.attempts.map((a) => `${a.channel}:${a.status.name}`)).toEqual(['VIBER:REJECTED_DESTINATION_NOT_REGISTERED', 'SMS:PENDING_ENROUTE']);
      expect(viberMessage(sms!.body)).toMatchObject({ destinations: [{ to: phone.digits, messageId: m.attempts[1]!.attemptId }], content: { text: 'Then SMS' } });
    });
  });

  describe('delivery reports', () => {
    it('a delivery report on the shown delivery URL reaches messageStatusChanged and the message', async () => {
      const a = await sendAccepted();
      const live = await liveStatus(app, { messageId: a.messageId });
      try {
        // The fake posts to the delivery URL our request carried.
        expect(a.fakeSent.deliveryUrl).toBe(urls.delivery);
        const res = await infobip.deliver(a.fakeSent, { doneAt: '2026-01-02T03:04:05.678+0000' }, { headers: auth });
        expect(res.status).toBe(200);
        const events = await live.sub.until((evs) => evs.some((e) => e.messageStatusChanged.message.status.groupName === 'DELIVERED'));
        const ev = events.map((e) => e.messageStatusChanged).find((e) => e.message.status.groupName === 'DELIVERED')!;
        expect(ev.attempt).toMatchObject({ provider: 'INFOBIP', attemptId: a.attemptId, status: { name: 'DELIVERED_TO_HANDSET' } });
        const m = await getMessage(app, a.messageId);
        expect(m).toMatchObject({ channel: 'VIBER', status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET' }, doneAt: '2026-01-02T03:04:05.678Z' });
        expect(m.attempts).toHaveLength(1);
        expect(m.attempts[0]).toMatchObject({ provider: 'INFOBIP', channel: 'VIBER', status: { name: 'DELIVERED_TO_HANDSET' }, doneAt: '2026-01-02T03:04:05.678Z' });
      } finally {
        await live.close();
      }
    });

    it('takes the documented delivery report (v3 and v2 field names, +0000 offsets) for our message id', async () => {
      const a = await sendAccepted({ scenarioKey: smsOnly, sms: { text: 'v3 report' } });
      // Infobip's documented example, verbatim but for the ids
      const documented = `{"results":[{"bulkId":"BULK-1","messageId":"${a.attemptId}","to":"${a.phone.digits}","sender":"InfoSMS","sentAt":"2019-11-09T16:00:00.000+0000","doneAt":"2019-11-09T16:00:00.000+0000","messageCount":1,"mccMnc":"22801","callbackData":"x","price":{"pricePerMessage":0.01,"currency":"EUR"},"status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET","description":"Message delivered to handset"},"error":{"groupId":0,"groupName":"OK","id":0,"name":"NO_ERROR","description":"No Error","permanent":false},"channel":"SMS"}]}`;
      expect((await rawPost(urls.delivery, documented, auth)).status).toBe(200);
      expect(await getMessage(app, a.messageId)).toMatchObject({ channel: 'SMS', status: { name: 'DELIVERED_TO_HANDSET' }, doneAt: '2019-11-09T16:00:00.000Z' });

      const b = await sendAccepted({ scenarioKey: smsOnly, sms: { text: 'v2 report' } });
      const v2 = deliveryReport({
        messageId: b.attemptId,
        to: b.phone.digits,
        sender: SMS_SENDER,
        format: 'v2',
        doneAt: '2019-11-09T17:30:00.000+0100',
        status: INFOBIP_STATUS.UNDELIVERABLE_NOT_DELIVERED,
        error: INFOBIP_ERROR.EC_UNKNOWN_SUBSCRIBER,
      });
      expect(v2).toHaveProperty('from');
      expect(v2).toHaveProperty('smsCount');
      expect((await infobip.postDeliveryReports(urls.delivery, [v2], { headers: auth })).status).toBe(200);
      const mb = await getMessage(app, b.messageId);
      expect(mb).toMatchObject({
        status: { groupName: 'UNDELIVERABLE', name: 'UNDELIVERABLE_NOT_DELIVERED' },
        error: { name: 'EC_UNKNOWN_SUBSCRIBER', permanent: true },
        doneAt: '2019-11-09T16:30:00.000Z',
      });
    });

    it('a late PENDING report after DELIVERED changes nothing (status stays DELIVERED, no status event)', async () => {
      const a = await sendAccepted();
      expect((await infobip.deliver(a.fakeSent, {}, { headers: auth })).status).toBe(200);
      await waitForMessage(app, a.messageId, (m) => m.status.groupName === 'DELIVERED');
      const counts = await callbackRowCounts(app);
      for (const status of [INFOBIP_STATUS.PENDING_WAITING_DELIVERY, INFOBIP_STATUS.PENDING_ENROUTE, INFOBIP_STATUS.UNDELIVERABLE_NOT_DELIVERED]) {
        expect((await infobip.deliver(a.fakeSent, { status }, { headers: auth })).status).toBe(200);
      }
      const m = await getMessage(app, a.messageId);
      expect(m.status).toMatchObject({ groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' });
      expect(m.attempts.map((x) => x.status.name)).toEqual(['DELIVERED_TO_HANDSET']);
      expect(await callbackRowCounts(app)).toEqual(counts);
    });

    it('a DELIVERED report that overtakes the send answer stands; the late answer only fills in the send facts', async () => {
      const phone = nextPhone();
      infobip.scriptOnce(phone.digits, { hangMs: 1500 });
      const messageId = `ib-race-${randomUUID()}`;
      await send(app, { scenarioKey: viberOnly, viber: { text: { text: 'Race' } }, destinations: [{ messageId, to: { phoneNumber: phone.e164 } }] });
      await infobip.waitForRequests(1, 10_000, requestsTo(phone.digits));
      const attemptId = await attemptIdOf(app, messageId);
      // The fake counts a held message as sent already.
      const held = infobip.sent.find((s) => s.messageId === attemptId)!;
      expect((await infobip.deliver(held, {}, { headers: auth })).status).toBe(200);
      await waitForMessage(app, messageId, (m) => m.status.groupName === 'DELIVERED');
      const m = await waitForMessage(app, messageId, (x) => x.attempts[0]!.sentAt !== null && x.attempts[0]!.providerMessageId !== null, 10_000);
      expect(m.status.name).toBe('DELIVERED_TO_HANDSET');
      expect(m.attempts[0]).toMatchObject({ status: { name: 'DELIVERED_TO_HANDSET' }, providerMessageId: attemptId });
      await sleep(300);
      expect((await getMessage(app, messageId)).status.name).toBe('DELIVERED_TO_HANDSET');
    });

    it('a non-final PENDING report before the final one is recorded, and DELIVERED still ends the message', async () => {
      const a = await sendAccepted();
      expect((await infobip.deliver(a.fakeSent, { status: INFOBIP_STATUS.PENDING_WAITING_DELIVERY }, { headers: auth })).status).toBe(200);
      await waitForMessage(app, a.messageId, (m) => m.status.name === 'PENDING_WAITING_DELIVERY');
      expect((await infobip.deliver(a.fakeSent, {}, { headers: auth })).status).toBe(200);
      await waitForMessage(app, a.messageId, (m) => m.status.name === 'DELIVERED_TO_HANDSET');
    });

    it('takes the documented seen report and sets seenAt', async () => {
      const a = await sendAccepted();
      const seen = `{"results":[{"messageId":"${a.attemptId}","from":"${VIBER_SENDER}","to":"${a.phone.digits}","sentAt":"2026-03-01T10:00:00.000+0000","seenAt":"2026-03-01T10:05:06.789+0000"}]}`;
      const live = await liveStatus(app, { messageId: a.messageId });
      try {
        expect((await rawPost(urls.seen, seen, auth)).status).toBe(200);
        await live.sub.until((evs) => evs.some((e) => e.messageStatusChanged.message.seenAt !== null));
      } finally {
        await live.close();
      }
      const m = await getMessage(app, a.messageId);
      expect(m.seenAt).toBe('2026-03-01T10:05:06.789Z');
      expect(m.attempts[0]!.seenAt).toBe('2026-03-01T10:05:06.789Z');
      // The fake's helper builds the same shape; a repeat changes nothing.
      const again = await infobip.postSeenReports(urls.seen, [{ messageId: a.attemptId, from: VIBER_SENDER, to: a.phone.digits }], { headers: auth });
      expect(again.status).toBe(200);
      expect((await getMessage(app, a.messageId)).seenAt).toBe('2026-03-01T10:05:06.789Z');
    });
  });

  describe('two-way', () => {
    it('an inbound Viber reply with pairedMessageId arrives live and in inboundMessages, paired, and a retry is stored once', async () => {
      const a = await sendAccepted();
      const live = await liveInbound(app, { from: a.phone.e164 });
      try {
        const moId = `MO-${randomUUID()}`;
        const reply = () =>
          infobip.postInboundViber(
            urls.inbound,
            [
              {
                sender: a.phone.digits,
                to: VIBER_SENDER,
                messageId: moId,
                pairedMessageId: a.attemptId,
                receivedAt: '2026-03-01T11:00:00.000+0000',
                message: { type: 'TEXT', text: 'Thanks!' },
              },
            ],
            { headers: auth },
          );
        const first = await reply();
        const second = await reply();
        expect([first.status, second.status]).toEqual([200, 200]);
        expect(first.rawBody).toBe(second.rawBody);

        const expected = {
          id: moId,
          provider: 'INFOBIP',
          channel: 'VIBER',
          from: a.phone.e164,
          to: VIBER_SENDER,
          receivedAt: '2026-03-01T11:00:00.000Z',
          pairedMessageId: a.messageId,
          content: { type: 'TEXT', text: 'Thanks!' },
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

    it('takes the documented inbound Viber shape with a FILE message', async () => {
      const a = await sendAccepted();
      const moId = `MO-${randomUUID()}`;
      const documented = `{"results":[{"sender":"${a.phone.digits}","to":"${VIBER_SENDER}","integrationType":"VIBER","receivedAt":"2026-03-02T08:00:00.000+0000","messageId":"${moId}","pairedMessageId":"${a.attemptId}","callbackData":"cb","message":{"type":"FILE","url":"https://files.example.com/scan.pdf","fileName":"scan.pdf"},"price":{"pricePerMessage":0,"currency":"EUR"}}]}`;
      expect((await rawPost(urls.inbound, documented, auth)).status).toBe(200);
      const [stored] = await listInbound(app, { from: a.phone.e164 });
      expect(stored).toMatchObject({
        id: moId,
        channel: 'VIBER',
        pairedMessageId: a.messageId,
        content: { type: 'FILE', url: 'https://files.example.com/scan.pdf', fileName: 'scan.pdf' },
      });
    });

    const mediaCases: Array<[string, InfobipInboundViberMessage, Record<string, unknown>]> = [
      ['IMAGE', { type: 'IMAGE', url: 'https://files.example.com/p.jpg', caption: 'look' }, { type: 'IMAGE', url: 'https://files.example.com/p.jpg', text: 'look' }],
      ['VIDEO', { type: 'VIDEO', url: 'https://files.example.com/v.mp4' }, { type: 'VIDEO', url: 'https://files.example.com/v.mp4' }],
      ['AUDIO', { type: 'AUDIO', url: 'https://files.example.com/a.m4a' }, { type: 'AUDIO', url: 'https://files.example.com/a.m4a' }],
      ['LOCATION', { type: 'LOCATION', latitude: 45.815, longitude: 15.9819 }, { type: 'LOCATION', latitude: 45.815, longitude: 15.9819 }],
      ['CONTACT', { type: 'CONTACT', name: 'Ana', phoneNumber: '385916242400' }, { type: 'CONTACT', name: 'Ana', phoneNumber: '385916242400' }],
    ];

    it.each(mediaCases)('an inbound Viber %s is stored with its content', async (_name, message, content) => {
      const phone = nextPhone();
      const moId = `MO-${randomUUID()}`;
      const res = await infobip.postInboundViber(urls.inbound, [{ sender: phone.digits, to: VIBER_SENDER, messageId: moId, message }], { headers: auth });
      expect(res.status).toBe(200);
      const [stored] = await listInbound(app, { from: phone.e164 });
      expect(stored).toMatchObject({ id: moId, channel: 'VIBER', pairedMessageId: null, content });
    });

    it('an inbound SMS (documented shape) arrives live and in inboundMessages once, unpaired', async () => {
      const live = await liveInbound(app, { channel: 'SMS' });
      try {
        const moId = `MO-SMS-${randomUUID()}`;
        // Infobip's documented example, verbatim but for the id
        const documented = `{"results":[{"messageId":"${moId}","from":"385916242493","to":"385921004026","text":"KEYWORD Hello","cleanText":"Hello","keyword":"KEYWORD","receivedAt":"2016-10-06T09:28:39.220+0000","smsCount":1,"price":{"pricePerMessage":0,"currency":"EUR"}}],"messageCount":1,"pendingMessageCount":0}`;
        expect((await rawPost(urls.inbound, documented, auth)).status).toBe(200);
        expect((await rawPost(urls.inbound, documented, auth)).status).toBe(200);
        const expected = {
          id: moId,
          provider: 'INFOBIP',
          channel: 'SMS',
          from: '+385916242493',
          to: '385921004026',
          receivedAt: '2016-10-06T09:28:39.220Z',
          pairedMessageId: null,
          content: { type: 'TEXT', text: 'KEYWORD Hello' },
        };
        const events = await live.sub.until((evs) => evs.length >= 1);
        expect(events[0]!.inboundMessageReceived).toMatchObject(expected);
        await sleep(500);
        expect(live.sub.events).toHaveLength(1);
        const stored = await listInbound(app, { channel: 'SMS', from: '385916242493' });
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject(expected);

        // The fake's own inbound SMS builder gives the same shape.
        const viaFake = await infobip.postInboundSms(urls.inbound, [{ from: '385916242494', to: '385921004026', text: 'Second' }], { headers: auth });
        expect(viaFake.status).toBe(200);
        await live.sub.until((evs) => evs.length >= 2);
        expect(live.sub.events[1]!.inboundMessageReceived).toMatchObject({ channel: 'SMS', from: '+385916242494', content: { text: 'Second' } });
      } finally {
        await live.close();
      }
    });
  });

  describe('refused callbacks store nothing', () => {
    it('401 for a wrong or missing secret, 400 for a malformed body, 404 for an unknown connection, 413 over 1 MiB, 503 for an unknown message', async () => {
      const a = await sendAccepted();
      const before = await callbackRowCounts(app);
      const dlr = JSON.stringify({ results: [infobip.deliveryReportFor(a.fakeSent)] });
      const inboundSms = JSON.stringify({ results: [{ messageId: 'MO-forged', from: '385916242499', to: '385921004026', text: 'forged', receivedAt: '2026-01-01T00:00:00.000+0000' }] });
      const secret = conn.callbackAuthorization!.replace(/^App /, '');

      // Wrong secret, in either accepted header, or none at all.
      expect((await rawPost(urls.delivery, dlr, { Authorization: `App ${secret}x` })).status).toBe(401);
      expect((await rawPost(urls.delivery, dlr, { Authorization: `App ${API_KEY}` })).status).toBe(401);
      expect((await rawPost(urls.inbound, inboundSms, { 'X-Webhook-Secret': 'not-the-secret' })).status).toBe(401);
      expect((await rawPost(urls.seen, dlr, {})).status).toBe(401);
      expect((await rawPost(urls.inbound, inboundSms, {})).status).toBe(401);

      // Malformed, with the right secret.
      expect((await rawPost(urls.delivery, '{"results":[{"messageId":', auth)).status).toBe(400);
      expect((await rawPost(urls.delivery, '{"reports":[]}', auth)).status).toBe(400);
      expect((await rawPost(urls.delivery, JSON.stringify({ results: [{ messageId: a.attemptId, status: 'DELIVERED' }] }), auth)).status).toBe(400);
      expect((await rawPost(urls.inbound, JSON.stringify({ results: [{ messageId: 'MO-x', from: 'not a number', to: '1', text: 'x', receivedAt: '2026-01-01T00:00:00.000+0000' }] }), auth)).status).toBe(400);
      expect((await rawPost(urls.inbound.replace('/inbound', '/elsewhere'), inboundSms, auth)).status).toBe(400);

      // Unknown connection.
      expect((await rawPost(withConnectionId(urls.delivery, conn.id, randomUUID()), dlr, auth)).status).toBe(404);
      expect((await rawPost(withConnectionId(urls.delivery, conn.id, 'nope'), dlr, auth)).status).toBe(404);
      expect((await rawPost(urls.delivery.replace('/webhooks/infobip/', '/webhooks/viber/'), dlr, auth)).status).toBe(404);

      // Over 1 MiB.
      const big = JSON.stringify({ results: [{ ...infobip.deliveryReportFor(a.fakeSent), callbackData: 'x'.repeat(1024 * 1024) }] });
      expect((await rawPost(urls.delivery, big, auth)).status).toBe(413);

      // A callback naming a message we do not have: Infobip is asked to retry later, and nothing of it is
      // kept, not even the report before it for a message we do have (one transaction per callback).
      const knownThenUnknown = JSON.stringify({
        results: [
          infobip.deliveryReportFor(a.fakeSent),
          deliveryReport({ messageId: randomUUID(), to: a.phone.digits }),
        ],
      });
      const unknown = await rawPost(urls.delivery, knownThenUnknown, auth);
      expect(unknown.status).toBe(503);

      expect(await callbackRowCounts(app)).toEqual(before);
      expect((await getMessage(app, a.messageId)).status.name).toBe('PENDING_ENROUTE');
      expect(await listInbound(app, { from: '385916242499' })).toEqual([]);
    });
  });

  describe('content types on the wire', () => {
    const wireCases: Array<[string, ViberContentInput, Record<string, unknown>, string]> = [
      ['text', { text: { text: 'Plain text' } }, { type: 'TEXT', text: 'Plain text' }, 'TRANSACTIONAL'],
      [
        'image',
        { image: { url: 'https://cdn.example.com/i.png', text: 'Caption' } },
        { type: 'IMAGE', mediaUrl: 'https://cdn.example.com/i.png', text: 'Caption' },
        'TRANSACTIONAL',
      ],
      [
        'video',
        { video: { url: 'https://cdn.example.com/v.mp4', sizeBytes: 5_000_000, durationSeconds: 45, thumbnailUrl: 'https://cdn.example.com/v.jpg', text: 'Clip' } },
        { type: 'VIDEO', mediaUrl: 'https://cdn.example.com/v.mp4', thumbnailUrl: 'https://cdn.example.com/v.jpg', mediaDuration: 45, text: 'Clip' },
        'TRANSACTIONAL',
      ],
      [
        'file',
        { file: { url: 'https://cdn.example.com/invoice.pdf', sizeBytes: 2048, fileName: 'invoice.pdf' } },
        { type: 'FILE', mediaUrl: 'https://cdn.example.com/invoice.pdf', filename: 'invoice.pdf' },
        'TRANSACTIONAL',
      ],
      [
        'rich',
        { rich: { text: 'Spring sale', imageUrl: 'https://cdn.example.com/sale.jpg', button: { text: 'Shop now', url: 'https://shop.example.com/sale' } } },
        { type: 'IMAGE', mediaUrl: 'https://cdn.example.com/sale.jpg', text: 'Spring sale', button: { title: 'Shop now', action: 'https://shop.example.com/sale' } },
        'PROMOTIONAL',
      ],
    ];

    it.each(wireCases)('%s', async (_name, content, wireContent, label) => {
      const { phone, attemptId, request } = await sendVia({ scenarioKey: viberOnly, viber: content });
      expect(request.path).toBe('/viber/2/messages');
      const msg = viberMessage(request.body);
      expect(msg).toMatchObject({
        sender: VIBER_SENDER,
        destinations: [{ to: phone.digits, messageId: attemptId }],
        options: { label },
        webhooks: { delivery: { url: urls.delivery } },
      });
      expect(msg.content).toMatchObject(wireContent);
      expect(infobip.violations).toEqual([]);
    });

    it('carousel', async () => {
      const items = [
        { title: 'Red shoe', imageUrl: 'https://cdn.example.com/red.jpg', buttonText: 'Buy red', buttonUrl: 'https://shop.example.com/red' },
        { title: 'Blue shoe', imageUrl: 'https://cdn.example.com/blue.jpg', buttonText: 'Buy blue', buttonUrl: 'https://shop.example.com/blue' },
      ];
      const { request } = await sendVia({ scenarioKey: viberOnly, viber: { carousel: { altText: 'Our shoes', items } } });
      const msg = viberMessage(request.body);
      expect(msg.content).toEqual({
        type: 'CAROUSEL',
        text: 'Our shoes',
        cards: items.map((i) => ({ text: i.title, mediaUrl: i.imageUrl, buttons: [{ title: i.buttonText, action: i.buttonUrl }] })),
      });
      expect(msg.options).toMatchObject({ label: 'PROMOTIONAL' });
    });

    const unsupported: Array<[string, ViberContentInput]> = [
      ['location', { location: { latitude: 45.8, longitude: 15.97 } }],
      ['contact', { contact: { name: 'Support', phoneNumber: '+385916242493' } }],
      ['sticker', { sticker: { stickerId: 40133 } }],
      ['url', { url: { url: 'https://shop.example.com' } }],
    ];

    it.each(unsupported)('%s is refused at accept, naming the field and Infobip', async (key, content) => {
      const before = infobip.requests.length;
      const errors = await sendInvalid(app, { scenarioKey: viberOnly, destinations: [{ to: { phoneNumber: nextPhone().e164 } }], viber: content });
      expect(errors).toEqual([{ path: ['input', 'viber', key], message: expect.stringContaining('Infobip') }]);
      await sleep(200);
      expect(infobip.requests.length).toBe(before);
    });
  });

  describe('Infobip limits refuse at accept, naming field, limit and provider', () => {
    async function refused(content: ViberContentInput) {
      const before = infobip.requests.length;
      const errors = await sendInvalid(app, { scenarioKey: viberOnly, destinations: [{ to: { phoneNumber: nextPhone().e164 } }], viber: content });
      await sleep(200);
      expect(infobip.requests.length).toBe(before);
      return errors;
    }

    it('text of 1001 characters', async () => {
      const errors = await refused({ text: { text: 't'.repeat(1001) } });
      expect(errors).toEqual([{ path: ['input', 'viber', 'text', 'text'], message: expect.stringMatching(/1000.*Infobip/) }]);
    });

    it('a text of 1000 characters is sent whole', async () => {
      const { request } = await sendVia({ scenarioKey: viberOnly, viber: { text: { text: 'u'.repeat(1000) } } });
      expect((viberMessage(request.body).content as { text: string }).text).toHaveLength(1000);
    });

    it('button text of 21 characters', async () => {
      const errors = await refused({
        rich: { text: 'Sale', imageUrl: 'https://cdn.example.com/s.jpg', button: { text: 'b'.repeat(21), url: 'https://shop.example.com' } },
      });
      expect(errors).toEqual([{ path: ['input', 'viber', 'rich', 'button', 'text'], message: expect.stringMatching(/20.*Infobip/) }]);
    });

    it('a video without a thumbnail or duration', async () => {
      const errors = await refused({ video: { url: 'https://cdn.example.com/v.mp4', sizeBytes: 10 } });
      expect(errors).toEqual(
        expect.arrayContaining([
          { path: ['input', 'viber', 'video', 'thumbnailUrl'], message: expect.stringContaining('Infobip') },
          { path: ['input', 'viber', 'video', 'durationSeconds'], message: expect.stringContaining('Infobip') },
        ]),
      );
    });

    it('a carousel with one item', async () => {
      const errors = await refused({
        carousel: { altText: 'One', items: [{ title: 'Only', imageUrl: 'https://cdn.example.com/o.jpg', buttonText: 'Buy', buttonUrl: 'https://shop.example.com/o' }] },
      });
      expect(errors).toEqual([{ path: ['input', 'viber', 'carousel', 'items'], message: expect.stringMatching(/2.*Infobip/) }]);
    });
  });
});
