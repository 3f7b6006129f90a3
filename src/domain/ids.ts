/**
 * Ids that are all strings on the wire but must never stand in for each other. An attempt has two: its
 * row reference (a bigserial, what jobs and locks carry) and its public uuid (what providers echo back and
 * clients see). Mixing them up compiles as plain strings and fails only at run time, by matching nothing.
 * A brand is a compile-time mark only: the value is the same string.
 */
declare const brand: unique symbol;
type Branded<T, Name extends string> = T & { readonly [brand]: Name };

/** attempt.id: the row reference jobs, locks and status events carry. */
export type AttemptRef = Branded<string, 'AttemptRef'>;
/** attempt.attempt_id: the uuid providers are given as their message id and report back. */
export type AttemptId = Branded<string, 'AttemptId'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An attempt id as a provider echoed it back: ours only if it is a uuid (anything else matches nothing). */
export function asAttemptId(value: string): AttemptId | null {
  return UUID.test(value) ? (value.toLowerCase() as AttemptId) : null;
}

/** Row references travel as decimal strings (bigserial may not fit a JS number). */
export function asAttemptRef(value: string): AttemptRef {
  return value as AttemptRef;
}

/** conversation.id: a uuid, the `Conversation.id` clients see. */
export type ConversationId = Branded<string, 'ConversationId'>;

/** A conversation id as a client gave it: ours only if it is a uuid (anything else names no conversation). */
export function asConversationId(value: string): ConversationId | null {
  return UUID.test(value) ? (value.toLowerCase() as ConversationId) : null;
}
