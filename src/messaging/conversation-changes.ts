import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ConversationId } from '../domain/ids.js';
import { logEvents } from './transact.js';

/**
 * THE seam every conversation change goes through, called inside the transaction that makes the change
 * (an inbound message in report intake, an accepted send, a read): it logs a `conversation` event per
 * conversation when that transaction commits (src/events/log.ts) and publishes them after, so
 * `conversationUpdated(after:)` resumes like every other stream and no change site needs to know how.
 */
export function conversationChanged(trx: Kysely<Database>, accountId: string, conversationIds: readonly ConversationId[]): void {
  if (conversationIds.length === 0) return;
  const occurredAt = new Date();
  logEvents(
    trx,
    [...new Set(conversationIds)].map((conversationId) => ({ accountId, draft: { kind: 'conversation' as const, conversationId, occurredAt } })),
  );
}
