import type { ProviderConnectionRow, ViberSubscriberRow } from '../db/schema.js';
import { builder } from './builder.js';
import { MUTATION_ERRORS } from './errors.js';
import { ChannelEnum, ProviderTypeEnum } from './status.js';

const WebhookUrlType = builder.simpleObject('ProviderWebhookUrl', {
  description: "A URL to paste into the provider's console.",
  fields: (t) => ({ purpose: t.string(), url: t.string() }),
});

const DtAuthFormEnum = builder.enumType('DecisionTelecomAuthForm', {
  values: { KEY: { value: 'key' }, KEY_COLON: { value: 'key-colon' } } as const,
});

export const ProviderConnectionType = builder.objectRef<ProviderConnectionRow>('ProviderConnection').implement({
  description: 'How the account reaches one provider. Credentials are write-only: no field returns them.',
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    type: t.expose('type', { type: ProviderTypeEnum }),
    baseUrl: t.exposeString('baseUrl'),
    channels: t.field({ type: [ChannelEnum], resolve: (c) => c.channels }),
    hasCredentials: t.boolean({ resolve: (c) => Boolean(c.credentials.apiKey || c.credentials.authToken) }),
    twoWay: t.boolean({ resolve: (c) => c.options.twoWay ?? false }),
    webhookUrls: t.field({ type: [WebhookUrlType], resolve: (c, _a, ctx) => ctx.services.connections.webhookUrls(c) }),
    callbackAuthorization: t.string({
      nullable: true,
      description: 'Infobip: the header value to configure on its webhooks (Authorization), so we can tell its callbacks apart.',
      resolve: (c, _a, ctx) => ctx.services.connections.callbackAuthorization(c),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ViberSubscriberType = builder.objectRef<ViberSubscriberRow>('ViberSubscriber').implement({
  fields: (t) => ({
    userId: t.exposeString('userId'),
    name: t.exposeString('name', { nullable: true }),
    avatar: t.exposeString('avatar', { nullable: true }),
    country: t.exposeString('country', { nullable: true }),
    language: t.exposeString('language', { nullable: true }),
    apiVersion: t.exposeInt('apiVersion', { nullable: true }),
    subscribed: t.exposeBoolean('subscribed'),
    subscribedAt: t.expose('subscribedAt', { type: 'DateTime', nullable: true }),
    unsubscribedAt: t.expose('unsubscribedAt', { type: 'DateTime', nullable: true }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime' }),
  }),
});

const CredentialsInput = builder.inputType('ProviderCredentialsInput', {
  description: 'Write-only. Infobip and DecisionTelecom: apiKey; Viber bot: authToken.',
  fields: (t) => ({ apiKey: t.string(), authToken: t.string() }),
});

const OptionsInput = builder.inputType('ProviderConnectionOptionsInput', {
  fields: (t) => ({
    decisionTelecomAuthForm: t.field({ type: DtAuthFormEnum, description: 'Basic base64(key) (default) or base64("key:").' }),
    twoWay: t.boolean({ description: 'DecisionTelecom: send two-way types (206/208) so replies come back.' }),
  }),
});

const ConfigureInput = builder.inputType('ConfigureProviderConnectionInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    type: t.field({ type: ProviderTypeEnum, required: true }),
    baseUrl: t.string({ description: "The provider's API root; its public one when absent." }),
    credentials: t.field({ type: CredentialsInput }),
    channels: t.field({ type: [ChannelEnum], required: true, description: 'Which channels this connection carries.' }),
    options: t.field({ type: OptionsInput }),
  }),
});

const UpdateInput = builder.inputType('UpdateProviderConnectionInput', {
  fields: (t) => ({
    name: t.string(),
    baseUrl: t.string(),
    credentials: t.field({ type: CredentialsInput, description: 'Only the credentials given are replaced.' }),
    channels: t.field({ type: [ChannelEnum] }),
    options: t.field({ type: OptionsInput }),
  }),
});

function toOptions(o: { decisionTelecomAuthForm?: 'key' | 'key-colon' | null; twoWay?: boolean | null } | null | undefined) {
  return o ? { authForm: o.decisionTelecomAuthForm, twoWay: o.twoWay } : null;
}

function connectionErrors(name: string) {
  return { types: MUTATION_ERRORS, result: { name: `${name}Success` }, union: { name: `${name}Result` }, dataField: { name: 'connection' } };
}

builder.queryFields((t) => ({
  providerConnections: t.field({
    type: [ProviderConnectionType],
    resolve: (_root, _args, ctx) => ctx.services.connections.list(ctx.account.id),
  }),
  providerConnection: t.field({
    type: ProviderConnectionType,
    nullable: true,
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.connections.get(ctx.account.id, id),
  }),
  viberSubscribers: t.field({
    type: [ViberSubscriberType],
    description: 'Users known to a Viber bot connection, from its subscribed, conversation_started and message callbacks.',
    args: { connectionId: t.arg.string({ required: true }), subscribed: t.arg.boolean() },
    resolve: (_root, { connectionId, subscribed }, ctx) => ctx.services.inbound.subscribers(ctx.account.id, connectionId, subscribed),
  }),
}));

builder.mutationFields((t) => ({
  configureProviderConnection: t.field({
    type: ProviderConnectionType,
    args: { input: t.arg({ type: ConfigureInput, required: true }) },
    errors: connectionErrors('ConfigureProviderConnection'),
    resolve: (_root, { input }, ctx) => ctx.services.connections.configure(ctx.account.id, { ...input, options: toOptions(input.options) }),
  }),
  updateProviderConnection: t.field({
    type: ProviderConnectionType,
    args: { id: t.arg.string({ required: true }), input: t.arg({ type: UpdateInput, required: true }) },
    errors: connectionErrors('UpdateProviderConnection'),
    resolve: (_root, { id, input }, ctx) => ctx.services.connections.update(ctx.account.id, id, { ...input, options: toOptions(input.options) }),
  }),
  deleteProviderConnection: t.field({
    type: ProviderConnectionType,
    args: { id: t.arg.string({ required: true }) },
    errors: connectionErrors('DeleteProviderConnection'),
    resolve: (_root, { id }, ctx) => ctx.services.connections.delete(ctx.account.id, id),
  }),
  setViberWebhook: t.field({
    type: ProviderConnectionType,
    description: "Registers this connection's webhook URL with the Viber bot (Viber checks it with a signed call first).",
    args: { connectionId: t.arg.string({ required: true }) },
    errors: connectionErrors('SetViberWebhook'),
    resolve: (_root, { connectionId }, ctx) => ctx.services.connections.registerWebhook(ctx.account.id, connectionId),
  }),
}));
