import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ConversationId } from '../domain/ids.js';
import { appendEvents } from '../events/log.js';
import { afterCommit } from './after-commit.js';

/**
 * THE seam every conversation change goes through, called inside the transaction that makes the change
 * (an inbound message in report intake, an accepted send, a read): it logs a `conversation` event per
 * conversation in that transaction (src/events/log.ts) and publishes them once it has committed, so
 * `conversationUpdated(after:)` resumes like every other stream and no change site needs to know how.
 *
 * It takes the account's log positions, and with them the account's head row lock until the commit:
 * callers run it at the end of their transaction, as they would `appendEvents` itself.
 */
export async function conversationChanged(trx: Kysely<Database>, accountId: string, conversationIds: readonly ConversationId[]): Promise<void> {
  if (conversationIds.length === 0) return;
  const occurredAt = new Date();
  const events = await appendEvents(
    trx,
    accountId,
    [...new Set(conversationIds)].map((conversationId) => ({ kind: 'conversation' as const, conversationId, occurredAt })),
  );
  afterCommit(trx, (bus) => bus.publishEvents(events.map((event) => ({ accountId, event }))));
}
