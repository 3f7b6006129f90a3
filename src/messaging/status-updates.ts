import { sql, type Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import { isInsideWindow, nextWindowOpening } from '../domain/delivery-window.js';
import { nextStepIndex } from '../domain/flow.js';
import { ERROR, STATUS, isFinal, type MessageError, type MessageStatus } from '../domain/status.js';
import type { AttemptRow, Database, InboundMessageRow, MessageRow } from '../db/schema.js';
import type { EventBus, MessageStatusPayload } from '../events/bus.js';
import { enqueue } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { ProviderReport, ReportMatch } from '../providers/types.js';
import { createAttempts, type AttemptBatchPayload, type AttemptSeed } from './attempts.js';
import { findAttemptId, lockReportedAttempts, type ReportOrigin } from './attempt-lookup.js';
import { recordSubscriber } from './viber-subscribers.js';
import type { ReportPush } from './report-push.js';

/** What happened to an attempt, from whichever source learned it (dispatch, callback, poll, expiry). */
export interface AttemptOutcome {
  status: MessageStatus;
  error: MessageError | null;
  source: 'dispatch' | 'callback' | 'expiry' | 'cancel';
  doneAt?: Date | null;
  providerMessageId?: string | null;
  messageCount?: number | null;
}

/** A report that names an attempt we do not have (yet): the provider should try again later. */
export class UnknownAttemptError extends Error {
  constructor(match: ReportMatch) {
    super(`no attempt matches ${JSON.stringify(match)}`);
    this.name = 'UnknownAttemptError';
  }
}

/**
 * The failover state machine. Every status an attempt reaches comes through here, whatever reported it,
 * so the rules live in one place: final statuses never change, every change is stored as a status event,
 * a final outcome listed in the step's `failoverOn` starts the next step, and subscribers hear of each
 * change only after it is committed.
 */
export class StatusUpdates {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly reportPush: ReportPush,
  ) {}

  /** Applies outcomes to attempts in one transaction, then publishes what changed. */
  async applyOutcomes(items: Array<{ attemptRef: string; outcome: AttemptOutcome }>): Promise<void> {
    if (items.length === 0) return;
    const published = await this.db.transaction().execute(async (trx) => {
      const locked = await lockInOrder(trx, items.map((i) => i.attemptRef));
      return recordOutcomes(trx, locked, items, this.clock, this.reportPush);
    });
    for (const p of published) this.bus.publishMessageStatus(p.accountId, p.payload);
  }

  /**
   * Entry point for provider reports (callbacks, polls, the simulator): all reports of one callback are
   * applied in one transaction, so a callback is stored whole or not at all, and published after commit.
   * A report naming an attempt we do not know fails the whole callback (the provider retries it later).
   */
  async applyReports(reports: ProviderReport[], origin: ReportOrigin = {}): Promise<void> {
    const [result] = await this.applyReportGroups([{ reports, origin }]);
    if (result) throw result;
  }

  /**
   * Callbacks that arrive within the same moment are applied in one transaction, so many reports share
   * one commit (a commit's WAL flush is what bounds throughput). Each caller is answered only after its
   * reports are committed. A group naming an unknown attempt is refused on its own; any other failure
   * retries the groups one by one, so one bad callback never fails its neighbours.
   */
  submitReports(reports: ProviderReport[], origin: ReportOrigin = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push({ reports, origin, resolve, reject });
      this.maybeFlush();
    });
  }

  private batch: Array<{ reports: ProviderReport[]; origin: ReportOrigin; resolve: () => void; reject: (e: unknown) => void }> = [];
  private flushesInFlight = 0;

  /**
   * Group commit: at most MAX_FLUSHES transactions run at once; callbacks arriving meanwhile wait for the
   * next one. At low load a callback goes at once; under load batches grow by themselves.
   */
  private maybeFlush(): void {
    if (this.batch.length === 0 || this.flushesInFlight >= MAX_FLUSHES) return;
    this.flushesInFlight += 1;
    setImmediate(() => {
      const groups = this.batch.splice(0, REPORT_BATCH);
      this.applyReportGroups(groups)
        .then(
          (results) => results.forEach((r, i) => (r ? groups[i]!.reject(r) : groups[i]!.resolve())),
          (err: unknown) => groups.forEach((g) => g.reject(err)),
        )
        .finally(() => {
          this.flushesInFlight -= 1;
          this.maybeFlush();
        });
    });
  }

  /** Returns, per group, null when applied or the error that refused it. */
  private async applyReportGroups(groups: Array<{ reports: ProviderReport[]; origin: ReportOrigin }>): Promise<Array<Error | null>> {
    const results: Array<Error | null> = groups.map(() => null);
    const published: Published[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        const { targets, rows } = await lockReportedAttempts(
          trx,
          groups.map((g) => g.reports.map((r) => (r.kind === 'status' || r.kind === 'seen' ? { match: r.match, origin: g.origin } : null))),
        );
        groups.forEach((g, i) => {
          const unknown = g.reports.find((r, j) => (r.kind === 'status' || r.kind === 'seen') && !targets[i]![j]);
          if (unknown && (unknown.kind === 'status' || unknown.kind === 'seen')) results[i] = new UnknownAttemptError(unknown.match);
        });
        const wanted = new Set(targets.flatMap((t, i) => (results[i] ? [] : t.flatMap((id) => (id ? [id] : [])))));
        const locked = await lockMessagesOf(trx, rows.filter((r) => wanted.has(r.id)));
        const outcomes = groups.flatMap((group, g) =>
          results[g]
            ? []
            : group.reports.flatMap((r, j) =>
                r.kind === 'status'
                  ? [{ attemptRef: targets[g]![j]!, outcome: { status: r.status, error: r.error, doneAt: r.doneAt, source: 'callback' as const } }]
                  : [],
              ),
        );
        for (const change of await recordOutcomes(trx, locked, outcomes, this.clock, this.reportPush)) published.push({ kind: 'status', ...change });
        for (const [g, group] of groups.entries()) {
          if (!results[g]) await this.applyGroup(trx, group.reports, group.origin, targets[g]!, locked, published);
        }
      });
    } catch (err) {
      if (groups.length === 1) return [err instanceof Error ? err : new Error(String(err))];
      return Promise.all(groups.map(async (g) => (await this.applyReportGroups([g]))[0]!));
    }
    for (const p of published) {
      if (p.kind === 'status') this.bus.publishMessageStatus(p.accountId, p.payload);
      else this.bus.publishInbound(p.accountId, { inbound: p.inbound });
    }
    return results;
  }

  private async applyGroup(
    trx: Kysely<Database>,
    reports: ProviderReport[],
    origin: ReportOrigin,
    targets: Array<string | null>,
    locked: Locked,
    published: Published[],
  ): Promise<void> {
    for (const [i, report] of reports.entries()) {
      switch (report.kind) {
        case 'status':
          break; // applied for the whole batch at once, before the rest (see applyReportGroups)
        case 'seen': {
          const attempt = targets[i] ? locked.attempts.get(targets[i]) : undefined;
          if (!attempt) throw new UnknownAttemptError(report.match);
          const change = await markSeen(trx, attempt, report.seenAt, this.clock);
          if (change) published.push({ kind: 'status', accountId: attempt.accountId, payload: change });
          break;
        }
        case 'inbound': {
          const pairedRef = report.replyTo ? await findAttemptId(trx, report.replyTo, origin) : null;
          const paired = pairedRef
            ? await trx.selectFrom('attempt').select(['accountId', 'messageRef']).where('id', '=', pairedRef).executeTakeFirst()
            : undefined;
          const accountId = origin.connection?.accountId ?? paired?.accountId;
          if (!accountId) {
            this.logger.warn({ provider: report.provider, from: report.from }, 'inbound message with no account to deliver it to');
            break;
          }
          if (origin.connection && report.viberUser) await recordSubscriber(trx, origin.connection.id, report.viberUser, null, report.receivedAt, true, false);
          const inbound = await trx
            .insertInto('inboundMessage')
            .values({
              accountId,
              provider: report.provider,
              channel: report.channel,
              providerMessageId: report.providerMessageId,
              fromAddress: report.from,
              toAddress: report.to,
              content: JSON.stringify(report.content),
              pairedMessageRef: paired && paired.accountId === accountId ? paired.messageRef : null,
              connectionId: origin.connection?.id ?? null,
              receivedAt: report.receivedAt,
            })
            // Providers retry callbacks: the same inbound message is stored (and published) once.
            .onConflict((oc) => oc.columns(['accountId', 'provider', 'providerMessageId']).doNothing())
            .returningAll()
            .executeTakeFirst();
          if (inbound) published.push({ kind: 'inbound', accountId, inbound });
          break;
        }
        case 'subscriber': {
          if (!origin.connection) break;
          const subscribed = report.event === 'subscribed' ? true : report.event === 'unsubscribed' ? false : report.subscribed;
          await recordSubscriber(trx, origin.connection.id, report.user, subscribed, report.at, report.event !== 'unsubscribed', report.event === 'unsubscribed');
          break;
        }
        case 'ping':
          break;
      }
    }
  }

  /**
   * Ends attempts whose validity ran out before a final status. Attempts not yet due (a job that ran
   * early) are put back on the schedule.
   */
  async expire(attemptRefs: string[]): Promise<void> {
    const now = this.clock.now();
    const open = await this.db
      .selectFrom('attempt')
      .select(['id', 'expiresAt'])
      .where('id', 'in', attemptRefs)
      .where('statusGroup', 'not in', ['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'])
      .execute();
    const due = open.filter((a) => a.expiresAt && a.expiresAt <= now);
    const notYet = open.filter((a) => !a.expiresAt || a.expiresAt > now);
    await this.applyOutcomes(
      due.map((a) => ({
        attemptRef: a.id,
        outcome: { status: STATUS.EXPIRED_EXPIRED, error: ERROR.EC_VALIDITYEXPIRED, doneAt: now, source: 'expiry' as const },
      })),
    );
    if (notYet.length > 0) {
      const runAt = new Date(Math.min(...notYet.map((a) => a.expiresAt?.getTime() ?? now.getTime() + 1000)));
      const payload: AttemptBatchPayload = { attemptRefs: notYet.map((a) => a.id) };
      await enqueue(this.db, [{ task: 'expire', payload, runAt: this.clock.toReal(runAt) }]);
    }
  }
}

