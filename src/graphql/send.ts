import { VIBER_LABELS } from '../domain/sending-options.js';
import { IdempotencyConflictError } from '../messaging/idempotency.js';
import type { AcceptedMessage, SendOutcome } from '../messaging/send.js';
import { builder } from './builder.js';
import { ErrorInterface, MUTATION_ERRORS } from './errors.js';
import { MessageStatusType, ValidityPeriodInput } from './status.js';
import { DeliveryTimeWindowInput, SendingSpeedLimitInput } from './bulk.js';

builder.objectType(IdempotencyConflictError, {
  name: 'IdempotencyConflictError',
  description: 'The idempotencyKey was used within 24 hours for a different request; nothing was sent.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ key: t.exposeString('key') }),
});

const DestinationAddressInput = builder.inputType('DestinationAddressInput', {
  description: 'A phone number, a Viber bot subscriber id, or both (a bot step uses the id, SMS and business Viber the number).',
  fields: (t) => ({
    phoneNumber: t.string({ description: 'International, with or without +.' }),
    viberUserId: t.string({ description: "The user's id with a Viber bot connection (from its subscribers)." }),
  }),
});

const DestinationInput = builder.inputType('DestinationInput', {
  fields: (t) => ({
    to: t.field({ type: DestinationAddressInput, required: true }),
    messageId: t.string({ description: 'Your id for this message; generated when absent. Unique per account.' }),
  }),
});

const ViberKeyboardActionTypeEnum = builder.enumType('ViberKeyboardActionType', {
  values: {
    REPLY: { description: "Sends actionBody back to the bot as the user's message." },
    OPEN_URL: { description: 'Opens actionBody, an http(s) URL.' },
  } as const,
});

const ViberKeyboardButtonInput = builder.inputType('ViberKeyboardButtonInput', {
  fields: (t) => ({
    actionType: t.field({ type: ViberKeyboardActionTypeEnum, required: true }),
    actionBody: t.string({ required: true }),
    text: t.string({ description: 'At most 250 characters.' }),
    imageUrl: t.string(),
    columns: t.int({ description: 'Width in the 6-column grid, 1 to 6 (default 6).' }),
    rows: t.int({ description: 'Height, 1 or 2 rows (default 1).' }),
    bgColor: t.string({ description: '#RRGGBB' }),
  }),
});

const ViberKeyboardInput = builder.inputType('ViberKeyboardInput', {
  description:
    'Buttons under the chat input until the next message replaces them. Only a Viber bot connection carries them; ' +
    'a step through Infobip or DecisionTelecom refuses one.',
  fields: (t) => ({
    buttons: t.field({ type: [ViberKeyboardButtonInput], required: true }),
    defaultHeight: t.boolean(),
    bgColor: t.string({ description: '#RRGGBB' }),
  }),
});

/** Every Viber content input takes a keyboard. */
const keyboardField = (t: FieldBuilder) => ({ keyboard: t.field({ type: ViberKeyboardInput }) });

const ViberTextInput = builder.inputType('ViberTextInput', {
  fields: (t) => ({ text: t.string({ required: true, description: 'At most 1000 characters (7000 on a Viber bot).' }), ...keyboardField(t) }),
});

const ViberImageInput = builder.inputType('ViberImageInput', {
  fields: (t) => ({ url: t.string({ required: true }), text: t.string(), thumbnailUrl: t.string(), ...keyboardField(t) }),
});

const ViberVideoInput = builder.inputType('ViberVideoInput', {
  fields: (t) => ({
    url: t.string({ required: true }),
    sizeBytes: t.int({ required: true }),
    durationSeconds: t.int(),
    thumbnailUrl: t.string(),
    text: t.string(),
    ...keyboardField(t),
  }),
});

const ViberFileInput = builder.inputType('ViberFileInput', {
  fields: (t) => ({ url: t.string({ required: true }), sizeBytes: t.int({ required: true }), fileName: t.string({ required: true }), ...keyboardField(t) }),
});

