import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';
import { appendAccountEvents, type AccountEvent, type EventDraft } from '../events/log.js';

/** Something to do once the transaction that asked for it has committed. */
export type CommitEffect = (bus: EventBus) => void;

interface Pending {
  events: Array<{ accountId: string; draft: EventDraft }>;
  effects: CommitEffect[];
}

const pendingOf = new WeakMap<Kysely<Database>, Pending>();

/**
 * Runs `work` in a transaction, logs the events it asked for (`logEvents`) as the transaction's last
 * statement, sent together with the COMMIT (src/db/commit-pipelining.ts), and only once that committed
 * publishes them, in position order, and runs the effects it registered (`afterCommit`). A rolled-back
 * transaction logs and publishes nothing, and nothing is published before its rows are readable (a
 * subscriber that reads the conversation on the event sees the change).
 *
 * Logging at the end, here, is what the event log's ordering guarantee needs (src/events/log.ts): the
 * account's log head is locked from that statement to the commit, so no caller can take it early, and
 * with the COMMIT in the same write no round trip to this process falls inside the lock.
 */
export async function transact<T>(db: Kysely<Database>, bus: EventBus, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  const { result, events, effects } = await db.connection().execute(async (conn) => {
    const pending: Pending = { events: [], effects: [] };
    await sql`begin`.execute(conn);
    try {
      pendingOf.set(conn, pending);
      const result = await work(conn);
      pendingOf.delete(conn);
      let events: AccountEvent[] = [];
      if (pending.events.length > 0) events = await appendAccountEvents(conn, pending.events, { thenCommit: true });
      else await sql`commit`.execute(conn);
      return { result, events, effects: pending.effects };
    } catch (err) {
      pendingOf.delete(conn);
      // After a failed pipelined commit the transaction is already gone; PostgreSQL only warns then.
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
  if (events.length > 0) bus.publishEvents(events);
  for (const effect of effects) effect(bus);
  return result;
}

/**
 * Logs events in `trx`'s account event logs when it commits, and publishes them after. Throws for a
 * transaction not opened by `transact`: an event silently never logged would be a live event lost.
 */
export function logEvents(trx: Kysely<Database>, items: Array<{ accountId: string; draft: EventDraft }>): void {
  pendingOf.get(trx)?.events.push(...items) ?? notInTransact('logEvents');
}

/** Registers `effect` to run after `trx` commits (same rule as `logEvents`). */
export function afterCommit(trx: Kysely<Database>, effect: CommitEffect): void {
  pendingOf.get(trx)?.effects.push(effect) ?? notInTransact('afterCommit');
}

function notInTransact(what: string): never {
  throw new Error(`${what} needs a transaction opened by transact()`);
}
