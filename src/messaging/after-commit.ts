import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';

/** Something to do once the transaction that asked for it has committed: publish a live event. */
export type CommitEffect = (bus: EventBus) => void;

const effectsOf = new WeakMap<Kysely<Database>, CommitEffect[]>();

/**
 * Runs `work` in a transaction and, only after it committed, the effects it registered with `afterCommit`.
 * A rolled-back transaction publishes nothing, and nothing is published before its rows are readable
 * (a subscriber that reads the conversation on the event sees the change).
 */
export async function transact<T>(db: Kysely<Database>, bus: EventBus, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const effects: CommitEffect[] = [];
  const result = await db.transaction().execute(async (trx) => {
    effectsOf.set(trx, effects);
    return work(trx);
  });
  for (const effect of effects) effect(bus);
  return result;
}

/**
 * Registers `effect` to run after `trx` commits. Throws for a transaction not opened by `transact`: an
 * effect silently never run would be a live event silently lost.
 */
export function afterCommit(trx: Kysely<Database>, effect: CommitEffect): void {
  const effects = effectsOf.get(trx);
  if (!effects) throw new Error('afterCommit needs a transaction opened by transact()');
  effects.push(effect);
}