/**
 * Applies outcomes inside the caller's transaction, set-based: each outcome is worked out in memory
 * against the rows the transaction holds locked (later outcomes see earlier ones), then written with one
 * statement per table, however many there are. Returns what to publish: one change per outcome that
 * moved an attempt (late and out-of-order reports on a final attempt change nothing).
 */
async function recordOutcomes(
  trx: Kysely<Database>,
  locked: Locked,
  items: Array<{ attemptRef: string; outcome: AttemptOutcome }>,
  clock: Clock,
  reportPush: ReportPush,
): Promise<Array<{ accountId: string; payload: MessageStatusPayload }>> {
  const now = clock.now();
  const changed: Array<{ accountId: string; payload: MessageStatusPayload }> = [];
  const attempts = new Map<string, AttemptRow>();
  const messages = new Map<string, MessageRow>();
  const events: Array<Record<string, unknown>> = [];
  const seeds: AttemptSeed[] = [];
  const finished: MessageRow[] = [];

  for (const { attemptRef, outcome } of items) {
    const current = locked.attempts.get(attemptRef);
    if (!current) continue;
    if (isFinal(current.statusGroup)) {
      // The provider's report overtook its own send answer: the status stands, but the send's facts
      // (the provider's id, the part count; the hand-over time was recorded at claim) are ours to keep.
      if (outcome.source === 'dispatch') await recordLateSend(trx, current, outcome);
      continue;
    }
    const final = isFinal(outcome.status.groupName);
    const attempt: AttemptRow = {
      ...current,
      status: outcome.status,
      statusGroup: outcome.status.groupName,
      error: outcome.error,
      dispatchState: final ? 'DONE' : outcome.source === 'dispatch' ? 'SENT' : current.dispatchState,
      doneAt: final ? (outcome.doneAt ?? now) : current.doneAt,
      // A provider id recorded once is never replaced: later reports are matched by it.
      providerMessageId: current.providerMessageId ?? outcome.providerMessageId ?? null,
      messageCount: outcome.messageCount ?? current.messageCount,
      updatedAt: now,
    };
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

    const message = locked.messages.get(attempt.messageRef);
    if (!message) throw new Error(`message ${attempt.messageRef} of attempt ${attempt.id} was not locked`);
    let updated = message;
    if (message.currentStep === attempt.stepIndex) {
      // A canceled message stops where it is: cancelling means "send nothing more".
      const next = final && outcome.source !== 'cancel' ? nextStepIndex(message.flow, attempt.stepIndex, outcome.status.groupName) : null;
      const sentAt = message.sentAt ?? attempt.sentAt;
      if (next !== null) {
        const step = message.flow[next]!;
        // Failover is not held back by the bulk's speed limit, but it does respect the delivery window.
        const window = message.options.deliveryTimeWindow;
        const notBefore = window && !isInsideWindow(window, now) ? nextWindowOpening(window, now) : now;
        seeds.push({
          messageRef: message.id,
          bulkRef: message.bulkRef,
          accountId: message.accountId,
          stepIndex: next,
          step,
          notBefore,
          expiresAt: new Date(now.getTime() + step.validitySeconds * 1000),
        });
        updated = {
          ...message,
          currentStep: next,
          channel: step.channel,
          status: STATUS.PENDING_ACCEPTED,
          statusGroup: STATUS.PENDING_ACCEPTED.groupName,
          error: null,
          sentAt,
          updatedAt: now,
        };
      } else {
        updated = {
          ...message,
          channel: attempt.channel,
          status: outcome.status,
          statusGroup: outcome.status.groupName,
          error: outcome.error,
          sentAt,
          doneAt: final ? attempt.doneAt : message.doneAt,
          updatedAt: now,
        };
        if (final) finished.push(updated);
      }
      locked.messages.set(updated.id, updated);
      messages.set(updated.id, updated);
    }
    changed.push({ accountId: message.accountId, payload: { message: updated, attempt, occurredAt: now } });
  }

  if (attempts.size > 0) {
    const attemptRows = [...attempts.values()].map((a) => ({
      id: a.id,
      status: a.status,
      status_group: a.statusGroup,
      error: a.error,
      dispatch_state: a.dispatchState,
      done_at: a.doneAt?.toISOString() ?? null,
      sent_at: a.sentAt?.toISOString() ?? null,
      provider_message_id: a.providerMessageId,
      message_count: a.messageCount,
    }));
    const messageRows = [...messages.values()].map((m) => ({
      id: m.id,
      current_step: m.currentStep,
      channel: m.channel,
      status: m.status,
      status_group: m.statusGroup,
      error: m.error,
      sent_at: m.sentAt?.toISOString() ?? null,
      done_at: m.doneAt?.toISOString() ?? null,
    }));
    // One statement for the three tables: each round trip to the database costs more than the rows.
    await sql`
      with attempt_update as (
        update attempt set status = x.status, status_group = x.status_group, error = x.error, dispatch_state = x.dispatch_state,
          done_at = x.done_at, sent_at = x.sent_at, provider_message_id = x.provider_message_id, message_count = x.message_count,
          updated_at = ${now}
        from json_to_recordset(${JSON.stringify(attemptRows)}::json) as x(id bigint, status jsonb, status_group text, error jsonb,
          dispatch_state text, done_at timestamptz, sent_at timestamptz, provider_message_id text, message_count integer)
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
  await createAttempts(trx, seeds, clock);
  for (const message of finished) await reportPush.onMessageFinal(trx, message);
  return changed;
}

/** At most this many callbacks share one transaction, and this many such transactions run at once. */
const REPORT_BATCH = 200;
const MAX_FLUSHES = 2;


type Published =
  | { kind: 'status'; accountId: string; payload: MessageStatusPayload }
  | { kind: 'inbound'; accountId: string; inbound: InboundMessageRow };



/**
 * Every transaction that changes statuses locks its attempts, then their messages, in id order before
 * touching any: two of them over the same rows (a dispatch batch and a callback, or two callbacks) then
 * queue behind each other instead of deadlocking.
 */
async function lockInOrder(trx: Kysely<Database>, attemptRefs: string[]): Promise<Locked> {
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
async function lockMessagesOf(trx: Kysely<Database>, attempts: AttemptRow[]): Promise<Locked> {
  const locked: Locked = { attempts: new Map(attempts.map((a) => [a.id, a])), messages: new Map() };
  const messageRefs = [...new Set(attempts.map((a) => a.messageRef))];
  if (messageRefs.length === 0) return locked;
  const messages = await trx.selectFrom('message').selectAll().where('id', 'in', messageRefs).orderBy('id').forUpdate().execute();
  for (const m of messages) locked.messages.set(m.id, m);
  return locked;
}

/** Rows a transaction holds locks on, kept current as it changes them. */
interface Locked {
  attempts: Map<string, AttemptRow>;
  messages: Map<string, MessageRow>;
}

async function markSeen(trx: Kysely<Database>, attempt: AttemptRow, seenAt: Date, clock: Clock): Promise<MessageStatusPayload | null> {
  const updated = await trx
    .updateTable('attempt')
    .set({ seenAt, updatedAt: clock.now() })
    .where('id', '=', attempt.id)
    .where('seenAt', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!updated) return null; // seen is reported once; a repeat changes nothing
  const message = await trx
    .updateTable('message')
    .set({ seenAt: sql`coalesce(seen_at, ${seenAt})`, updatedAt: clock.now() })
    .where('id', '=', attempt.messageRef)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { message, attempt: updated, occurredAt: seenAt };
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

export type { ReportOrigin };
