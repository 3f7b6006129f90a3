import type { Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
import type { Database } from '../db/schema.js';
import { enqueue } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import { KeyedSlots } from './keyed-slots.js';

export interface ProviderGateOptions {
  /** Dispatch jobs of this process that may wait on one provider connection at once. */
  maxInFlight: number;
  /** How long a job may wait for a slot of its connection before it steps aside. Default 100 ms. */
  waitMs?: number;
  /** When a job that stepped aside runs again (with up to half as much jitter added). Default 250 ms. */
  busyRetryMs?: number;
}

/** The simulator has no connection row; it is one "connection" of its own. */
const SIMULATOR_KEY = 'simulator';

/**
 * Keeps one provider connection from taking every dispatch slot. A provider that stops answering holds
 * each job sending to it until the adapter's timeout (up to 30 s); with every worker slot so held, no
 * other connection or account could send, retry or fail over. Here a dispatch job first takes a slot of
 * each connection its queued attempts go through; a connection has `maxInFlight` of them, fewer than
 * the worker has. A job that cannot get one within `waitMs` leaves its attempts QUEUED, schedules a new
 * dispatch job for them `busyRetryMs` later, and returns its worker slot to whoever needs it.
 *
 * The short wait (instead of stepping aside at once) is for the healthy busy connection: there slots
 * free every few milliseconds, and a job that waits for one costs less than re-queuing it.
 */
export class ProviderGate {
  private readonly slots: KeyedSlots;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    private readonly options: ProviderGateOptions,
  ) {
    this.slots = new KeyedSlots(options.maxInFlight);
  }

  /** Runs `dispatch` for these attempts while holding their connections' slots, or reschedules it. */
  async run(attemptRefs: AttemptRef[], dispatch: () => Promise<void>): Promise<void> {
    const rows = await this.db
      .selectFrom('attempt')
      .select('connectionId')
      .distinct()
      .where('id', 'in', attemptRefs)
      .where('dispatchState', '=', 'QUEUED')
      .execute();
    // Nothing queued (claimed by another job, or settled): no provider will be called; the dispatcher decides.
    if (rows.length === 0) return dispatch();
    const keys = rows.map((r) => r.connectionId ?? SIMULATOR_KEY);
    const release = await this.slots.acquire(keys, this.options.waitMs ?? 100);
    if (!release) {
      const retryMs = this.options.busyRetryMs ?? 250;
      const delay = retryMs + Math.floor((Math.random() * retryMs) / 2);
      this.logger.debug({ connections: keys, attempts: attemptRefs.length, delayMs: delay }, 'provider connection busy; dispatch rescheduled');
      await enqueue(this.db, [{ task: 'dispatch', payload: { attemptRefs }, runAt: new Date(Date.now() + delay) }]);
      return;
    }
    try {
      await dispatch();
    } finally {
      release();
    }
  }
}
