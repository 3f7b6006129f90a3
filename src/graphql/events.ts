import type { CursoredEvent } from '../messaging/events.js';
import { LISTED_EVENT_KINDS } from '../messaging/events.js';
import type { ConversationRow } from '../db/schema.js';
import { builder } from './builder.js';
import { connectionOf } from './connection.js';
import './conversation.js'; // ConversationEvent, one of the Event interface's kinds
import { EventInterface } from './event-interface.js';
import { InboundMessageType, type ShownInbound } from './inbound.js';
import { MessageStatusEventType, type ShownStatusEvent } from './message.js';

interface ShownInboundEvent {
  cursor: string;
  occurredAt: Date;
  inbound: ShownInbound;
}

builder.objectRef<ShownInboundEvent>('InboundMessageEvent').implement({
  description: 'An inbound message arrived.',
  interfaces: [EventInterface],
  isTypeOf: (e) => typeof e === 'object' && e !== null && 'inbound' in e,
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: "Opaque position in the account's event log." }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', description: 'When the provider received it.' }),
    inboundMessage: t.field({ type: InboundMessageType, resolve: (e) => e.inbound }),
  }),
});

const EventKindEnum = builder.enumType('EventKind', {
  description: 'Kinds of the event log that `events` can list.',
  values: {
    MESSAGE_STATUS: { description: 'Status changes and seen reports of messages (MessageStatusEvent).' },
    INBOUND_MESSAGE: { description: 'Inbound messages (InboundMessageEvent).' },
    CONVERSATION: { description: 'Conversation changes: a message from or to the person, a read (ConversationEvent).' },
  } satisfies Record<(typeof LISTED_EVENT_KINDS)[number], unknown>,
});

const EventFilterInput = builder.inputType('EventFilter', {
  description: 'Narrows the event log; left out, every kind is listed.',
  fields: (t) => ({
    kinds: t.field({ type: [EventKindEnum], description: 'Only these kinds.' }),
    bulkId: t.string({ description: 'Only status events of this bulk.' }),
    messageId: t.string({ description: 'Only status events of this message.' }),
  }),
});

type ShownConversationEvent = { cursor: string; occurredAt: Date; conversation: ConversationRow };

/** A logged event as the query shows it; a conversation event shows the conversation as it is now (null: deleted since). */
function shown(e: CursoredEvent, conversations: Map<string, ConversationRow>): ShownStatusEvent | ShownInboundEvent | ShownConversationEvent | null {
  switch (e.kind) {
    case 'status':
    case 'seen':
      return { cursor: e.cursor, message: e.message, attempt: e.attempt, occurredAt: e.occurredAt, seen: e.kind === 'seen' };
    case 'inbound':
      return { cursor: e.cursor, occurredAt: e.occurredAt, inbound: { ...e.inbound, eventCursor: e.cursor } };
    case 'conversation': {
      const conversation = conversations.get(e.conversationId);
      return conversation ? { cursor: e.cursor, occurredAt: e.occurredAt, conversation } : null;
    }
    default:
      return null;
  }
}

builder.queryFields((t) => ({
  events: t.connection({
    type: EventInterface,
    description:
      "The account's event log, oldest first, from `after` (exclusive) or from the oldest event kept (EVENT_RETENTION_DAYS). " +
      'The same history a resumed subscription replays; `pageInfo.endCursor` may lie past the last edge when the filter left events out. ' +
      'A malformed or foreign cursor is an error with code BAD_CURSOR; an expired one, CURSOR_EXPIRED.',
    args: { filter: t.arg({ type: EventFilterInput }) },
    resolve: async (_root, { filter, after, first }, ctx) => {
      const page = await ctx.services.events.list(ctx.account.id, { after, first, filter });
      const conversationIds = page.events.flatMap((e) => (e.kind === 'conversation' ? [e.conversationId] : []));
      const conversations = new Map((await ctx.services.conversations.byIds(ctx.account.id, conversationIds)).map((c) => [c.id, c]));
      const edges = page.events.flatMap((e) => {
        const node = shown(e, conversations);
        return node ? [{ cursor: e.cursor, node }] : [];
      });
      return connectionOf(edges, page.hasNextPage, page.endCursor);
    },
  }, { name: 'EventConnection', description: "A page of the account's event log." }, { name: 'EventEdge' }),
}));

export { MessageStatusEventType };
