import { sql, type Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
import type { Clock } from '../domain/clock.js';
import { judgeClaim } from '../domain/in-doubt.js';
import { STATUS, isFinal } from '../domain/status.js';
import type { Database } from '../db/schema.js';
import { defineTask, enqueue, type JobSpec, type TaskDefinition } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { InDoubtPolicy, OutboundMessage, ProviderAdapter } from '../providers/types.js';
import type { Claims } from './claims.js';
import type { Claimed } from './dispatch.js';
import type { AttemptOutcome, OutcomeItem, OutcomeWriter } from './outcomes.js';

export interface InDoubtOptions {
  /** The attempt as its provider sees it (the dispatcher's own builder), or null without an address. */
  outbound: (attempt: Claimed) => OutboundMessage | null;
  /** A claim a live instance has held this long is in doubt: longer than any adapter's send timeout. */
  claimLeaseMs: number;
  /** A provider is asked no sooner than this after the claim: its records may trail its intake. */
  lookupDelayMs: number;
  /** When a provider could not be asked, how long until it is asked again. */
  lookupRetryMs: number;
}

/** The job that settles attempts in doubt (task `in-doubt`), at `runAt` or now. */
export function inDoubtJob(attemptRefs: AttemptRef[], runAt?: Date): JobSpec {
  return { task: 'in-doubt', payload: { attemptRefs }, ...(runAt ? { runAt } : {}) };
}

/**
 * Gives up this instance's claim on attempts whose send ended in doubt (no answer, an unreadable one):
 * nobody is sending them now, and the in-doubt job decides what to do with each. One transaction, so the
 * job exists exactly when the release does.
 */
export async function releaseInDoubt(db: Kysely<Database>, attemptRefs: AttemptRef[], owner: string): Promise<void> {
  if (attemptRefs.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const released = await trx
      .updateTable('attempt')
      .set({ claimedBy: null })
      .where('id', 'in', attemptRefs)
      .where('dispatchState', '=', 'SENDING')
      .where('claimedBy', '=', owner)
      .returning('id')
      .execute();
    if (released.length > 0) await enqueue(trx, [inDoubtJob(released.map((r) => r.id))]);
  });
}

type Candidate = Claimed & { claimedBy: string | null; claimedAt: Date | null };

/**
 * Settles attempts that may or may not be with their provider: claimed (SENDING) by an instance that died,
 * or released after a send that got no answer. Never sends one twice to a provider that cannot drop a
 * repeat: each adapter declares its rule (`inDoubt`):
 * - `resend`: queued again at once, same message id (the provider drops a repeat; the simulator keeps none);
 * - `ask`: the provider's records decide (`lookup`): found → its status, as a send answer would have
 *   given; absent → queued again; no answer → asked again later;
 * - `settle`: treated as sent (PENDING_ENROUTE, never sent again on this step); reports or the step's
 *   validity decide, and an expiry fails the flow over as usual.
 * An attempt some live instance is still sending is left to it, and looked at again when its claim lapses.
 */
