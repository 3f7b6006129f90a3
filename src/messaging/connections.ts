import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { CHANNELS, PROVIDER_TYPES } from '../domain/channel.js';
import type { Database, ProviderConnectionRow } from '../db/schema.js';
import { isHttpUrl } from '../domain/text.js';
import type { WebhookUrl } from '../providers/module.js';
import { trimBaseUrl } from '../providers/provider-post.js';
import { moduleFor } from '../providers/registry.js';
import { NotFoundError, ValidationError, parseInput } from './errors.js';
import { assertOutboundUrls } from './outbound-urls.js';
import type { OutboundGuard } from '../net/outbound-guard.js';

const urlSchema = z.string().max(2000).refine(isHttpUrl, 'must be an http(s) URL');

const credentialsSchema = z.object({
  apiKey: z.string().min(1, 'must not be empty').max(500).nullish(),
  authToken: z.string().min(1, 'must not be empty').max(500).nullish(),
});

const optionsSchema = z.object({ authForm: z.enum(['key', 'key-colon']).nullish(), twoWay: z.boolean().nullish() });

const configureSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    type: z.enum(PROVIDER_TYPES),
    baseUrl: urlSchema.nullish(),
    credentials: credentialsSchema.nullish(),
    channels: z.array(z.enum(CHANNELS)).min(1, 'must name at least one channel'),
    options: optionsSchema.nullish(),
  })
  .superRefine((input, ctx) => {
    const provider = moduleFor(input.type);
    for (const [i, channel] of input.channels.entries()) {
      if (!provider.channels.includes(channel)) {
        ctx.addIssue({ code: 'custom', path: ['channels', i], message: `${input.type} cannot carry ${channel}` });
      }
    }
    const needs = provider.requiredCredential;
    if (needs && !input.credentials?.[needs]) {
      ctx.addIssue({ code: 'custom', path: ['credentials', needs], message: `is required for ${input.type}` });
    }
  });

const updateSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').nullish(),
  baseUrl: urlSchema.nullish(),
  credentials: credentialsSchema.nullish(),
  channels: z.array(z.enum(CHANNELS)).min(1, 'must name at least one channel').nullish(),
  options: optionsSchema.nullish(),
});

export type ConfigureConnectionInput = z.input<typeof configureSchema>;
export type UpdateConnectionInput = z.input<typeof updateSchema>;

