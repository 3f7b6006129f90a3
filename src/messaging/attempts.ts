import { sql, type Kysely } from 'kysely';
import type { AttemptRef } from '../domain/ids.js';
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

/**
 * Starts attempts: queued for dispatch at their `notBefore`, with an expiry job at the end of their
 * validity. Must run inside the transaction that decided the attempts should exist, so the jobs exist
 * exactly when the attempts do. One set-based INSERT however many there are: a bulk's 10,000 attempts
 * cost one statement, not 10,000 rows of bound parameters.
 */
export async function createAttempts(trx: Kysely<Database>, seeds: AttemptSeed[], clock: Clock): Promise<void> {
  if (seeds.length === 0) return;
  const status = STATUS.PENDING_ACCEPTED;
  // What varies per attempt travels as arrays; what a step has in common with its neighbours (sender,
  // content, validity…) travels once per distinct step and is joined in. Parsing 10,000 JSON objects that
  // repeat the same content cost the database more than the insert itself.
  const steps: Array<Record<string, unknown>> = [];
  const stepOf = new Map<FlowStep, Map<number, number>>();
  const stepRefs = seeds.map((s) => {
    const byIndex = stepOf.get(s.step) ?? new Map<number, number>();
    stepOf.set(s.step, byIndex);
    let ref = byIndex.get(s.stepIndex);
    if (ref === undefined) {
      ref = steps.length;
      byIndex.set(s.stepIndex, ref);
      steps.push({
        ref,
        step_index: s.stepIndex,
        channel: s.step.channel,
        sender: s.step.from,
        provider: s.step.provider,
        connection_id: s.step.connectionId,
        content: s.step.content,
        validity_seconds: s.step.validitySeconds,
      });
    }
    return ref;
  });
  // Time-ordered ids keep the unique index's inserts at its right edge instead of all over it.
  const attemptIds = seeds.map(() => uuidv7());
  const inserted = await sql<{ id: AttemptRef; attemptId: string }>`
    insert into attempt (attempt_id, message_ref, bulk_ref, account_id, step_index, channel, sender, provider, connection_id,
                         content, validity_seconds, dispatch_state, status, status_group, error, not_before, expires_at)
    select x.attempt_id, x.message_ref, x.bulk_ref, x.account_id, s.step_index, s.channel, s.sender, s.provider, s.connection_id,
           s.content, s.validity_seconds, 'QUEUED', ${JSON.stringify(status)}::jsonb, ${status.groupName}, 'null'::jsonb,
           x.not_before, x.expires_at
    from unnest(${attemptIds}::uuid[], ${seeds.map((s) => s.messageRef)}::bigint[], ${seeds.map((s) => s.bulkRef)}::bigint[],
                ${seeds.map((s) => s.accountId)}::uuid[], ${stepRefs}::integer[],
                ${seeds.map((s) => s.notBefore.toISOString())}::timestamptz[], ${seeds.map((s) => s.expiresAt.toISOString())}::timestamptz[])
           as x(attempt_id, message_ref, bulk_ref, account_id, step_ref, not_before, expires_at)
    join json_to_recordset(${JSON.stringify(steps)}::json) as s(ref integer, step_index integer, channel text, sender text,
           provider text, connection_id uuid, content jsonb, validity_seconds integer) on s.ref = x.step_ref
    order by x.message_ref
    returning id, attempt_id`.execute(trx);
  const seedOf = new Map(attemptIds.map((id, i) => [id, seeds[i]!]));
  await enqueue(
    trx,
    dispatchJobs(
      inserted.rows.map((r) => {
        const seed = seedOf.get(r.attemptId)!;
        return { id: r.id, notBefore: seed.notBefore, expiresAt: seed.expiresAt };
      }),
      clock,
    ),
  );
}

/**
 * Moves queued attempts to new dispatch times, and to new expiries where given (null keeps the one they
 * have): one statement however many there are, so rescheduling a 10,000-message bulk is not 10,000 updates.
 */
export async function moveAttempts(
  trx: Kysely<Database>,
  moves: Array<{ id: string; notBefore: Date; expiresAt: Date | null }>,
  now: Date,
): Promise<void> {
  if (moves.length === 0) return;
  await sql`
    update attempt set not_before = x.not_before, expires_at = coalesce(x.expires_at, attempt.expires_at), updated_at = ${now}
    from unnest(${moves.map((m) => m.id)}::bigint[], ${moves.map((m) => m.notBefore.toISOString())}::timestamptz[],
                ${moves.map((m) => m.expiresAt?.toISOString() ?? null)}::timestamptz[]) as x(id, not_before, expires_at)
    where attempt.id = x.id`.execute(trx);
}

/**
 * Dispatch jobs for queued attempts, batched by due time, and expiry jobs for each batch. Also used to
 * re-queue attempts after a pause, resume or reschedule.
 */
export function dispatchJobs(attempts: Array<{ id: AttemptRef; notBefore: Date; expiresAt: Date | null }>, clock: Clock): JobSpec[] {
  const jobs: JobSpec[] = [];
  for (let i = 0; i < attempts.length; i += DISPATCH_BATCH) {
    const batch = attempts.slice(i, i + DISPATCH_BATCH);
    const byDueTime = new Map<number, AttemptRef[]>();
    for (const a of batch) {
      const due = a.notBefore.getTime();
      if (byDueTime.has(due)) byDueTime.get(due)!.push(a.id);
      else byDueTime.set(due, [a.id]);
    }
    for (const [due, attemptRefs] of byDueTime) {
      jobs.push({ task: 'dispatch', payload: { attemptRefs }, runAt: clock.toReal(new Date(due)) });
    }
    const expiries = batch.flatMap((a) => (a.expiresAt ? [a.expiresAt.getTime()] : []));
    if (expiries.length > 0) {
      const runAt = clock.toReal(new Date(Math.min(...expiries)));
      jobs.push({ task: 'expire', payload: { attemptRefs: batch.map((a) => a.id) }, runAt });
    }
  }
  return jobs;
}
