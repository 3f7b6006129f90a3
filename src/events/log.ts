import { sql, type Kysely } from 'kysely';
import { eventPosition, type EventPosition } from '../domain/event-cursor.js';
import type { MessageError, MessageStatus } from '../domain/status.js';
import type { AttemptRow, Database, DispatchState, EventKind, InboundMessageRow, MessageRow } from '../db/schema.js';
import type { Channel } from '../domain/channel.js';
import { THEN_COMMIT } from '../db/commit-pipelining.js';

/**
 * The event log (migration 2026-12-01T04): every change a live subscriber is told of, with its position
 * in its account's one sequence.
 *
 * Ordering guarantee: positions of one account become visible strictly in order and without holes.
 * `appendEvents` takes them by bumping the account's `event_head` row, and callers run it as the last
 * statement of their transaction, so that row stays locked until the commit: the next transaction of the
 * account blocks on it and takes its positions only once this one is committed (PostgreSQL makes a
 * commit visible before it releases the commit's locks) or rolled back (its positions are taken again,
 * so no hole). Hence whoever has seen position p can read every position below p, and a client resuming
 * after p misses nothing that commits later. The services log their events through `logEvents`
 * (src/messaging/transact.ts), which appends them all in one statement sent with the COMMIT itself, so
 * the lock is held for no longer than that statement and the commit. One upsert per transaction (however
 * many events, however many accounts, accounts locked in id order so two transactions never wait on each
 * other in a cycle) keeps the cost on the hot path to a single statement.
 */

/** A status change of a message or of one of its attempts, or a seen report, as subscribers are shown it. */
export interface MessageEventDraft {
  kind: 'status' | 'seen';
  message: MessageRow;
  attempt: AttemptRow | null;
  occurredAt: Date;
}
export interface InboundEventDraft {
  kind: 'inbound';
  inbound: InboundMessageRow;
  occurredAt: Date;
}
/** A conversation changed (last message, unread count, read state); its details are read when shown. */
export interface ConversationEventDraft {
  kind: 'conversation';
  conversationId: string;
  occurredAt: Date;
}
export type EventDraft = MessageEventDraft | InboundEventDraft | ConversationEventDraft;

/** An event with its place in the account's log. */
export type EventEnvelope = EventDraft & { position: EventPosition };

/** What a status event remembers of the moment (the rows themselves move on); see `snapshotOf`. */
interface StatusSnapshot {
  ms: MessageStatus;
  me: MessageError | null;
  mc: Channel;
  mstep: number;
  as?: MessageStatus;
  ae?: MessageError | null;
  ad?: DispatchState;
}

function snapshotOf(d: MessageEventDraft): StatusSnapshot {
  return {
    ms: d.message.status,
    me: d.message.error,
    mc: d.message.channel,
    mstep: d.message.currentStep,
    ...(d.attempt ? { as: d.attempt.status, ae: d.attempt.error, ad: d.attempt.dispatchState } : {}),
  };
}

/** Events go over the bus without contents: subscribers are shown statuses, and transports limit payload size. */
export function trimForTransport(e: EventEnvelope): EventEnvelope {
  if (e.kind === 'status' || e.kind === 'seen') {
    return {
      ...e,
      message: { ...e.message, flow: [] },
      attempt: e.attempt ? { ...e.attempt, content: { type: 'TEXT' as const, text: '' } } : null,
    };
  }
  return e;
}

export interface AccountEvent {
  accountId: string;
  event: EventEnvelope;
}

/**
 * Records events of one account in the caller's transaction; run it as the transaction's LAST statement
 * (see the ordering guarantee above). Returns them with their positions, to publish after the commit.
 * Services use `logEvents` (src/messaging/transact.ts) instead, which does this for them.
 */
export async function appendEvents(trx: Kysely<Database>, accountId: string, drafts: EventDraft[]): Promise<EventEnvelope[]> {
  return (await appendAccountEvents(trx, drafts.map((draft) => ({ accountId, draft })))).map((e) => e.event);
}

