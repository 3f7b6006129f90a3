import { SPEED_TIME_UNITS } from '../domain/speed-limit.js';
import { WEEKDAYS } from '../domain/delivery-window.js';
import { STATUS_GROUPS } from '../domain/status.js';
import type { BulkView } from '../messaging/bulks.js';
import { builder } from './builder.js';
import { toConnection } from './connection.js';
import { MUTATION_ERRORS } from './errors.js';
import { MessageType } from './message.js';
import { StatusGroupEnum } from './status.js';

const WeekdayEnum = builder.enumType('Weekday', { values: WEEKDAYS });
const SpeedTimeUnitEnum = builder.enumType('SpeedLimitTimeUnit', { values: SPEED_TIME_UNITS });
const BulkStatusEnum = builder.enumType('BulkStatus', { values: ['PENDING', 'PAUSED', 'PROCESSING', 'FINISHED', 'CANCELED'] as const });

const TimeOfDayInput = builder.inputType('TimeOfDayInput', {
  fields: (t) => ({ hour: t.int({ required: true }), minute: t.int({ required: true }) }),
});

export const DeliveryTimeWindowInput = builder.inputType('DeliveryTimeWindowInput', {
  description: 'Days and hours in which attempts may be dispatched; at least one hour long.',
  fields: (t) => ({
    days: t.field({ type: [WeekdayEnum], required: true }),
    from: t.field({ type: TimeOfDayInput, required: true }),
    to: t.field({ type: TimeOfDayInput, required: true }),
    timeZone: t.string({ description: 'IANA time zone; UTC when absent.' }),
  }),
});

export const SendingSpeedLimitInput = builder.inputType('SendingSpeedLimitInput', {
  fields: (t) => ({
    amount: t.int({ required: true }),
    timeUnit: t.field({ type: SpeedTimeUnitEnum, required: true }),
  }),
});

const SendingSpeedLimitType = builder.simpleObject('SendingSpeedLimit', {
  fields: (t) => ({ amount: t.int(), timeUnit: t.field({ type: SpeedTimeUnitEnum }) }),
});

const BulkCountersType = builder.objectRef<BulkView['counters']>('BulkCounters').implement({
  description: 'Messages of the bulk by status group.',
  fields: (t) => ({
    total: t.exposeInt('total'),
    ...Object.fromEntries(STATUS_GROUPS.map((g) => [g.toLowerCase(), t.exposeInt(g)])),
  }),
});

export const BulkType = builder.objectRef<BulkView>('Bulk').implement({
  fields: (t) => ({
    bulkId: t.string({ resolve: (b) => b.row.bulkId }),
    status: t.field({ type: BulkStatusEnum, resolve: (b) => b.status }),
    sendAt: t.field({ type: 'DateTime', nullable: true, resolve: (b) => b.row.sendAt }),
    sendingSpeedLimit: t.field({ type: SendingSpeedLimitType, nullable: true, resolve: (b) => b.row.options.sendingSpeedLimit ?? null }),
    counters: t.field({ type: BulkCountersType, resolve: (b) => b.counters }),
    createdAt: t.field({ type: 'DateTime', resolve: (b) => b.row.createdAt }),
    messages: t.connection({
      type: MessageType,
      args: { statusGroup: t.arg({ type: StatusGroupEnum }) },
      resolve: async (b, { statusGroup, ...page }, ctx) =>
        toConnection(await ctx.services.reports.messages(ctx.account.id, { bulkId: b.row.bulkId, statusGroup }, page)),
    }),
  }),
});

builder.queryFields((t) => ({
  bulk: t.field({
    type: BulkType,
    nullable: true,
    args: { bulkId: t.arg.string({ required: true }) },
    resolve: (_root, { bulkId }, ctx) => ctx.services.bulks.get(ctx.account.id, bulkId),
  }),
}));

function bulkMutation(name: string) {
  return {
    types: MUTATION_ERRORS,
    result: { name: `${name}Success` },
    union: { name: `${name}Result` },
    dataField: { name: 'bulk' },
  };
}

builder.mutationFields((t) => ({
  pauseBulk: t.field({
    type: BulkType,
    description: 'Holds messages not yet dispatched; those already sent run their course.',
    args: { bulkId: t.arg.string({ required: true }) },
    errors: bulkMutation('PauseBulk'),
    resolve: (_root, { bulkId }, ctx) => ctx.services.bulks.pause(ctx.account.id, bulkId),
  }),
  resumeBulk: t.field({
    type: BulkType,
    args: { bulkId: t.arg.string({ required: true }) },
    errors: bulkMutation('ResumeBulk'),
    resolve: (_root, { bulkId }, ctx) => ctx.services.bulks.resume(ctx.account.id, bulkId),
  }),
  rescheduleBulk: t.field({
    type: BulkType,
    args: { bulkId: t.arg.string({ required: true }), sendAt: t.arg({ type: 'DateTime', required: true }) },
    errors: bulkMutation('RescheduleBulk'),
    resolve: (_root, { bulkId, sendAt }, ctx) => ctx.services.bulks.reschedule(ctx.account.id, bulkId, sendAt),
  }),
  cancelBulk: t.field({
    type: BulkType,
    description: 'Ends every message not yet dispatched as REJECTED_CANCELED; none of them is sent.',
    args: { bulkId: t.arg.string({ required: true }) },
    errors: bulkMutation('CancelBulk'),
    resolve: (_root, { bulkId }, ctx) => ctx.services.bulks.cancel(ctx.account.id, bulkId),
  }),
}));

builder.subscriptionFields((t) => ({
  bulkProgress: t.field({
    type: BulkType,
    description: "The bulk's counters as they change (a few times a second at most), ending when it is finished.",
    args: { bulkId: t.arg.string({ required: true }) },
    subscribe: (_root, { bulkId }, ctx) => ctx.services.bulks.progress(ctx.account.id, bulkId),
    resolve: (view) => view,
  }),
}));
