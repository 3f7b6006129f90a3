import { sql, type Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../domain/clock.js';
import type { FlowStep } from '../domain/flow.js';
import { STATUS } from '../domain/status.js';
import type { Database } from '../db/schema.js';
import { enqueue, type JobSpec } from '../jobs/queue.js';

export interface AttemptSeed {
  messageRef: string;
  bulkRef: string;
  accountId: string;
  stepIndex: number;
  step: FlowStep;
  /** When it may be dispatched (sendAt, speed-limit slot, delivery window). */
  notBefore: Date;
  /** Validity counts from the step's start in real time, whatever delays its dispatch. */
  expiresAt: Date;
}

/** Attempts handed to one dispatch job: big enough to amortise a job, small enough to spread over workers. */
export const DISPATCH_BATCH = 50;

export interface AttemptBatchPayload {
  attemptRefs: string[];
}

/**
 * Starts attempts: queued for dispatch at their `notBefore`, with an expiry job at the end of their
 * validity. Must run inside the transaction that decided the attempts should exist, so the jobs exist
 * exactly when the attempts do. One set-based INSERT however many there are: a bulk's 10,000 attempts
 * cost one statement, not 10,000 rows of bound parameters.
 */
export async function createAttempts(trx: Kysely<Database>, seeds: AttemptSeed[], clock: Clock): Promise<void> {
  if (seeds.length === 0) return;
  const status = STATUS.PENDING_ACCEPTED;
  // Time-ordered ids keep the unique index's inserts at its right edge instead of all over it.
  const rows = seeds.map((s) => ({
    attempt_id: uuidv7(),
    message_ref: s.messageRef,
    bulk_ref: s.bulkRef,
    account_id: s.accountId,
    step_index: s.stepIndex,
    channel: s.step.channel,
    sender: s.step.from,
    provider: s.step.provider,
    connection_id: s.step.connectionId,
    content: s.step.content,
    validity_seconds: s.step.validitySeconds,
    not_before: s.notBefore.toISOString(),
    expires_at: s.expiresAt.toISOString(),
  }));
  const inserted = await sql<{ id: string; notBefore: Date; expiresAt: Date }>`
    insert into attempt (attempt_id, message_ref, bulk_ref, account_id, step_index, channel, sender, provider, connection_id,
                         content, validity_seconds, dispatch_state, status, status_group, error, not_before, expires_at)
    select x.attempt_id, x.message_ref, x.bulk_ref, x.account_id, x.step_index, x.channel, x.sender, x.provider, x.connection_id,
           x.content, x.validity_seconds, 'QUEUED', ${JSON.stringify(status)}::jsonb, ${status.groupName}, 'null'::jsonb,
           x.not_before, x.expires_at
    from json_to_recordset(${JSON.stringify(rows)}::json) as x(
      attempt_id uuid, message_ref bigint, bulk_ref bigint, account_id uuid, step_index integer, channel text, sender text, provider text,
      connection_id uuid, content jsonb, validity_seconds integer, not_before timestamptz, expires_at timestamptz)
    order by x.message_ref
    returning id, not_before, expires_at`.execute(trx);
  await enqueue(trx, dispatchJobs(inserted.rows, clock));
}

/**
 * Dispatch jobs for queued attempts, batched by due time, and expiry jobs for each batch. Also used to
 * re-queue attempts after a pause, resume or reschedule.
 */
export function dispatchJobs(attempts: Array<{ id: string; notBefore: Date; expiresAt: Date | null }>, clock: Clock): JobSpec[] {
  const jobs: JobSpec[] = [];
  for (let i = 0; i < attempts.length; i += DISPATCH_BATCH) {
    const batch = attempts.slice(i, i + DISPATCH_BATCH);
    const byDueTime = new Map<number, string[]>();
    for (const a of batch) byDueTime.set(a.notBefore.getTime(), [...(byDueTime.get(a.notBefore.getTime()) ?? []), a.id]);
    for (const [due, attemptRefs] of byDueTime) {
      jobs.push({ task: 'dispatch', payload: { attemptRefs } satisfies AttemptBatchPayload, runAt: clock.toReal(new Date(due)) });
    }
    const expiries = batch.flatMap((a) => (a.expiresAt ? [a.expiresAt.getTime()] : []));
    if (expiries.length > 0) {
      const runAt = clock.toReal(new Date(Math.min(...expiries)));
      jobs.push({ task: 'expire', payload: { attemptRefs: batch.map((a) => a.id) } satisfies AttemptBatchPayload, runAt });
    }
  }
  return jobs;
}
