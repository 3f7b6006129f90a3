import type { Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
import type { Database, InboundMessageRow } from '../db/schema.js';
import type { EventBus, MessageStatusPayload } from '../events/bus.js';
import type { Logger } from '../logger.js';
import type { EventDraft } from '../events/log.js';
import { countFinished, detachedObservability, type Observability } from '../observability/index.js';
import type { ProviderReport, ReportMatch } from '../providers/types.js';
import { lockReportedAttempts, type ReportOrigin } from './attempt-lookup.js';
import { recordInbound } from './inbound.js';
import { threadInbound, type StoredInbound } from './conversations.js';
import { logEvents, transact } from './transact.js';
import { lockMessagesOf, type Locked } from './locks.js';
import type { OutcomeItem, OutcomeWriter } from './outcomes.js';
import { recordSubscriberEvent } from './viber-subscribers.js';
import { CallbackSpans } from '../observability/callback-spans.js';

/** A report that names an attempt we do not have (yet): the provider should try again later. */
export class UnknownAttemptError extends Error {
  constructor(match: ReportMatch) {
    super(`no attempt matches ${JSON.stringify(match)}`);
    this.name = 'UnknownAttemptError';
  }
}

/** At most this many callbacks share one transaction, and this many such transactions run at once. */
const REPORT_BATCH = 200;
const MAX_FLUSHES = 2;

type Published =
  | { kind: 'status' | 'seen'; accountId: string; payload: MessageStatusPayload; final?: boolean }
  | { kind: 'inbound'; accountId: string; inbound: InboundMessageRow };

function eventOf(p: Published): { accountId: string; draft: EventDraft } {
  return p.kind === 'inbound'
    ? { accountId: p.accountId, draft: { kind: 'inbound', inbound: p.inbound, occurredAt: p.inbound.receivedAt } }
    : { accountId: p.accountId, draft: { kind: p.kind, ...p.payload } };
}

interface Pending {
  reports: ProviderReport[];
  origin: ReportOrigin;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Where provider reports come in (callbacks, polls, the simulator): status and seen reports become
 * attempt outcomes, inbound messages and subscriber events are stored. All reports of one callback are
 * applied in one transaction, so a callback is stored whole or not at all, and published after commit.
 */
export class ReportIntake {
  private batch: Pending[] = [];
  private flushesInFlight = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly outcomes: OutcomeWriter,
    private readonly observability: Observability = detachedObservability(),
  ) {}

  /** Applies one callback's reports now. A report naming an attempt we do not know fails the whole callback. */
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
    const spans = new CallbackSpans(this.observability.tracing);
    try {
      await transact(this.db, this.bus, async (trx) => {
        const { targets, rows } = await lockReportedAttempts(
          trx,
          groups.map((g) => g.reports.map((r) => (r.kind === 'status' || r.kind === 'seen' ? { match: r.match, origin: g.origin } : null))),
        );
        spans.open(groups.map((g) => g.reports), targets, rows);
        groups.forEach((g, i) => {
          const unknown = g.reports.find((r, j) => (r.kind === 'status' || r.kind === 'seen') && !targets[i]![j]);
          if (unknown && (unknown.kind === 'status' || unknown.kind === 'seen')) results[i] = new UnknownAttemptError(unknown.match);
        });
        const wanted = new Set(targets.flatMap((t, i) => (results[i] ? [] : t.flatMap((id) => (id ? [id] : [])))));
        const locked = await lockMessagesOf(trx, rows.filter((r) => wanted.has(r.id)));
        const outcomes: OutcomeItem[] = groups.flatMap((group, g) =>
          results[g]
            ? []
            : group.reports.flatMap((r, j) =>
                r.kind === 'status'
                  ? [
                      {
                        attemptRef: targets[g]![j]!,
                        outcome: { status: r.status, error: r.error, doneAt: r.doneAt, source: 'callback' as const, ...r.details },
                      },
                    ]
                  : [],
              ),
        );
        for (const change of await this.outcomes.record(trx, locked, outcomes)) published.push({ kind: 'status', ...change });
        const stored: StoredInbound[] = [];
        for (const [g, group] of groups.entries()) {
          if (!results[g]) await this.applyOthers(trx, group.reports, group.origin, targets[g]!, locked, published, stored);
        }
        await threadInbound(trx, stored);
        logEvents(trx, published.map(eventOf));
      });
    } catch (err) {
      spans.close(err);
      if (groups.length === 1) return [err instanceof Error ? err : new Error(String(err))];
      return Promise.all(groups.map(async (g) => (await this.applyReportGroups([g]))[0]!));
    }
    spans.close(null);
    countFinished(this.observability.metrics, published.flatMap((p) => (p.kind === 'status' ? [p] : [])));
    return results;
  }

  /** The reports of one callback other than status reports (applied for the whole batch at once, before). */
  private async applyOthers(
    trx: Kysely<Database>,
    reports: ProviderReport[],
    origin: ReportOrigin,
    targets: Array<AttemptRef | null>,
    locked: Locked,
    published: Published[],
    storedInbound: StoredInbound[],
  ): Promise<void> {
    for (const [i, report] of reports.entries()) {
      switch (report.kind) {
        case 'status':
        case 'ping':
          break;
        case 'seen': {
          const attempt = targets[i] ? locked.attempts.get(targets[i]) : undefined;
          if (!attempt) throw new UnknownAttemptError(report.match);
          const change = await this.outcomes.recordSeen(trx, attempt, report.seenAt);
          if (change) published.push({ kind: 'seen', accountId: attempt.accountId, payload: change });
          break;
        }
        case 'inbound': {
          const stored = await recordInbound(trx, report, origin);
          if (stored) {
            published.push({ kind: 'inbound', accountId: stored.accountId, inbound: stored });
            storedInbound.push({ stored, report });
          }
          else if (stored === null) this.logger.warn({ provider: report.provider, from: report.from }, 'inbound message with no account to deliver it to');
          break;
        }
        case 'subscriber':
          if (origin.connection) await recordSubscriberEvent(trx, origin.connection.id, report);
          break;
      }
    }
  }
}

export type { ReportOrigin };
