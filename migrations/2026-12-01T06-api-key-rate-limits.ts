import { sql, type Kysely } from 'kysely';

/**
 * A key may have its own rate limits (requests and sent destinations per minute); null keeps the
 * configured default (RATE_LIMIT_REQUESTS_PER_MINUTE, RATE_LIMIT_DESTINATIONS_PER_MINUTE).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table api_key add column requests_per_minute integer check (requests_per_minute > 0)`.execute(db);
  await sql`alter table api_key add column destinations_per_minute integer check (destinations_per_minute > 0)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table api_key drop column destinations_per_minute`.execute(db);
  await sql`alter table api_key drop column requests_per_minute`.execute(db);
}