export class InDoubtResolver {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly providers: ProviderRegistry,
    private readonly outcomes: OutcomeWriter,
    private readonly claims: Claims,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly options: InDoubtOptions,
  ) {}

  async resolve(attemptRefs: AttemptRef[]): Promise<void> {
    const now = this.clock.now();
    const candidates: Candidate[] = await this.db
      .selectFrom('attempt as a')
      .innerJoin('message as m', 'm.id', 'a.messageRef')
      .selectAll('a')
      .select(['m.messageId', 'm.toNumber', 'm.toViberUserId', 'm.callbackData', 'm.options'])
      .where('a.id', 'in', attemptRefs)
      .where('a.dispatchState', '=', 'SENDING')
      .execute();
    if (candidates.length === 0) return;

    const owners = [...new Set(candidates.flatMap((c) => (c.claimedBy && c.claimedBy !== this.claims.owner ? [c.claimedBy] : [])))];
    const live = new Set(
      owners.length === 0
        ? []
        : (
            await this.db
              .selectFrom('workerLease')
              .select('instanceId')
              .where('instanceId', 'in', owners)
              .where(sql<boolean>`heartbeat_at >= now() - ttl_ms * interval '1 millisecond'`)
              .execute()
          ).map((r) => r.instanceId),
    );

    const later = new Map<number, AttemptRef[]>();
    const checkAt = (at: Date, ref: AttemptRef) => later.set(at.getTime(), [...(later.get(at.getTime()) ?? []), ref]);
    const inDoubt: Array<{ attempt: Candidate; adapter: ProviderAdapter | null }> = [];
    for (const c of candidates) {
      const mine = c.claimedBy !== null && c.claimedBy === this.claims.owner;
      const adapter = await this.providers.adapterFor(c);
      const verdict = judgeClaim(
        { claimedAt: c.claimedAt ?? c.updatedAt, mine, heldHere: this.claims.isHeld(c.id), ownerAlive: c.claimedBy !== null && !mine && live.has(c.claimedBy) },
        adapter?.inDoubt === 'ask',
        now,
        this.options,
      );
      if (verdict.kind === 'later') checkAt(verdict.at, c.id);
      else inDoubt.push({ attempt: c, adapter });
    }
    await enqueue(this.db, [...later].map(([at, refs]) => inDoubtJob(refs, this.clock.toReal(new Date(at)))));

    const taken = await this.takeOver(inDoubt.map((d) => d.attempt), now);
    const mine = inDoubt.filter((d) => taken.has(d.attempt.id));
    if (mine.length === 0) return;
    this.claims.hold(taken);
    try {
      const byPolicy = new Map<InDoubtPolicy, typeof mine>();
      for (const d of mine) {
        const policy = d.adapter?.inDoubt ?? 'settle';
        byPolicy.set(policy, [...(byPolicy.get(policy) ?? []), d]);
      }
      await this.settle(byPolicy.get('settle') ?? []);
      await this.requeue((byPolicy.get('resend') ?? []).map((d) => d.attempt));
      await this.ask(byPolicy.get('ask') ?? []);
    } finally {
      this.claims.release(taken);
    }
  }

  /** Claims the attempts for this instance, each only if nobody changed its claim since it was read. */
  private async takeOver(attempts: Candidate[], now: Date): Promise<Set<string>> {
    if (attempts.length === 0) return new Set();
    const { rows } = await sql<{ id: string }>`
      update attempt set claimed_by = ${this.claims.owner}, claimed_at = ${now}, updated_at = ${now}
      from unnest(${attempts.map((a) => a.id)}::bigint[], ${attempts.map((a) => a.claimedBy)}::text[]) as x(id, previous)
      where attempt.id = x.id and attempt.dispatch_state = 'SENDING' and attempt.claimed_by is not distinct from x.previous
      returning attempt.id`.execute(this.db);
    return new Set(rows.map((r) => r.id));
  }

  /** Treated as sent: never sent again on this step; reports or its validity (then failover) decide. */
  private async settle(items: Array<{ attempt: Candidate; adapter: ProviderAdapter | null }>): Promise<void> {
    if (items.length === 0) return;
    this.logger.warn({ attempts: items.map((d) => d.attempt.attemptId) }, 'attempts in doubt treated as sent (provider can neither deduplicate nor tell)');
    await this.outcomes.apply(
      items.map(({ attempt }) => ({ attemptRef: attempt.id, outcome: { status: STATUS.PENDING_ENROUTE, error: null, source: 'dispatch' as const } })),
    );
  }

  /** Queued again with a dispatch job now: the same attempt id goes out again. */
  private async requeue(attempts: Candidate[]): Promise<void> {
    if (attempts.length === 0) return;
    this.logger.warn({ attempts: attempts.map((a) => a.attemptId) }, 'attempts in doubt sent again');
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      const requeued = await trx
        .updateTable('attempt')
        .set({ dispatchState: 'QUEUED', notBefore: now, claimedBy: null, updatedAt: now })
        .where('id', 'in', attempts.map((a) => a.id))
        .where('dispatchState', '=', 'SENDING')
        .where('claimedBy', '=', this.claims.owner)
        .returning('id')
        .execute();
      if (requeued.length > 0) {
        await enqueue(trx, [{ task: 'dispatch', payload: { attemptRefs: requeued.map((r) => r.id) } }]);
      }
    });
  }

  private async ask(items: Array<{ attempt: Candidate; adapter: ProviderAdapter | null }>): Promise<void> {
    const byAdapter = new Map<ProviderAdapter, Array<{ attempt: Candidate; message: OutboundMessage | null }>>();
    for (const { attempt, adapter } of items) {
      byAdapter.set(adapter!, [...(byAdapter.get(adapter!) ?? []), { attempt, message: this.options.outbound(attempt) }]);
    }
    const found: OutcomeItem[] = [];
    const absent: Candidate[] = [];
    const unknown: Candidate[] = [];
    for (const [adapter, entries] of byAdapter) {
      // Without an address it can never have been sent; without lookup there is nobody to ask.
      const askable = entries.filter((e) => e.message !== null);
      absent.push(...entries.filter((e) => e.message === null).map((e) => e.attempt));
      const answers = adapter.lookup
        ? await adapter.lookup(askable.map((e) => e.message!)).catch((err: unknown) => askable.map(() => (err instanceof Error ? err : new Error(String(err)))))
        : askable.map(() => new Error(`${adapter.type} declares 'ask' but has no lookup`));
      askable.forEach(({ attempt }, i) => {
        const answer = answers[i];
        if (!answer || answer instanceof Error) {
          this.logger.warn({ attemptId: attempt.attemptId, reason: answer?.message }, 'could not ask the provider about an attempt in doubt; asking again later');
          unknown.push(attempt);
        } else if (answer.kind === 'absent') {
          absent.push(attempt);
        } else {
          const status = isFinal(answer.status.groupName) ? answer.status : STATUS.PENDING_ENROUTE;
          found.push({ attemptRef: attempt.id, outcome: { status, error: answer.error, source: 'dispatch', providerMessageId: answer.providerMessageId } });
        }
      });
    }
    if (found.length > 0) this.logger.info({ attempts: found.length }, 'attempts in doubt found at their provider');
    await this.outcomes.apply(found);
    await this.requeue(absent);
    if (unknown.length > 0) {
      const retryAt = new Date(this.clock.now().getTime() + this.options.lookupRetryMs);
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('attempt')
          .set({ claimedBy: null })
          .where('id', 'in', unknown.map((a) => a.id))
          .where('dispatchState', '=', 'SENDING')
          .where('claimedBy', '=', this.claims.owner)
          .execute();
        await enqueue(trx, [inDoubtJob(unknown.map((a) => a.id), this.clock.toReal(retryAt))]);
      });
    }
  }
}


/** The job that settles attempts in doubt. */
export function inDoubtTask(resolver: InDoubtResolver): TaskDefinition {
  return defineTask('in-doubt', (p) => resolver.resolve(p.attemptRefs));
}
