import { sql, type Kysely } from 'kysely';

// Migrations are frozen in time: they use Kysely<any> and never import application types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pgcrypto`.execute(db);

  await db.schema
    .createTable('account')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('webhook_secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_key')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('account.id').onDelete('cascade'))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('scenario')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('account.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('flow', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // At most one default per account, enforced by the database rather than by luck.
  await sql`create unique index scenario_one_default on scenario (account_id) where is_default`.execute(db);
  await db.schema.createIndex('scenario_account_id').on('scenario').columns(['account_id', 'id']).execute();

  await db.schema
    .createTable('bulk')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('account.id').onDelete('cascade'))
    .addColumn('bulk_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('send_at', 'timestamptz')
    .addColumn('options', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('bulk_account_bulk_id', ['account_id', 'bulk_id'])
    .execute();

  await db.schema
    .createTable('message')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('account.id').onDelete('cascade'))
    .addColumn('bulk_ref', 'bigint', (c) => c.notNull().references('bulk.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('bulk_id', 'text', (c) => c.notNull())
    .addColumn('to_number', 'text', (c) => c.notNull())
    .addColumn('scenario_key', 'text')
    .addColumn('flow', 'jsonb', (c) => c.notNull())
    .addColumn('callback_data', 'text')
    .addColumn('current_step', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'jsonb', (c) => c.notNull())
    .addColumn('status_group', 'text', (c) => c.notNull())
    .addColumn('error', 'jsonb')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('done_at', 'timestamptz')
    .addColumn('seen_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('message_account_message_id', ['account_id', 'message_id'])
    .execute();
  await db.schema.createIndex('message_account_id').on('message').columns(['account_id', 'id']).execute();
  await db.schema.createIndex('message_account_to').on('message').columns(['account_id', 'to_number', 'id']).execute();
  // Serves bulk filters, bulk counters and cascades; bulk_id → bulk_ref is one lookup in `bulk`.
  await db.schema.createIndex('message_bulk').on('message').columns(['bulk_ref', 'id']).execute();

  await db.schema
    .createTable('attempt')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    // Sent to providers as their message id where the protocol lets us choose it, so a report can be
    // matched even when the provider's own id was never recorded (a crash mid-send).
    .addColumn('attempt_id', 'uuid', (c) => c.notNull().unique().defaultTo(sql`gen_random_uuid()`))
    .addColumn('message_ref', 'bigint', (c) => c.notNull().references('message.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('content', 'jsonb', (c) => c.notNull())
    .addColumn('validity_seconds', 'integer', (c) => c.notNull())
    .addColumn('dispatch_state', 'text', (c) => c.notNull())
    .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'jsonb', (c) => c.notNull())
    .addColumn('status_group', 'text', (c) => c.notNull())
    .addColumn('error', 'jsonb')
    .addColumn('provider_message_id', 'text')
    .addColumn('message_count', 'integer')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('done_at', 'timestamptz')
    .addColumn('seen_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('attempt_message_step', ['message_ref', 'step_index'])
    .execute();
  await sql`create index attempt_provider_id on attempt (provider, provider_message_id) where provider_message_id is not null`.execute(db);

  await db.schema
    .createTable('status_event')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('message_ref', 'bigint', (c) => c.notNull().references('message.id').onDelete('cascade'))
    .addColumn('attempt_ref', 'bigint', (c) => c.references('attempt.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'jsonb', (c) => c.notNull())
    .addColumn('error', 'jsonb')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('status_event_message').on('status_event').columns(['message_ref', 'id']).execute();

  await db.schema
    .createTable('inbound_message')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('account.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('content', 'jsonb', (c) => c.notNull())
    .addColumn('paired_message_ref', 'bigint', (c) => c.references('message.id').onDelete('set null'))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Providers retry callbacks; the same inbound message must be stored once.
    .addUniqueConstraint('inbound_provider_message', ['account_id', 'provider', 'provider_message_id'])
    .execute();
  await db.schema.createIndex('inbound_account').on('inbound_message').columns(['account_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['inbound_message', 'status_event', 'attempt', 'message', 'bulk', 'scenario', 'api_key', 'account']) {
    await db.schema.dropTable(table).ifExists().cascade().execute();
  }
}
