import { run, type Runner, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { createWorkerLogger } from '../observability/worker-log.js';

export interface WorkerOptions {
  concurrency: number;
  pollIntervalMs: number;
}

/** Runs graphile-worker in this process on the application's pool; `stop()` lets running jobs finish. */
export async function startWorker(pool: pg.Pool, taskList: TaskList, logger: Logger, options: WorkerOptions): Promise<Runner> {
  const workerLogger = createWorkerLogger(logger);
  return run({
    pgPool: pool,
    taskList,
    concurrency: options.concurrency,
    pollInterval: options.pollIntervalMs,
    noHandleSignals: true,
    parsedCronItems: [],
    logger: workerLogger,
  });
}
