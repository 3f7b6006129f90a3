import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('provider_connection')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('account.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    // Provider credentials: written, used to send, never returned by any query.
    .addColumn('credentials', 'jsonb', (c) => c.notNull())
    .addColumn('channels', 'jsonb', (c) => c.notNull())
    .addColumn('options', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // Ours: authenticates the provider's callbacks where it cannot sign them.
    .addColumn('callback_secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('provider_connection_account_name', ['account_id', 'name'])
    .execute();

  await db.schema.alterTable('attempt').addColumn('connection_id', 'uuid', (c) => c.references('provider_connection.id').onDelete('set null')).execute();
  await sql`alter table message alter column to_number drop not null`.execute(db);
  await db.schema.alterTable('message').addColumn('to_viber_user_id', 'text').execute();

  await db.schema
    .createTable('viber_subscriber')
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('provider_connection.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('avatar', 'text')
    .addColumn('country', 'text')
    .addColumn('language', 'text')
    .addColumn('api_version', 'integer')
    .addColumn('subscribed', 'boolean', (c) => c.notNull())
    .addColumn('subscribed_at', 'timestamptz')
    .addColumn('unsubscribed_at', 'timestamptz')
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('viber_subscriber_pk', ['connection_id', 'user_id'])
    .execute();

  await db.schema.alterTable('inbound_message').addColumn('connection_id', 'uuid', (c) => c.references('provider_connection.id').onDelete('set null')).execute();
  await db.schema.createIndex('inbound_account_from').on('inbound_message').columns(['account_id', 'from_address', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inbound_message').dropColumn('connection_id').execute();
  await db.schema.dropTable('viber_subscriber').ifExists().execute();
  await db.schema.alterTable('message').dropColumn('to_viber_user_id').execute();
  await db.schema.alterTable('attempt').dropColumn('connection_id').execute();
  await db.schema.dropTable('provider_connection').ifExists().execute();
}