const ViberCarouselItemInput = builder.inputType('ViberCarouselItemInput', {
  fields: (t) => ({
    title: t.string({ required: true }),
    imageUrl: t.string({ required: true }),
    buttonText: t.string({ required: true }),
    buttonUrl: t.string({ required: true }),
  }),
});

const ViberCarouselInput = builder.inputType('ViberCarouselInput', {
  fields: (t) => ({ altText: t.string(), items: t.field({ type: [ViberCarouselItemInput], required: true }), ...keyboardField(t) }),
});

const ViberLocationInput = builder.inputType('ViberLocationInput', {
  fields: (t) => ({ latitude: t.float({ required: true }), longitude: t.float({ required: true }), ...keyboardField(t) }),
});

const ViberContactInput = builder.inputType('ViberContactInput', {
  fields: (t) => ({ name: t.string({ required: true }), phoneNumber: t.string({ required: true }), avatarUrl: t.string(), ...keyboardField(t) }),
});

const ViberStickerInput = builder.inputType('ViberStickerInput', {
  fields: (t) => ({ stickerId: t.int({ required: true }), ...keyboardField(t) }),
});

const ViberUrlInput = builder.inputType('ViberUrlInput', {
  fields: (t) => ({ url: t.string({ required: true }), ...keyboardField(t) }),
});

const ViberButtonInput = builder.inputType('ViberButtonInput', {
  fields: (t) => ({ text: t.string({ required: true }), url: t.string({ required: true }) }),
});

const ViberRichInput = builder.inputType('ViberRichInput', {
  description: 'Text, image and button together (all three required).',
  fields: (t) => ({
    text: t.string({ required: true }),
    imageUrl: t.string({ required: true }),
    button: t.field({ type: ViberButtonInput, required: true }),
    ...keyboardField(t),
  }),
});

export const ViberContentInput = builder.inputType('ViberContentInput', {
  description: 'Exactly one content type. Limits depend on the provider carrying the step and are checked on accept.',
  isOneOf: true,
  fields: (t) => ({
    text: t.field({ type: ViberTextInput }),
    image: t.field({ type: ViberImageInput }),
    video: t.field({ type: ViberVideoInput }),
    file: t.field({ type: ViberFileInput }),
    carousel: t.field({ type: ViberCarouselInput }),
    location: t.field({ type: ViberLocationInput }),
    contact: t.field({ type: ViberContactInput }),
    sticker: t.field({ type: ViberStickerInput }),
    url: t.field({ type: ViberUrlInput }),
    rich: t.field({ type: ViberRichInput }),
  }),
});

export const SmsContentInput = builder.inputType('SmsContentInput', {
  fields: (t) => ({ text: t.string({ required: true }) }),
});

const SmsFailoverInput = builder.inputType('SmsFailoverInput', {
  description: 'Send by SMS when Viber fails, without a scenario.',
  fields: (t) => ({
    from: t.string({ required: true }),
    text: t.string({ required: true }),
    validityPeriod: t.field({ type: ValidityPeriodInput }),
  }),
});

const DeliveryWebhookInput = builder.inputType('DeliveryWebhookInput', {
  fields: (t) => ({ url: t.string({ required: true, description: 'http(s); receives each final report, signed.' }) }),
});

const WebhooksInput = builder.inputType('WebhooksInput', {
  fields: (t) => ({ delivery: t.field({ type: DeliveryWebhookInput }) }),
});

const ViberLabelEnum = builder.enumType('ViberLabel', {
  description: 'How providers class a Viber business message; they price and route the two differently.',
  values: VIBER_LABELS,
});

const InfobipPlatformInput = builder.inputType('InfobipPlatformInput', {
  description: "Infobip's CPaaS X application and entity the message is accounted to (at least one).",
  fields: (t) => ({ entityId: t.string(), applicationId: t.string() }),
});

type FieldBuilder = PothosSchemaTypes.InputFieldBuilder<typeof builder.$inferSchemaTypes, 'InputObject'>;

