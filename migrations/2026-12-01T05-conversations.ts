import { sql, type Kysely } from 'kysely';

/**
 * Conversations: one row per person (E.164 number or Viber bot user id) of an account, so the console's
 * list is one indexed read instead of a GROUP BY over every message ever sent.
 *
 * - The row is written in the transaction that changes it: an inbound message (recordInbound) or an
 *   accepted send (one batched upsert per send, however many destinations).
 * - `reply_*` is where a reply goes: the channel, provider, connection and our address the person last
 *   wrote on; a conversation we opened (nobody wrote yet) keeps the route of our first message to them.
 * - message.conversation_ref / inbound_message.conversation_ref thread the timeline. They carry no foreign
 *   key on purpose: a 10,000-destination send would pay one FK lookup per row, conversations are never
 *   deleted while messages exist (only the account's cascade removes both), and retention deletes messages,
 *   never conversations. Partial indexes: rows from before this migration are not threaded (no backfill,
 *   which would rewrite every message row at start-up) and cost nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table conversation (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null references account (id) on delete cascade,
      address text not null,
      address_kind text not null check (address_kind in ('PHONE_NUMBER', 'VIBER_USER_ID')),
      name text,
      reply_channel text not null,
      reply_provider text not null,
      reply_connection_id uuid references provider_connection (id) on delete set null,
      reply_from text,
      last_inbound_at timestamptz,
      last_activity_at timestamptz not null,
      unread_count integer not null default 0 check (unread_count >= 0),
      read_at timestamptz,
      created_at timestamptz not null default now(),
      constraint conversation_account_address unique (account_id, address)
    )`.execute(db);
  await sql`create index conversation_account_activity on conversation (account_id, last_activity_at desc, id desc)`.execute(db);
  await sql`alter table message add column conversation_ref uuid`.execute(db);
  await sql`create index message_conversation on message (conversation_ref, created_at desc, id desc) where conversation_ref is not null`.execute(db);
  await sql`alter table inbound_message add column conversation_ref uuid`.execute(db);
  await sql`create index inbound_conversation on inbound_message (conversation_ref, received_at desc, id desc) where conversation_ref is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table inbound_message drop column conversation_ref`.execute(db);
  await sql`alter table message drop column conversation_ref`.execute(db);
  await sql`drop table conversation`.execute(db);
}
