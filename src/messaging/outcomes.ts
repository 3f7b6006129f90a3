import { sql, type Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
import type { Clock } from '../domain/clock.js';
import { decideOutcome, type OutcomeSource } from '../domain/failover.js';
import { STATUS, isFinal, type MessageError, type MessageStatus } from '../domain/status.js';
import type { Price } from '../domain/price.js';
import type { AttemptRow, Database, MessageRow } from '../db/schema.js';
import type { EventBus, MessageStatusPayload } from '../events/bus.js';
import type { EventDraft } from '../events/log.js';
import { logEvents, transact } from './transact.js';
import { createAttempts, type AttemptSeed } from './attempts.js';
import { lockInOrder, type Locked } from './locks.js';
import type { ReportPush } from './report-push.js';
import { countFinished, detachedObservability, type Observability } from '../observability/index.js';

/** What happened to an attempt, from whichever source learned it (dispatch, callback, poll, expiry). */
export interface AttemptOutcome {
  status: MessageStatus;
  error: MessageError | null;
  source: OutcomeSource;
  doneAt?: Date | null;
  providerMessageId?: string | null;
  messageCount?: number | null;
  /** What the provider's report says the send cost and which network took it (Infobip reports do). */
  price?: Price | null;
  mccMnc?: string | null;
}

export interface OutcomeItem {
  attemptRef: AttemptRef;
  outcome: AttemptOutcome;
}

/** A status change to publish once its transaction has committed. */
export interface StatusChange {
  accountId: string;
  payload: MessageStatusPayload;
  /** This change made the message final. */
  final?: boolean;
}

/**
 * Writes attempt outcomes. Every status an attempt reaches comes through here, whatever learned it, so
 * the rules hold in one place: final statuses never change, every change is stored as a status event,
 * the failover rule (src/domain/failover.ts) decides what the message does next, and subscribers hear of
 * each change only after it is committed, with its position in the account's event log (src/events/log.ts).
 */
export class OutcomeWriter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly reportPush: ReportPush,
    private readonly observability: Observability = detachedObservability(),
  ) {}

  /** Applies outcomes to attempts in one transaction, then publishes what changed. */
  async apply(items: OutcomeItem[]): Promise<void> {
    if (items.length === 0) return;
    const changes = await transact(this.db, this.bus, async (trx) => {
      const locked = await lockInOrder(trx, items.map((i) => i.attemptRef));
      const changes = await this.record(trx, locked, items);
      logEvents(trx, changes.map(statusEventOf));
      return changes;
    });
    countFinished(this.observability.metrics, changes);
  }

  /**
   * Applies outcomes inside the caller's transaction, set-based: each outcome is worked out in memory
   * against the rows the transaction holds locked (later outcomes see earlier ones), then written with one
   * statement per table, however many there are. Returns what to publish: one change per outcome that
   * moved an attempt (late and out-of-order reports on a final attempt change nothing).
   */
  async record(trx: Kysely<Database>, locked: Locked, items: OutcomeItem[]): Promise<StatusChange[]> {
    const now = this.clock.now();
    const changed: StatusChange[] = [];
    const attempts = new Map<string, AttemptRow>();
    const messages = new Map<string, MessageRow>();
    const events: Array<Record<string, unknown>> = [];
    const seeds: AttemptSeed[] = [];
    const finished: MessageRow[] = [];

    for (const { attemptRef, outcome } of items) {
      const current = locked.attempts.get(attemptRef);
      if (!current) continue;
      const message = locked.messages.get(current.messageRef);
      if (!message) throw new Error(`message ${current.messageRef} of attempt ${current.id} was not locked`);
      const decision = decideOutcome({
        flow: message.flow,
        messageStep: message.currentStep,
        attemptStep: current.stepIndex,
        attemptGroup: current.statusGroup,
        outcome: { group: outcome.status.groupName, source: outcome.source },
        now,
        window: message.options.deliveryTimeWindow ?? null,
      });
      if (decision.kind === 'ignore') {
        // The provider's report overtook its own send answer: the status stands, but the send's facts
        // (the provider's id, the part count; the hand-over time was recorded at claim) are ours to keep.
        if (outcome.source === 'dispatch') await recordLateSend(trx, current, outcome);
        // A report after the attempt ended (it expired here first) still says what the provider charged.
        else if (outcome.source === 'callback' && (outcome.price || outcome.mccMnc)) await recordLateDetails(trx, current, outcome);
        continue;
      }
      const attempt = applyToAttempt(current, outcome, now);
      locked.attempts.set(attempt.id, attempt);
      attempts.set(attempt.id, attempt);
      events.push({
        message_ref: attempt.messageRef,
        attempt_ref: attempt.id,
        channel: attempt.channel,
        status: outcome.status,
        error: outcome.error,
        source: outcome.source,
      });

      let updated = message;
      const sentAt = message.sentAt ?? attempt.sentAt;
      switch (decision.kind) {
        case 'attempt-only':
          break;
        case 'next-step': {
          const step = message.flow[decision.stepIndex]!;
          seeds.push({
            messageRef: message.id,
            bulkRef: message.bulkRef,
            accountId: message.accountId,
            stepIndex: decision.stepIndex,
            step,
            notBefore: decision.notBefore,
            expiresAt: decision.expiresAt,
          });
          updated = {
            ...message,
            currentStep: decision.stepIndex,
            channel: step.channel,
            status: STATUS.PENDING_ACCEPTED,
            statusGroup: STATUS.PENDING_ACCEPTED.groupName,
            error: null,
            sentAt,
            updatedAt: now,
          };
          break;
        }
        case 'progress':
        case 'final':
          updated = {
            ...message,
            channel: attempt.channel,
            status: outcome.status,
            statusGroup: outcome.status.groupName,
            error: outcome.error,
            sentAt,
            doneAt: decision.kind === 'final' ? attempt.doneAt : message.doneAt,
            updatedAt: now,
          };
          if (decision.kind === 'final') finished.push(updated);
          break;
      }
      if (updated !== message) {
        locked.messages.set(updated.id, updated);
        messages.set(updated.id, updated);
      }
      changed.push({ accountId: message.accountId, payload: { message: updated, attempt, occurredAt: now }, ...(decision.kind === 'final' ? { final: true } : {}) });
    }

    if (attempts.size > 0) await writeChanges(trx, [...attempts.values()], [...messages.values()], events, now);
    await createAttempts(trx, seeds, this.clock);
    for (const message of finished) await this.reportPush.onMessageFinal(trx, message);
    return changed;
  }

  /** A seen report: once per attempt (a repeat changes nothing), and the message keeps the first. */
  async recordSeen(trx: Kysely<Database>, attempt: AttemptRow, seenAt: Date): Promise<MessageStatusPayload | null> {
    const now = this.clock.now();
    const updated = await trx
      .updateTable('attempt')
      .set({ seenAt, updatedAt: now })
      .where('id', '=', attempt.id)
      .where('seenAt', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!updated) return null;
    const message = await trx
      .updateTable('message')
      .set({ seenAt: sql`coalesce(seen_at, ${seenAt})`, updatedAt: now })
      .where('id', '=', attempt.messageRef)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { message, attempt: updated, occurredAt: seenAt };
  }
}

