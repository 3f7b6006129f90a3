import { sql, type Kysely } from 'kysely';

/**
 * API keys get a name, scopes, a last-use time and an end of validity (a rotated key's grace period).
 * Keys issued before scopes existed could do everything, so they become `admin` and keep working.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table api_key rename column label to name`.execute(db);
  await sql`update api_key set name = 'key ' || key_prefix where name is null`.execute(db);
  await sql`alter table api_key alter column name set not null`.execute(db);
  await sql`alter table api_key add column scopes text[] not null default '{admin}'`.execute(db);
  // New keys always name their scopes; the default above was only for the rows that existed.
  await sql`alter table api_key alter column scopes drop default`.execute(db);
  await sql`alter table api_key add column last_used_at timestamptz`.execute(db);
  await sql`alter table api_key add column expires_at timestamptz`.execute(db);
  await sql`alter table api_key add column replaced_by uuid references api_key (id) on delete set null`.execute(db);
  await db.schema.createIndex('api_key_account_id').on('api_key').columns(['account_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('api_key_account_id').ifExists().execute();
  await sql`alter table api_key drop column replaced_by`.execute(db);
  await sql`alter table api_key drop column expires_at`.execute(db);
  await sql`alter table api_key drop column last_used_at`.execute(db);
  await sql`alter table api_key drop column scopes`.execute(db);
  await sql`alter table api_key alter column name drop not null`.execute(db);
  await sql`alter table api_key rename column name to label`.execute(db);
}
