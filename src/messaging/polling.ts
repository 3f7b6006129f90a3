import type { Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
import type { Clock } from '../domain/clock.js';
import { isFinal } from '../domain/status.js';
import type { Database } from '../db/schema.js';
import { defineTask, enqueue, type JobSpec, type TaskDefinition } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { SendInDoubtError, TransientProviderError } from '../providers/types.js';
import type { ConnectionService } from './connections.js';
import type { ReportIntake } from './report-intake.js';

/**
 * Asks providers that report status on request (DecisionTelecom's `receive-viber`) about attempts still
 * pending, every `intervalMs` until a final status arrives or the attempt's validity ends. Callbacks, when
 * they come, land through the same state machine; whichever is first wins and the other changes nothing.
 */
export class StatusPoller {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly providers: ProviderRegistry,
    private readonly connections: ConnectionService,
    private readonly reportIntake: ReportIntake,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  jobFor(attemptRef: AttemptRef): JobSpec {
    return { task: 'poll', payload: { attemptRef }, runAt: this.clock.toReal(new Date(this.clock.now().getTime() + this.intervalMs)) };
  }

  async poll(attemptRef: AttemptRef): Promise<void> {
    const attempt = await this.db.selectFrom('attempt').selectAll().where('id', '=', attemptRef).executeTakeFirst();
    if (!attempt || isFinal(attempt.statusGroup) || !attempt.providerMessageId || !attempt.connectionId) return;
    const adapter = await this.providers.adapterFor(attempt);
    const connection = await this.connections.byId(attempt.connectionId);
    if (!adapter?.poll || !connection) return;
    try {
      const reports = await adapter.poll({ attemptId: attempt.attemptId, providerMessageId: attempt.providerMessageId, channel: attempt.channel });
      if (reports.length > 0) await this.reportIntake.applyReports(reports, { connection });
    } catch (err) {
      // A status query sends nothing: one that lost its answer is simply asked again.
      if (!(err instanceof TransientProviderError || err instanceof SendInDoubtError)) throw err;
      this.logger.info({ attemptId: attempt.attemptId, reason: err.message }, 'status poll failed; will ask again');
    }
    const after = await this.db.selectFrom('attempt').select(['statusGroup', 'expiresAt']).where('id', '=', attemptRef).executeTakeFirst();
    if (after && !isFinal(after.statusGroup) && (!after.expiresAt || after.expiresAt > this.clock.now())) {
      await enqueue(this.db, [this.jobFor(attemptRef)]);
    }
  }
}

/** The job that asks a provider for an attempt's status. */
export function pollTask(poller: StatusPoller): TaskDefinition {
  return defineTask('poll', (p) => poller.poll(p.attemptRef));
}
