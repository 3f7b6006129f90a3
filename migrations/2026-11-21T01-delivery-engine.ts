import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // When an attempt may be dispatched (sendAt, speed-limit slot, delivery window); jobs that wake up
  // earlier (a reschedule left them behind) find it not yet due and leave it alone.
  await db.schema.alterTable('attempt').addColumn('not_before', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`)).execute();
  await db.schema.alterTable('attempt').addColumn('bulk_ref', 'bigint', (c) => c.references('bulk.id').onDelete('cascade')).execute();
  await sql`update attempt a set bulk_ref = m.bulk_ref from message m where m.id = a.message_ref`.execute(db);
  await sql`alter table attempt alter column bulk_ref set not null`.execute(db);
  await sql`create index attempt_bulk_queued on attempt (bulk_ref, step_index, message_ref) where dispatch_state = 'QUEUED'`.execute(db);

  await db.schema.alterTable('message').addColumn('options', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`)).execute();

  await db.schema.alterTable('account').addColumn('delivery_webhook_url', 'text').execute();

  await db.schema
    .createTable('idempotency_key')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('account.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_key_pk', ['account_id', 'key'])
    .execute();

  await db.schema
    .createTable('report_delivery')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('account.id').onDelete('cascade'))
    .addColumn('message_ref', 'bigint', (c) => c.notNull().references('message.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_try_at', 'timestamptz')
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('report_delivery_message').on('report_delivery').column('message_ref').execute();

  await db.schema
    .createTable('report_delivery_try')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('delivery_ref', 'bigint', (c) => c.notNull().references('report_delivery.id').onDelete('cascade'))
    .addColumn('attempted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('report_delivery_try_delivery').on('report_delivery_try').columns(['delivery_ref', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('report_delivery_try').ifExists().execute();
  await db.schema.dropTable('report_delivery').ifExists().execute();
  await db.schema.dropTable('idempotency_key').ifExists().execute();
  await db.schema.alterTable('account').dropColumn('delivery_webhook_url').execute();
  await db.schema.alterTable('message').dropColumn('options').execute();
  await db.schema.alterTable('attempt').dropColumn('bulk_ref').execute();
  await db.schema.alterTable('attempt').dropColumn('not_before').execute();
}
