/**
 * Viber REST Bot API end to end: the real service, configured through GraphQL, talking to the fake
 * Viber bot API (test/fakes/viber-bot.ts) and receiving its signed callbacks on the webhook URL the
 * connection shows. Wire facts: docs/providers.md, Viber bot.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderSetViberWebhook, ProviderViberSubscribers } from '../../documents/providers.js';
import type { ViberContentInput } from '../../generated/graphql.js';
import { FakeInfobip, INFOBIP_STATUS } from '../../fakes/infobip.js';
import { FakeViberBot, viberSignature, type ViberInboundMessage } from '../../fakes/viber-bot.js';
import type { RecordedRequest } from '../../fakes/fake-server.js';
import { query } from '../../support/graphql-client.js';
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

const AUTH_TOKEN = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';
const IB_API_KEY = 'ib-e2e-api-key-0123456789abcdef';
const SENDER = 'Omnishop';
// Viber message tokens exceed 2^53; the fake hands them out from here, so precision loss would show.
const FIRST_TOKEN = 5_000_000_000_000_000_001n;

// Viber's documented callback examples, byte for byte.
const DOC = {
  message:
    '{"event":"message","timestamp":1457764197627,"message_token":4912661846655238145,"sender":{"id":"01234567890A=","name":"John McClane","avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1},"message":{"type":"text","text":"a message to the service","tracking_data":"tracking data"},"silent":false}',
  conversationStarted:
    '{"event":"conversation_started","timestamp":1457764197627,"message_token":4912661846655238145,"type":"open","context":"context information","user":{"id":"01234567890A=","name":"John McClane","avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1},"subscribed":false}',
  subscribed:
    '{"event":"subscribed","timestamp":1457764197627,"user":{"id":"01234567890A=","name":"John McClane","avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1},"message_token":4912661846655238145}',
  unsubscribed: '{"event":"unsubscribed","timestamp":1457764197627,"user_id":"01234567890A=","message_token":4912661846655238145}',
  delivered: '{"event":"delivered","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A="}',
  seen: '{"event":"seen","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A="}',
  failed:
    '{"event":"failed","timestamp":1457764197627,"message_token":4912661846655238145,"user_id":"01234567890A=","desc":"failure description"}',
  webhook: '{"event":"webhook","timestamp":1457764197627,"message_token":241256543215}',
} as const;
const DOC_TIME = iso(1457764197627);
const DOC_TOKEN = '4912661846655238145';
const DOC_USER = '01234567890A=';

/** A documented delivery-type example rewritten to name our message (token, user) at our time. */
function docFor(example: string, token: string, userId: string, timestamp: number): string {
  return example.replace(DOC_TOKEN, token).replace(DOC_USER, userId).replace('1457764197627', String(timestamp));
}