/** The event-log entry of a status change. */
export function statusEventOf(change: StatusChange): { accountId: string; draft: EventDraft } {
  return { accountId: change.accountId, draft: { kind: 'status', ...change.payload } };
}

function applyToAttempt(current: AttemptRow, outcome: AttemptOutcome, now: Date): AttemptRow {
  const final = isFinal(outcome.status.groupName);
  return {
    ...current,
    status: outcome.status,
    statusGroup: outcome.status.groupName,
    error: outcome.error,
    dispatchState: final ? 'DONE' : outcome.source === 'dispatch' ? 'SENT' : current.dispatchState,
    doneAt: final ? (outcome.doneAt ?? now) : current.doneAt,
    // A provider id recorded once is never replaced: later reports are matched by it.
    providerMessageId: current.providerMessageId ?? outcome.providerMessageId ?? null,
    messageCount: outcome.messageCount ?? current.messageCount,
    pricePerMessage: outcome.price?.pricePerMessage ?? current.pricePerMessage,
    priceCurrency: outcome.price?.currency ?? current.priceCurrency,
    mccMnc: outcome.mccMnc ?? current.mccMnc,
    updatedAt: now,
  };
}

/** One statement for the three tables: each round trip to the database costs more than the rows. */
async function writeChanges(
  trx: Kysely<Database>,
  attempts: AttemptRow[],
  messages: MessageRow[],
  events: Array<Record<string, unknown>>,
  now: Date,
): Promise<void> {
  const attemptRows = attempts.map((a) => ({
    id: a.id,
    status: a.status,
    status_group: a.statusGroup,
    error: a.error,
    dispatch_state: a.dispatchState,
    done_at: a.doneAt?.toISOString() ?? null,
    sent_at: a.sentAt?.toISOString() ?? null,
    provider_message_id: a.providerMessageId,
    message_count: a.messageCount,
    price_per_message: a.pricePerMessage,
    price_currency: a.priceCurrency,
    mcc_mnc: a.mccMnc,
  }));
  const messageRows = messages.map((m) => ({
    id: m.id,
    current_step: m.currentStep,
    channel: m.channel,
    status: m.status,
    status_group: m.statusGroup,
    error: m.error,
    sent_at: m.sentAt?.toISOString() ?? null,
    done_at: m.doneAt?.toISOString() ?? null,
  }));
  await sql`
    with attempt_update as (
      update attempt set status = x.status, status_group = x.status_group, error = x.error, dispatch_state = x.dispatch_state,
        done_at = x.done_at, sent_at = x.sent_at, provider_message_id = x.provider_message_id, message_count = x.message_count,
        price_per_message = x.price_per_message, price_currency = x.price_currency, mcc_mnc = x.mcc_mnc,
        updated_at = ${now}
      from json_to_recordset(${JSON.stringify(attemptRows)}::json) as x(id bigint, status jsonb, status_group text, error jsonb,
        dispatch_state text, done_at timestamptz, sent_at timestamptz, provider_message_id text, message_count integer,
        price_per_message numeric, price_currency text, mcc_mnc text)
      where attempt.id = x.id
    ), message_update as (
      update message set current_step = x.current_step, channel = x.channel, status = x.status, status_group = x.status_group,
        error = x.error, sent_at = x.sent_at, done_at = x.done_at, updated_at = ${now}
      from json_to_recordset(${JSON.stringify(messageRows)}::json) as x(id bigint, current_step integer, channel text, status jsonb,
        status_group text, error jsonb, sent_at timestamptz, done_at timestamptz)
      where message.id = x.id
    )
    insert into status_event (message_ref, attempt_ref, channel, status, error, source)
    select x.message_ref, x.attempt_ref, x.channel, x.status, x.error, x.source
    from json_to_recordset(${JSON.stringify(events)}::json) as x(message_ref bigint, attempt_ref bigint, channel text,
      status jsonb, error jsonb, source text)`.execute(trx);
}

