/**
 * What users pay for, per provider, end to end: price, network (mccMnc) and parts (messageCount) from
 * each provider's wire into the attempt, out through the `messages` query, the live events and the
 * pushed report; the Viber keyboard on the wire where a provider carries one and a ValidationError where
 * it cannot; the label and Infobip's platform on each provider's wire. Wire facts: docs/report-details.md.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DetailsMessages, DetailsOnMessageStatus, DetailsSendMessage, DetailsSendMessages } from '../../documents/report-details.js';
import type {
  DetailsMessageFieldsFragment,
  DetailsOnMessageStatusSubscription,
  SendMessageInput,
  SendMessagesInput,
  ViberContentInput,
  ViberKeyboardInput,
} from '../../generated/graphql.js';
import { DT_VIBER_STATUS, FakeDecisionTelecom } from '../../fakes/decisiontelecom.js';
import { FakeInfobip, INFOBIP_ERROR, INFOBIP_STATUS, type InfobipSentMessage } from '../../fakes/infobip.js';
import { FakeViberBot } from '../../fakes/viber-bot.js';
import type { RecordedRequest } from '../../fakes/fake-server.js';
import { query, Subscription, wsClient } from '../../support/graphql-client.js';
import {
  attemptIdOf,
  configureConnection,
  createScenario,
  sleep,
  startProviderApp,
  waitForAccepted,
  waitForMessage,
  webhookUrl,
  type Connection,
  type ProviderApp,
} from './support.js';

const IB_KEY = 'ib-details-api-key-0123456789abcd';
const DT_KEY = 'dt-details-api-key';
const BOT_TOKEN = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';
const SENDER = 'Omnishop';
const POLL_MS = 200;

type Details = DetailsMessageFieldsFragment;
type StatusEvent = DetailsOnMessageStatusSubscription['messageStatusChanged'];

/** A client's report webhook on loopback: keeps every pushed `results[]` entry by messageId. */
class ReportHook {
  readonly results = new Map<string, Record<string, any>>();
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { results: Array<Record<string, any>> };
        for (const r of body.results) this.results.set(r.messageId, r);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/reports`;
    return this;
  }

  async waitFor(messageId: string, timeoutMs = 10_000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    while (!this.results.has(messageId)) {
      if (Date.now() > deadline) throw new Error(`no report pushed for ${messageId}`);
      await sleep(50);
    }
    return this.results.get(messageId)!;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('report details per provider: price, network, parts, keyboard, label and platform', () => {
  let app: ProviderApp;
  const infobip = new FakeInfobip({ apiKey: IB_KEY });
  const dt = new FakeDecisionTelecom({ apiKey: DT_KEY });
  const viber = new FakeViberBot({ authToken: BOT_TOKEN });
  const hook = new ReportHook();
  let ib: Connection;
  let ibAuth: Record<string, string>;
  let ibViberThenSms: string;
  let ibViber: string;
  let ibSms: string;
  let dtViber: string;
  let botViber: string;
  let botHook: string;
  let seq = 0;

  const nextPhone = () => {
    seq += 1;
    const digits = `4179302${String(7000 + seq).padStart(4, '0')}`;
    return { e164: `+${digits}`, digits };
  };

  beforeAll(async () => {
    await Promise.all([infobip.start(), dt.start(), viber.start(), hook.start()]);
    app = await startProviderApp({ STATUS_POLL_INTERVAL_MS: String(POLL_MS) });
    ib = await configureConnection(app, {
      name: 'Infobip',
      type: 'INFOBIP',
      baseUrl: infobip.baseUrl,
      credentials: { apiKey: IB_KEY },
      channels: ['VIBER', 'SMS'],
    });
    ibAuth = { Authorization: ib.callbackAuthorization! };
    const dtConn = await configureConnection(app, {
      name: 'DecisionTelecom',
      type: 'DECISIONTELECOM',
      baseUrl: dt.baseUrl,
      credentials: { apiKey: DT_KEY },
      channels: ['VIBER'],
    });
    const bot = await configureConnection(app, {
      name: 'Viber bot',
      type: 'VIBER_BOT',
      baseUrl: viber.apiBase,
      credentials: { authToken: BOT_TOKEN },
      channels: ['VIBER'],
    });
    botHook = webhookUrl(bot, 'ALL_EVENTS');
    ibViberThenSms = await createScenario(app, 'IB Viber then SMS', [
      { channel: 'VIBER', from: SENDER, connectionId: ib.id },
      { channel: 'SMS', from: SENDER, connectionId: ib.id },
    ]);
    ibViber = await createScenario(app, 'IB Viber', [{ channel: 'VIBER', from: SENDER, connectionId: ib.id }]);
    ibSms = await createScenario(app, 'IB SMS', [{ channel: 'SMS', from: SENDER, connectionId: ib.id }]);
    dtViber = await createScenario(app, 'DT Viber', [{ channel: 'VIBER', from: SENDER, connectionId: dtConn.id }]);
    botViber = await createScenario(app, 'Bot Viber', [{ channel: 'VIBER', from: SENDER, connectionId: bot.id }]);
  });

  afterEach(() => {
    infobip.assertNoViolations();
    dt.assertNoViolations();
    viber.assertNoViolations();
  });

  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await Promise.all([infobip.stop(), dt.stop(), viber.stop(), hook.stop()]);
  });

  async function sendRaw(input: SendMessageInput) {
    return (await query(app.graphqlUrl, DetailsSendMessage, { input }, app.apiKey)).sendMessage;
  }

  async function sendOk(input: Omit<SendMessageInput, 'destinations'>, to: { phoneNumber?: string; viberUserId?: string }): Promise<string> {
    const messageId = `rd-${randomUUID()}`;
    const r = await sendRaw({ ...input, destinations: [{ messageId, to }] });
    if (r.__typename !== 'SendMessageSuccess') throw new Error(`send failed: ${JSON.stringify(r)}`);
    return messageId;
  }

  async function sendInvalid(input: Omit<SendMessageInput, 'destinations'>, to: { phoneNumber?: string; viberUserId?: string }) {
    const r = await sendRaw({ ...input, destinations: [{ to }] });
    if (r.__typename !== 'ValidationError') throw new Error(`expected a ValidationError, got ${JSON.stringify(r)}`);
    return r.fieldErrors;
  }

  /** The message as the `messages` query reports it. */
  async function details(messageId: string): Promise<Details> {
    const data = await query(app.graphqlUrl, DetailsMessages, { filter: { messageId } }, app.apiKey);
    const node = data.messages.edges[0]?.node;
    if (!node) throw new Error(`messages has no ${messageId}`);
    return node;
  }

  async function liveStatus(messageId: string) {
    const client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const sub = new Subscription(client, DetailsOnMessageStatus, { filter: { messageId } });
    await connected;
    await sleep(250); // graphql-ws acknowledges before the server has registered the subscription
    return {
      until: async (done: (events: StatusEvent[]) => boolean) =>
        (await sub.until((evs) => done(evs.map((e) => e.messageStatusChanged)))).map((e) => e.messageStatusChanged),
      close: async () => {
        sub.close();
        await client.dispose();
      },
    };
  }

  const toDigits = (digits: string) => (r: RecordedRequest) => JSON.stringify(r.body ?? {}).includes(`"to":"${digits}"`);

  /** Waits for the Infobip send of `step` (1-based) of a message and returns what the fake took. */
  async function infobipSent(messageId: string, step: number): Promise<InfobipSentMessage> {
    await waitForAccepted(app, messageId, step);
    const attemptId = await attemptIdOf(app, messageId, step);
    const sent = infobip.sent.find((s) => s.messageId === attemptId);
    if (!sent) throw new Error(`Infobip never got attempt ${attemptId}`);
    return sent;
  }

  const finalOf = (messageId: string) => waitForMessage(app, messageId, (m) => ['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'].includes(m.status.groupName));

  describe('price, mccMnc and messageCount: wire in, GraphQL out, push out', () => {
    it('Infobip: each attempt keeps its delivery report\'s price, network and parts; the message sums price × parts over Viber and SMS; events and the push carry them', async () => {
      const phone = nextPhone();
      const messageId = `rd-${randomUUID()}`;
      const live = await liveStatus(messageId);
      try {
        const r = await sendRaw({
          scenarioKey: ibViberThenSms,
          destinations: [{ messageId, to: { phoneNumber: phone.e164 } }],
          viber: { text: { text: 'Your parcel is on its way' } },
          sms: { text: 'Your parcel is on its way' },
          webhooks: { delivery: { url: hook.url } },
        });
        expect(r.__typename).toBe('SendMessageSuccess');

        const viberSent = await infobipSent(messageId, 1);
        const viberReport = await infobip.deliver(
          viberSent,
          {
            status: INFOBIP_STATUS.UNDELIVERABLE_NOT_DELIVERED,
            error: INFOBIP_ERROR.EC_ABSENT_SUBSCRIBER,
            price: { pricePerMessage: 0.0104, currency: 'EUR' },
            mccMnc: '22801',
            messageCount: 1,
          },
          { headers: ibAuth },
        );
        expect(viberReport.status).toBe(200);
        const smsSent = await infobipSent(messageId, 2);
        expect(smsSent.api).toBe('sms/3');
        const smsReport = await infobip.deliver(
          smsSent,
          { price: { pricePerMessage: 0.01, currency: 'EUR' }, mccMnc: '22802', messageCount: 2 },
          { headers: ibAuth },
        );
        expect(smsReport.status).toBe(200);
        await finalOf(messageId);

        const m = await details(messageId);
        expect(m.status.groupName).toBe('DELIVERED');
        expect(m.attempts.map((a) => ({ step: a.step, price: a.price, mccMnc: a.mccMnc, messageCount: a.messageCount }))).toEqual([
          { step: 1, price: { pricePerMessage: 0.0104, currency: 'EUR' }, mccMnc: '22801', messageCount: 1 },
          { step: 2, price: { pricePerMessage: 0.01, currency: 'EUR' }, mccMnc: '22802', messageCount: 2 },
        ]);
        // 0.0104 × 1 + 0.01 × 2, exactly (summed as decimals, not floats).
        expect(m.price).toEqual({ pricePerMessage: 0.0304, currency: 'EUR' });
        expect(m).toMatchObject({ mccMnc: '22802', messageCount: 2 });

        const events = await live.until((evs) => evs.some((e) => e.message.status.groupName === 'DELIVERED'));
        const viberEnded = events.find((e) => e.attempt?.step === 1 && e.attempt.status.groupName === 'UNDELIVERABLE')!;
        expect(viberEnded.attempt).toMatchObject({ price: { pricePerMessage: 0.0104, currency: 'EUR' }, mccMnc: '22801', messageCount: 1 });
        // Read while the SMS attempt had no price yet, or after: never a partial sum.
        expect([null, 0.0304]).toContain(viberEnded.message.price?.pricePerMessage ?? null);
        const delivered = events.find((e) => e.message.status.groupName === 'DELIVERED')!;
        expect(delivered.attempt).toMatchObject({ step: 2, price: { pricePerMessage: 0.01, currency: 'EUR' }, mccMnc: '22802', messageCount: 2 });
        expect(delivered.message).toMatchObject({ price: { pricePerMessage: 0.0304, currency: 'EUR' }, mccMnc: '22802', messageCount: 2 });

        const pushed = await hook.waitFor(messageId);
        expect(pushed).toMatchObject({
          messageId,
          channel: 'SMS',
          messageCount: 2,
          mccMnc: '22802',
          price: { pricePerMessage: 0.0304, currency: 'EUR' },
        });
        expect(pushed.attempts.map((a: Record<string, unknown>) => ({ channel: a.channel, price: a.price, mccMnc: a.mccMnc, messageCount: a.messageCount }))).toEqual([
          { channel: 'VIBER', price: { pricePerMessage: 0.0104, currency: 'EUR' }, mccMnc: '22801', messageCount: 1 },
          { channel: 'SMS', price: { pricePerMessage: 0.01, currency: 'EUR' }, mccMnc: '22802', messageCount: 2 },
        ]);
      } finally {
        await live.close();
      }
    });

    it('Infobip: prices in two currencies leave the message price null while each attempt keeps its own; a v2 report counts parts from smsCount', async () => {
      const phone = nextPhone();
      const messageId = await sendOk(
        { scenarioKey: ibViberThenSms, viber: { text: { text: 'Hello' } }, sms: { text: 'Hello' }, webhooks: { delivery: { url: hook.url } } },
        { phoneNumber: phone.e164 },
      );
      const viberSent = await infobipSent(messageId, 1);
      await infobip.deliver(
        viberSent,
        { status: INFOBIP_STATUS.EXPIRED_EXPIRED, error: INFOBIP_ERROR.EC_VALIDITYEXPIRED, price: { pricePerMessage: 0.02, currency: 'USD' } },
        { headers: ibAuth },
      );
      const smsSent = await infobipSent(messageId, 2);
      await infobip.deliver(smsSent, { price: { pricePerMessage: 0.05, currency: 'EUR' }, messageCount: 3, format: 'v2' }, { headers: ibAuth });
      await finalOf(messageId);

      const m = await details(messageId);
      expect(m.attempts.map((a) => a.price)).toEqual([
        { pricePerMessage: 0.02, currency: 'USD' },
        { pricePerMessage: 0.05, currency: 'EUR' },
      ]);
      expect(m.attempts[1]!.messageCount).toBe(3);
      expect(m.price).toBeNull();
      expect((await hook.waitFor(messageId)).price).toBeNull();
    });

    it('Infobip: a report arriving after the attempt expired here leaves the status EXPIRED but records what it cost', async () => {
      const phone = nextPhone();
      const messageId = await sendOk({ scenarioKey: ibSms, sms: { text: 'Code 1234' }, validityPeriod: { amount: 2, timeUnit: 'SECONDS' } }, { phoneNumber: phone.e164 });
      const sent = await infobipSent(messageId, 1);
      await waitForMessage(app, messageId, (x) => x.status.groupName === 'EXPIRED', 15_000);
      const late = await infobip.deliver(sent, { price: { pricePerMessage: 0.07, currency: 'CHF' }, mccMnc: '22803', messageCount: 1 }, { headers: ibAuth });
      expect(late.status).toBe(200);
      const m = await details(messageId);
      expect(m.status.groupName).toBe('EXPIRED');
      expect(m.attempts[0]).toMatchObject({ status: { groupName: 'EXPIRED' }, price: { pricePerMessage: 0.07, currency: 'CHF' }, mccMnc: '22803' });
      expect(m.price).toEqual({ pricePerMessage: 0.07, currency: 'CHF' });
    });

    it('DecisionTelecom reports neither price nor network (receive-viber has none): both stay null; messageCount is what the send counted', async () => {
      const phone = nextPhone();
      const messageId = await sendOk({ scenarioKey: dtViber, viber: { text: { text: 'Hello' } }, webhooks: { delivery: { url: hook.url } } }, { phoneNumber: phone.e164 });
      await waitForAccepted(app, messageId);
      const sent = dt.sent.find((s) => s.destination === phone.digits)!;
      dt.setViberStatus(sent.messageId, { status: DT_VIBER_STATUS.delivered });
      await finalOf(messageId);
      const m = await details(messageId);
      expect(m.status.groupName).toBe('DELIVERED');
      expect(m.attempts[0]).toMatchObject({ provider: 'DECISIONTELECOM', price: null, mccMnc: null, messageCount: 1 });
      expect(m).toMatchObject({ price: null, mccMnc: null, messageCount: 1 });
      expect(await hook.waitFor(messageId)).toMatchObject({ price: null, mccMnc: null, messageCount: 1 });
    });

    it('Viber bot reports neither price nor network (its callbacks have none): both stay null', async () => {
      const receiver = `u-${randomUUID().slice(0, 8)}==`;
      const messageId = await sendOk({ scenarioKey: botViber, viber: { text: { text: 'Hello' } }, webhooks: { delivery: { url: hook.url } } }, { viberUserId: receiver });
      const { providerMessageId } = await waitForAccepted(app, messageId);
      expect((await viber.callbackDelivered(botHook, { messageToken: providerMessageId, userId: receiver })).status).toBe(200);
      await finalOf(messageId);
      const m = await details(messageId);
      expect(m.attempts[0]).toMatchObject({ provider: 'VIBER_BOT', status: { groupName: 'DELIVERED' }, price: null, mccMnc: null, messageCount: 1 });
      expect(m).toMatchObject({ price: null, mccMnc: null });
      expect(await hook.waitFor(messageId)).toMatchObject({ price: null, mccMnc: null });
    });
  });

  describe('Viber keyboard', () => {
    const keyboard: ViberKeyboardInput = {
      defaultHeight: true,
      bgColor: '#FFFFFF',
      buttons: [
        { actionType: 'REPLY', actionBody: 'track', text: 'Track', columns: 3 },
        { actionType: 'OPEN_URL', actionBody: 'https://shop.example/help', text: 'Help', columns: 3, rows: 2, bgColor: '#2db9b9', imageUrl: 'https://shop.example/help.png' },
      ],
    };
    const wireButtons = [
      { Columns: 3, Rows: 1, ActionType: 'reply', ActionBody: 'track', Text: 'Track' },
      { Columns: 3, Rows: 2, ActionType: 'open-url', ActionBody: 'https://shop.example/help', Text: 'Help', Image: 'https://shop.example/help.png', BgColor: '#2db9b9' },
    ];
    const contents: Array<[string, ViberContentInput, string]> = [
      ['text', { text: { text: 'Hi', keyboard } }, 'text'],
      ['image', { image: { url: 'https://shop.example/a.png', text: 'Look', keyboard } }, 'picture'],
      ['video', { video: { url: 'https://shop.example/a.mp4', sizeBytes: 1000, keyboard } }, 'video'],
      ['file', { file: { url: 'https://shop.example/a.pdf', sizeBytes: 1000, fileName: 'a.pdf', keyboard } }, 'file'],
      ['carousel', { carousel: { items: [{ title: 'A', imageUrl: 'https://shop.example/a.png', buttonText: 'Buy', buttonUrl: 'https://shop.example/a' }], keyboard } }, 'rich_media'],
      ['location', { location: { latitude: 47.37, longitude: 8.54, keyboard } }, 'location'],
      ['contact', { contact: { name: 'Shop', phoneNumber: '+41793026720', keyboard } }, 'contact'],
      ['sticker', { sticker: { stickerId: 40133, keyboard } }, 'sticker'],
      ['url', { url: { url: 'https://shop.example', keyboard } }, 'url'],
    ];

    async function sendToBot(content: ViberContentInput) {
      const receiver = `u-${randomUUID().slice(0, 8)}==`;
      await sendOk({ scenarioKey: botViber, viber: content }, { viberUserId: receiver });
      const [request] = await viber.waitForRequests(1, 10_000, (r) => r.path === '/pa/send_message' && (r.body as { receiver?: string }).receiver === receiver);
      return request!.body as Record<string, any>;
    }

    it.each(contents)('Viber bot: %s content carries the keyboard as the top-level `keyboard` of send_message', async (_name, content, wireType) => {
      const body = await sendToBot(content);
      expect(body.type).toBe(wireType);
      expect(body.keyboard).toEqual({ Type: 'keyboard', DefaultHeight: true, BgColor: '#FFFFFF', Buttons: wireButtons });
    });

    it('Viber bot: rich content keeps its own button first in the keyboard and adds the client\'s after it', async () => {
      const body = await sendToBot({
        rich: { text: 'Sale', imageUrl: 'https://shop.example/sale.png', button: { text: 'Shop now', url: 'https://shop.example' }, keyboard },
      });
      expect(body).toMatchObject({ type: 'picture', media: 'https://shop.example/sale.png', text: 'Sale' });
      expect(body.keyboard).toEqual({
        Type: 'keyboard',
        DefaultHeight: true,
        BgColor: '#FFFFFF',
        Buttons: [{ Columns: 6, Rows: 1, ActionType: 'open-url', ActionBody: 'https://shop.example', Text: 'Shop now' }, ...wireButtons],
      });
    });

    it('Viber bot: a keyboard Viber cannot show is a ValidationError naming each broken field; nothing is sent', async () => {
      const before = viber.requests.length;
      const errors = await sendInvalid(
        {
          scenarioKey: botViber,
          viber: {
            text: {
              text: 'Hi',
              keyboard: { bgColor: 'white', buttons: [{ actionType: 'OPEN_URL', actionBody: 'not a url', rows: 3, columns: 7 }] },
            },
          },
        },
        { viberUserId: 'u-invalid==' },
      );
      expect(errors.map((e) => e.path.join('.')).sort()).toEqual([
        'input.viber.text.keyboard.bgColor',
        'input.viber.text.keyboard.buttons.0.actionBody',
        'input.viber.text.keyboard.buttons.0.columns',
        'input.viber.text.keyboard.buttons.0.rows',
      ]);
      expect(errors.every((e) => e.message.endsWith('for the Viber Bot API'))).toBe(true);
      await sleep(200);
      expect(viber.requests.length).toBe(before);
    });

    it('Infobip cannot carry a keyboard: a ValidationError names viber.<type>.keyboard and nothing is sent', async () => {
      const phone = nextPhone();
      for (const [content, path] of [
        [{ text: { text: 'Hi', keyboard } }, 'input.viber.text.keyboard'],
        [{ image: { url: 'https://shop.example/a.png', keyboard } }, 'input.viber.image.keyboard'],
      ] as const) {
        const errors = await sendInvalid({ scenarioKey: ibViber, viber: content }, { phoneNumber: phone.e164 });
        expect(errors).toEqual([{ path: path.split('.'), message: expect.stringContaining('not carried by Infobip') }]);
      }
      await sleep(200);
      expect(infobip.requests.filter(toDigits(phone.digits))).toEqual([]);
    });

    it('DecisionTelecom cannot carry a keyboard: a ValidationError names viber.<type>.keyboard and nothing is sent', async () => {
      const phone = nextPhone();
      for (const [content, path] of [
        [{ text: { text: 'Hi', keyboard } }, 'input.viber.text.keyboard'],
        [{ rich: { text: 'Sale', imageUrl: 'https://shop.example/sale.png', button: { text: 'Shop', url: 'https://shop.example' }, keyboard } }, 'input.viber.rich.keyboard'],
      ] as const) {
        const errors = await sendInvalid({ scenarioKey: dtViber, viber: content }, { phoneNumber: phone.e164 });
        expect(errors).toEqual([{ path: path.split('.'), message: expect.stringContaining('not carried by DecisionTelecom') }]);
      }
      await sleep(200);
      expect(dt.requests.filter((r) => String((r.body as { destination_addr?: unknown } | undefined)?.destination_addr) === phone.digits)).toEqual([]);
    });
  });

  describe('label and platform', () => {
    const platform = { entityId: 'priorityCustomer', applicationId: 'clientTestEnvironment' };

    it('Infobip: the label goes in the Viber request\'s options.label and the platform in options.platform of every Infobip request, SMS failover included', async () => {
      const phone = nextPhone();
      const messageId = await sendOk(
        { scenarioKey: ibViberThenSms, viber: { text: { text: 'Hello' } }, sms: { text: 'Hello' }, label: 'PROMOTIONAL', platform },
        { phoneNumber: phone.e164 },
      );
      const viberSent = await infobipSent(messageId, 1);
      expect(viberSent.message.options).toEqual({ label: 'PROMOTIONAL', validityPeriod: { amount: 24, timeUnit: 'HOURS' }, platform });
      await infobip.deliver(viberSent, { status: INFOBIP_STATUS.UNDELIVERABLE_NOT_DELIVERED, error: INFOBIP_ERROR.EC_ABSENT_SUBSCRIBER }, { headers: ibAuth });
      const smsSent = await infobipSent(messageId, 2);
      expect(smsSent.message.options).toEqual({ validityPeriod: { amount: 48, timeUnit: 'HOURS' }, platform });
    });

    it('Infobip: a label overrides the default per entry of sendMessages; without one the default stays (rich → PROMOTIONAL), and so does the absence of platform', async () => {
      const [a, b] = [nextPhone(), nextPhone()];
      const rich: ViberContentInput = { rich: { text: 'Sale', imageUrl: 'https://shop.example/sale.png', button: { text: 'Shop', url: 'https://shop.example' } } };
      const input: SendMessagesInput = {
        messages: [
          { scenarioKey: ibViber, viber: rich, label: 'TRANSACTIONAL', platform: { applicationId: 'app-1' }, destinations: [{ to: { phoneNumber: a.e164 } }] },
          { scenarioKey: ibViber, viber: rich, destinations: [{ to: { phoneNumber: b.e164 } }] },
        ],
      };
      const r = (await query(app.graphqlUrl, DetailsSendMessages, { input }, app.apiKey)).sendMessages;
      expect(r.__typename).toBe('SendMessageSuccess');
      const [ra] = await infobip.waitForRequests(1, 10_000, toDigits(a.digits));
      const [rb] = await infobip.waitForRequests(1, 10_000, toDigits(b.digits));
      const entryTo = (req: RecordedRequest, digits: string) =>
        (req.body as { messages: Array<{ destinations: Array<{ to: string }>; options: Record<string, unknown> }> }).messages.find((m) => m.destinations[0]!.to === digits)!;
      expect(entryTo(ra!, a.digits).options).toMatchObject({ label: 'TRANSACTIONAL', platform: { applicationId: 'app-1' } });
      expect(entryTo(rb!, b.digits).options.label).toBe('PROMOTIONAL');
      expect(entryTo(rb!, b.digits).options).not.toHaveProperty('platform');
    });

    it('DecisionTelecom: the label becomes source_type (PROMOTIONAL 1, TRANSACTIONAL 2); without one, text stays 2 and rich stays 1', async () => {
      const rich: ViberContentInput = { rich: { text: 'Sale', imageUrl: 'https://shop.example/sale.png', button: { text: 'Shop', url: 'https://shop.example' } } };
      const cases: Array<[ViberContentInput, 'PROMOTIONAL' | 'TRANSACTIONAL' | null, number]> = [
        [{ text: { text: 'Hello' } }, 'PROMOTIONAL', 1],
        [rich, 'TRANSACTIONAL', 2],
        [{ text: { text: 'Hello' } }, null, 2],
        [rich, null, 1],
      ];
      for (const [content, label, sourceType] of cases) {
        const phone = nextPhone();
        await sendOk({ scenarioKey: dtViber, viber: content, ...(label ? { label } : {}), platform }, { phoneNumber: phone.e164 });
        const [req] = await dt.waitForRequests(1, 10_000, (r) => String((r.body as { destination_addr?: unknown }).destination_addr) === phone.digits);
        expect({ label, source_type: (req!.body as { source_type: number }).source_type }).toEqual({ label, source_type: sourceType });
        expect(JSON.stringify(req!.body)).not.toContain('priorityCustomer');
      }
    });

    it('Viber bot: neither reaches the wire (the Bot API has no label or platform); the body is the one sent without them', async () => {
      const withBoth = `u-${randomUUID().slice(0, 8)}==`;
      const without = `u-${randomUUID().slice(0, 8)}==`;
      await sendOk({ scenarioKey: botViber, viber: { text: { text: 'Hello' } }, label: 'PROMOTIONAL', platform }, { viberUserId: withBoth });
      await sendOk({ scenarioKey: botViber, viber: { text: { text: 'Hello' } } }, { viberUserId: without });
      const bodyFor = async (receiver: string) =>
        (await viber.waitForRequests(1, 10_000, (r) => r.path === '/pa/send_message' && (r.body as { receiver?: string }).receiver === receiver))[0]!.body as Record<string, unknown>;
      const a = await bodyFor(withBoth);
      const b = await bodyFor(without);
      const { receiver: _ra, tracking_data: _ta, ...restA } = a;
      const { receiver: _rb, tracking_data: _tb, ...restB } = b;
      expect(restA).toEqual(restB);
    });

    it('a platform with neither id, or with an id too long, is refused naming the field', async () => {
      const phone = nextPhone();
      const errors = await sendInvalid({ scenarioKey: ibViber, viber: { text: { text: 'Hi' } }, platform: { entityId: null } }, { phoneNumber: phone.e164 });
      expect(errors).toEqual([{ path: ['input', 'platform'], message: 'must have an entityId or an applicationId' }]);
      const tooLong = await sendInvalid({ scenarioKey: ibViber, viber: { text: { text: 'Hi' } }, platform: { entityId: 'x'.repeat(256) } }, { phoneNumber: phone.e164 });
      expect(tooLong).toEqual([{ path: ['input', 'platform', 'entityId'], message: 'must be at most 255 characters' }]);
    });
  });
});
