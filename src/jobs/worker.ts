import { EventEmitter } from 'node:events';
import { run, type Runner, type TaskList, type WorkerEvents, Logger as WorkerLogger } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from '../logger.js';

export interface WorkerOptions {
  concurrency: number;
  pollIntervalMs: number;
  /** Told the id each worker pool locks its jobs with, before it takes any (see src/jobs/leases.ts). */
  onPool?: (poolId: string) => void;
}

/** Runs graphile-worker in this process on the application's pool; `stop()` lets running jobs finish. */
export async function startWorker(pool: pg.Pool, taskList: TaskList, logger: Logger, options: WorkerOptions): Promise<Runner> {
  const workerLogger = new WorkerLogger((scope) => (level, message, meta) => {
    const log = logger.child({ worker: scope.workerId, task: scope.taskIdentifier, jobId: scope.jobId });
    const pinoLevel = level === 'warning' ? 'warn' : level;
    log[pinoLevel]({ ...meta }, message);
  });
  const events: WorkerEvents = new EventEmitter();
  events.on('pool:create', ({ workerPool }) => options.onPool?.(workerPool.id));
  return run({
    events,
    pgPool: pool,
    taskList,
    concurrency: options.concurrency,
    pollInterval: options.pollIntervalMs,
    noHandleSignals: true,
    parsedCronItems: [],
    logger: workerLogger,
  });
}
