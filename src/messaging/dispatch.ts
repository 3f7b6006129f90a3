import type { Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
import { sql } from 'kysely';
import { retryDelayMs } from '../domain/backoff.js';
import type { Clock } from '../domain/clock.js';
import { isInsideWindow, nextWindowOpening } from '../domain/delivery-window.js';
import { decideRetry } from '../domain/failover.js';
import { ERROR, STATUS } from '../domain/status.js';
import type { AttemptRow, BulkOptions, Database, MessageOptions } from '../db/schema.js';
import { viberLabelFor } from '../domain/sending-options.js';
import { SPEED_UNIT_MS } from '../domain/speed-limit.js';
import { defineTask, enqueue, type TaskDefinition } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import { detachedObservability, type Observability } from '../observability/index.js';
import { observeProviderCall, providerCallOutcome } from '../observability/provider-calls.js';
import { activeTraceparent } from '../observability/tracing.js';
import { isPolled, moduleFor, type ProviderRegistry } from '../providers/registry.js';
import { TransientProviderError, type OutboundMessage, type ProviderAdapter, type SendResult } from '../providers/types.js';
import { dispatchJobs, moveAttempts } from './attempts.js';
import { LeaseLapsedError, type Claims } from './claims.js';
import { inDoubtJob, releaseInDoubt } from './in-doubt.js';
import type { StatusPoller } from './polling.js';
import type { AttemptOutcome, OutcomeItem, OutcomeWriter } from './outcomes.js';

const SPEED_LIMIT_MARGIN = 1.02;

export interface DispatchOptions {
  retryBaseMs: number;
  /** Whose claims are made here, and which attempts this process is sending now (crash recovery). */
  claims: Claims;
}

/** A claimed attempt with the message fields its provider needs. */
export type Claimed = AttemptRow & {
  messageId: string;
  toNumber: string | null;
  toViberUserId: string | null;
  callbackData: string | null;
  options: MessageOptions;
};


/**
 * Puts queued attempts on the wire. An attempt is claimed (QUEUED → SENDING) in its own committed
 * transaction before the provider is called, so a job that runs again after a crash finds nothing left to
 * claim: it can lose track of an in-flight send (expiry then settles it) but can never send it twice.
 */
export class Dispatcher {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly providers: ProviderRegistry,
    private readonly outcomes: OutcomeWriter,
    private readonly poller: StatusPoller,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly options: DispatchOptions,
    private readonly observability: Observability = detachedObservability(),
  ) {}

  async dispatch(attemptRefs: AttemptRef[]): Promise<void> {
    // Held from before the claim commits, so an in-doubt check in this process never takes them for orphans.
    this.options.claims.hold(attemptRefs);
    try {
      await this.claimAndSend(attemptRefs);
    } finally {
      this.options.claims.release(attemptRefs);
    }
  }

  private async claimAndSend(attemptRefs: AttemptRef[]): Promise<void> {
    const owner = this.options.claims.owner;
    const claimed = await this.claim(attemptRefs, owner);
    if (claimed.length === 0) return;
    const claimedAt = this.clock.now().getTime();
    if (!this.options.claims.isLive(owner)) {
      // Nothing went out: the claims are given back (queued again for this job's retry) unless another
      // instance took them over meanwhile. Left SENDING, they would wait for the in-doubt rules — for a
      // provider that is asked, until its records can be read — though they were never sent.
      const givenBack = await this.giveBack(claimed, owner).catch((err: unknown) => {
        // The database is away too: the claims stay SENDING and the in-doubt rules settle them.
        this.logger.warn({ err, attempts: claimed.length }, 'could not give back the claims of a lapsed lease');
        return 0;
      });
      throw new LeaseLapsedError(owner, givenBack, claimed.length);
    }
    const sent = await this.send(claimed);
    const results = claimed.map((attempt, i) => ({ attempt, result: sent[i]! }));
    for (const { attempt, result } of results) {
      this.observability.metrics.dispatchedAttempt(attempt.channel, attempt.provider, providerCallOutcome([result]), (claimedAt - attempt.notBefore.getTime()) / 1000);
    }

    const outcomes: OutcomeItem[] = [];
    const retries: Array<{ attempt: Claimed; error: TransientProviderError }> = [];
    const inDoubt: AttemptRef[] = [];
    for (const { attempt, result } of results) {
      if (result instanceof TransientProviderError) {
        retries.push({ attempt, error: result });
      } else if (result instanceof Error) {
        // No answer, or one we cannot read: the provider may have it. Never resent blindly; the in-doubt
        // rules (src/messaging/in-doubt.ts) settle it by what the provider can do.
        this.logger.warn({ err: result, attemptId: attempt.attemptId }, 'send in doubt');
        inDoubt.push(attempt.id);
      } else if (result.kind === 'accepted') {
        outcomes.push({
          attemptRef: attempt.id,
          outcome: {
            status: STATUS.PENDING_ENROUTE,
            error: null,
            source: 'dispatch',
            providerMessageId: result.providerMessageId,
            messageCount: result.messageCount ?? null,
          },
        });
      } else {
        outcomes.push({
          attemptRef: attempt.id,
          outcome: { status: result.status, error: result.error, source: 'dispatch', providerMessageId: result.providerMessageId ?? null },
        });
      }
    }
    await this.outcomes.apply(outcomes);
    await releaseInDoubt(this.db, inDoubt, owner);
    await this.scheduleRetries(retries);
    // Statuses are asked for where the provider can tell them; the rest arrive by callback (or the attempt expires).
    const polled = results.filter(
      ({ attempt, result }) => isPolled(attempt.provider, attempt.channel) && !(result instanceof Error) && result.kind === 'accepted',
    );
    if (polled.length > 0) await enqueue(this.db, polled.map(({ attempt }) => this.poller.jobFor(attempt.id)));
  }

  /**
   * Takes the attempts that are due and may go now, marking them SENDING in one committed transaction.
   * Attempts of a paused bulk stay queued (resume re-queues them); of a canceled bulk end canceled; one
   * whose delivery window is closed waits for its next opening; one not yet due was rescheduled and has
   * a later job of its own.
   */
  /**
   * Undoes a claim that was never sent: QUEUED again, with the try and the hand-over time it had before.
   * Each row only if it is still SENDING under `owner` (another instance that declared this lease dead
   * may have taken it over: then it is theirs). Returns how many were given back.
   */
  private async giveBack(claimed: Claimed[], owner: string): Promise<number> {
    const now = this.clock.now();
    const { rows } = await sql<{ id: string }>`
      update attempt set dispatch_state = 'QUEUED', claimed_by = null, claimed_at = null, tries = attempt.tries - 1,
        sent_at = x.sent_at, updated_at = ${now}
      from unnest(${claimed.map((c) => c.id)}::bigint[], ${claimed.map((c) => c.sentAt)}::timestamptz[]) as x(id, sent_at)
      where attempt.id = x.id and attempt.dispatch_state = 'SENDING' and attempt.claimed_by = ${owner}
      returning attempt.id`.execute(this.db);
    return rows.length;
  }

  private async claim(attemptRefs: AttemptRef[], owner: string): Promise<Claimed[]> {
    const now = this.clock.now();
    const traceparent = activeTraceparent();
    const { claimed, canceled } = await this.db.transaction().execute(async (trx) => {
      const candidates = await trx
        .selectFrom('attempt as a')
        .innerJoin('message as m', 'm.id', 'a.messageRef')
        .innerJoin('bulk as b', 'b.id', 'a.bulkRef')
        .selectAll('a')
        .select(['m.messageId', 'm.toNumber', 'm.toViberUserId', 'm.callbackData', 'm.options', 'b.status as bulkStatus', 'b.options as bulkOptions'])
        .where('a.id', 'in', attemptRefs)
        // SENDING too: claimed by a run that died (this job ran before, its worker was killed) or still on
        // the wire elsewhere; the in-doubt job tells which.
        .where('a.dispatchState', 'in', ['QUEUED', 'SENDING'])
        .forUpdate('a')
        .skipLocked()
        .execute();
      const due: typeof candidates = [];
      const canceled: AttemptRef[] = [];
      // Moved to a later time (window closed, speed limit): stored, and a job at the new time.
      const deferred: Array<{ id: AttemptRef; notBefore: Date; expiresAt: null }> = [];
      // Not due yet: a job woke early (clock rounding) or a reschedule moved it. Its time stands; a job at
      // that time keeps it from being stranded (a second job for it is harmless: the claim is once).
      const waiting: Array<{ id: AttemptRef; notBefore: Date; expiresAt: null }> = [];
      const orphans: AttemptRef[] = [];
      for (const c of candidates) {
        const window = c.options.deliveryTimeWindow;
        if (c.dispatchState === 'SENDING') orphans.push(c.id);
        else if (c.bulkStatus === 'CANCELED') canceled.push(c.id);
        else if (c.bulkStatus === 'PAUSED') continue;
        else if (c.notBefore > now) waiting.push({ id: c.id, notBefore: c.notBefore, expiresAt: null });
        // An attempt whose validity has run out is the expiry job's to end, not ours to send.
        else if (c.expiresAt && c.expiresAt <= now) continue;
        else if (window && !isInsideWindow(window, now)) deferred.push({ id: c.id, notBefore: nextWindowOpening(window, now), expiresAt: null });
        else due.push(c);
      }
      const limited = await this.enforceSpeedLimits(trx, due, now);
      const sendNow = limited.allowed;
      deferred.push(...limited.deferred);
      await moveAttempts(trx, deferred, now);
      await enqueue(trx, [...dispatchJobs([...deferred, ...waiting], this.clock), ...(orphans.length > 0 ? [inDoubtJob(orphans)] : [])]);
      if (sendNow.length > 0) {
        await trx
          .updateTable('attempt')
          // sentAt is when we hand it over, so a report that overtakes the send's answer still finds it.
          .set({ dispatchState: 'SENDING', tries: sql`tries + 1`, sentAt: sql`coalesce(sent_at, ${now})`, updatedAt: now, claimedBy: owner, claimedAt: now, ...(traceparent ? { traceparent } : {}) })
          .where('id', 'in', sendNow.map((d) => d.id))
          .execute();
      }
      return { claimed: sendNow.map((d) => ({ ...d, dispatchState: 'SENDING' as const, tries: d.tries + 1, claimedBy: owner, claimedAt: now })), canceled };
    });
    await this.outcomes.apply(
      canceled.map((attemptRef) => ({ attemptRef, outcome: { status: STATUS.REJECTED_CANCELED, error: null, source: 'cancel' as const } })),
    );
    return claimed;
  }

  /**
   * The plan spaces first attempts, but jobs wake a little late by varying amounts; this holds the rule
   * itself at the moment of sending: a bulk never has more than `amount` first attempts handed over in
   * any one unit. Claims of a speed-limited bulk are serialised on its row so two workers cannot both
   * take the last place in a window.
   */
  private async enforceSpeedLimits<T extends { id: AttemptRef; bulkRef: string; stepIndex: number; notBefore: Date; bulkOptions: BulkOptions }>(
    trx: Kysely<Database>,
    due: T[],
    now: Date,
  ): Promise<{ allowed: T[]; deferred: Array<{ id: AttemptRef; notBefore: Date; expiresAt: null }> }> {
    const allowed: T[] = [];
    const deferred: Array<{ id: AttemptRef; notBefore: Date; expiresAt: null }> = [];
    const byBulk = new Map<string, T[]>();
    for (const d of due) {
      if (!(d.stepIndex === 0 && d.bulkOptions.sendingSpeedLimit)) allowed.push(d);
      else if (byBulk.has(d.bulkRef)) byBulk.get(d.bulkRef)!.push(d);
      else byBulk.set(d.bulkRef, [d]);
    }
    for (const [bulkRef, candidates] of byBulk) {
      const limit = candidates[0]!.bulkOptions.sendingSpeedLimit!;
      // 2% wider than the unit: what the provider sees is our send time plus network jitter.
      const unitMs = SPEED_UNIT_MS[limit.timeUnit] * SPEED_LIMIT_MARGIN;
      await trx.selectFrom('bulk').select('id').where('id', '=', bulkRef).forUpdate().execute();
      const recent = await trx
        .selectFrom('attempt')
        .select('sentAt')
        .where('bulkRef', '=', bulkRef)
        .where('stepIndex', '=', 0)
        .where('sentAt', '>', new Date(now.getTime() - unitMs))
        .orderBy('sentAt')
        .execute();
      const room = Math.max(limit.amount - recent.length, 0);
      candidates.sort((a, b) => a.notBefore.getTime() - b.notBefore.getTime());
      allowed.push(...candidates.slice(0, room));
      const oldest = recent[0]?.sentAt ?? now;
      const nextRoom = new Date(oldest.getTime() + unitMs + 1);
      for (const c of candidates.slice(room)) deferred.push({ id: c.id, notBefore: nextRoom > c.notBefore ? nextRoom : c.notBefore, expiresAt: null });
    }
    return { allowed, deferred };
  }

  /**
   * Hands the claimed attempts to their providers, all at once: attempts that share an adapter able to
   * take many messages per request go in one batch; the rest go one request each, concurrently.
   */
  private async send(claimed: Claimed[]): Promise<Array<SendResult | Error>> {
    const results: Array<SendResult | Error> = new Array(claimed.length);
    const byAdapter = new Map<ProviderAdapter, Array<{ index: number; message: OutboundMessage }>>();
    for (const [index, attempt] of claimed.entries()) {
      const adapter = await this.providers.adapterFor(attempt);
      const message = adapter ? outboundMessage(attempt) : null;
      if (!adapter || !message) {
        results[index] = {
          kind: 'rejected',
          status: STATUS.REJECTED_ROUTE_NOT_AVAILABLE,
          error: { ...ERROR.EC_PROVIDER_REJECTED, description: !adapter ? 'The provider connection no longer exists' : 'No address for this provider' },
        };
        continue;
      }
      if (byAdapter.has(adapter)) byAdapter.get(adapter)!.push({ index, message });
      else byAdapter.set(adapter, [{ index, message }]);
    }
    const observe = <T extends Array<SendResult | Error>>(items: Array<{ index: number; message: OutboundMessage }>, call: () => Promise<T>) =>
      observeProviderCall(this.observability, claimed[items[0]!.index]!.provider, items.map((i) => i.message), call);
    await Promise.all(
      [...byAdapter].map(async ([adapter, items]) => {
        if (adapter.sendBatch && items.length > 1) {
          const outcomes = await observe(items, () => adapter.sendBatch!(items.map((i) => i.message)).catch((err: unknown) => items.map(() => asError(err))));
          items.forEach((item, k) => (results[item.index] = outcomes[k] ?? new Error('the provider adapter returned no outcome')));
        } else {
          await Promise.all(
            items.map(async (item) => (results[item.index] = (await observe([item], async () => [await adapter.send(item.message).catch(asError)]))[0]!)),
          );
        }
      }),
    );
    return results;
  }

  /**
   * A transient failure goes back to QUEUED with a later dispatch job, while the step is still valid;
   * past that the attempt ends EXPIRED and the flow moves on.
   */
  private async scheduleRetries(retries: Array<{ attempt: Claimed; error: TransientProviderError }>): Promise<void> {
    const now = this.clock.now();
    const giveUp: OutcomeItem[] = [];
    const gaveUpAfter: Array<{ id: string; error: string }> = [];
    for (const { attempt, error } of retries) {
      const delay = error.retryAfterMs ?? retryDelayMs(attempt.tries, { baseMs: this.options.retryBaseMs });
      const decision = decideRetry({ now, delayMs: delay, expiresAt: attempt.expiresAt });
      if (decision.kind === 'give-up') {
        giveUp.push({
          attemptRef: attempt.id,
          outcome: { status: STATUS.EXPIRED_EXPIRED, error: ERROR.EC_PROVIDER_UNAVAILABLE, source: 'dispatch' },
        });
        gaveUpAfter.push({ id: attempt.id, error: error.message });
        continue;
      }
      this.logger.info({ attemptId: attempt.attemptId, tries: attempt.tries, delayMs: delay, reason: error.message }, 'retrying send');
      this.observability.metrics.retry(attempt.provider);
      await this.db.transaction().execute(async (trx) => {
        const requeued = await trx
          .updateTable('attempt')
          // The reason stays visible (Attempt.lastTransientError) while the attempt waits for its retry.
          .set({ dispatchState: 'QUEUED', notBefore: decision.at, lastTransientError: error.message, lastTransientErrorAt: now, updatedAt: this.clock.now() })
          .where('id', '=', attempt.id)
          .where('dispatchState', '=', 'SENDING')
          .returning('id')
          .executeTakeFirst();
        if (requeued) await enqueue(trx, [{ task: 'dispatch', payload: { attemptRefs: [attempt.id] }, runAt: this.clock.toReal(decision.at) }]);
      });
    }
    if (gaveUpAfter.length > 0) {
      // Why it expired without a provider verdict: the failure that made a retry pointless.
      await sql`
        update attempt set last_transient_error = x.error, last_transient_error_at = ${now}
        from unnest(${gaveUpAfter.map((g) => g.id)}::bigint[], ${gaveUpAfter.map((g) => g.error)}::text[]) as x(id, error)
        where attempt.id = x.id`.execute(this.db);
    }
    await this.outcomes.apply(giveUp);
  }
}

/** The attempt as its provider sees it, or null when it has no address that provider can use. */
export function outboundMessage(attempt: Claimed): OutboundMessage | null {
  // Viber bots address subscribers by their bot-specific id; everyone else by phone number.
  const byViberUserId = moduleFor(attempt.provider).addressing === 'viberUserId';
  const to = byViberUserId ? attempt.toViberUserId : attempt.toNumber;
  if (!to) return null;
  return {
    attemptId: attempt.attemptId,
    messageId: attempt.messageId,
    channel: attempt.channel,
    from: attempt.sender,
    to: byViberUserId ? { viberUserId: to } : { phoneNumber: to },
    content: attempt.content,
    validitySeconds: attempt.validitySeconds,
    callbackData: attempt.callbackData,
    viberLabel: viberLabelFor(attempt.content, attempt.options.viberLabel),
    platform: attempt.options.platform ?? null,
  };
}

/** The job that runs a dispatch batch. */
export function dispatchTask(dispatcher: Dispatcher): TaskDefinition {
  return defineTask('dispatch', (p) => dispatcher.dispatch(p.attemptRefs));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
