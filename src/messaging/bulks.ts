import { sql, type Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import { scheduleDispatches } from '../domain/dispatch-schedule.js';
import { STATUS, STATUS_GROUPS, type StatusGroup } from '../domain/status.js';
import type { BulkRow, BulkStatus, Database } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';
import { enqueue } from '../jobs/queue.js';
import { dispatchJobs, moveAttempts } from './attempts.js';
import { NotFoundError, ValidationError } from './errors.js';
import { MAX_SCHEDULE_AHEAD_MS } from './rules.js';
import type { OutcomeWriter } from './outcomes.js';

export type BulkCounters = Record<StatusGroup, number> & { total: number };

export interface BulkView {
  row: BulkRow;
  status: BulkStatus;
  counters: BulkCounters;
}

const OPEN_GROUPS: StatusGroup[] = ['ACCEPTED', 'PENDING'];

/**
 * Bulk-level control over what has not been dispatched yet: pause, resume, reschedule, cancel. Attempts
 * already handed to a provider run their course; only QUEUED attempts are touched.
 */
export class BulkService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly outcomes: OutcomeWriter,
    private readonly bus: EventBus,
    private readonly clock: Clock,
  ) {}

  async get(accountId: string, bulkId: string): Promise<BulkView | null> {
    const row = await this.db.selectFrom('bulk').selectAll().where('accountId', '=', accountId).where('bulkId', '=', bulkId).executeTakeFirst();
    return row ? this.view(row) : null;
  }

  async pause(accountId: string, bulkId: string): Promise<BulkView> {
    const row = await this.transition(accountId, bulkId, ['PENDING', 'PROCESSING'], 'PAUSED');
    return this.view(row);
  }

  async resume(accountId: string, bulkId: string): Promise<BulkView> {
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lock(trx, accountId, bulkId);
      if (row.status !== 'PAUSED') throw ValidationError.single(['bulkId'], `cannot be resumed: the bulk is ${row.status}`);
      const start = this.startOf(row);
      const updated = await trx
        .updateTable('bulk')
        .set({ status: start > this.clock.now() ? 'PENDING' : 'PROCESSING', updatedAt: this.clock.now() })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.requeue(trx, updated, start);
      return this.view(updated, trx);
    });
  }

  async reschedule(accountId: string, bulkId: string, sendAt: Date): Promise<BulkView> {
    const now = this.clock.now();
    if (sendAt.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS) throw ValidationError.single(['sendAt'], 'must be at most 180 days ahead');
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lock(trx, accountId, bulkId);
      if (row.status === 'CANCELED') throw ValidationError.single(['bulkId'], 'cannot be rescheduled: the bulk is CANCELED');
      const status: BulkStatus = row.status === 'PAUSED' ? 'PAUSED' : sendAt > now ? 'PENDING' : 'PROCESSING';
      const updated = await trx
        .updateTable('bulk')
        .set({ sendAt, status, updatedAt: now })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      // A paused bulk keeps waiting; resume will schedule from the new sendAt.
      if (status !== 'PAUSED') await this.requeue(trx, updated, this.startOf(updated));
      return this.view(updated, trx);
    });
  }

  /** Ends every message not yet handed to a provider with REJECTED_CANCELED; none of them is ever sent. */
  async cancel(accountId: string, bulkId: string): Promise<BulkView> {
    const row = await this.transition(accountId, bulkId, ['PENDING', 'PROCESSING', 'PAUSED'], 'CANCELED');
    // Claims skip locked rows and see the CANCELED bulk, so nothing slips out while this runs.
    const queued = await this.db
      .selectFrom('attempt')
      .select('id')
      .where('bulkRef', '=', row.id)
      .where('dispatchState', '=', 'QUEUED')
      .orderBy('id')
      .execute();
    for (let i = 0; i < queued.length; i += 500) {
      await this.outcomes.apply(
        queued.slice(i, i + 500).map((a) => ({
          attemptRef: a.id,
          outcome: { status: STATUS.REJECTED_CANCELED, error: null, source: 'cancel' as const },
        })),
      );
    }
    return this.view(row);
  }

  async counters(bulkRef: string, db: Kysely<Database> = this.db): Promise<BulkCounters> {
    const rows = await db
      .selectFrom('message')
      .select(['statusGroup', sql<string>`count(*)`.as('n')])
      .where('bulkRef', '=', bulkRef)
      .groupBy('statusGroup')
      .execute();
    const counters = Object.fromEntries(STATUS_GROUPS.map((g) => [g, 0])) as BulkCounters;
    counters.total = 0;
    for (const r of rows) {
      counters[r.statusGroup] = Number(r.n);
      counters.total += Number(r.n);
    }
    return counters;
  }

  /**
   * Counters as they change: a snapshot at once, then at most one every `intervalMs` while messages move
   * (and one every few seconds regardless, so a missed event cannot stall it), ending with the event that
   * shows the bulk finished.
   */
  async *progress(accountId: string, bulkId: string, intervalMs = 250): AsyncGenerator<BulkView> {
    const events = this.bus.messageStatus(accountId);
    let pending = false;
    const signal: { notify: (() => void) | null } = { notify: null };
    const pump = (async () => {
      for await (const e of events) {
        if (e.message.bulkId !== bulkId) continue;
        pending = true;
        signal.notify?.();
      }
    })();
    try {
      for (;;) {
        // A console may subscribe before the send that creates the bulk; it waits for the bulk to appear.
        const view = await this.get(accountId, bulkId);
        if (view) {
          yield view;
          if (view.status === 'FINISHED' || (view.status === 'CANCELED' && OPEN_GROUPS.every((g) => view.counters[g] === 0))) return;
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        if (!pending) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 5_000);
            signal.notify = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          signal.notify = null;
        }
        pending = false;
      }
    } finally {
      await events.return?.(undefined);
      await pump.catch(() => undefined);
    }
  }

  private async view(row: BulkRow, db: Kysely<Database> = this.db): Promise<BulkView> {
    const counters = await this.counters(row.id, db);
    return { row, status: this.statusOf(row, counters), counters };
  }

  /** FINISHED is derived, never stored: it holds exactly when no message is still open. */
  private statusOf(row: BulkRow, counters: BulkCounters): BulkStatus {
    if (row.status === 'CANCELED' || row.status === 'PAUSED') return row.status;
    if (counters.total > 0 && OPEN_GROUPS.every((g) => counters[g] === 0)) return 'FINISHED';
    return row.sendAt && row.sendAt > this.clock.now() ? 'PENDING' : 'PROCESSING';
  }

  private startOf(row: BulkRow): Date {
    const now = this.clock.now();
    return row.sendAt && row.sendAt > now ? row.sendAt : now;
  }

  private async lock(trx: Kysely<Database>, accountId: string, bulkId: string): Promise<BulkRow> {
    const row = await trx.selectFrom('bulk').selectAll().where('accountId', '=', accountId).where('bulkId', '=', bulkId).forUpdate().executeTakeFirst();
    if (!row) throw new NotFoundError('Bulk', bulkId);
    return row;
  }

  private async transition(accountId: string, bulkId: string, from: BulkStatus[], to: BulkStatus): Promise<BulkRow> {
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lock(trx, accountId, bulkId);
      const view = await this.view(row, trx);
      if (!from.includes(row.status) || view.status === 'FINISHED') {
        throw ValidationError.single(['bulkId'], `cannot become ${to}: the bulk is ${view.status}`);
      }
      return trx.updateTable('bulk').set({ status: to, updatedAt: this.clock.now() }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    });
  }

  /**
   * New dispatch times for the bulk's queued attempts: first attempts are laid out again from `start` under
   * the speed limit and their windows (their validity moves with them); failover attempts go at once.
   * Jobs queued for the old times find the attempts not yet due and leave them.
   */
  private async requeue(trx: Kysely<Database>, bulk: BulkRow, start: Date): Promise<void> {
    const queued = await trx
      .selectFrom('attempt as a')
      .innerJoin('message as m', 'm.id', 'a.messageRef')
      .select(['a.id', 'a.stepIndex', 'a.notBefore', 'a.validitySeconds', 'a.expiresAt', 'm.options'])
      .where('a.bulkRef', '=', bulk.id)
      .where('a.dispatchState', '=', 'QUEUED')
      .orderBy('a.messageRef')
      .execute();
    const firsts = queued.filter((a) => a.stepIndex === 0);
    const slots = scheduleDispatches(start, firsts.length, bulk.options.sendingSpeedLimit ?? null, (i) => firsts[i]!.options.deliveryTimeWindow ?? null);
    const moved = firsts.map((a, i) => ({ id: a.id, notBefore: slots[i]!, expiresAt: new Date(slots[i]!.getTime() + a.validitySeconds * 1000) }));
    const now = this.clock.now();
    await moveAttempts(trx, moved, now);
    const failovers = queued
      .filter((a) => a.stepIndex > 0)
      .map((a) => ({ id: a.id, notBefore: a.notBefore > now ? a.notBefore : now, expiresAt: a.expiresAt }));
    await enqueue(trx, dispatchJobs([...moved, ...failovers], this.clock));
  }
}
