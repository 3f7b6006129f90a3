/**
 * Replies to conversations, checked at the fake providers' wire: a reply goes back on the channel and
 * connection the person last wrote on (a Viber bot user by viberUserId, others by number, from our address
 * they wrote to), and a reply the provider cannot carry is a typed error with nothing sent or stored.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConversationDeleteConnection, ConversationList, ConversationTimeline, ReplyToConversation } from '../documents/conversations.js';
import type { RecordedRequest } from '../fakes/fake-server.js';
import { FakeInfobip } from '../fakes/infobip.js';
import { FakeViberBot } from '../fakes/viber-bot.js';
import { query } from '../support/graphql-client.js';
import { countRows, sleep, waitFor } from './helpers.js';
import { configureConnection, createScenario, send, startProviderApp, webhookUrl, type Connection, type ProviderApp } from './providers/support.js';

const AUTH_TOKEN = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';
const IB_API_KEY = 'ib-e2e-api-key-0123456789abcdef';
const OUR_SMS_NUMBER = '41791234567';

describe('replying to a conversation, at the provider wire', () => {
  let app: ProviderApp;
  const viber = new FakeViberBot({ authToken: AUTH_TOKEN });
  const infobip = new FakeInfobip({ apiKey: IB_API_KEY });
  let bot: Connection;
  let ib: Connection;
  let botHook: string;
  let ibInbound: string;
  let ibAuth: Record<string, string>;

  beforeAll(async () => {
    await viber.start();
    await infobip.start();
    app = await startProviderApp();
    ib = await configureConnection(app, { name: 'Infobip', type: 'INFOBIP', baseUrl: infobip.baseUrl, credentials: { apiKey: IB_API_KEY }, channels: ['VIBER', 'SMS'] });
    bot = await configureConnection(app, { name: 'Viber bot', type: 'VIBER_BOT', baseUrl: viber.apiBase, credentials: { authToken: AUTH_TOKEN }, channels: ['VIBER'] });
    botHook = webhookUrl(bot, 'ALL_EVENTS');
    ibInbound = webhookUrl(ib, 'INBOUND_MESSAGES');
    ibAuth = { Authorization: ib.callbackAuthorization! };
    // The account's first scenario is its default: ordinary sends go Infobip Viber.
    await createScenario(app, 'Infobip Viber', [{ channel: 'VIBER', from: 'Omnishop', connectionId: ib.id }]);
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

  const call = <R, V>(doc: Parameters<typeof query<R, V>>[1], variables: V) => query(app.graphqlUrl, doc, variables, app.apiKey);

  async function conversationOf(address: string) {
    const list = await call(ConversationList, { filter: { search: address }, first: 10 });
    return list.conversations.edges.map((e) => e.node).find((c) => c.contact.address === address);
  }

  const body = (r: RecordedRequest) => JSON.stringify(r.body ?? '');

  it('a person we wrote on Viber who answers by SMS gets the reply by SMS, through the same Infobip connection, from the number they wrote to', async () => {
    const digits = '41793026611';
    await send(app, { destinations: [{ to: { phoneNumber: digits } }], viber: { text: { text: 'Your order shipped' } } });
    await infobip.waitForRequests(1, 10_000, (r) => r.path === '/viber/2/messages' && body(r).includes(digits));
    const opened = await waitFor(() => conversationOf(`+${digits}`), (c) => c !== undefined);
    expect(opened).toMatchObject({ channel: 'VIBER', unreadCount: 0 });

    const res = await infobip.postInboundSms(ibInbound, [{ from: digits, to: OUR_SMS_NUMBER, text: 'Where is it?', messageId: `MO-${randomUUID()}` }], { headers: ibAuth });
    expect(res.status).toBe(200);
    const answered = await waitFor(() => conversationOf(`+${digits}`), (c) => c?.unreadCount === 1);
    expect(answered).toMatchObject({ channel: 'SMS', lastMessage: { __typename: 'InboundMessage', content: { text: 'Where is it?' } } });

    const viberBefore = infobip.requests.filter((r) => r.path === '/viber/2/messages').length;
    // Only Viber content given: its text carries over to the SMS.
    const r = await call(ReplyToConversation, { conversationId: answered!.id, content: { viber: { text: { text: 'Tomorrow before noon' } } } });
    expect(r.replyToConversation).toMatchObject({ __typename: 'ReplyToConversationSuccess', reply: { to: `+${digits}`, channel: 'SMS' } });
    const [wire] = await infobip.waitForRequests(1, 10_000, (q) => q.path === '/sms/3/messages' && body(q).includes(digits));
    const sms = (wire!.body as { messages: Array<{ sender: string; destinations: Array<{ to: string }>; content: { text: string } }> }).messages[0]!;
    expect(sms).toMatchObject({ sender: OUR_SMS_NUMBER, destinations: [{ to: digits }], content: { text: 'Tomorrow before noon' } });
    await sleep(300);
    expect(infobip.requests.filter((q) => q.path === '/viber/2/messages').length).toBe(viberBefore);

    const t = await call(ConversationTimeline, { id: answered!.id, first: 10 });
    expect(t.conversation!.timeline.edges.map((e) => e.node.__typename)).toEqual(['Message', 'InboundMessage', 'Message']);
    expect(t.conversation!.timeline.edges[0]!.node).toMatchObject({ channel: 'SMS', attempts: [{ provider: 'INFOBIP', channel: 'SMS' }] });
  });

  it('a Viber bot user gets the reply from the bot, by viberUserId; once unsubscribed, a reply is a typed error and nothing is sent', async () => {
    const userId = `u-${randomUUID().slice(0, 8)}==`;
    const hello = await viber.callbackMessage(botHook, { user: { id: userId, name: 'Ana Horvat' }, message: { type: 'text', text: 'Hi bot' } });
    expect(hello.status).toBe(200);
    const c = await waitFor(() => conversationOf(userId), (x) => x?.unreadCount === 1);
    expect(c).toMatchObject({ channel: 'VIBER', contact: { address: userId, viberUserId: userId, phoneNumber: null, name: 'Ana Horvat' } });

    const r = await call(ReplyToConversation, { conversationId: c!.id, content: { sms: { text: 'Hello Ana' } } });
    expect(r.replyToConversation).toMatchObject({ __typename: 'ReplyToConversationSuccess', reply: { to: userId, channel: 'VIBER' } });
    const [wire] = await viber.waitForRequests(1, 10_000, (q) => q.path === '/pa/send_message' && (q.body as { receiver?: string }).receiver === userId);
    // The sender name is the business's (the default scenario's), not the connection's.
    expect(wire!.body).toMatchObject({ receiver: userId, type: 'text', text: 'Hello Ana', sender: { name: 'Omnishop' } });
    // Nothing went through Infobip for it.
    expect(infobip.requests.some((q) => body(q).includes('Hello Ana'))).toBe(false);

    expect((await viber.callbackUnsubscribed(botHook, { userId })).status).toBe(200);
    const messagesBefore = await countRows(app.database.db, 'message');
    const sentBefore = viber.requests.filter((q) => q.path === '/pa/send_message').length;
    const refused = await call(ReplyToConversation, { conversationId: c!.id, content: { sms: { text: 'Still there?' } } });
    expect(refused.replyToConversation).toMatchObject({ __typename: 'ConversationNotReplyableError', conversationId: c!.id, reason: 'VIBER_USER_UNSUBSCRIBED' });
    await sleep(300);
    expect(viber.requests.filter((q) => q.path === '/pa/send_message').length).toBe(sentBefore);
    expect(await countRows(app.database.db, 'message')).toBe(messagesBefore);

  });

  it('a reply through a connection that was deleted is a typed error, and nothing is sent', async () => {
    const second = await configureConnection(app, { name: 'Infobip 2', type: 'INFOBIP', baseUrl: infobip.baseUrl, credentials: { apiKey: IB_API_KEY }, channels: ['SMS'] });
    const digits = '41793026622';
    await infobip.postInboundSms(webhookUrl(second, 'INBOUND_MESSAGES'), [{ from: digits, to: OUR_SMS_NUMBER, text: 'Hello?', messageId: `MO-${randomUUID()}` }], {
      headers: { Authorization: second.callbackAuthorization! },
    });
    const c = await waitFor(() => conversationOf(`+${digits}`), (x) => x?.unreadCount === 1);
    expect((await call(ConversationDeleteConnection, { id: second.id })).deleteProviderConnection.__typename).toBe('DeleteProviderConnectionSuccess');
    const messagesBefore = await countRows(app.database.db, 'message');
    const requestsBefore = infobip.requests.length;
    const r = await call(ReplyToConversation, { conversationId: c!.id, content: { sms: { text: 'Sorry for the wait' } } });
    expect(r.replyToConversation).toMatchObject({ __typename: 'ConversationNotReplyableError', reason: 'CONNECTION_REMOVED' });
    await sleep(300);
    expect(infobip.requests.length).toBe(requestsBefore);
    expect(await countRows(app.database.db, 'message')).toBe(messagesBefore);
  });
});
