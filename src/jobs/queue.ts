import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export type TaskName = 'dispatch' | 'expire' | 'push-report' | 'poll' | 'in-doubt';

export interface JobSpec {
  task: TaskName;
  payload: unknown;
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * Adds graphile-worker jobs through the caller's connection, so a job exists exactly when the
 * transaction that made it commits: no message without its dispatch, no dispatch without its message.
 */
export async function enqueue(db: Kysely<Database>, jobs: JobSpec[]): Promise<void> {
  if (jobs.length === 0) return;
  const rows = jobs.map((j) => ({
    identifier: j.task,
    payload: j.payload,
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
