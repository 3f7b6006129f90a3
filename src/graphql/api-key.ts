import { validitySeconds } from '../domain/validity.js';
import type { ApiKeyView, IssuedApiKey, RotatedApiKey } from '../messaging/api-keys.js';
import { builder } from './builder.js';
import { MUTATION_ERRORS } from './errors.js';
import { ValidityTimeUnitEnum } from './status.js';

const ApiKeyScopeEnum = builder.enumType('ApiKeyScope', {
  description: 'What a key may do. ADMIN implies every other scope; CONSOLE implies READ.',
  values: {
    READ: { value: 'read', description: 'Delivery reports, bulks, inbound messages, scenarios, live events.' },
    SEND: { value: 'send', description: 'sendMessage, sendMessages, and pausing, resuming, rescheduling and canceling bulks.' },
    CONSOLE: { value: 'console', description: 'A support console: READ, plus sendMessage to a single destination.' },
    ADMIN: { value: 'admin', description: 'Everything: keys, provider connections, scenarios, account settings.' },
  } as const,
});

const ApiKeyType = builder.objectRef<ApiKeyView>('ApiKey').implement({
  description: 'An API key. Its secret is shown once, when it is created or rotated; only its prefix stays visible.',
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', { description: 'The first characters of the secret, to tell keys apart.' }),
    scopes: t.field({ type: [ApiKeyScopeEnum], resolve: (k) => k.scopes }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Recorded to the minute.' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Set when the key was rotated: it keeps working until then (its grace period).',
    }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    replacedBy: t.exposeString('replacedBy', { nullable: true, description: 'The id of the key that replaced this one.' }),
    requestsPerMinute: t.int({
      nullable: true,
      description: "This key's own limit of requests (HTTP requests and WebSocket operations) per minute; null: the server's default.",
      resolve: (k) => k.rateLimits.requestsPerMinute,
    }),
    destinationsPerMinute: t.int({
      nullable: true,
      description: "This key's own limit of destinations sent to per minute; null: the server's default.",
      resolve: (k) => k.rateLimits.destinationsPerMinute,
    }),
  }),
});

const IssuedApiKeyType = builder.objectRef<IssuedApiKey>('CreateApiKeySuccess').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyType, resolve: (r) => r.apiKey }),
    secret: t.exposeString('secret', { description: 'Send as "Authorization: App <secret>". Shown this once: store it now.' }),
  }),
});

const RotatedApiKeyType = builder.objectRef<RotatedApiKey>('RotateApiKeySuccess').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyType, description: 'The replacement.', resolve: (r) => r.apiKey }),
    secret: t.exposeString('secret', { description: "The replacement's secret, shown this once." }),
    previousKey: t.field({ type: ApiKeyType, description: 'The rotated key, valid until its expiresAt.', resolve: (r) => r.previous }),
  }),
});

const GracePeriodInput = builder.inputType('GracePeriodInput', {
  description: 'Between 0 (the old key stops at once) and 168 hours.',
  fields: (t) => ({
    amount: t.int({ required: true }),
    timeUnit: t.field({ type: ValidityTimeUnitEnum, required: true }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyType],
    description: "The account's keys, newest first, revoked ones included. Never their secrets.",
    resolve: (_root, _args, ctx) => ctx.services.apiKeys.list(ctx.account.id),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: IssuedApiKeyType,
    args: {
      name: t.arg.string({ required: true, description: 'What the key is for, e.g. "support console".' }),
      scopes: t.arg({ type: [ApiKeyScopeEnum], required: true }),
      requestsPerMinute: t.arg.int({ description: "The key's own request limit per minute (default: the server's)." }),
      destinationsPerMinute: t.arg.int({ description: "The key's own limit of destinations sent to per minute (default: the server's)." }),
    },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'CreateApiKeyResult' } },
    resolve: (_root, { name, scopes, requestsPerMinute, destinationsPerMinute }, ctx) =>
      ctx.services.apiKeys.create(ctx.account.id, { name, scopes, requestsPerMinute, destinationsPerMinute }),
  }),
  setApiKeyRateLimits: t.field({
    type: ApiKeyType,
    description:
      "Gives a key its own rate limits; a limit left out or null goes back to the server's default. Applies from the key's next request, on every instance.",
    args: {
      id: t.arg.string({ required: true }),
      requestsPerMinute: t.arg.int(),
      destinationsPerMinute: t.arg.int(),
    },
    errors: {
      types: MUTATION_ERRORS,
      result: { name: 'SetApiKeyRateLimitsSuccess' },
      union: { name: 'SetApiKeyRateLimitsResult' },
      dataField: { name: 'apiKey' },
    },
    resolve: (_root, { id, requestsPerMinute, destinationsPerMinute }, ctx) =>
      ctx.services.apiKeys.setRateLimits(ctx.account.id, id, { requestsPerMinute, destinationsPerMinute }),
  }),
  revokeApiKey: t.field({
    type: ApiKeyType,
    description: 'The key stops working at once, over HTTP and on open WebSockets, on every instance.',
    args: { id: t.arg.string({ required: true }) },
    errors: { types: MUTATION_ERRORS, result: { name: 'RevokeApiKeySuccess' }, union: { name: 'RevokeApiKeyResult' }, dataField: { name: 'apiKey' } },
    resolve: (_root, { id }, ctx) => ctx.services.apiKeys.revoke(ctx.account.id, id),
  }),
  rotateApiKey: t.field({
    type: RotatedApiKeyType,
    description: 'A new secret with the same name and scopes; the old one keeps working for the grace period (default 24 hours), then stops.',
    args: { id: t.arg.string({ required: true }), gracePeriod: t.arg({ type: GracePeriodInput }) },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'RotateApiKeyResult' } },
    resolve: (_root, { id, gracePeriod }, ctx) =>
      ctx.services.apiKeys.rotate(ctx.account.id, id, gracePeriod ? validitySeconds(gracePeriod) : undefined),
  }),
}));
