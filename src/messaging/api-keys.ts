import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../domain/clock.js';
import { SCOPES, scopesFromStorage, type Scope } from '../domain/scopes.js';
import type { ApiKeyTable, Database } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';
import { defineTask, enqueue, type TaskDefinition } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { Account } from './accounts.js';
import { NotFoundError, parseInput, ValidationError } from './errors.js';

const KEY_PREFIX = 'og_';
/** How much of a key stays visible (in lists, logs and the CLI) to tell keys apart: `og_` and 9 characters. */
const VISIBLE_PREFIX_LENGTH = 12;
/** Authentication results are kept this long; revocation and rotation clear them at once, on every instance. */
const CACHE_MS = 10_000;
const CACHE_MAX_ENTRIES = 10_000;
/** A key's last use is written at most this often: never a write per request. */
const LAST_USE_EVERY_MS = 60_000;

export const DEFAULT_GRACE_SECONDS = 24 * 3600;
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/** A key's own rate limits; null where the configured default applies. */
export interface KeyRateLimits {
  requestsPerMinute: number | null;
  destinationsPerMinute: number | null;
}

/** The key a request came with: which one it is, what it may do and how often. */
export interface ApiKeyGrant {
  id: string;
  scopes: readonly Scope[];
  rateLimits: KeyRateLimits;
}

/** The caller of an API operation: its account, and the key it authenticated with. */
export interface AuthenticatedAccount extends Account {
  key: ApiKeyGrant;
}

/** A key as its owner sees it: never its secret, only the visible prefix. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Set on a rotated key: the end of its grace period. */
  expiresAt: Date | null;
  revokedAt: Date | null;
  replacedBy: string | null;
  rateLimits: KeyRateLimits;
}

/** A key and its secret, which is shown this once: only its hash is stored. */
export interface IssuedApiKey {
  apiKey: ApiKeyView;
  secret: string;
}

export interface RotatedApiKey extends IssuedApiKey {
  /** The key that was rotated, valid until its `expiresAt`. */
  previous: ApiKeyView;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Accepts `App <key>` (Infobip style) or `Bearer <key>`. */
export function apiKeyFromAuthorization(header: string | null | undefined): string | null {
  const match = /^(?:App|Bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

const scopeList = z
  .array(z.enum(SCOPES))
  .min(1, 'must name at least one scope')
  .transform((scopes) => [...new Set(scopes)]);

/** Up to a million per minute: past that a limit protects nothing (and an int4 column holds it). */
const MAX_PER_MINUTE = 1_000_000;
const perMinute = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1 (null keeps the default)')
  .max(MAX_PER_MINUTE, `must be at most ${MAX_PER_MINUTE}`)
  .nullable()
  .default(null);

const RateLimitsInput = z.object({ requestsPerMinute: perMinute, destinationsPerMinute: perMinute });

const CreateInput = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scopes: scopeList,
  requestsPerMinute: perMinute,
  destinationsPerMinute: perMinute,
});

const GraceInput = z
  .number()
  .int()
  .min(0, 'must not be negative')
  .max(MAX_GRACE_SECONDS, `must be at most ${MAX_GRACE_SECONDS / 3600} hours`);

const VIEW_COLUMNS = [
  'id',
  'name',
  'keyPrefix',
  'scopes',
  'createdAt',
  'lastUsedAt',
  'expiresAt',
  'revokedAt',
  'replacedBy',
  'requestsPerMinute',
  'destinationsPerMinute',
] as const;

type ViewRow = Pick<Selectable<ApiKeyTable>, (typeof VIEW_COLUMNS)[number]>;

function toView(row: ViewRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.keyPrefix,
    scopes: scopesFromStorage(row.scopes),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    replacedBy: row.replacedBy,
    rateLimits: { requestsPerMinute: row.requestsPerMinute, destinationsPerMinute: row.destinationsPerMinute },
  };
}

/** Inserts a key; returns it with its secret. Used inside the caller's transaction. */
export async function issueKey(
  db: Kysely<Database>,
  accountId: string,
  input: { name: string; scopes: readonly Scope[]; rateLimits?: KeyRateLimits },
): Promise<IssuedApiKey> {
  const secret = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const row = await db
    .insertInto('apiKey')
    .values({
      accountId,
      keyHash: hashApiKey(secret),
      keyPrefix: secret.slice(0, VISIBLE_PREFIX_LENGTH),
      name: input.name,
      scopes: [...input.scopes],
      requestsPerMinute: input.rateLimits?.requestsPerMinute ?? null,
      destinationsPerMinute: input.rateLimits?.destinationsPerMinute ?? null,
    })
    .returning(VIEW_COLUMNS)
    .executeTakeFirstOrThrow();
  return { apiKey: toView(row), secret };
}

interface CacheEntry {
  caller: AuthenticatedAccount | null;
  expiresAt: Date | null;
  until: number;
}

type KeyEndedListener = (keyId: string) => void;

