/**
 * Conversations end to end over the built-in simulator: real PostgreSQL, HTTP and WebSockets. A number
 * ending in 9 makes the simulator deliver, report seen and then answer with an inbound text, so one send
 * yields both directions of a conversation. Provider-specific routes (Viber bot, Infobip) are in
 * conversations-providers.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConversationList,
  ConversationTimeline,
  MarkConversationRead,
  OnConversationUpdated,
  ReplyToConversation,
} from '../documents/conversations.js';
import { EngineSendMessage } from '../documents/engine.js';
import type { OnConversationUpdatedSubscription } from '../generated/graphql.js';
import { post, query, Subscription, wsClient } from '../support/graphql-client.js';
import { as, caller, phone, startEngineApp, stopEngineApp, type EngineApp } from './engine/support.js';
import { countRows, rawPost, waitFor } from './helpers.js';

describe('conversations over the simulator', () => {
  let app: EngineApp;
  let call: ReturnType<typeof caller>;
  let otherKey: string;

  beforeAll(async () => {
    app = await startEngineApp();
    call = caller(app);
    otherKey = (await app.services.accounts.createApiKey('other-account')).apiKey;
  });
  afterAll(async () => {
    await stopEngineApp(app);
  });

  /** Viber by default; SMS when asked (the simulator answers only Viber messages to numbers ending in 9). */
  async function sendText(to: string, text: string, channel: 'VIBER' | 'SMS' = 'VIBER') {
    const content = channel === 'VIBER' ? { viber: { text: { text } } } : { sms: { text } };
    const r = await call(EngineSendMessage, { input: { from: 'Omnishop', destinations: [{ to: { phoneNumber: to } }], ...content } });
    return as(r.sendMessage, 'SendMessageSuccess').messages[0]!;
  }

  async function conversationOf(address: string) {
    const list = await call(ConversationList, { filter: { search: address }, first: 10 });
    return list.conversations.edges.map((e) => e.node).find((c) => c.contact.address === address);
  }

  async function timeline(id: string, first = 50, after?: string) {
    const r = await call(ConversationTimeline, { id, first, after: after ?? null });
    return r.conversation!;
  }

  it('a send opens a conversation; the inbound answer counts unread; the timeline interleaves both directions with live statuses', async () => {
    const to = phone(1, 9);
    const sent = await sendText(to, 'Your parcel is on its way');
    const opened = await waitFor(() => conversationOf(`+${to}`), (c) => c !== undefined);
    expect(opened).toMatchObject({ channel: 'VIBER', unreadCount: 0, contact: { address: `+${to}`, phoneNumber: `+${to}`, viberUserId: null } });
    expect(opened!.lastMessage).toMatchObject({ __typename: 'Message', messageId: sent.messageId });

    const answered = await waitFor(() => conversationOf(`+${to}`), (c) => c?.unreadCount === 1);
    expect(answered!.lastMessage).toMatchObject({ __typename: 'InboundMessage', from: `+${to}` });
    expect(Date.parse(answered!.lastActivityAt)).toBeGreaterThanOrEqual(Date.parse(opened!.lastActivityAt));

    const second = await sendText(to, 'Anything else?', 'SMS');
    const c = await waitFor(() => timeline(answered!.id), (t) => t.timeline.edges.length === 3 && t.timeline.edges[0]!.node.__typename === 'Message' && (t.timeline.edges[0]!.node as { status: { groupName: string } }).status.groupName === 'DELIVERED');
    const nodes = c.timeline.edges.map((e) => e.node);
    // Newest first: our second message, the person's answer, our first message.
    expect(nodes.map((n) => n.__typename)).toEqual(['Message', 'InboundMessage', 'Message']);
    expect(nodes[0]).toMatchObject({ messageId: second.messageId, channel: 'SMS', status: { groupName: 'DELIVERED' } });
    expect(nodes[1]).toMatchObject({ from: `+${to}`, content: { type: 'TEXT' } });
    // The first message was seen by the simulator before it answered: its live status, not the accepted one.
    expect(nodes[2]).toMatchObject({ messageId: sent.messageId, status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' } });
    expect(c.unreadCount).toBe(1); // our own messages are never unread
  });

  it('markConversationRead zeroes unread and takes the conversation out of unreadOnly', async () => {
    const to = phone(2, 9);
    await sendText(to, 'Hello');
    const c = await waitFor(() => conversationOf(`+${to}`), (x) => x?.unreadCount === 1);
    const read = await call(MarkConversationRead, { conversationId: c!.id });
    expect(as(read.markConversationRead, 'MarkConversationReadSuccess').conversation).toEqual({ id: c!.id, unreadCount: 0 });
    expect((await conversationOf(`+${to}`))!.unreadCount).toBe(0);
    const unread = await call(ConversationList, { filter: { unreadOnly: true }, first: 100 });
    expect(unread.conversations.edges.map((e) => e.node.id)).not.toContain(c!.id);
  });

  it('a reply goes out on the route the person wrote on, through the ordinary send path, and shows in the timeline', async () => {
    const to = phone(3, 9);
    await sendText(to, 'Hello');
    const c = await waitFor(() => conversationOf(`+${to}`), (x) => x?.unreadCount === 1);
    const r = await call(ReplyToConversation, { conversationId: c!.id, content: { sms: { text: 'Happy to help' } } });
    const reply = as(r.replyToConversation, 'ReplyToConversationSuccess').reply;
    expect(reply).toMatchObject({ to: `+${to}`, channel: 'VIBER', status: { groupName: 'PENDING' } });
    const replyNode = (x: Awaited<ReturnType<typeof timeline>>) =>
      x.timeline.edges.map((e) => e.node).find((n) => n.__typename === 'Message' && n.messageId === reply.messageId) as { status: { groupName: string } } | undefined;
    const t = await waitFor(() => timeline(c!.id), (x) => replyNode(x)?.status.groupName === 'DELIVERED');
    expect(replyNode(t)).toMatchObject({ channel: 'VIBER', attempts: [{ provider: 'SIMULATOR', channel: 'VIBER' }] });
    // Newer than the person's message it answers (the simulator may already have answered it in turn).
    const kinds = t.timeline.edges.map((e) => (e.node.__typename === 'Message' && e.node.messageId === reply.messageId ? 'reply' : e.node.__typename));
    expect(kinds.slice(-3)).toEqual(['reply', 'InboundMessage', 'Message']);
  });

  it('pages a timeline and the list with cursors, with no row twice or missing', async () => {
    const to = phone(4, 5);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await sendText(to, `note ${i}`)).messageId);
    const c = (await conversationOf(`+${to}`))!;
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await timeline(c.id, 2, after)).timeline;
      seen.push(...page.edges.map((e) => (e.node as { messageId: string }).messageId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(seen).toEqual([...ids].reverse());

    const listedAt = new Date();
    const all: string[] = [];
    let listAfter: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof call<any, any>>> = await call(ConversationList, { first: 1, after: listAfter });
      all.push(...page.conversations.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!page.conversations.pageInfo.hasNextPage) break;
      listAfter = page.conversations.pageInfo.endCursor;
    }
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(await countRows(app.database.db, 'conversation'));
    // Newest activity first. The simulator may still be answering earlier tests' messages, moving their
    // conversations up before and while this pages; those untouched since the listing began must be in
    // activity order (so only one active after the last note comes before the one just written to).
    const activity = new Map(
      (await app.database.db.selectFrom('conversation').select(['id', 'lastActivityAt']).execute()).map((r) => [r.id, r.lastActivityAt.getTime()]),
    );
    const untouched = all.filter((id) => activity.get(id)! < listedAt.getTime());
    expect(untouched).toContain(c.id);
    expect(untouched.map((id) => activity.get(id)!)).toEqual([...untouched.map((id) => activity.get(id)!)].sort((a, b) => b - a));
  });

  it('conversationUpdated fires on a send, on the inbound answer, on a reply and on a read', async () => {
    const client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    const sub = new Subscription<OnConversationUpdatedSubscription>(client, OnConversationUpdated, {});
    try {
      await new Promise((r) => setTimeout(r, 300)); // the subscription is listening
      const to = phone(5, 9);
      const address = `+${to}`;
      const mine = (events: OnConversationUpdatedSubscription[]) => events.filter((e) => e.conversationUpdated.conversation.contact.address === address);
      await sendText(to, 'Hello');
      await sub.until((e) => mine(e).some((x) => x.conversationUpdated.conversation.unreadCount === 1));
      const [first] = mine(sub.events);
      expect(first!.conversationUpdated).toMatchObject({ conversation: { unreadCount: 0, lastMessage: { __typename: 'Message' } } });
      expect(first!.conversationUpdated.cursor).toEqual(expect.any(String));
      const id = first!.conversationUpdated.conversation.id;
      const before = mine(sub.events).length;
      await call(ReplyToConversation, { conversationId: id, content: { sms: { text: 'On it' } } });
      await sub.until((e) => mine(e).slice(before).some((x) => x.conversationUpdated.conversation.lastMessage?.__typename === 'Message'));
      // The simulator answers the reply too (the number ends in 9): a second unread message.
      await sub.until((e) => mine(e).some((x) => x.conversationUpdated.conversation.unreadCount === 2));
      await call(MarkConversationRead, { conversationId: id });
      await sub.until((e) => mine(e).at(-1)!.conversationUpdated.conversation.unreadCount === 0 && mine(e).length > before + 1);
      // Reading what is already read changes nothing, so nothing is published.
      const afterRead = mine(sub.events).length;
      await call(MarkConversationRead, { conversationId: id });
      await new Promise((r) => setTimeout(r, 500));
      expect(mine(sub.events)).toHaveLength(afterRead);

      // Resuming after the first event replays every later change from the event log, in order, each once.
      const seen = sub.events.map((e) => e.conversationUpdated.cursor);
      const from = seen.indexOf(first!.conversationUpdated.cursor);
      const resumed = new Subscription<OnConversationUpdatedSubscription>(client, OnConversationUpdated, { after: first!.conversationUpdated.cursor });
      try {
        await resumed.until((e) => e.length >= seen.length - from - 1);
        expect(resumed.events.map((e) => e.conversationUpdated.cursor)).toEqual(seen.slice(from + 1));
      } finally {
        resumed.close();
      }
    } finally {
      sub.close();
      await client.dispose();
    }
  });

  it('another account sees none of it: not in its list, not by id, not to read, reply or subscribe', async () => {
    const to = phone(6, 5);
    await sendText(to, 'private');
    const c = (await conversationOf(`+${to}`))!;
    const client = wsClient(app.graphqlUrl, { authorization: `App ${otherKey}` });
    const sub = new Subscription<OnConversationUpdatedSubscription>(client, OnConversationUpdated, {});
    try {
      const list = await query(app.graphqlUrl, ConversationList, { first: 100 }, otherKey);
      expect(list.conversations.edges).toEqual([]);
      const byId = await query(app.graphqlUrl, ConversationTimeline, { id: c.id }, otherKey);
      expect(byId.conversation).toBeNull();
      const read = await query(app.graphqlUrl, MarkConversationRead, { conversationId: c.id }, otherKey);
      expect(read.markConversationRead).toMatchObject({ __typename: 'NotFoundError', resource: 'Conversation' });
      const messagesBefore = await countRows(app.database.db, 'message');
      const reply = await query(app.graphqlUrl, ReplyToConversation, { conversationId: c.id, content: { sms: { text: 'x' } } }, otherKey);
      expect(reply.replyToConversation).toMatchObject({ __typename: 'NotFoundError', resource: 'Conversation' });
      expect(await countRows(app.database.db, 'message')).toBe(messagesBefore);
      await new Promise((r) => setTimeout(r, 300));
      await sendText(to, 'still private');
      await waitFor(() => timeline(c.id), (t) => t.timeline.edges.length === 2);
      await new Promise((r) => setTimeout(r, 500));
      expect(sub.events).toEqual([]);
    } finally {
      sub.close();
      await client.dispose();
    }
  });

  it('bad ids, cursors and content are typed errors naming the argument', async () => {
    const byId = await post(app.graphqlUrl, ConversationTimeline, { id: 'not-a-uuid' }, app.apiKey);
    expect(byId.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['id'] }] });
    const read = await call(MarkConversationRead, { conversationId: '42' });
    expect(read.markConversationRead).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['conversationId'] }] });
    const reply = await call(ReplyToConversation, { conversationId: '00000000-0000-4000-8000-000000000000', content: { sms: { text: 'x' } } });
    expect(reply.replyToConversation).toMatchObject({ __typename: 'NotFoundError', resource: 'Conversation' });
    const badCursor = await post(app.graphqlUrl, ConversationList, { after: 'bm9wZQ' }, app.apiKey);
    expect(badCursor.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['after'] }] });

    const to = phone(7, 5);
    await sendText(to, 'hi');
    const c = (await conversationOf(`+${to}`))!;
    const other = (await call(ConversationList, { first: 10 })).conversations.edges.find((e) => e.node.id !== c.id)!;
    const otherCursor = (await timeline(other.node.id, 1)).timeline.pageInfo.endCursor!;
    const foreign = await post(app.graphqlUrl, ConversationTimeline, { id: c.id, after: otherCursor }, app.apiKey);
    expect(foreign.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['after'] }] });
    const empty = await call(ReplyToConversation, { conversationId: c.id, content: {} });
    expect(empty.replyToConversation).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['content'] }] });
    const tooLong = await call(ReplyToConversation, { conversationId: c.id, content: { viber: { text: { text: 'x'.repeat(5000) } } } });
    expect(tooLong.replyToConversation).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['content', 'viber', 'text', 'text'] }] });

    const raw = await rawPost(app.graphqlUrl, { query: 'subscription { conversationUpdated(after: "abc") { cursor } }' }, { authorization: `App ${app.apiKey}` });
    // Over HTTP a subscription answers as an event stream or an error; either way a malformed cursor is refused by code.
    expect(raw.text).toContain('BAD_CURSOR');
  });
});