/**
 * Like `appendEvents`, for a transaction that touched several accounts: still one statement. With
 * `thenCommit` the transaction's COMMIT is pipelined behind it (src/db/commit-pipelining.ts), so the head
 * rows are locked for this statement and the commit only, never across a round trip to this process;
 * the caller must then not commit itself (`transact` in src/messaging/transact.ts does this).
 */
export async function appendAccountEvents(
  trx: Kysely<Database>,
  items: Array<{ accountId: string; draft: EventDraft }>,
  options: { thenCommit?: boolean } = {},
): Promise<AccountEvent[]> {
  if (items.length === 0) return [];
  const counts = new Map<string, number>();
  for (const { accountId } of items) counts.set(accountId, (counts.get(accountId) ?? 0) + 1);
  const accounts = [...counts.keys()].sort();
  const seen = new Map<string, number>();
  const rows = items.map(({ accountId, draft }) => {
    const ordinal = (seen.get(accountId) ?? 0) + 1;
    seen.set(accountId, ordinal);
    return {
      account_id: accountId,
      back: counts.get(accountId)! - ordinal,
      kind: draft.kind,
      occurred_at: draft.occurredAt.toISOString(),
      message_ref: draft.kind === 'status' || draft.kind === 'seen' ? draft.message.id : null,
      attempt_ref: draft.kind === 'status' || draft.kind === 'seen' ? (draft.attempt?.id ?? null) : null,
      inbound_ref: draft.kind === 'inbound' ? draft.inbound.id : null,
      conversation_id: draft.kind === 'conversation' ? draft.conversationId : null,
      data: draft.kind === 'status' || draft.kind === 'seen' ? snapshotOf(draft) : null,
    };
  });
  // The head rows are upserted in account order (the select's order), the only locks this statement waits for.
  const { rows: heads } = await sql<{ accountId: string; lastPosition: string }>`${sql.raw(options.thenCommit ? THEN_COMMIT : '')}
    with bumped as (
      insert into event_head as h (account_id, last_position)
      select a, n from unnest(${accounts}::uuid[], ${accounts.map((a) => counts.get(a)!)}::bigint[]) as x(a, n) order by a
      on conflict (account_id) do update set last_position = h.last_position + excluded.last_position
      returning h.account_id, h.last_position
    ), inserted as (
      insert into event (account_id, position, kind, occurred_at, message_ref, attempt_ref, inbound_ref, conversation_id, data)
      select x.account_id, b.last_position - x.back, x.kind, x.occurred_at, x.message_ref, x.attempt_ref, x.inbound_ref,
             x.conversation_id, x.data
      from json_to_recordset(${JSON.stringify(rows)}::json) as x(account_id uuid, back bigint, kind text, occurred_at timestamptz,
             message_ref bigint, attempt_ref bigint, inbound_ref bigint, conversation_id text, data jsonb)
      join bumped b on b.account_id = x.account_id
    )
    select account_id, last_position from bumped`.execute(trx);
  const last = new Map(heads.map((h) => [h.accountId, Number(h.lastPosition)]));
  return items.map(({ accountId, draft }, i) => ({
    accountId,
    event: { ...draft, position: eventPosition(last.get(accountId)! - rows[i]!.back) },
  }));
}

/** A stretch of an account's log as one snapshot saw it. */
export interface LogRead {
  events: EventEnvelope[];
  /** Lowest position still kept (retention deletes below it). */
  firstPosition: EventPosition;
  /** Highest position committed when read. */
  lastPosition: EventPosition;
  /** The read stopped at its limit: more may follow `events`' last position. */
  more: boolean;
}

/** The account's kept range: lowest position kept, highest committed (0 before its first event). */
export async function readHead(db: Kysely<Database>, accountId: string): Promise<{ firstPosition: EventPosition; lastPosition: EventPosition }> {
  const head = await db.selectFrom('eventHead').select(['firstPosition', 'lastPosition']).where('accountId', '=', accountId).executeTakeFirst();
  return { firstPosition: eventPosition(head?.firstPosition ?? 1), lastPosition: eventPosition(head?.lastPosition ?? 0) };
}

/**
 * Events after `after` (exclusive) up to `upTo` (inclusive, default: the head), at most `limit` positions,
 * in order, with the head read in the same snapshot: every position up to `lastPosition` is committed in
 * it, so the range read is complete (rows that describe deleted messages are left out).
 */
