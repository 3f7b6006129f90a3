import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Metrics } from './metrics.js';

/**
 * `omnigate_job_queue_depth{task, state}`, read from graphile-worker's own tables when Prometheus scrapes:
 * one grouped count, no bookkeeping on the hot path. States: ready (due, waiting for a worker), scheduled
 * (due later: retries, expiries, deferred sends), running (locked by a worker), failed (attempts exhausted).
 */
export function registerQueueDepth(metrics: Metrics, db: Kysely<Database>): void {
  metrics.gaugeAtScrape('omnigate_job_queue_depth', 'Jobs in the graphile-worker queue, by task and state, read at scrape time.', ['task', 'state'], async (set) => {
    const { rows } = await sql<{ task: string; ready: string; scheduled: string; running: string; failed: string }>`
      select t.identifier as task,
             count(*) filter (where j.is_available and j.run_at <= now()) as ready,
             count(*) filter (where j.is_available and j.run_at > now()) as scheduled,
             count(*) filter (where j.locked_at is not null) as running,
             count(*) filter (where j.locked_at is null and j.attempts >= j.max_attempts) as failed
      from graphile_worker._private_tasks t
      left join graphile_worker._private_jobs j on j.task_id = t.id
      group by t.identifier`.execute(db);
    for (const r of rows) {
      for (const state of ['ready', 'scheduled', 'running', 'failed'] as const) set({ task: r.task, state }, Number(r[state]));
    }
  });
}
