import { run, type Runner, type TaskList, Logger as WorkerLogger } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from '../logger.js';

export interface WorkerOptions {
  concurrency: number;
  pollIntervalMs: number;
}

/** Runs graphile-worker in this process on the application's pool; `stop()` lets running jobs finish. */
export async function startWorker(pool: pg.Pool, taskList: TaskList, logger: Logger, options: WorkerOptions): Promise<Runner> {
  const workerLogger = new WorkerLogger((scope) => (level, message, meta) => {
    const log = logger.child({ worker: scope.workerId, task: scope.taskIdentifier, jobId: scope.jobId });
    const pinoLevel = level === 'warning' ? 'warn' : level;
    log[pinoLevel]({ ...meta }, message);
  });
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