export async function readEvents(
  db: Kysely<Database>,
  accountId: string,
  after: number,
  options: { limit: number; upTo?: number; kinds?: readonly EventKind[] },
): Promise<LogRead> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const head = await trx.selectFrom('eventHead').select(['firstPosition', 'lastPosition']).where('accountId', '=', accountId).executeTakeFirst();
      const lastPosition = eventPosition(head?.lastPosition ?? 0);
      const firstPosition = eventPosition(head?.firstPosition ?? 1);
      const upTo = Math.min(options.upTo ?? lastPosition, lastPosition, after + options.limit);
      if (upTo <= after) return { events: [], firstPosition, lastPosition, more: false };
      let q = trx
        .selectFrom('event')
        .selectAll()
        .where('accountId', '=', accountId)
        .where('position', '>', String(after))
        .where('position', '<=', String(upTo));
      if (options.kinds) q = q.where('kind', 'in', [...options.kinds]);
      const rows = await q.orderBy('position').execute();
      const events = await hydrate(trx, rows);
      return { events, firstPosition, lastPosition, more: upTo < Math.min(options.upTo ?? lastPosition, lastPosition) };
    });
}

type EventRow = Awaited<ReturnType<typeof selectEventRow>>;
function selectEventRow(db: Kysely<Database>) {
  return db.selectFrom('event').selectAll().executeTakeFirstOrThrow();
}

/** Turns stored events into envelopes: the rows they name, as they stood at the event. */
async function hydrate(trx: Kysely<Database>, rows: EventRow[]): Promise<EventEnvelope[]> {
  const messageRefs = [...new Set(rows.flatMap((r) => (r.messageRef ? [r.messageRef] : [])))];
  const attemptRefs = [...new Set(rows.flatMap((r) => (r.attemptRef ? [r.attemptRef] : [])))];
  const inboundRefs = [...new Set(rows.flatMap((r) => (r.inboundRef ? [r.inboundRef] : [])))];
  const [messages, attempts, inbound] = await Promise.all([
    messageRefs.length ? trx.selectFrom('message').selectAll().where('id', 'in', messageRefs).execute() : [],
    attemptRefs.length ? trx.selectFrom('attempt').selectAll().where('id', 'in', attemptRefs as AttemptRow['id'][]).execute() : [],
    inboundRefs.length ? trx.selectFrom('inboundMessage').selectAll().where('id', 'in', inboundRefs).execute() : [],
  ]);
  const messageById = new Map(messages.map((m) => [m.id, m]));
  const attemptById = new Map(attempts.map((a) => [a.id as string, a]));
  const inboundById = new Map(inbound.map((m) => [m.id, m]));
  const out: EventEnvelope[] = [];
  for (const r of rows) {
    const position = eventPosition(r.position);
    switch (r.kind) {
      case 'status':
      case 'seen': {
        const message = messageById.get(r.messageRef!);
        if (!message) break;
        const s = r.data as StatusSnapshot;
        const attemptNow = r.attemptRef ? attemptById.get(r.attemptRef) : undefined;
        const messageStatus = s.ms;
        const attemptStatus = s.as ?? attemptNow?.status;
        out.push({
          kind: r.kind,
          position,
          occurredAt: r.occurredAt,
          message: { ...message, status: messageStatus, statusGroup: messageStatus.groupName, error: s.me, channel: s.mc, currentStep: s.mstep },
          attempt: attemptNow
            ? { ...attemptNow, status: attemptStatus!, statusGroup: attemptStatus!.groupName, error: s.ae ?? null, dispatchState: s.ad ?? attemptNow.dispatchState }
            : null,
        });
        break;
      }
      case 'inbound': {
        const row = inboundById.get(r.inboundRef!);
        if (row) out.push({ kind: 'inbound', position, occurredAt: r.occurredAt, inbound: row });
        break;
      }
      case 'conversation':
        out.push({ kind: 'conversation', position, occurredAt: r.occurredAt, conversationId: r.conversationId! });
        break;
    }
  }
  return out;
}