/**
 * API keys: issue, list, revoke, rotate, and authenticate a request's key.
 *
 * Authentication runs on every request, so its results are cached in-process for a few seconds. A
 * revocation or rotation clears the cache of every instance through the event bus, and tells each
 * instance's WebSocket server to close the sockets opened with an ended key.
 */
export class ApiKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  /** Bumped whenever keys change, so a lookup that raced the change does not cache what it read. */
  private generation = 0;
  private readonly lastUseWritten = new Map<string, number>();
  private readonly endedListeners = new Set<KeyEndedListener>();
  private changes: AsyncIterableIterator<unknown> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly bus: EventBus | null,
  ) {}

  /** Follows key changes made by any instance (or the CLI). */
  listen(): void {
    if (!this.bus || this.changes) return;
    const changes = this.bus.apiKeyChanges();
    this.changes = changes;
    void (async () => {
      for await (const change of changes) this.applyChange(change.keyId, change.ended);
    })().catch((err: unknown) => this.logger.error({ err }, 'api key change listener stopped'));
  }

  close(): void {
    void this.changes?.return?.();
    this.changes = null;
  }

  /** Called with a key's id when it stops working (revoked, or its grace period ended). */
  onKeyEnded(listener: KeyEndedListener): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  async authenticate(authorization: string | null | undefined): Promise<AuthenticatedAccount | null> {
    const key = apiKeyFromAuthorization(authorization);
    if (!key) return null;
    const hash = hashApiKey(key);
    let entry = this.cache.get(hash);
    if (!entry || entry.until <= Date.now()) {
      const generation = this.generation;
      const row = await this.db
        .selectFrom('apiKey')
        .innerJoin('account', 'account.id', 'apiKey.accountId')
        .select([
          'account.id as accountId',
          'account.name as accountName',
          'apiKey.id as keyId',
          'apiKey.scopes',
          'apiKey.expiresAt',
          'apiKey.requestsPerMinute',
          'apiKey.destinationsPerMinute',
        ])
        .where('apiKey.keyHash', '=', hash)
        .where('apiKey.revokedAt', 'is', null)
        .executeTakeFirst();
      entry = {
        caller: row
          ? {
              id: row.accountId,
              name: row.accountName,
              key: {
                id: row.keyId,
                scopes: scopesFromStorage(row.scopes),
                rateLimits: { requestsPerMinute: row.requestsPerMinute, destinationsPerMinute: row.destinationsPerMinute },
              },
            }
          : null,
        expiresAt: row?.expiresAt ?? null,
        until: Date.now() + CACHE_MS,
      };
      if (generation === this.generation) {
        if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
        this.cache.set(hash, entry);
      }
    }
    if (!entry.caller) return null;
    // Checked on every call, cached or not: a rotated key stops exactly when its grace period ends.
    if (entry.expiresAt && entry.expiresAt.getTime() <= this.clock.now().getTime()) return null;
    this.noteUse(entry.caller.key.id);
    return entry.caller;
  }

  async list(accountId: string): Promise<ApiKeyView[]> {
    const rows = await this.db
      .selectFrom('apiKey')
      .select(VIEW_COLUMNS)
      .where('accountId', '=', accountId)
      .orderBy('createdAt', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toView);
  }

  async create(
    accountId: string,
    raw: { name: string; scopes: readonly string[]; requestsPerMinute?: number | null; destinationsPerMinute?: number | null },
  ): Promise<IssuedApiKey> {
    const input = parseInput(CreateInput, raw, []);
    return issueKey(this.db, accountId, {
      name: input.name,
      scopes: input.scopes,
      rateLimits: { requestsPerMinute: input.requestsPerMinute, destinationsPerMinute: input.destinationsPerMinute },
    });
  }

  /**
   * Sets a key's own rate limits (null: back to the configured default). Every instance's cache forgets
   * the key, so its next request is counted against the new limits.
   */
  async setRateLimits(
    accountId: string,
    id: string,
    raw: { requestsPerMinute?: number | null; destinationsPerMinute?: number | null },
  ): Promise<ApiKeyView> {
    const limits = parseInput(RateLimitsInput, raw, []);
    if (!z.uuid().safeParse(id).success) throw new NotFoundError('ApiKey', id);
    const updated = await this.db
      .updateTable('apiKey')
      .set({ requestsPerMinute: limits.requestsPerMinute, destinationsPerMinute: limits.destinationsPerMinute })
      .where('id', '=', id)
      .where('accountId', '=', accountId)
      .returning(VIEW_COLUMNS)
      .executeTakeFirst();
    if (!updated) throw new NotFoundError('ApiKey', id);
    this.announce(accountId, id, false);
    return toView(updated);
  }

  /** Stops the key at once, here and on every instance. Revoking a revoked key changes nothing. */
  async revoke(accountId: string, id: string): Promise<ApiKeyView> {
    if (!z.uuid().safeParse(id).success) throw new NotFoundError('ApiKey', id);
    const revoked = await this.db
      .updateTable('apiKey')
      .set({ revokedAt: this.clock.now() })
      .where('id', '=', id)
      .where('accountId', '=', accountId)
      .where('revokedAt', 'is', null)
      .returning(VIEW_COLUMNS)
      .executeTakeFirst();
    if (!revoked) {
      const existing = await this.db.selectFrom('apiKey').select(VIEW_COLUMNS).where('id', '=', id).where('accountId', '=', accountId).executeTakeFirst();
      if (!existing) throw new NotFoundError('ApiKey', id);
      return toView(existing);
    }
    this.announce(accountId, id, true);
    return toView(revoked);
  }

  /**
   * Issues a replacement with the same name and scopes. The old key keeps working for `graceSeconds`
   * (so deployments can switch over), then stops as if revoked; 0 stops it at once.
   */
  async rotate(accountId: string, id: string, graceSeconds: number = DEFAULT_GRACE_SECONDS): Promise<RotatedApiKey> {
    const grace = parseInput(GraceInput, graceSeconds, ['gracePeriod']);
    if (!z.uuid().safeParse(id).success) throw new NotFoundError('ApiKey', id);
    const now = this.clock.now();
    const endsAt = new Date(now.getTime() + grace * 1000);
    const rotated = await this.db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom('apiKey')
        .select([...VIEW_COLUMNS, 'accountId'])
        .where('id', '=', id)
        .where('accountId', '=', accountId)
        .forUpdate()
        .executeTakeFirst();
      if (!old) throw new NotFoundError('ApiKey', id);
      if (old.revokedAt) throw ValidationError.single(['id'], 'is revoked; create a new key instead');
      if (old.replacedBy) throw ValidationError.single(['id'], `was already rotated; rotate its replacement ${old.replacedBy}`);
      const issued = await issueKey(trx, accountId, {
        name: old.name,
        scopes: scopesFromStorage(old.scopes),
        rateLimits: { requestsPerMinute: old.requestsPerMinute, destinationsPerMinute: old.destinationsPerMinute },
      });
      const previous = await trx
        .updateTable('apiKey')
        .set({ expiresAt: endsAt, replacedBy: issued.apiKey.id })
        .where('id', '=', id)
        .returning(VIEW_COLUMNS)
        .executeTakeFirstOrThrow();
      if (grace > 0) await enqueue(trx, [{ task: 'end-api-key', payload: { keyId: id }, runAt: this.clock.toReal(endsAt) }]);
      return { ...issued, previous: toView(previous) };
    });
    this.announce(accountId, id, grace === 0);
    return rotated;
  }

  /** The end of a rotated key's grace period: its sockets close and every cache forgets it. */
  async endGracePeriod(keyId: string): Promise<void> {
    const key = await this.db.selectFrom('apiKey').select(['accountId', 'expiresAt', 'revokedAt']).where('id', '=', keyId).executeTakeFirst();
    if (!key?.expiresAt || key.revokedAt) return;
    if (key.expiresAt.getTime() > this.clock.now().getTime()) {
      // A job that ran early goes back on the schedule rather than ending the key too soon.
      await enqueue(this.db, [{ task: 'end-api-key', payload: { keyId }, runAt: this.clock.toReal(key.expiresAt) }]);
      return;
    }
    this.announce(key.accountId, keyId, true);
  }

  private announce(accountId: string, keyId: string, ended: boolean): void {
    // Applied here at once (the caller's next request must already see it), and on other instances by the bus.
    this.applyChange(keyId, ended);
    this.bus?.publishApiKeyChanged({ accountId, keyId, ended });
  }

  private applyChange(keyId: string, ended: boolean): void {
    this.generation += 1;
    this.cache.clear();
    if (!ended) return;
    for (const listener of this.endedListeners) {
      try {
        listener(keyId);
      } catch (err) {
        this.logger.error({ err, keyId }, 'api key end listener failed');
      }
    }
  }

  /** Records the key's last use without a write per request: at most once a minute per key and instance. */
  private noteUse(keyId: string): void {
    const nowMs = Date.now();
    const last = this.lastUseWritten.get(keyId);
    if (last !== undefined && nowMs - last < LAST_USE_EVERY_MS) return;
    if (this.lastUseWritten.size >= CACHE_MAX_ENTRIES) this.lastUseWritten.clear();
    this.lastUseWritten.set(keyId, nowMs);
    const now = this.clock.now();
    this.db
      .updateTable('apiKey')
      .set({ lastUsedAt: now })
      .where('id', '=', keyId)
      // Several instances: whoever is first in the minute writes.
      .where((eb) => eb.or([eb('lastUsedAt', 'is', null), eb('lastUsedAt', '<', new Date(now.getTime() - LAST_USE_EVERY_MS))]))
      .execute()
      .catch((err: unknown) => this.logger.warn({ err, keyId }, 'could not record api key use'));
  }
}

/** The job that ends a rotated key's grace period. */
export function endApiKeyTask(keys: ApiKeyService): TaskDefinition {
  return defineTask('end-api-key', (p) => keys.endGracePeriod(p.keyId));
}
