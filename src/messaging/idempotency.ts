import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../db/schema.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/** The same idempotency key was used within 24 hours for a different request. */
export class IdempotencyConflictError extends Error {
  constructor(readonly key: string) {
    super(`idempotencyKey ${key} was already used within 24 hours for a different request`);
    this.name = 'IdempotencyConflictError';
  }
}

/** Key order must not matter: two clients serialising the same input differently are one request. */
function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k, v]) => k !== 'idempotencyKey' && v !== undefined && v !== null)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

function requestHash(raw: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(raw))).digest('hex');
}

function keyOf(raw: unknown): string | null {
  const key = (raw as { idempotencyKey?: unknown } | null)?.idempotencyKey;
  return typeof key === 'string' && key.length > 0 ? key : null;
}

/**
 * Idempotent sends. The key row is inserted in the same transaction as the send: a concurrent duplicate
 * blocks on the primary key until the first commits, then sees its result, so duplicates yield one bulk.
 */
export class IdempotencyKeys {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    /** How long a key holds (IDEMPOTENCY_KEY_TTL_HOURS); retention deletes keys older than this. */
    private readonly ttlMs: number = IDEMPOTENCY_WINDOW_MS,
  ) {}

  /**
   * A replay answered before any validation, so it returns the original result even if, say, the
   * scenario it used has since been deleted.
   */
  async replay<T>(accountId: string, raw: unknown): Promise<T | null> {
    const key = keyOf(raw);
    if (!key) return null;
    const row = await this.db
      .selectFrom('idempotencyKey')
      .selectAll()
      .where('accountId', '=', accountId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row || this.expired(row.createdAt)) return null;
    if (row.requestHash !== requestHash(raw)) throw new IdempotencyConflictError(key);
    return row.response && Object.keys(row.response as object).length > 0 ? (row.response as T) : null;
  }

  /** Inside the send's transaction: returns the earlier result, or null when this request goes ahead. */
  async claim<T>(trx: Kysely<Database>, accountId: string, key: string, raw: unknown): Promise<T | null> {
    const hash = requestHash(raw);
    const inserted = await trx
      .insertInto('idempotencyKey')
      .values({ accountId, key, requestHash: hash, response: '{}', createdAt: this.clock.now() })
      .onConflict((oc) => oc.columns(['accountId', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return null;
    const existing = await trx
      .selectFrom('idempotencyKey')
      .selectAll()
      .where('accountId', '=', accountId)
      .where('key', '=', key)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (this.expired(existing.createdAt)) {
      await trx
        .updateTable('idempotencyKey')
        .set({ requestHash: hash, response: '{}', createdAt: this.clock.now() })
        .where('accountId', '=', accountId)
        .where('key', '=', key)
        .execute();
      return null;
    }
    if (existing.requestHash !== hash) throw new IdempotencyConflictError(key);
    return existing.response as T;
  }

  async complete(trx: Kysely<Database>, accountId: string, key: string, response: unknown): Promise<void> {
    await trx
      .updateTable('idempotencyKey')
      .set({ response: JSON.stringify(response) })
      .where('accountId', '=', accountId)
      .where('key', '=', key)
      .execute();
  }

  private expired(createdAt: Date): boolean {
    return this.clock.now().getTime() - createdAt.getTime() > this.ttlMs;
  }
}
