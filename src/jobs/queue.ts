import { sql, type Kysely } from 'kysely';
import type { Task } from 'graphile-worker';
import type { Database } from '../db/schema.js';
import { activeTraceparent } from '../observability/tracing.js';
import { JOB_PAYLOADS, type JobPayload, type TaskName } from './payloads.js';

export type { JobPayload, TaskName };

export type JobSpec = {
  [T in TaskName]: { task: T; payload: JobPayload<T>; runAt?: Date; maxAttempts?: number };
}[TaskName];

/**
 * Adds graphile-worker jobs through the caller's connection, so a job exists exactly when the
 * transaction that made it commits: no message without its dispatch, no dispatch without its message.
 */
export async function enqueue(db: Kysely<Database>, jobs: JobSpec[]): Promise<void> {
  if (jobs.length === 0) return;
  // The trace that made a job continues in it (the worker's task span takes this as its parent).
  const traceparent = activeTraceparent();
  const rows = jobs.map((j) => ({
    identifier: j.task,
    payload: traceparent ? { ...j.payload, traceparent } : j.payload,
    run_at: (j.runAt ?? new Date()).toISOString(),
    max_attempts: j.maxAttempts ?? 25,
  }));
  await sql`
    select graphile_worker.add_jobs(array(
      select row(x.identifier, x.payload, null, x.run_at, x.max_attempts, null, null, null)::graphile_worker.job_spec
      from json_to_recordset(${JSON.stringify(rows)}::json)
        as x(identifier text, payload json, run_at timestamptz, max_attempts integer)
    ))`.execute(db);
}

/** A task as the worker runs it: the payload checked against its declared schema, then handed to `run`. */
export interface TaskDefinition {
  name: TaskName;
  task: Task;
}

/** Defines a task beside the service it calls; each task is a thin shell over that service. */
export function defineTask<T extends TaskName>(name: T, run: (payload: JobPayload<T>) => Promise<void>): TaskDefinition {
  const schema = JOB_PAYLOADS[name];
  return { name, task: async (payload) => run(schema.parse(payload) as JobPayload<T>) };
}
