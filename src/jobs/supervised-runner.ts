import { EventEmitter } from 'node:events';
import { run, type Runner, type RunnerOptions, type TaskList, type WorkerEvents } from 'graphile-worker';
import type pg from 'pg';
import { retryDelayMs } from '../domain/backoff.js';
import type { Logger } from '../logger.js';
import { createWorkerLogger } from '../observability/worker-log.js';

export interface RunnerSpec {
  /** Names the runner in logs and readiness reasons. */
  name: string;
  /** Only jobs of these tasks are taken by this runner (graphile-worker fetches by task identifier). */
  taskList: TaskList;
  concurrency: number;
  pollIntervalMs: number;
  /** Told each pool id this runner locks jobs with (a restart makes a new one), before it takes any. */
  onPool?: (poolId: string) => void;
}

/**
 * One graphile-worker runner that is started again when it stops on its own. A runner ends itself when
 * it decides the queue is inconsistent (a worker exiting early, a breaking migration seen) and then takes
 * no more jobs; in a long-lived service that must not mean "no more sends". After such an exit the jobs
 * it still held locked would wait four hours for graphile-worker's stale-lock reset, so they are handed
 * back at once: the old runner has finished every job it was running when its promise settles, so
 * nothing it holds is still in progress.
 */
export class SupervisedRunner {
  private runner: Runner | null = null;
  private downSince: Date | null = null;
  private stopping = false;
  private recovering: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly spec: RunnerSpec,
    private readonly logger: Logger,
    /** graphile-worker's `run`; replaceable so the supervision itself can be tested without a dying runner. */
    private readonly startRunner: (options: RunnerOptions) => Promise<Runner> = run,
  ) {}

  /** The first start fails loudly: a service whose worker cannot start should not report itself up. */
  async start(): Promise<void> {
    this.runner = await this.launch();
  }

  /** Why this runner is not taking jobs right now, or null while it is. */
  problem(): string | null {
    return this.downSince ? `job worker '${this.spec.name}' restarting since ${this.downSince.toISOString()}` : null;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.recovering;
    // A runner that ended on its own at this very moment refuses a second stop; it is stopped either way.
    await this.runner?.stop().catch((err: unknown) => this.logger.warn({ runner: this.spec.name, error: String(err) }, 'job worker stop'));
  }

  private async launch(): Promise<Runner> {
    const events = new EventEmitter() as WorkerEvents;
    let poolId: string | null = null;
    events.on('pool:create', ({ workerPool }) => {
      poolId = workerPool.id;
      this.spec.onPool?.(workerPool.id);
    });
    const runner = await this.startRunner({
      pgPool: this.pool,
      taskList: this.spec.taskList,
      concurrency: this.spec.concurrency,
      pollInterval: this.spec.pollIntervalMs,
      noHandleSignals: true,
      parsedCronItems: [],
      logger: createWorkerLogger(this.logger.child({ runner: this.spec.name })),
      events,
    });
    const exited = () => this.exited(runner, poolId);
    runner.promise.then(exited, exited);
    return runner;
  }

  private exited(runner: Runner, poolId: string | null): void {
    if (this.stopping || runner !== this.runner) return;
    this.runner = null;
    this.downSince = new Date();
    this.logger.error({ runner: this.spec.name, poolId }, 'job worker stopped on its own; restarting it');
    this.recovering = this.recover(poolId).finally(() => (this.recovering = null));
  }

  private async recover(deadPoolId: string | null): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        const runner = await this.launch();
        if (this.stopping) {
          await runner.stop();
          return;
        }
        this.runner = runner;
        this.logger.info({ runner: this.spec.name, downMs: Date.now() - this.downSince!.getTime() }, 'job worker restarted');
        this.downSince = null;
        break;
      } catch (err) {
        const delay = retryDelayMs(attempt, { baseMs: 250, maxMs: 5_000 });
        this.logger.warn({ runner: this.spec.name, error: String(err), delayMs: delay }, 'job worker could not restart yet');
        await this.sleep(delay);
      }
    }
    if (deadPoolId) await this.unlock(deadPoolId);
  }

  /** Hands the dead runner's locked jobs back to the queue (graphile_worker.force_unlock_workers). */
  private async unlock(poolId: string): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.pool.query('select graphile_worker.force_unlock_workers($1::text[])', [[poolId]]);
        return;
      } catch (err) {
        const delay = retryDelayMs(attempt, { baseMs: 250, maxMs: 5_000 });
        this.logger.warn({ runner: this.spec.name, poolId, error: String(err), delayMs: delay }, 'could not free a stopped job worker’s jobs yet');
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
