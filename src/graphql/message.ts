import type { AttemptRow, MessageRow, ReportDeliveryRow, ReportDeliveryTryRow } from '../db/schema.js';
import type { MessageStatusPayload } from '../events/bus.js';
import { dataloaderGetter } from '@pothos/plugin-dataloader';
import { attemptPrice, messagePrice, type Price } from '../domain/price.js';
import type { GraphQLContext } from './context.js';
import { builder } from './builder.js';
import { EventInterface } from './event-interface.js';
import { toConnection } from './connection.js';
import { ChannelEnum, MessageErrorType, MessageStatusType, ProviderTypeEnum, StatusGroupEnum, ValidityPeriodType } from './status.js';

const PriceType = builder.objectRef<Price>('Price').implement({
  description: 'What the provider charged, as its delivery report said.',
  fields: (t) => ({
    pricePerMessage: t.float({
      description: "On an attempt: the provider's price per message part. On a message: what all its attempts cost together.",
      resolve: (p) => Number(p.pricePerMessage),
    }),
    currency: t.exposeString('currency', { description: 'ISO 4217, e.g. EUR.' }),
  }),
});

const TransientErrorType = builder.objectRef<{ message: string; at: Date }>('TransientError').implement({
  description: 'A failure the send was retried after (connection error, timeout, 5xx, 429).',
  fields: (t) => ({
    message: t.exposeString('message'),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const AttemptType = builder.objectRef<AttemptRow>('Attempt').implement({
  description: 'One step of a message tried on one channel.',
  fields: (t) => ({
    attemptId: t.exposeString('attemptId'),
    step: t.int({ description: '1-based position in the flow.', resolve: (a) => a.stepIndex + 1 }),
    channel: t.expose('channel', { type: ChannelEnum }),
    from: t.exposeString('sender'),
    provider: t.expose('provider', { type: ProviderTypeEnum }),
    providerMessageId: t.exposeString('providerMessageId', { nullable: true }),
    status: t.expose('status', { type: MessageStatusType }),
    error: t.expose('error', { type: MessageErrorType, nullable: true }),
    validityPeriod: t.field({ type: ValidityPeriodType, resolve: (a) => a.validitySeconds }),
    messageCount: t.exposeInt('messageCount', { nullable: true }),
    price: t.field({
      type: PriceType,
      nullable: true,
      description: 'Null until the provider reports one (Infobip does in its delivery report; DecisionTelecom and Viber bots never do).',
      resolve: (a) => attemptPrice(a),
    }),
    mccMnc: t.exposeString('mccMnc', { nullable: true, description: "The destination's network (MCC + MNC), where the provider reports it." }),
    tries: t.exposeInt('tries', { description: 'How many times it was handed to its provider (1 + retries after transient failures).' }),
    lastTransientError: t.field({
      type: TransientErrorType,
      nullable: true,
      resolve: (a) => (a.lastTransientError && a.lastTransientErrorAt ? { message: a.lastTransientError, at: a.lastTransientErrorAt } : null),
    }),
    scheduledAt: t.field({
      type: 'DateTime',
      description: 'When it may be dispatched: sendAt, its speed-limit slot or the next delivery-window opening.',
      resolve: (a) => a.notBefore,
    }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    doneAt: t.expose('doneAt', { type: 'DateTime', nullable: true }),
    seenAt: t.expose('seenAt', { type: 'DateTime', nullable: true }),
  }),
});

const ReportDeliveryTryType = builder.objectRef<ReportDeliveryTryRow>('ReportDeliveryTry').implement({
  fields: (t) => ({
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime' }),
    statusCode: t.exposeInt('statusCode', { nullable: true }),
    error: t.exposeString('error', { nullable: true, description: '`HTTP <status>`, or the network error\'s code and host, e.g. `ECONNREFUSED 127.0.0.1:9`.' }),
    errorCode: t.exposeString('errorCode', { nullable: true, description: 'The network error code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…); null when an HTTP status came back.' }),
    durationMs: t.exposeInt('durationMs'),
  }),
});

const ReportDeliveryStateEnum = builder.enumType('ReportDeliveryState', { values: ['PENDING', 'DELIVERED', 'FAILED'] as const });

const ReportDeliveryType = builder.objectRef<ReportDeliveryRow>('ReportDelivery').implement({
  fields: (t) => ({
    url: t.exposeString('url'),
    state: t.expose('state', { type: ReportDeliveryStateEnum }),
    tries: t.exposeInt('tries'),
    nextTryAt: t.expose('nextTryAt', { type: 'DateTime', nullable: true }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    attempts: t.loadableList({
      type: ReportDeliveryTryType,
      load: (refs: string[], ctx) => ctx.services.reportPush.triesOf(refs),
      resolve: (d) => d.id,
    }),
  }),
});

export const MessageType = builder.objectRef<MessageRow>('Message').implement({
  description: 'A message to one destination, with every attempt made to deliver it.',
  fields: (t) => ({
    messageId: t.exposeString('messageId'),
    bulkId: t.exposeString('bulkId'),
    to: t.string({
      description: 'E.164 phone number, or the Viber user id for a message addressed only to a bot subscriber.',
      resolve: (m) => m.toNumber ?? m.toViberUserId ?? '',
    }),
    toViberUserId: t.exposeString('toViberUserId', { nullable: true }),
    channel: t.expose('channel', { type: ChannelEnum, description: 'The step that ended the message, or the current one.' }),
    status: t.expose('status', { type: MessageStatusType }),
    error: t.expose('error', { type: MessageErrorType, nullable: true }),
    scenarioKey: t.exposeString('scenarioKey', { nullable: true }),
    callbackData: t.exposeString('callbackData', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
    doneAt: t.expose('doneAt', { type: 'DateTime', nullable: true }),
    seenAt: t.expose('seenAt', { type: 'DateTime', nullable: true }),
    price: t.field({
      type: PriceType,
      nullable: true,
      description:
        'What the message cost in all: each attempt\'s pricePerMessage × messageCount, summed. Null unless every attempt has a price, all in one currency.',
      resolve: async (m, _args, ctx) => messagePrice(await attemptsOfMessage(ctx).load(m.id)),
    }),
    mccMnc: t.string({
      nullable: true,
      description: 'The network of the attempt that ended the message (or the current one).',
      resolve: async (m, _args, ctx) => currentAttempt(m, await attemptsOfMessage(ctx).load(m.id))?.mccMnc ?? null,
    }),
    messageCount: t.int({
      nullable: true,
      description: 'Parts of the attempt that ended the message (or the current one), as in the pushed report.',
      resolve: async (m, _args, ctx) => currentAttempt(m, await attemptsOfMessage(ctx).load(m.id))?.messageCount ?? null,
    }),
    reportDeliveries: t.loadableList({
      type: ReportDeliveryType,
      description: 'Pushes of this message\'s final report to a webhook, with every try.',
      load: (messageRefs: string[], ctx) => ctx.services.reportPush.deliveriesOf(messageRefs),
      resolve: (m) => m.id,
    }),
    // The uncached loader, like price and network: a subscription's context lives for all its events,
    // and a cached list would show a message's attempts as the first event found them (no SMS failover).
    attempts: t.field({
      type: [AttemptType],
      resolve: (m, _args, ctx) => attemptsOfMessage(ctx).load(m.id),
    }),
  }),
});

/**
 * One batch per tick for the price and network fields, however many of them a query asks for. Not cached:
 * a subscription keeps its context for every event, and each event must see the attempts as they are now.
 */
const attemptsOfMessage = dataloaderGetter<string, AttemptRow[], string>(
  { cache: false },
  (messageRefs, ctx) => (ctx as GraphQLContext).services.reports.attemptsOf(messageRefs),
  undefined,
  false,
);

/** The attempt of the message's current step: the one that ended it once it is final. */
function currentAttempt(message: MessageRow, attempts: readonly AttemptRow[]): AttemptRow | undefined {
  return attempts.find((a) => a.stepIndex === message.currentStep) ?? attempts.at(-1);
}

const MessageFilterInput = builder.inputType('MessageFilter', {
  fields: (t) => ({
    bulkId: t.string(),
    messageId: t.string(),
    to: t.string({ description: 'A phone number, with or without +.' }),
    channel: t.field({ type: ChannelEnum }),
    statusGroup: t.field({ type: StatusGroupEnum }),
    sentSince: t.field({ type: 'DateTime' }),
    sentUntil: t.field({ type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  message: t.field({
    type: MessageType,
    nullable: true,
    args: { messageId: t.arg.string({ required: true }) },
    resolve: (_root, { messageId }, ctx) => ctx.services.reports.message(ctx.account.id, messageId),
  }),
  messages: t.connection({
    type: MessageType,
    description: 'Delivery reports, newest first.',
    args: { filter: t.arg({ type: MessageFilterInput }) },
    resolve: async (_root, { filter, ...page }, ctx) => toConnection(await ctx.services.reports.messages(ctx.account.id, filter, page)),
  }),
}));

/** A status event as shown: what the subscription or the log carried, with its cursor. */
export type ShownStatusEvent = MessageStatusPayload & { cursor: string };

export const MessageStatusEventType = builder.objectRef<ShownStatusEvent>('MessageStatusEvent').implement({
  description: 'A status change of one message (or of one of its attempts, on failover), or a seen report.',
  interfaces: [EventInterface],
  isTypeOf: (e) => typeof e === 'object' && e !== null && 'message' in e && 'cursor' in e,
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: 'Opaque position of this event in the account\'s event log: pass it as `after` to resume right after it.',
    }),
    message: t.field({
      type: MessageType,
      description: 'The message as this event left it (status, error, channel); its other fields as they are now.',
      resolve: (e) => e.message,
    }),
    attempt: t.field({
      type: AttemptType,
      nullable: true,
      description: 'The attempt whose status changed, as this event left it (on failover: the one that failed).',
      resolve: (e) => e.attempt,
    }),
    seen: t.boolean({ description: 'A seen report (the user opened the message), not a status change.', resolve: (e) => e.seen === true }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', description: 'When it happened (for a seen report: when the provider says it was seen).' }),
  }),
});

const MessageEventFilterInput = builder.inputType('MessageEventFilter', {
  fields: (t) => ({ bulkId: t.string(), messageId: t.string(), to: t.string() }),
});

builder.subscriptionFields((t) => ({
  messageStatusChanged: t.field({
    type: MessageStatusEventType,
    description: 'Every status change and seen report of the account\'s messages, as it happens, with its cursor.',
    args: {
      filter: t.arg({ type: MessageEventFilterInput }),
      after: t.arg.string({
        description:
          'Resume: first every stored event after this cursor (matching the filter), in order, then live, with no gap and no repeat. ' +
          'A malformed or foreign cursor is an error with code BAD_CURSOR; one older than EVENT_RETENTION_DAYS, CURSOR_EXPIRED.',
      }),
    },
    subscribe: (_root, { filter, after }, ctx) => ctx.services.reports.statusChanges(ctx.account.id, filter, after),
    resolve: (event) => ({ ...event.value, cursor: event.cursor }),
  }),
}));
