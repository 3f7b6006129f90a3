import type { Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
import type { AttemptRow, Database, MessageRow } from '../db/schema.js';

/** Rows a transaction holds locks on, kept current as it changes them. */
export interface Locked {
  attempts: Map<string, AttemptRow>;
  messages: Map<string, MessageRow>;
}

/**
 * Every transaction that changes statuses locks its attempts, then their messages, in id order before
 * touching any: two of them over the same rows (a dispatch batch and a callback, or two callbacks) then
 * queue behind each other instead of deadlocking.
 */
export async function lockInOrder(trx: Kysely<Database>, attemptRefs: AttemptRef[]): Promise<Locked> {
  if (attemptRefs.length === 0) return { attempts: new Map(), messages: new Map() };
  const attempts = await trx
    .selectFrom('attempt')
    .selectAll()
    .where('id', 'in', [...new Set(attemptRefs)])
    .orderBy('id')
    .forUpdate()
    .execute();
  return lockMessagesOf(trx, attempts);
}

/** The second half of lockInOrder, for attempts already locked in id order. */
export async function lockMessagesOf(trx: Kysely<Database>, attempts: AttemptRow[]): Promise<Locked> {
  const locked: Locked = { attempts: new Map(attempts.map((a) => [a.id, a])), messages: new Map() };
  const messageRefs = [...new Set(attempts.map((a) => a.messageRef))];
  if (messageRefs.length === 0) return locked;
  const messages = await trx.selectFrom('message').selectAll().where('id', 'in', messageRefs).orderBy('id').forUpdate().execute();
  for (const m of messages) locked.messages.set(m.id, m);
  return locked;
}