/** Fields of one message entry, shared by sendMessage and each entry of sendMessages. */
const entryFields = (t: FieldBuilder) => ({
  scenarioKey: t.string({ description: "Defaults to the account's default scenario." }),
  from: t.string({ description: "Viber sender; overrides the scenario's Viber steps." }),
  destinations: t.field({ type: [DestinationInput], required: true, description: '1 to 10,000.' }),
  viber: t.field({ type: ViberContentInput }),
  sms: t.field({ type: SmsContentInput }),
  validityPeriod: t.field({
    type: ValidityPeriodInput,
    description: "Validity of the first step's channel (defaults: Viber 24 h, SMS 48 h).",
  }),
  smsFailover: t.field({ type: SmsFailoverInput }),
  callbackData: t.string({ description: 'Returned with every report of these messages. At most 4000 characters.' }),
  deliveryTimeWindow: t.field({ type: DeliveryTimeWindowInput, description: 'No attempt is dispatched outside it.' }),
  webhooks: t.field({ type: WebhooksInput, description: "Where final reports are pushed (else the account's default)." }),
  label: t.field({
    type: ViberLabelEnum,
    description:
      'Label of the Viber steps: Infobip `options.label`, DecisionTelecom `source_type`; a Viber bot has no such label. ' +
      'Default: PROMOTIONAL for rich and carousel content, else TRANSACTIONAL.',
  }),
  platform: t.field({ type: InfobipPlatformInput, description: 'Sent as `options.platform` on every Infobip step; other providers ignore it.' }),
});

const bulkFields = (t: FieldBuilder) => ({
  bulkId: t.string({ description: 'Generated when absent. Unique per account.' }),
  idempotencyKey: t.string({ description: 'The same key and input within 24 hours returns the first result, sending nothing again.' }),
  sendAt: t.field({ type: 'DateTime', description: 'At most 180 days ahead; in the past means now.' }),
  sendingSpeedLimit: t.field({ type: SendingSpeedLimitInput, description: 'Spreads first attempts so no unit holds more than `amount`.' }),
});

const SendMessageInput = builder.inputType('SendMessageInput', {
  fields: (t) => ({ ...bulkFields(t), ...entryFields(t) }),
});

const BulkMessageInput = builder.inputType('BulkMessageInput', {
  fields: (t) => entryFields(t),
});

const SendMessagesInput = builder.inputType('SendMessagesInput', {
  fields: (t) => ({
    ...bulkFields(t),
    messages: t.field({ type: [BulkMessageInput], required: true, description: '1 to 100 entries, 10,000 destinations in all.' }),
  }),
});

const SentMessageType = builder.objectRef<AcceptedMessage>('SentMessage').implement({
  fields: (t) => ({
    messageId: t.exposeString('messageId'),
    to: t.exposeString('to'),
    status: t.expose('status', { type: MessageStatusType }),
  }),
});

const SendMessageSuccess = builder.objectRef<SendOutcome>('SendMessageSuccess').implement({
  fields: (t) => ({
    bulkId: t.exposeString('bulkId'),
    messages: t.field({ type: [SentMessageType], resolve: (o) => o.messages }),
  }),
});

const SEND_ERRORS = [...MUTATION_ERRORS, IdempotencyConflictError];

builder.mutationFields((t) => ({
  sendMessage: t.field({
    type: SendMessageSuccess,
    description: 'Accepts messages to one or many destinations. The whole request is accepted or refused.',
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    errors: { types: SEND_ERRORS, directResult: true, union: { name: 'SendMessageResult' } },
    resolve: (_root, { input }, ctx) => ctx.services.send.sendMessage(ctx.account.id, input),
  }),
  sendMessages: t.field({
    type: SendMessageSuccess,
    description: 'Accepts up to 100 message entries as one bulk, in one transaction.',
    args: { input: t.arg({ type: SendMessagesInput, required: true }) },
    errors: { types: SEND_ERRORS, directResult: true, union: { name: 'SendMessagesResult' } },
    resolve: (_root, { input }, ctx) => ctx.services.send.sendMessages(ctx.account.id, input),
  }),
}));
