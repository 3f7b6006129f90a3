import { Logger as WorkerLogger } from 'graphile-worker';
import type { Logger } from '../logger.js';

/** The job fields worth a log line; the row itself (payload, timestamps, lock owner) is not. */
interface JobMeta {
  id?: string;
  task_identifier?: string;
  attempts?: number;
  max_attempts?: number;
}

/**
 * graphile-worker's log calls onto pino, one short line each: the first line of the message, the job's id,
 * task and attempt, the duration and, on failure, the error (with its stack in `err`). graphile-worker
 * passes the whole job row as meta; logging it cost ~700 characters per job and could carry payloads.
 */
export function createWorkerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const { job, error, duration } = (meta ?? {}) as { job?: JobMeta; error?: unknown; duration?: number };
    const line: Record<string, unknown> = {
      worker: scope.workerId,
      ...(scope.taskIdentifier || job?.task_identifier ? { task: scope.taskIdentifier ?? job?.task_identifier } : {}),
      ...(scope.jobId || job?.id ? { jobId: scope.jobId ?? job?.id } : {}),
      ...(job?.attempts !== undefined ? { attempt: job.attempts, maxAttempts: job.max_attempts } : {}),
      ...(typeof duration === 'number' ? { durationMs: Math.round(duration * 10) / 10 } : {}),
      ...(error !== undefined ? { err: error } : {}),
    };
    const pinoLevel = level === 'warning' ? 'warn' : level;
    logger[pinoLevel](line, message.split('\n')[0]!);
  });
}