function compact<T extends object>(o: T | null | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

/** An account's provider connections. Credentials go in and are used to send; they never come back out. */
export class ConnectionService {
  /** Webhook routes look a connection up per callback; a short cache spares the database under load. */
  private readonly cache = new Map<string, { row: ProviderConnectionRow | null; until: number }>();
  private static readonly CACHE_MS = 5_000;

  constructor(
    private readonly db: Kysely<Database>,
    /** The base URL providers reach us at; webhook URLs are built on it. */
    private readonly publicUrl: () => string,
    private readonly urls: OutboundGuard,
  ) {}

  async configure(accountId: string, raw: ConfigureConnectionInput): Promise<ProviderConnectionRow> {
    const input = parseInput(configureSchema, raw, ['input']);
    if (input.baseUrl) await assertOutboundUrls(this.urls, [{ url: input.baseUrl, path: ['input', 'baseUrl'] }]);
    const row = await this.db
      .insertInto('providerConnection')
      .values({
        accountId,
        name: input.name,
        type: input.type,
        baseUrl: input.baseUrl ?? moduleFor(input.type).defaultBaseUrl,
        credentials: JSON.stringify(compact(input.credentials)),
        channels: JSON.stringify(input.channels),
        options: JSON.stringify(compact(input.options)),
        callbackSecret: randomBytes(24).toString('base64url'),
      })
      .onConflict((oc) => oc.columns(['accountId', 'name']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw ValidationError.single(['input', 'name'], 'is already used by another connection');
    return row;
  }

  async update(accountId: string, id: string, raw: UpdateConnectionInput): Promise<ProviderConnectionRow> {
    const input = parseInput(updateSchema, raw, ['input']);
    const existing = await this.get(accountId, id);
    if (existing && input.baseUrl) await assertOutboundUrls(this.urls, [{ url: input.baseUrl, path: ['input', 'baseUrl'] }]);
    if (!existing) throw new NotFoundError('ProviderConnection', id);
    const channels = input.channels ?? existing.channels;
    for (const [i, channel] of channels.entries()) {
      if (!moduleFor(existing.type).channels.includes(channel)) {
        throw ValidationError.single(['input', 'channels', String(i)], `${existing.type} cannot carry ${channel}`);
      }
    }
    this.cache.delete(id);
    return this.db
      .updateTable('providerConnection')
      .set({
        name: input.name ?? existing.name,
        baseUrl: input.baseUrl ?? existing.baseUrl,
        credentials: JSON.stringify({ ...existing.credentials, ...compact(input.credentials) }),
        channels: JSON.stringify(channels),
        options: JSON.stringify({ ...existing.options, ...compact(input.options) }),
        updatedAt: new Date(),
      })
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async delete(accountId: string, id: string): Promise<ProviderConnectionRow> {
    if (!isUuid(id)) throw new NotFoundError('ProviderConnection', id);
    const row = await this.db.deleteFrom('providerConnection').where('accountId', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
    if (!row) throw new NotFoundError('ProviderConnection', id);
    this.cache.delete(id);
    return row;
  }

  async get(accountId: string, id: string): Promise<ProviderConnectionRow | null> {
    if (!isUuid(id)) return null;
    return (await this.db.selectFrom('providerConnection').selectAll().where('accountId', '=', accountId).where('id', '=', id).executeTakeFirst()) ?? null;
  }

  /** For webhook routes and the adapter registry, which know the connection but not yet the account. */
  async byId(id: string): Promise<ProviderConnectionRow | null> {
    if (!isUuid(id)) return null;
    const cached = this.cache.get(id);
    if (cached && cached.until > Date.now()) return cached.row;
    const row = (await this.db.selectFrom('providerConnection').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { row, until: Date.now() + ConnectionService.CACHE_MS });
    return row;
  }

  async list(accountId: string): Promise<ProviderConnectionRow[]> {
    return this.db.selectFrom('providerConnection').selectAll().where('accountId', '=', accountId).orderBy('createdAt').execute();
  }

  /** `<public URL>/webhooks/<slug>/<id>`: where this connection's callbacks arrive; null when its provider posts none. */
  webhookBase(connection: ProviderConnectionRow): string | null {
    const hooks = moduleFor(connection.type).webhooks;
    return hooks ? `${trimBaseUrl(this.publicUrl())}/webhooks/${hooks.slug}/${connection.id}` : null;
  }

  /** The URLs to paste into the provider's console (adapters also pass them along with sends where they can). */
  webhookUrls(connection: ProviderConnectionRow): WebhookUrl[] {
    const base = this.webhookBase(connection);
    const hooks = moduleFor(connection.type).webhooks;
    return base && hooks ? hooks.urls(base, connection) : [];
  }

  /** The header value to configure on the provider's webhooks, for providers whose callbacks carry one of ours. */
  callbackAuthorization(connection: ProviderConnectionRow): string | null {
    return moduleFor(connection.type).callbackAuthorization?.(connection) ?? null;
  }

  /**
   * Tells the provider this connection's webhook URL through its API, for providers that take it that way
   * (others are configured in their console with webhookUrls).
   */
  async registerWebhook(accountId: string, id: string): Promise<ProviderConnectionRow> {
    const connection = await this.get(accountId, id);
    if (!connection) throw new NotFoundError('ProviderConnection', id);
    const registration = moduleFor(connection.type).webhookRegistration;
    const base = this.webhookBase(connection);
    if (!registration || !base) {
      throw ValidationError.single(['connectionId'], `is a ${connection.type} connection, whose webhook is not registered through its API`);
    }
    const refusal = await registration.register(connection, base);
    if (refusal !== null) throw ValidationError.single(['connectionId'], refusal);
    return connection;
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
