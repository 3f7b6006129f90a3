import { GraphQLError } from 'graphql';
import type { ConversationRow, InboundMessageRow, MessageRow } from '../db/schema.js';
import {
  ConversationNotReplyableError,
  type ConversationEventPayload,
  type NotReplyableReason,
} from '../messaging/conversations.js';
import { builder } from './builder.js';
import { toConnection } from './connection.js';
import { EventInterface } from './event-interface.js';
import { ErrorInterface, MUTATION_ERRORS } from './errors.js';
import { InboundMessageType } from './inbound.js';
import { MessageType } from './message.js';
import { SmsContentInput, ViberContentInput } from './send.js';
import { ChannelEnum } from './status.js';

const ContactType = builder.objectRef<ConversationRow>('Contact').implement({
  description: 'The person a conversation is with.',
  fields: (t) => ({
    address: t.exposeString('address', { description: 'The E.164 phone number, or the Viber bot user id.' }),
    phoneNumber: t.string({
      nullable: true,
      description: 'E.164, when the person is known by number.',
      resolve: (c) => (c.addressKind === 'PHONE_NUMBER' ? c.address : null),
    }),
    viberUserId: t.string({
      nullable: true,
      description: 'The Viber bot user id, when the person is a bot subscriber.',
      resolve: (c) => (c.addressKind === 'VIBER_USER_ID' ? c.address : null),
    }),
    name: t.exposeString('name', { nullable: true, description: 'The name the person gave (Viber profile), when known.' }),
  }),
});

const ConversationItemUnion = builder.unionType('ConversationItem', {
  description: 'One message of a conversation: one the person sent (InboundMessage) or one we sent (Message, with its live status).',
  types: [InboundMessageType, MessageType],
  resolveType: (item: InboundMessageRow | MessageRow) => ('messageId' in item ? MessageType : InboundMessageType),
});

export const ConversationType = builder.objectRef<ConversationRow>('Conversation').implement({
  description: 'Everything exchanged with one person of this account, on every channel, newest activity first in lists.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Opaque; pass it to conversation, markConversationRead and replyToConversation.' }),
    channel: t.expose('replyChannel', {
      type: ChannelEnum,
      description: 'The channel the person last wrote on (or of our first message, if they never wrote): where a reply goes.',
    }),
    contact: t.field({ type: ContactType, description: 'Who the conversation is with.', resolve: (c) => c }),
    lastActivityAt: t.expose('lastActivityAt', { type: 'DateTime', description: 'When the last message either way was received or accepted.' }),
    unreadCount: t.exposeInt('unreadCount', { description: 'Messages the person sent since the conversation was last marked read.' }),
    lastMessage: t.field({
      type: ConversationItemUnion,
      nullable: true,
      description: 'The newest message either way (null when retention deleted them all).',
      resolve: async (c, _args, ctx) => (await ctx.services.conversations.lastMessage(c))?.row ?? null,
    }),
    timeline: t.connection(
      {
        type: ConversationItemUnion,
        description: "The person's messages and ours, interleaved, newest first. Our messages show their live status.",
        resolve: async (c, page, ctx) => toConnection(await ctx.services.conversations.timeline(c, page), (item) => item.row),
      },
      { name: 'ConversationItemConnection', description: 'A page of a conversation timeline.' },
      { name: 'ConversationItemEdge', description: 'One message of a conversation timeline, with its cursor.' },
    ),
  }),
});

const ConversationFilterInput = builder.inputType('ConversationFilter', {
  description: 'Narrows the conversation list; every given field must hold.',
  fields: (t) => ({
    channel: t.field({ type: ChannelEnum, description: 'Conversations whose reply channel (where the person last wrote) is this one.' }),
    unreadOnly: t.boolean({ description: 'Only conversations with unread messages.' }),
    search: t.string({ description: "Part of the person's number, Viber user id or name (case-insensitive)." }),
  }),
});

builder.queryFields((t) => ({
  conversations: t.connection(
    {
      type: ConversationType,
      description: 'Conversations with people, newest activity first.',
      args: { filter: t.arg({ type: ConversationFilterInput, description: 'Which conversations to list.' }) },
      resolve: async (_root, { filter, ...page }, ctx) => toConnection(await ctx.services.conversations.list(ctx.account.id, filter, page)),
    },
    { name: 'ConversationConnection', description: 'A page of conversations.' },
    { name: 'ConversationEdge', description: 'One conversation, with its cursor.' },
  ),
  conversation: t.field({
    type: ConversationType,
    nullable: true,
    description: "One conversation of this account by id; null when it names none. A malformed id is a BAD_USER_INPUT naming `id`.",
    args: { id: t.arg.id({ required: true, description: 'A Conversation.id.' }) },
    resolve: (_root, { id }, ctx) => ctx.services.conversations.get(ctx.account.id, String(id)),
  }),
}));

