import type { InboundContent } from '../domain/content.js';
import type { InboundMessageRow } from '../db/schema.js';
import { dataloaderGetter } from '@pothos/plugin-dataloader';
import { builder } from './builder.js';
import type { GraphQLContext } from './context.js';
import { toConnection } from './connection.js';
import { ChannelEnum, ProviderTypeEnum } from './status.js';

const InboundContentType = builder.objectRef<InboundContent>('InboundContent').implement({
  description: 'What the user sent. `type` says which of the other fields are set.',
  fields: (t) => ({
    type: t.exposeString('type', { description: 'TEXT, IMAGE, VIDEO, FILE, AUDIO, LOCATION, CONTACT or STICKER.' }),
    text: t.string({ nullable: true, resolve: (c) => ('text' in c ? (c.text ?? null) : null) }),
    url: t.string({ nullable: true, resolve: (c) => ('url' in c ? (c.url ?? null) : null) }),
    fileName: t.string({ nullable: true, resolve: (c) => ('fileName' in c ? (c.fileName ?? null) : null) }),
    sizeBytes: t.int({ nullable: true, resolve: (c) => ('sizeBytes' in c ? (c.sizeBytes ?? null) : null) }),
    durationSeconds: t.int({ nullable: true, resolve: (c) => ('durationSeconds' in c ? (c.durationSeconds ?? null) : null) }),
    latitude: t.float({ nullable: true, resolve: (c) => (c.type === 'LOCATION' ? c.latitude : null) }),
    longitude: t.float({ nullable: true, resolve: (c) => (c.type === 'LOCATION' ? c.longitude : null) }),
    address: t.string({ nullable: true, resolve: (c) => (c.type === 'LOCATION' ? (c.address ?? null) : null) }),
    name: t.string({ nullable: true, resolve: (c) => (c.type === 'CONTACT' ? c.name : null) }),
    phoneNumber: t.string({ nullable: true, resolve: (c) => (c.type === 'CONTACT' ? (c.phoneNumber ?? null) : null) }),
    stickerId: t.int({ nullable: true, resolve: (c) => (c.type === 'STICKER' ? (c.stickerId ?? null) : null) }),
  }),
});

/** An inbound message; one delivered by a subscription or the event log carries its event's cursor. */
export type ShownInbound = InboundMessageRow & { eventCursor?: string };

export const InboundMessageType = builder.objectRef<ShownInbound>('InboundMessage').implement({
  fields: (t) => ({
    cursor: t.string({
      nullable: true,
      description: "Cursor of the event that recorded its arrival in the account's event log (null once that event is past retention).",
      resolve: async (m, _args, ctx) => m.eventCursor ?? (await inboundCursors(ctx).load(m)),
    }),
    id: t.exposeString('providerMessageId', { description: "The provider's id of the message." }),
    provider: t.expose('provider', { type: ProviderTypeEnum }),
    channel: t.expose('channel', { type: ChannelEnum }),
    from: t.exposeString('fromAddress', { description: 'E.164, or the Viber user id for a Viber bot.' }),
    to: t.exposeString('toAddress'),
    content: t.expose('content', { type: InboundContentType }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
    pairedMessageId: t.string({
      nullable: true,
      description: 'Our message this one answers, when the provider says so.',
      resolve: (m, _args, ctx) => ctx.services.inbound.messageIdOf(m.pairedMessageRef),
    }),
  }),
});

const InboundFilterInput = builder.inputType('InboundMessageFilter', {
  fields: (t) => ({
    channel: t.field({ type: ChannelEnum }),
    from: t.string(),
    receivedSince: t.field({ type: 'DateTime' }),
    receivedUntil: t.field({ type: 'DateTime' }),
  }),
});

const InboundEventFilterInput = builder.inputType('InboundMessageEventFilter', {
  fields: (t) => ({ channel: t.field({ type: ChannelEnum }), from: t.string() }),
});

builder.queryFields((t) => ({
  inboundMessages: t.connection({
    type: InboundMessageType,
    description: 'Messages users sent, newest first.',
    args: { filter: t.arg({ type: InboundFilterInput }) },
    resolve: async (_root, { filter, ...page }, ctx) => toConnection(await ctx.services.inbound.list(ctx.account.id, filter, page)),
  }),
}));

builder.subscriptionFields((t) => ({
  inboundMessageReceived: t.field({
    type: InboundMessageType,
    description: 'Inbound messages as they arrive, each with its cursor.',
    args: {
      filter: t.arg({ type: InboundEventFilterInput }),
      after: t.arg.string({
        description:
          'Resume: first every stored arrival after this cursor (matching the filter), in order, then live, with no gap and no repeat. ' +
          'A malformed or foreign cursor is an error with code BAD_CURSOR; one older than EVENT_RETENTION_DAYS, CURSOR_EXPIRED.',
      }),
    },
    subscribe: (_root, { filter, after }, ctx) => ctx.services.inbound.received(ctx.account.id, filter, after),
    resolve: (event) => ({ ...event.value, eventCursor: event.cursor }),
  }),
}));

/** One query per tick for the cursors of listed inbound messages. */
const inboundCursors = dataloaderGetter<ShownInbound, string | null, ShownInbound>(
  { cache: false },
  (rows, ctx) => (ctx as GraphQLContext).services.events.inboundCursors(rows),
  undefined,
  false,
);
