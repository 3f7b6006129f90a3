import type { Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
import type { Clock } from '../domain/clock.js';
import { decideExpiry } from '../domain/failover.js';
import { ERROR, STATUS } from '../domain/status.js';
import type { Database } from '../db/schema.js';
import { defineTask, enqueue, type TaskDefinition } from '../jobs/queue.js';
import type { OutcomeWriter } from './outcomes.js';

/**
 * The expiry timer: ends attempts whose validity ran out before a final status (the failover rule then
 * moves their messages on). Attempts not yet due (a job that ran early) are put back on the schedule.
 */
export class ExpiryService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly outcomes: OutcomeWriter,
    private readonly clock: Clock,
  ) {}

  async expire(attemptRefs: AttemptRef[]): Promise<void> {
    const now = this.clock.now();
    const attempts = await this.db.selectFrom('attempt').select(['id', 'statusGroup', 'expiresAt']).where('id', 'in', attemptRefs).execute();
    const due: AttemptRef[] = [];
    const waiting: Array<{ id: AttemptRef; until: Date }> = [];
    for (const a of attempts) {
      const decision = decideExpiry({ now, group: a.statusGroup, expiresAt: a.expiresAt });
      if (decision.kind === 'expire') due.push(a.id);
      else if (decision.kind === 'wait') waiting.push({ id: a.id, until: decision.until });
    }
    await this.outcomes.apply(
      due.map((attemptRef) => ({
        attemptRef,
        outcome: { status: STATUS.EXPIRED_EXPIRED, error: ERROR.EC_VALIDITYEXPIRED, doneAt: now, source: 'expiry' as const },
      })),
    );
    if (waiting.length > 0) {
      const runAt = new Date(Math.min(...waiting.map((w) => w.until.getTime())));
      await enqueue(this.db, [{ task: 'expire', payload: { attemptRefs: waiting.map((w) => w.id) }, runAt: this.clock.toReal(runAt) }]);
    }
  }
}

/** The validity timer's job. */
export function expireTask(expiry: ExpiryService): TaskDefinition {
  return defineTask('expire', (p) => expiry.expire(p.attemptRefs));
}
