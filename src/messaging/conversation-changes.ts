import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ConversationId } from '../domain/ids.js';
import { afterCommit } from './after-commit.js';

/**
 * THE seam every conversation change goes through, called inside the transaction that makes the change
 * (an inbound message in report intake, an accepted send, a read). Today it arranges the live publish
 * after commit; with the event log (src/events/log.ts) it also appends a `conversation` event here, in the
 * same transaction — `await appendEvents(trx, accountId, ids.map(...))` — so no change site needs to know.
 */
export async function conversationChanged(trx: Kysely<Database>, accountId: string, conversationIds: readonly ConversationId[]): Promise<void> {
  if (conversationIds.length === 0) return;
  const ids = [...new Set(conversationIds)];
  afterCommit(trx, (bus) => bus.publishConversationChanged(accountId, { conversationIds: ids, occurredAt: new Date() }));
}
