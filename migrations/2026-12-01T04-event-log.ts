import { sql, type Kysely } from 'kysely';

/**
 * The event log: every status change, seen report and inbound message (and, later, conversation change)
 * of an account gets a position in that account's one sequence, written in the transaction of the change.
 *
 * event_head holds each account's last position. Writers bump it with one upsert as the last statement
 * before commit, so its row lock is held until the commit: the next writer of that account gets its
 * positions only after this one is visible (or rolled back, leaving no hole). Positions therefore become
 * visible strictly in order, which is what lets a client resume from a cursor without missing anything.
 * first_position is the lowest position still kept: retention raises it as it deletes, in the same
 * statement, so a cursor below it is known to be expired rather than silently short of events.
 *
 * event has no foreign keys, like status_event (migration 03): its rows are written only beside the rows
 * they describe. recorded_at (the insert time) drives retention through a BRIN index, which costs next to
 * nothing on insert because rows arrive in time order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table event_head (
      account_id uuid primary key,
      last_position bigint not null,
      first_position bigint not null default 1
    )`.execute(db);
  await sql`
    create table event (
      account_id uuid not null,
      position bigint not null,
      kind text not null,
      occurred_at timestamptz not null,
      recorded_at timestamptz not null default now(),
      message_ref bigint,
      attempt_ref bigint,
      inbound_ref bigint,
      conversation_id text,
      data jsonb,
      primary key (account_id, position)
    )`.execute(db);
  await sql`create index event_recorded_at on event using brin (recorded_at)`.execute(db);
  // InboundMessage.cursor looks up the event of an arrival; inbound messages are few, so is this index.
  await sql`create index event_inbound on event (inbound_ref) where inbound_ref is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table event`.execute(db);
  await sql`drop table event_head`.execute(db);
}
