import { sql, type Kysely } from 'kysely';

/**
 * attempt.traceparent: the trace a dispatch ran in, so the provider's callback (any instance, any time
 * later) continues it. Written only while tracing is on; no index, so attempt updates stay HOT.
 *
 * inbound_message.paired_message_ref: retention deletes messages in batches, and the foreign key's
 * ON DELETE SET NULL looks up inbound messages paired to each one; without this index every deleted
 * message would scan the inbound table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table attempt add column traceparent text`.execute(db);
  await sql`create index inbound_paired_message on inbound_message (paired_message_ref) where paired_message_ref is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index inbound_paired_message`.execute(db);
  await sql`alter table attempt drop column traceparent`.execute(db);
}
