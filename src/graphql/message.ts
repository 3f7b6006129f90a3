import type { AttemptRow, MessageRow, ReportDeliveryRow, ReportDeliveryTryRow } from '../db/schema.js';
import type { MessageStatusPayload } from '../events/bus.js';
import { builder } from './builder.js';
import { toConnection } from './connection.js';
import { ChannelEnum, MessageErrorType, MessageStatusType, ProviderTypeEnum, StatusGroupEnum, ValidityPeriodType } from './status.js';

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
    error: t.exposeString('error', { nullable: true }),
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
    reportDeliveries: t.loadableList({
      type: ReportDeliveryType,
      description: 'Pushes of this message\'s final report to a webhook, with every try.',
      load: (messageRefs: string[], ctx) => ctx.services.reportPush.deliveriesOf(messageRefs),
      resolve: (m) => m.id,
    }),
    attempts: t.loadableList({
      type: AttemptType,
      load: (messageRefs: string[], ctx) => ctx.services.reports.attemptsOf(messageRefs),
      resolve: (m) => m.id,
    }),
  }),
});

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

const MessageStatusEventType = builder.objectRef<MessageStatusPayload>('MessageStatusEvent').implement({
  description: 'A status change of one message (or of one of its attempts, on failover).',
  fields: (t) => ({
    message: t.field({ type: MessageType, resolve: (e) => e.message }),
    attempt: t.field({ type: AttemptType, nullable: true, resolve: (e) => e.attempt }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
  }),
});

const MessageEventFilterInput = builder.inputType('MessageEventFilter', {
  fields: (t) => ({ bulkId: t.string(), messageId: t.string(), to: t.string() }),
});

builder.subscriptionFields((t) => ({
  messageStatusChanged: t.field({
    type: MessageStatusEventType,
    args: { filter: t.arg({ type: MessageEventFilterInput }) },
    subscribe: (_root, { filter }, ctx) => ctx.services.reports.statusChanges(ctx.account.id, filter),
    resolve: (event) => event,
  }),
}));

