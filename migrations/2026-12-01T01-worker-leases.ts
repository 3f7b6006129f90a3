import { sql, type Kysely } from 'kysely';

/**
 * Crash recovery in seconds instead of graphile-worker's 4-hour lock expiry.
 *
 * `worker_lease`: one row per running instance, refreshed every second or so. An instance whose row has
 * gone stale (or whose process is gone, on the same host) is dead: its job locks are released with
 * graphile-worker's `force_unlock_workers`, so its jobs run again at once elsewhere.
 *
 * `attempt.claimed_by` / `claimed_at`: which instance lease claimed an attempt (QUEUED → SENDING) and
 * when. An attempt still SENDING whose claimer is dead, or that was released as in doubt (claimed_by
 * null), may or may not be with its provider: the in-doubt rules settle it without sending it twice.
 * Neither column is indexed, so claiming stays a heap-only update.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('worker_lease')
    .addColumn('instance_id', 'text', (c) => c.primaryKey())
    .addColumn('pool_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    // Each instance is judged by its own TTL, so instances configured differently agree on who is dead.
    .addColumn('ttl_ms', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`alter table attempt add column claimed_by text, add column claimed_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table attempt drop column if exists claimed_by, drop column if exists claimed_at`.execute(db);
  await db.schema.dropTable('worker_lease').ifExists().execute();
}