const NotReplyableReasonEnum = builder.enumType('ConversationNotReplyableReason', {
  description: 'Why a reply cannot go out on the route the person last wrote on.',
  values: {
    VIBER_USER_UNSUBSCRIBED: { description: 'The Viber bot user unsubscribed; Viber refuses bot messages to them until they subscribe again.' },
    CONNECTION_REMOVED: { description: 'The provider connection the person wrote on was deleted, or no longer carries the channel.' },
  } satisfies Record<NotReplyableReason, { description: string }>,
});

builder.objectType(ConversationNotReplyableError, {
  name: 'ConversationNotReplyableError',
  description: 'The reply cannot be carried on the route the person last wrote on; nothing was sent or stored.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    conversationId: t.exposeID('conversationId', { description: 'The conversation replied to.' }),
    reason: t.field({ type: NotReplyableReasonEnum, description: 'Why.', resolve: (e) => e.reason }),
  }),
});

const MarkConversationReadSuccess = builder.objectRef<ConversationRow>('MarkConversationReadSuccess').implement({
  description: 'The conversation, with nothing unread.',
  fields: (t) => ({ conversation: t.field({ type: ConversationType, description: 'The conversation as it is now.', resolve: (c) => c }) }),
});

const ReplyToConversationSuccess = builder.objectRef<MessageRow>('ReplyToConversationSuccess').implement({
  description: 'The reply was accepted and goes out like any sent message.',
  fields: (t) => ({ message: t.field({ type: MessageType, description: 'The reply; follow it like any message (messageStatusChanged, message).', resolve: (m) => m }) }),
});

const ReplyContentInput = builder.inputType('ReplyContentInput', {
  description:
    "A reply's content: `viber` and/or `sms`, the same inputs as sendMessage. The one for the conversation's channel is used; " +
    'plain text carries over (sms text is sent as Viber text, Viber text as SMS) when only one is given.',
  fields: (t) => ({
    viber: t.field({ type: ViberContentInput, description: 'Content when the reply goes out on VIBER.' }),
    sms: t.field({ type: SmsContentInput, description: 'Content when the reply goes out on SMS.' }),
  }),
});

builder.mutationFields((t) => ({
  markConversationRead: t.field({
    type: MarkConversationReadSuccess,
    description: 'Marks every message of the conversation read (unreadCount 0).',
    args: { conversationId: t.arg.id({ required: true, description: 'A Conversation.id.' }) },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'MarkConversationReadResult' } },
    resolve: (_root, { conversationId }, ctx) => ctx.services.conversations.markRead(ctx.account.id, String(conversationId)),
  }),
  replyToConversation: t.field({
    type: ReplyToConversationSuccess,
    description: 'Sends to the person on the channel and connection they last wrote on, through the ordinary send path.',
    args: {
      conversationId: t.arg.id({ required: true, description: 'A Conversation.id.' }),
      content: t.arg({ type: ReplyContentInput, required: true, description: 'What to send.' }),
    },
    errors: { types: [...MUTATION_ERRORS, ConversationNotReplyableError], directResult: true, union: { name: 'ReplyToConversationResult' } },
    resolve: (_root, { conversationId, content }, ctx) => ctx.services.conversations.reply(ctx.account.id, String(conversationId), content),
  }),
}));

export const ConversationEventType = builder.objectRef<ConversationEventPayload & { cursor: string }>('ConversationEvent').implement({
  description: "A conversation's last message, unread count or read state changed.",
  interfaces: [EventInterface],
  isTypeOf: (e) => typeof e === 'object' && e !== null && 'conversation' in e && 'cursor' in e,
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: "Opaque position of this event in the account's event log: pass it as `after` to resume right after it.",
    }),
    conversation: t.field({ type: ConversationType, description: 'The conversation as it is after the change.', resolve: (e) => e.conversation }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', description: 'When the change was committed.' }),
  }),
});

builder.subscriptionFields((t) => ({
  conversationUpdated: t.field({
    type: ConversationEventType,
    description: 'Fires when a conversation of this account changes: a message from the person, one to them, or a read.',
    args: {
      after: t.arg.string({
        description:
          'Resume: first every stored conversation change after this cursor, in order, then live, with no gap and no repeat. ' +
          'A malformed or foreign cursor is an error with code BAD_CURSOR; one older than EVENT_RETENTION_DAYS, CURSOR_EXPIRED.',
      }),
    },
    subscribe: (_root, { after }, ctx) => ctx.services.conversations.updates(ctx.account.id, after),
    resolve: (event) => ({ ...event.value, cursor: event.cursor }),
  }),
}));
