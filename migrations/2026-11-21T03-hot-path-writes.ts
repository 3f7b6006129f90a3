import { sql, type Kysely } from 'kysely';

/**
 * The tables every message writes several times (message, attempt, status_event) lose their foreign keys
 * and leave room in each page for updates in place.
 *
 * Why: a foreign key is checked row by row with a lookup and a KEY SHARE lock on the parent; for a
 * 10,000-destination bulk that was about 40% of the database's time to accept it, and two more checks
 * per status change after. These rows are only ever written by the services in the transaction that
 * writes (or holds locked) their parents, and nothing deletes a message, attempt or bulk; an attempt whose
 * provider connection was deleted keeps the id and is refused as "connection no longer exists" at send.
 *
 * Updates in place (HOT) need free space in the page and no indexed column changed: the queued-attempts
 * index no longer depends on `dispatch_state`, so claiming and finishing an attempt touch no index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const foreignKeys: Array<[table: string, constraint: string]> = [
    ['message', 'message_account_id_fkey'],
    ['message', 'message_bulk_ref_fkey'],
    ['attempt', 'attempt_message_ref_fkey'],
    ['attempt', 'attempt_bulk_ref_fkey'],
    ['attempt', 'attempt_connection_id_fkey'],
    ['status_event', 'status_event_message_ref_fkey'],
    ['status_event', 'status_event_attempt_ref_fkey'],
  ];
  for (const [table, constraint] of foreignKeys) {
    await sql`alter table ${sql.table(table)} drop constraint if exists ${sql.ref(constraint)}`.execute(db);
  }
  await sql`drop index if exists attempt_bulk_queued`.execute(db);
  await sql`create index attempt_bulk on attempt (bulk_ref, step_index, message_ref)`.execute(db);
  await sql`alter table message set (fillfactor = 80)`.execute(db);
  await sql`alter table attempt set (fillfactor = 80)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table attempt reset (fillfactor)`.execute(db);
  await sql`alter table message reset (fillfactor)`.execute(db);
  await sql`drop index if exists attempt_bulk`.execute(db);
  await sql`create index attempt_bulk_queued on attempt (bulk_ref, step_index, message_ref) where dispatch_state = 'QUEUED'`.execute(db);
  await sql`alter table message add constraint message_account_id_fkey foreign key (account_id) references account (id) on delete cascade`.execute(db);
  await sql`alter table message add constraint message_bulk_ref_fkey foreign key (bulk_ref) references bulk (id) on delete cascade`.execute(db);
  await sql`alter table attempt add constraint attempt_message_ref_fkey foreign key (message_ref) references message (id) on delete cascade`.execute(db);
  await sql`alter table attempt add constraint attempt_bulk_ref_fkey foreign key (bulk_ref) references bulk (id) on delete cascade`.execute(db);
  await sql`alter table attempt add constraint attempt_connection_id_fkey foreign key (connection_id) references provider_connection (id) on delete set null`.execute(db);
  await sql`alter table status_event add constraint status_event_message_ref_fkey foreign key (message_ref) references message (id) on delete cascade`.execute(db);
  await sql`alter table status_event add constraint status_event_attempt_ref_fkey foreign key (attempt_ref) references attempt (id) on delete cascade`.execute(db);
}
