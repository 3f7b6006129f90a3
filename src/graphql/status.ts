import { CHANNELS, PROVIDER_TYPES } from '../domain/channel.js';
import { STATUS_GROUPS, type MessageError, type MessageStatus } from '../domain/status.js';
import { VALIDITY_TIME_UNITS, toValidityPeriod } from '../domain/validity.js';
import { builder } from './builder.js';

export const ChannelEnum = builder.enumType('Channel', { values: CHANNELS });
export const ProviderTypeEnum = builder.enumType('ProviderType', { values: PROVIDER_TYPES });
export const StatusGroupEnum = builder.enumType('StatusGroup', {
  description: 'Infobip status groups. ACCEPTED and PENDING are not final; the others are.',
  values: STATUS_GROUPS,
});
export const ValidityTimeUnitEnum = builder.enumType('ValidityTimeUnit', { values: VALIDITY_TIME_UNITS });

export const MessageStatusType = builder.objectRef<MessageStatus>('MessageStatus').implement({
  fields: (t) => ({
    groupId: t.exposeInt('groupId'),
    groupName: t.expose('groupName', { type: StatusGroupEnum }),
    id: t.exposeInt('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
  }),
});

export const MessageErrorType = builder.objectRef<MessageError>('MessageError').implement({
  fields: (t) => ({
    groupId: t.exposeInt('groupId'),
    groupName: t.exposeString('groupName'),
    id: t.exposeInt('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    permanent: t.exposeBoolean('permanent', { description: 'Permanent errors are not retried.' }),
  }),
});

export const ValidityPeriodType = builder.objectRef<number>('ValidityPeriod').implement({
  fields: (t) => ({
    amount: t.int({ resolve: (seconds) => toValidityPeriod(seconds).amount }),
    timeUnit: t.field({ type: ValidityTimeUnitEnum, resolve: (seconds) => toValidityPeriod(seconds).timeUnit }),
  }),
});

export const ValidityPeriodInput = builder.inputType('ValidityPeriodInput', {
  description: 'Between 1 second and 48 hours.',
  fields: (t) => ({
    amount: t.int({ required: true }),
    timeUnit: t.field({ type: ValidityTimeUnitEnum, required: true }),
  }),
});
