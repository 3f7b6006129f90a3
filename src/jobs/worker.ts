import type pg from 'pg';
import type { Logger } from '../logger.js';
import { jobBookkeepingPool } from './job-bookkeeping-pool.js';
import type { Lane } from './lanes.js';
import { SupervisedRunner } from './supervised-runner.js';

export interface WorkerOptions {
  pollIntervalMs: number;
  /** Told the id each worker pool locks its jobs with, before it takes any (see src/jobs/leases.ts). */
  onPool?: (poolId: string) => void;
}

export interface Worker {
  /** Lets running jobs finish, in every lane. */
  stop(): Promise<void>;
  /** Why some lane takes no jobs right now (it is being restarted), or null. */
  problem(): string | null;
}

/**
 * Runs graphile-worker in this process on the application's pool: one supervised runner per lane, all
 * recording job outcomes through a pool that survives connection loss.
 */
export async function startWorker(pool: pg.Pool, lanes: Lane[], logger: Logger, options: WorkerOptions): Promise<Worker> {
  const jobPool = jobBookkeepingPool(pool, logger);
  const runners: SupervisedRunner[] = [];
  const stop = async () => {
    await Promise.all(runners.map((r) => r.stop()));
  };
  try {
    // One after another: each start checks graphile-worker's schema, which is better not raced.
    for (const lane of lanes) {
      const runner = new SupervisedRunner(jobPool, { ...lane, pollIntervalMs: options.pollIntervalMs, onPool: options.onPool }, logger);
      await runner.start();
      runners.push(runner);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    stop,
    problem: () => {
      const problems = runners.map((r) => r.problem()).filter((p): p is string => p !== null);
      return problems.length > 0 ? problems.join('; ') : null;
    },
  };
}