async function recordLateSend(trx: Kysely<Database>, attempt: AttemptRow, outcome: AttemptOutcome): Promise<void> {
  await trx
    .updateTable('attempt')
    .set({
      providerMessageId: attempt.providerMessageId ?? outcome.providerMessageId ?? null,
      messageCount: attempt.messageCount ?? outcome.messageCount ?? null,
    })
    .where('id', '=', attempt.id)
    .execute();
  await trx
    .updateTable('message')
    .set({ sentAt: sql`coalesce(sent_at, ${attempt.sentAt})` })
    .where('id', '=', attempt.messageRef)
    .execute();
}

/** Keeps a late report's price and network where the attempt has none yet; its status stays as it is. */
async function recordLateDetails(trx: Kysely<Database>, attempt: AttemptRow, outcome: AttemptOutcome): Promise<void> {
  await trx
    .updateTable('attempt')
    .set({
      pricePerMessage: attempt.pricePerMessage ?? outcome.price?.pricePerMessage ?? null,
      priceCurrency: attempt.pricePerMessage ? attempt.priceCurrency : (outcome.price?.currency ?? null),
      mccMnc: attempt.mccMnc ?? outcome.mccMnc ?? null,
      messageCount: outcome.messageCount ?? attempt.messageCount,
    })
    .where('id', '=', attempt.id)
    .execute();
}
