import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';
import { appendAccountEvents, type AccountEvent, type EventDraft } from '../events/log.js';

type LoggedEvent = { accountId: string; draft: EventDraft };

/** The events each open `transact` transaction has asked to log. */
const pendingOf = new WeakMap<Kysely<Database>, LoggedEvent[]>();

/**
 * Runs `work` in a transaction, logs the events it asked for (`logEvents`) as the transaction's last
 * statement, sent together with the COMMIT (src/db/commit-pipelining.ts), and only once that committed
 * publishes them, in position order. A rolled-back transaction logs and publishes nothing, and nothing is
 * published before its rows are readable (a subscriber that reads the conversation on the event sees the
 * change).
 *
 * Logging at the end, here, is what the event log's ordering guarantee needs (src/events/log.ts): the
 * account's log head is locked from that statement to the commit, so no caller can take it early, and
 * with the COMMIT in the same write no round trip to this process falls inside the lock.
 */
export async function transact<T>(db: Kysely<Database>, bus: EventBus, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  const { result, events } = await db.connection().execute(async (conn) => {
    const pending: LoggedEvent[] = [];
    await sql`begin`.execute(conn);
    try {
      pendingOf.set(conn, pending);
      let result: T;
      try {
        result = await work(conn);
      } finally {
        pendingOf.delete(conn);
      }
      let events: AccountEvent[] = [];
      if (pending.length > 0) events = await appendAccountEvents(conn, pending, { thenCommit: true });
      else await sql`commit`.execute(conn);
      return { result, events };
    } catch (err) {
      // After a failed pipelined commit the transaction is already gone (PostgreSQL only warns), and on a
      // lost connection this fails too: either way the error that ended the transaction is the one thrown.
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
  if (events.length > 0) bus.publishEvents(events);
  return result;
}

/**
 * Logs events in `trx`'s account event logs when it commits, and publishes them after. Throws for a
 * transaction not opened by `transact`: an event silently never logged would be a live event lost.
 */
export function logEvents(trx: Kysely<Database>, items: LoggedEvent[]): void {
  const pending = pendingOf.get(trx);
  if (!pending) throw new Error('logEvents needs a transaction opened by transact()');
  pending.push(...items);
}