describe('Viber REST Bot API provider, end to end', () => {
  let app: ProviderApp;
  const viber = new FakeViberBot({ authToken: AUTH_TOKEN, firstMessageToken: FIRST_TOKEN });
  const infobip = new FakeInfobip({ apiKey: IB_API_KEY });
  let bot: Connection;
  let ib: Connection;
  let hook: string;
  let viberOnly: string;
  let viberThenSms: string;

  /** POSTs raw bytes to our webhook signed as Viber signs them (HMAC-SHA256 of the body, bot token as key). */
  const postSigned = (raw: string, url = hook) =>
    rawPost(url, raw, { 'X-Viber-Content-Signature': viberSignature(raw, AUTH_TOKEN) });

  beforeAll(async () => {
    await viber.start();
    await infobip.start();
    app = await startProviderApp();
    bot = await configureConnection(app, {
      name: 'Viber bot',
      type: 'VIBER_BOT',
      baseUrl: viber.apiBase,
      credentials: { authToken: AUTH_TOKEN },
      channels: ['VIBER'],
    });
    ib = await configureConnection(app, {
      name: 'Infobip SMS',
      type: 'INFOBIP',
      baseUrl: infobip.baseUrl,
      credentials: { apiKey: IB_API_KEY },
      channels: ['SMS'],
    });
    hook = webhookUrl(bot, 'ALL_EVENTS');
    viberOnly = await createScenario(app, 'Viber bot only', [{ channel: 'VIBER', from: SENDER, connectionId: bot.id }]);
    viberThenSms = await createScenario(app, 'Viber bot then Infobip SMS', [
      { channel: 'VIBER', from: SENDER, connectionId: bot.id },
      { channel: 'SMS', from: SENDER, connectionId: ib.id },
    ]);
  });

  afterEach(() => {
    viber.assertNoViolations();
    infobip.assertNoViolations();
  });

  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await viber.stop();
    await infobip.stop();
  });

  const sendRequestsTo = (receiver: string) => (r: RecordedRequest) =>
    r.path === '/pa/send_message' && (r.body as { receiver?: string } | undefined)?.receiver === receiver;

  /** Sends `viber` content to a fresh subscriber id and returns what went on the wire. */
  async function sendToBot(viberContent: ViberContentInput, receiver = `u-${randomUUID().slice(0, 8)}==`) {
    const messageId = `vb-${randomUUID()}`;
    const [accepted] = await send(app, {
      scenarioKey: viberOnly,
      destinations: [{ messageId, to: { viberUserId: receiver } }],
      viber: viberContent,
    });
    expect(accepted).toMatchObject({ messageId, to: receiver, status: { groupName: 'PENDING' } });
    const [request] = await viber.waitForRequests(1, 10_000, sendRequestsTo(receiver));
    const attemptId = await attemptIdOf(app, messageId);
    return { messageId, receiver, attemptId, request: request! };
  }

  async function sendAccepted(receiver?: string) {
    const sent = await sendToBot({ text: { text: 'Your order has shipped' } }, receiver);
    const { providerMessageId } = await waitForAccepted(app, sent.messageId);
    return { ...sent, token: providerMessageId };
  }

  describe('configuration and the wire', () => {
    it('shows one webhook URL on this service and registers it with set_webhook (Viber verifies it with a signed call first)', async () => {
      expect(bot).toMatchObject({ type: 'VIBER_BOT', baseUrl: viber.apiBase, channels: ['VIBER'], hasCredentials: true, callbackAuthorization: null });
      expect(bot.webhookUrls).toEqual([{ purpose: 'ALL_EVENTS', url: `${app.url}/webhooks/viber/${bot.id}` }]);

      const before = viber.requests.length;
      const data = await query(app.graphqlUrl, ProviderSetViberWebhook, { connectionId: bot.id }, app.apiKey);
      expect(data.setViberWebhook.__typename).toBe('SetViberWebhookSuccess');

      const calls = viber.requests.slice(before);
      expect(calls.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /pa/set_webhook']);
      expect(calls[0]!.headers['x-viber-auth-token']).toBe(AUTH_TOKEN);
      expect(calls[0]!.body).toEqual({
        url: hook,
        event_types: ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started', 'message'],
        send_name: true,
        send_photo: true,
      });
      // The fake only keeps the URL when our webhook answered its signed `webhook` check with HTTP 200.
      expect(viber.webhook).toBe(hook);
    });

    it('sends text with the bot token, the subscriber id, our attempt id as tracking_data, and keeps the big message_token exact', async () => {
      const { messageId, receiver, attemptId, request } = await sendToBot({ text: { text: 'Your order has shipped' } });
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/pa/send_message');
      expect(request.headers['x-viber-auth-token']).toBe(AUTH_TOKEN);
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(request.body).toEqual({
        receiver,
        sender: { name: SENDER },
        tracking_data: attemptId,
        type: 'text',
        text: 'Your order has shipped',
      });
      const sent = viber.sent.find((s) => s.receiver === receiver)!;
      const { attempt } = await waitForAccepted(app, messageId);
      expect(attempt).toMatchObject({ provider: 'VIBER_BOT', channel: 'VIBER', from: SENDER, status: { name: 'PENDING_ENROUTE' } });
      // > 2^53: a plain JSON.parse of the reply would have rounded it.
      expect(BigInt(sent.messageToken)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
      expect(attempt.providerMessageId).toBe(sent.messageToken);
      expect(viber.violations).toEqual([]);
    });

    it('refuses at accept a destination without a viberUserId for a bot step, sending nothing', async () => {
      const before = viber.requests.length;
      const errors = await sendInvalid(app, {
        scenarioKey: viberOnly,
        destinations: [{ to: { phoneNumber: '+41793026727' } }],
        viber: { text: { text: 'hi' } },
      });
      expect(errors).toEqual([
        { path: ['input', 'destinations', '0', 'to', 'viberUserId'], message: expect.stringContaining('VIBER_BOT') },
      ]);
      await sleep(300);
      expect(viber.requests.length).toBe(before);
    });
  });

  describe('status callbacks', () => {
    it('takes a signed `delivered` on the shown webhook URL and reports it over messageStatusChanged', async () => {
      const { messageId, receiver, token } = await sendAccepted();
      const live = await liveStatus(app, { messageId });
      try {
        const at = Date.now() - 1000;
        const res = await viber.callbackDelivered(hook, { messageToken: token, userId: receiver }, { timestamp: at });
        expect(res.status).toBe(200);
        const events = await live.sub.until((evs) => evs.some((e) => e.messageStatusChanged.message.status.groupName === 'DELIVERED'));
        const ev = events.map((e) => e.messageStatusChanged).find((e) => e.message.status.groupName === 'DELIVERED')!;
        expect(ev.message).toMatchObject({ messageId, channel: 'VIBER', status: { name: 'DELIVERED_TO_HANDSET' } });
        expect(ev.attempt).toMatchObject({ provider: 'VIBER_BOT', providerMessageId: token, status: { name: 'DELIVERED_TO_HANDSET' } });

        const m = await getMessage(app, messageId);
        expect(m).toMatchObject({ channel: 'VIBER', toViberUserId: receiver, status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' }, error: { name: 'NO_ERROR' } });
        expect(m.doneAt).toBe(iso(at));
        expect(m.attempts).toHaveLength(1);
        expect(m.attempts[0]).toMatchObject({ step: 1, channel: 'VIBER', provider: 'VIBER_BOT', providerMessageId: token, status: { name: 'DELIVERED_TO_HANDSET' } });
      } finally {
        await live.close();
      }
    });

    it('takes the documented `delivered`, `seen` and `failed` examples (for our token) and the `webhook` check', async () => {
      const a = await sendAccepted();
      const deliveredAt = Date.now() - 2000;
      const seenAt = Date.now() - 1000;
      expect((await postSigned(docFor(DOC.delivered, a.token, a.receiver, deliveredAt))).status).toBe(200);
      expect((await postSigned(docFor(DOC.seen, a.token, a.receiver, seenAt))).status).toBe(200);
      const ma = await getMessage(app, a.messageId);
      expect(ma).toMatchObject({ status: { name: 'DELIVERED_TO_HANDSET' }, seenAt: iso(seenAt), doneAt: iso(deliveredAt) });
      expect(ma.attempts[0]!.seenAt).toBe(iso(seenAt));

      const b = await sendAccepted();
      const failedAt = Date.now() - 500;
      expect((await postSigned(docFor(DOC.failed, b.token, b.receiver, failedAt))).status).toBe(200);
      const mb = await getMessage(app, b.messageId);
      expect(mb).toMatchObject({ channel: 'VIBER', status: { groupName: 'UNDELIVERABLE' }, doneAt: iso(failedAt) });
      expect(mb.error?.description).toContain('failure description');
      expect(mb.attempts[0]).toMatchObject({ provider: 'VIBER_BOT', status: { groupName: 'UNDELIVERABLE' } });

      const counts = await callbackRowCounts(app);
      expect((await postSigned(DOC.webhook)).status).toBe(200);
      expect(await callbackRowCounts(app)).toEqual(counts);
    });

    it('a second `seen` changes nothing (seen fires once)', async () => {
      const a = await sendAccepted();
      const first = Date.now() - 3000;
      expect((await viber.callbackSeen(hook, { messageToken: a.token, userId: a.receiver }, { timestamp: first })).status).toBe(200);
      expect((await viber.callbackSeen(hook, { messageToken: a.token, userId: a.receiver }, { timestamp: Date.now() })).status).toBe(200);
      expect((await getMessage(app, a.messageId)).seenAt).toBe(iso(first));
    });

    it('ignores a late `failed` after `delivered`: the message stays DELIVERED and no status event is stored', async () => {
      const a = await sendAccepted();
      expect((await viber.callbackDelivered(hook, { messageToken: a.token, userId: a.receiver })).status).toBe(200);
      await waitForMessage(app, a.messageId, (m) => m.status.groupName === 'DELIVERED');
      const counts = await callbackRowCounts(app);
      expect((await viber.callbackFailed(hook, { messageToken: a.token, userId: a.receiver, desc: 'too late' })).status).toBe(200);
      expect((await viber.callbackDelivered(hook, { messageToken: a.token, userId: a.receiver })).status).toBe(200);
      const m = await getMessage(app, a.messageId);
      expect(m.status).toMatchObject({ groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' });
      expect(m.attempts.map((x) => x.status.name)).toEqual(['DELIVERED_TO_HANDSET']);
      expect(await callbackRowCounts(app)).toEqual(counts);
    });
  });

  describe('two-way and the subscriber registry', () => {
    it('a reply carrying our tracking_data arrives live and in inboundMessages, paired to our message, stored once', async () => {
      const { messageId, receiver, attemptId } = await sendAccepted();
      const live = await liveInbound(app, { from: receiver });
      try {
        const token = 7_000_000_000_000_000_123n;
        const at = Date.now() - 1500;
        const reply = () =>
          viber.callbackMessage(
            hook,
            { user: { id: receiver, name: 'Jane Roe' }, message: { type: 'text', text: 'Yes, leave it at the door' }, trackingData: attemptId },
            { messageToken: token, timestamp: at },
          );
        const first = await reply();
        const again = await reply();
        expect(first.rawBody).toBe(again.rawBody);
        expect([first.status, again.status]).toEqual([200, 200]);

        const events = await live.sub.until((evs) => evs.length >= 1);
        const expected = {
          id: token.toString(),
          provider: 'VIBER_BOT',
          channel: 'VIBER',
          from: receiver,
          receivedAt: iso(at),
          pairedMessageId: messageId,
          content: { type: 'TEXT', text: 'Yes, leave it at the door' },
        };
        expect(events[0]!.inboundMessageReceived).toMatchObject(expected);
        await sleep(500);
        expect(live.sub.events).toHaveLength(1); // the retried callback is not published again

        const stored = await listInbound(app, { from: receiver });
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject(expected);

        const subs = await query(app.graphqlUrl, ProviderViberSubscribers, { connectionId: bot.id }, app.apiKey);
        expect(subs.viberSubscribers.find((s) => s.userId === receiver)).toMatchObject({ name: 'Jane Roe', subscribed: true, lastSeenAt: iso(at) });
      } finally {
        await live.close();
      }
    });

    const mediaCases: Array<[string, ViberInboundMessage, Record<string, unknown>]> = [
      [
        'picture',
        { type: 'picture', media: 'https://dl.example.com/p.jpg', thumbnail: 'https://dl.example.com/p-t.jpg', text: 'look', file_name: 'p.jpg', size: 1234 },
        { type: 'IMAGE', url: 'https://dl.example.com/p.jpg', text: 'look' },
      ],
      ['video', { type: 'video', media: 'https://dl.example.com/v.mp4', size: 5000, duration: 12 }, { type: 'VIDEO', url: 'https://dl.example.com/v.mp4', sizeBytes: 5000, durationSeconds: 12 }],
      ['file', { type: 'file', media: 'https://dl.example.com/a.pdf', size: 100, file_name: 'a.pdf' }, { type: 'FILE', url: 'https://dl.example.com/a.pdf', fileName: 'a.pdf', sizeBytes: 100 }],
      ['sticker', { type: 'sticker', sticker_id: 46105, media: 'https://dl.example.com/s.png' }, { type: 'STICKER', stickerId: 46105, url: 'https://dl.example.com/s.png' }],
      ['contact', { type: 'contact', contact: { name: 'Jo', phone_number: '+41793026729' } }, { type: 'CONTACT', name: 'Jo', phoneNumber: '+41793026729' }],
      ['location', { type: 'location', location: { lat: 46.2044, lon: 6.1432 } }, { type: 'LOCATION', latitude: 46.2044, longitude: 6.1432 }],
      ['url', { type: 'url', media: 'https://news.example.com/x' }, { type: 'TEXT', text: 'https://news.example.com/x' }],
    ];

    it.each(mediaCases)('an inbound %s (send-side field names) is stored with its content', async (_name, message, content) => {
      const user = { id: `media-${randomUUID().slice(0, 8)}=` };
      const res = await viber.callbackMessage(hook, { user, message });
      expect(res.status).toBe(200);
      const [stored] = await listInbound(app, { from: user.id });
      expect(stored).toMatchObject({ id: res.messageToken, channel: 'VIBER', from: user.id, content });
    });

    it('accepts the ?sig= fallback, tolerates extra fields, and acknowledges unknown events without storing them', async () => {
      const user = { id: `sigq-${randomUUID().slice(0, 6)}=` };
      const viaQuery = await viber.callbackSubscribed(hook, { user }, { signature: 'query', extra: { chat_hostname: 'SN-CHAT-05_' } });
      expect(viaQuery.url).toContain('?sig=');
      expect(viaQuery.status).toBe(200);
      const subs = await query(app.graphqlUrl, ProviderViberSubscribers, { connectionId: bot.id }, app.apiKey);
      expect(subs.viberSubscribers.find((s) => s.userId === user.id)).toMatchObject({ subscribed: true });

      const counts = await callbackRowCounts(app);
      const unknownEvent = await viber.postEvent(hook, { event: 'client_status', timestamp: Date.now(), user_id: user.id });
      expect(unknownEvent.status).toBe(200);
      expect(await callbackRowCounts(app)).toEqual(counts);
    });

    it('takes the documented conversation_started, subscribed, message and unsubscribed examples and keeps the registry', async () => {
      const subscriber = async () => {
        const data = await query(app.graphqlUrl, ProviderViberSubscribers, { connectionId: bot.id }, app.apiKey);
        return data.viberSubscribers.find((s) => s.userId === DOC_USER);
      };
      const profile = { name: 'John McClane', avatar: 'http://avatar.example.com', country: 'UK', language: 'en', apiVersion: 1 };

      expect((await postSigned(DOC.conversationStarted)).status).toBe(200);
      expect(await subscriber()).toMatchObject({ ...profile, subscribed: false, subscribedAt: null, lastSeenAt: DOC_TIME });

      expect((await postSigned(DOC.subscribed)).status).toBe(200);
      expect(await subscriber()).toMatchObject({ ...profile, subscribed: true, subscribedAt: DOC_TIME, unsubscribedAt: null, lastSeenAt: DOC_TIME });

      const inboundBefore = (await callbackRowCounts(app)).inboundMessage;
      expect((await postSigned(DOC.message)).status).toBe(200);
      expect((await postSigned(DOC.message)).status).toBe(200); // Viber retries until it gets 200
      expect((await callbackRowCounts(app)).inboundMessage).toBe(inboundBefore + 1);
      const [stored] = await listInbound(app, { from: DOC_USER });
      expect(stored).toMatchObject({
        id: DOC_TOKEN, // beyond 2^53: parsed from the raw bytes, not rounded
        provider: 'VIBER_BOT',
        channel: 'VIBER',
        from: DOC_USER,
        receivedAt: DOC_TIME,
        pairedMessageId: null, // "tracking data" is not one of our attempt ids
        content: { type: 'TEXT', text: 'a message to the service' },
      });

      expect((await postSigned(DOC.unsubscribed)).status).toBe(200);
      expect(await subscriber()).toMatchObject({ subscribed: false, unsubscribedAt: DOC_TIME, lastSeenAt: DOC_TIME, name: 'John McClane' });
      const onlySubscribed = await query(app.graphqlUrl, ProviderViberSubscribers, { connectionId: bot.id, subscribed: true }, app.apiKey);
      expect(onlySubscribed.viberSubscribers.map((s) => s.userId)).not.toContain(DOC_USER);

      // A later contact moves last seen forward.
      const later = Date.now() - 100;
      expect((await viber.callbackConversationStarted(hook, { user: { id: DOC_USER }, subscribed: false }, { timestamp: later })).status).toBe(200);
      expect((await subscriber())?.lastSeenAt).toBe(iso(later));
    });
  });

  describe('refused callbacks store nothing', () => {
    it('answers 401 to a forged or unsigned callback, 400 to a malformed one, 404 to an unknown connection, 413 to a body over 1 MiB', async () => {
      const a = await sendAccepted();
      const before = await callbackRowCounts(app);
      const user = { id: `forged-${randomUUID().slice(0, 6)}=` };

      // Forged: signed with another key.
      expect((await viber.callbackSubscribed(hook, { user }, { signature: 'wrong' })).status).toBe(401);
      expect((await viber.callbackMessage(hook, { user, message: { type: 'text', text: 'forged' } }, { signature: 'wrong' })).status).toBe(401);
      expect((await viber.callbackDelivered(hook, { messageToken: a.token, userId: a.receiver }, { signature: 'wrong' })).status).toBe(401);
      // Unsigned.
      expect((await viber.callbackMessage(hook, { user, message: { type: 'text', text: 'unsigned' } }, { signature: 'none' })).status).toBe(401);
      expect((await viber.callbackDelivered(hook, { messageToken: a.token, userId: a.receiver }, { signature: 'none' })).status).toBe(401);
      // A right signature over other bytes.
      const body = docFor(DOC.delivered, a.token, a.receiver, Date.now());
      expect((await rawPost(hook, body, { 'X-Viber-Content-Signature': viberSignature(`${body} `, AUTH_TOKEN) })).status).toBe(401);
      // A wrong header is not excused by a right ?sig=.
      expect((await rawPost(`${hook}?sig=${viberSignature(body, AUTH_TOKEN)}`, body, { 'X-Viber-Content-Signature': '0'.repeat(64) })).status).toBe(401);

      // Malformed, though correctly signed.
      expect((await postSigned('{"event":"message","timestamp":1457764197627,')).status).toBe(400);
      expect((await postSigned('[1,2,3]')).status).toBe(400);
      expect((await postSigned('{"timestamp":1457764197627,"message_token":1}')).status).toBe(400);
      expect((await postSigned('{"event":"delivered","timestamp":1457764197627,"user_id":"x"}')).status).toBe(400);

      // Unknown connection: an id that is no connection, one that is not a UUID, and ours under another provider's slug.
      const unknown = withConnectionId(hook, bot.id, randomUUID());
      expect((await postSigned(DOC.subscribed, unknown)).status).toBe(404);
      expect((await postSigned(DOC.subscribed, withConnectionId(hook, bot.id, 'not-a-connection'))).status).toBe(404);
      expect((await postSigned(DOC.subscribed, hook.replace('/webhooks/viber/', '/webhooks/infobip/'))).status).toBe(404);

      // Over 1 MiB, signed and otherwise valid.
      const big = JSON.stringify({ event: 'message', timestamp: Date.now(), message_token: 1, sender: user, message: { type: 'text', text: 'x'.repeat(1024 * 1024) } });
      expect((await postSigned(big)).status).toBe(413);

      expect(await callbackRowCounts(app)).toEqual(before);
      const m = await getMessage(app, a.messageId);
      expect(m.status.name).toBe('PENDING_ENROUTE');
      const subs = await query(app.graphqlUrl, ProviderViberSubscribers, { connectionId: bot.id }, app.apiKey);
      expect(subs.viberSubscribers.map((s) => s.userId)).not.toContain(user.id);
    });
  });

  describe('failover to another provider', () => {
    it('a Viber bot refusal (status 6 receiverNotSubscribed) ends the Viber attempt REJECTED and sends the SMS through Infobip', async () => {
      const receiver = `u-unsub-${randomUUID().slice(0, 6)}=`;
      viber.script(receiver, { status: 6 });
      const messageId = `fo-${randomUUID()}`;
      const live = await liveStatus(app, { messageId });
      try {
        await send(app, {
          scenarioKey: viberThenSms,
          destinations: [{ messageId, to: { viberUserId: receiver, phoneNumber: '+41 79 302 67 27' } }],
          viber: { text: { text: 'Your code is 1234' } },
          sms: { text: 'Your code is 1234 (SMS)' },
          callbackData: 'order-77',
        });
        const [viberRequest] = await viber.waitForRequests(1, 10_000, sendRequestsTo(receiver));
        expect(viberRequest!.body).toMatchObject({ receiver, type: 'text', text: 'Your code is 1234' });

        const [smsRequest] = await infobip.waitForRequests(1, 10_000, (r) =>
          JSON.stringify(r.body ?? {}).includes('"41793026727"'),
        );
        const m1 = await waitForMessage(app, messageId, (m) => m.attempts.length === 2);
        const [viberAttempt, smsAttempt] = m1.attempts;
        expect(viberAttempt).toMatchObject({
          step: 1,
          channel: 'VIBER',
          provider: 'VIBER_BOT',
          status: { groupName: 'REJECTED' },
          error: { name: 'VIBER_RECEIVER_NOT_SUBSCRIBED', permanent: true },
        });
        expect(smsAttempt).toMatchObject({ step: 2, channel: 'SMS', provider: 'INFOBIP' });

        expect(smsRequest!.path).toBe('/sms/3/messages');
        expect(smsRequest!.headers.authorization).toBe(`App ${IB_API_KEY}`);
        expect(smsRequest!.body).toEqual({
          messages: [
            {
              sender: SENDER,
              destinations: [{ to: '41793026727', messageId: smsAttempt!.attemptId }],
              content: { text: 'Your code is 1234 (SMS)' },
              options: { validityPeriod: { amount: 48, timeUnit: 'HOURS' } },
              webhooks: { delivery: { url: webhookUrl(ib, 'DELIVERY_REPORTS') }, callbackData: 'order-77' },
            },
          ],
        });

        await waitForAccepted(app, messageId, 2);
        const sent = infobip.sent.find((s) => s.messageId === smsAttempt!.attemptId)!;
        const dlr = await infobip.deliver(sent, {}, { headers: { Authorization: ib.callbackAuthorization! } });
        expect(dlr.status).toBe(200);
        expect(dlr.url).toBe(webhookUrl(ib, 'DELIVERY_REPORTS'));

        await live.sub.until((evs) => evs.some((e) => e.messageStatusChanged.message.status.groupName === 'DELIVERED'));
        const steps = live.sub.events.map((e) => e.messageStatusChanged.attempt).map((a) => `${a?.channel}:${a?.provider}:${a?.status.groupName}`);
        expect(steps).toContain('VIBER:VIBER_BOT:REJECTED');
        expect(steps).toContain('SMS:INFOBIP:DELIVERED');

        const m = await getMessage(app, messageId);
        expect(m).toMatchObject({ channel: 'SMS', status: { name: 'DELIVERED_TO_HANDSET' }, callbackData: 'order-77' });
        expect(m.attempts.map((a) => `${a.provider}:${a.status.name}`)).toEqual([
          'VIBER_BOT:REJECTED_DESTINATION_NOT_REGISTERED',
          `INFOBIP:${INFOBIP_STATUS.DELIVERED_TO_HANDSET.name}`,
        ]);
      } finally {
        await live.close();
      }
    });
  });

  describe('failover on a later `failed` callback', () => {
    it('a `failed` after acceptance ends the Viber attempt UNDELIVERABLE and the SMS goes to Infobip', async () => {
      const receiver = `u-fail-${randomUUID().slice(0, 6)}=`;
      const messageId = `fo2-${randomUUID()}`;
      await send(app, {
        scenarioKey: viberThenSms,
        destinations: [{ messageId, to: { viberUserId: receiver, phoneNumber: '+41793026728' } }],
        viber: { text: { text: 'Try Viber' } },
        sms: { text: 'Then SMS' },
      });
      const { providerMessageId: token } = await waitForAccepted(app, messageId);
      expect(infobip.requests.filter((r) => JSON.stringify(r.body ?? {}).includes('"41793026728"'))).toEqual([]);
      expect((await viber.callbackFailed(hook, { messageToken: token, userId: receiver })).status).toBe(200);
      const [sms] = await infobip.waitForRequests(1, 10_000, (r) => JSON.stringify(r.body ?? {}).includes('"41793026728"'));
      expect(sms!.path).toBe('/sms/3/messages');
      const m = await waitForMessage(app, messageId, (x) => x.attempts.length === 2);
      expect(m.attempts.map((a) => `${a.channel}:${a.provider}:${a.status.groupName}`)).toEqual([
        'VIBER:VIBER_BOT:UNDELIVERABLE',
        expect.stringMatching(/^SMS:INFOBIP:/),
      ]);
      expect((sms!.body as { messages: Array<{ destinations: unknown }> }).messages[0]!.destinations).toEqual([
        { to: '41793026728', messageId: m.attempts[1]!.attemptId },
      ]);
    });
  });

  describe('content types on the wire', () => {
    const cases: Array<[string, ViberContentInput, Record<string, unknown>]> = [
      ['text', { text: { text: 'Hello there' } }, { type: 'text', text: 'Hello there' }],
      [
        'image',
        { image: { url: 'https://cdn.example.com/p/shoe.jpg', text: 'New in', thumbnailUrl: 'https://cdn.example.com/p/shoe-t.jpg' } },
        { type: 'picture', media: 'https://cdn.example.com/p/shoe.jpg', text: 'New in', thumbnail: 'https://cdn.example.com/p/shoe-t.jpg' },
      ],
      [
        'video',
        { video: { url: 'https://cdn.example.com/v/a.mp4', sizeBytes: 1_000_000, durationSeconds: 30, thumbnailUrl: 'https://cdn.example.com/v/a.jpg', text: 'Watch' } },
        { type: 'video', media: 'https://cdn.example.com/v/a.mp4', size: 1_000_000, duration: 30, thumbnail: 'https://cdn.example.com/v/a.jpg', text: 'Watch' },
      ],
      [
        'file',
        { file: { url: 'https://cdn.example.com/f/invoice.pdf', sizeBytes: 20480, fileName: 'invoice.pdf' } },
        { type: 'file', media: 'https://cdn.example.com/f/invoice.pdf', size: 20480, file_name: 'invoice.pdf' },
      ],
      [
        'location',
        { location: { latitude: 46.2044, longitude: 6.1432 } },
        { type: 'location', location: { lat: 46.2044, lon: 6.1432 } },
      ],
      [
        'contact',
        { contact: { name: 'Support', phoneNumber: '+41793026727', avatarUrl: 'https://cdn.example.com/a.png' } },
        { type: 'contact', contact: { name: 'Support', phone_number: '+41793026727', avatar: 'https://cdn.example.com/a.png' } },
      ],
      ['sticker', { sticker: { stickerId: 46105 } }, { type: 'sticker', sticker_id: 46105 }],
      ['url', { url: { url: 'https://shop.example.com/track/42' } }, { type: 'url', media: 'https://shop.example.com/track/42' }],
    ];

    it.each(cases)('%s', async (_name, content, wire) => {
      const { receiver, attemptId, request } = await sendToBot(content);
      expect(request.body).toEqual({ receiver, sender: { name: SENDER }, tracking_data: attemptId, ...wire });
      expect(viber.violations).toEqual([]);
    });

    it('carousel (rich_media, min_api_version 2, alt_text)', async () => {
      const items = [
        { title: 'Red shoe', imageUrl: 'https://cdn.example.com/red.jpg', buttonText: 'Buy red', buttonUrl: 'https://shop.example.com/red' },
        { title: 'Blue shoe', imageUrl: 'https://cdn.example.com/blue.png', buttonText: 'Buy blue', buttonUrl: 'https://shop.example.com/blue' },
      ];
      const { receiver, attemptId, request } = await sendToBot({ carousel: { altText: 'Our shoes', items } });
      const body = request.body as Record<string, any>;
      expect(body).toMatchObject({ receiver, sender: { name: SENDER }, tracking_data: attemptId, type: 'rich_media', alt_text: 'Our shoes' });
      expect(body.min_api_version).toBeGreaterThanOrEqual(2);
      expect(body.rich_media).toMatchObject({ Type: 'rich_media', ButtonsGroupColumns: expect.any(Number), ButtonsGroupRows: expect.any(Number) });
      const buttons = body.rich_media.Buttons as Array<Record<string, unknown>>;
      for (const item of items) {
        expect(buttons).toContainEqual(expect.objectContaining({ Image: item.imageUrl, ActionType: 'open-url', ActionBody: item.buttonUrl }));
        expect(buttons).toContainEqual(expect.objectContaining({ Text: item.title, ActionBody: item.buttonUrl }));
        expect(buttons).toContainEqual(expect.objectContaining({ Text: item.buttonText, ActionType: 'open-url', ActionBody: item.buttonUrl }));
      }
      expect(viber.violations).toEqual([]);
    });

    it('rich (text + image + button: a captioned picture with an open-url button)', async () => {
      const { receiver, attemptId, request } = await sendToBot({
        rich: { text: 'Spring sale', imageUrl: 'https://cdn.example.com/sale.png', button: { text: 'Shop now', url: 'https://shop.example.com/sale' } },
      });
      expect(request.body).toMatchObject({
        receiver,
        sender: { name: SENDER },
        tracking_data: attemptId,
        type: 'picture',
        media: 'https://cdn.example.com/sale.png',
        text: 'Spring sale',
        keyboard: { Type: 'keyboard', Buttons: [expect.objectContaining({ ActionType: 'open-url', ActionBody: 'https://shop.example.com/sale', Text: 'Shop now' })] },
      });
      expect(viber.violations).toEqual([]);
    });
  });

  describe('Viber bot limits refuse at accept, naming field, limit and provider', () => {
    async function refused(content: ViberContentInput) {
      const before = viber.requests.length;
      const errors = await sendInvalid(app, { scenarioKey: viberOnly, destinations: [{ to: { viberUserId: 'u-limits=' } }], viber: content });
      await sleep(200);
      expect(viber.requests.length).toBe(before);
      return errors;
    }

    it('text of 7001 characters', async () => {
      const errors = await refused({ text: { text: 'x'.repeat(7001) } });
      expect(errors).toEqual([{ path: ['input', 'viber', 'text', 'text'], message: expect.stringMatching(/7000.*Viber/) }]);
    });

    it('a text of 7000 characters is accepted and sent whole', async () => {
      const { request } = await sendToBot({ text: { text: 'y'.repeat(7000) } });
      expect((request.body as { text: string }).text).toHaveLength(7000);
    });

    it('picture caption of 769 characters', async () => {
      const errors = await refused({ image: { url: 'https://cdn.example.com/a.jpg', text: 'c'.repeat(769) } });
      expect(errors).toEqual([{ path: ['input', 'viber', 'image', 'text'], message: expect.stringMatching(/768.*Viber/) }]);
    });

    it('URL of 2001 characters', async () => {
      const url = `https://shop.example.com/${'p'.repeat(2001 - 'https://shop.example.com/'.length)}`;
      expect(url).toHaveLength(2001);
      const errors = await refused({ url: { url } });
      expect(errors).toEqual([{ path: ['input', 'viber', 'url', 'url'], message: expect.stringMatching(/2000.*Viber/) }]);
    });

    it('file name of 257 characters', async () => {
      const errors = await refused({ file: { url: 'https://cdn.example.com/f.pdf', sizeBytes: 10, fileName: `${'n'.repeat(253)}.pdf` } });
      expect(errors).toEqual([{ path: ['input', 'viber', 'file', 'fileName'], message: expect.stringMatching(/256.*Viber/) }]);
    });
  });
});
