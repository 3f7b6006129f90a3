import { sql, type Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../db/schema.js';
import { defineTask, type TaskDefinition } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface RetentionOptions {
  /** Final messages older than this are deleted with their attempts, status events and report pushes; 0 keeps them. */
  messagesDays: number;
  /** Inbound messages received longer ago than this are deleted; 0 keeps them. */
  inboundDays: number;
  /** Event-log entries written longer ago than this are deleted; 0 keeps them. */
  eventDays: number;
  /** Idempotency keys older than this no longer hold and are deleted. */
  idempotencyKeyTtlHours: number;
  /** Rows per statement. */
  batchSize: number;
  /** Time between runs. */
  intervalMs: number;
}

/** A run stops after this many batches per kind and comes back at its next interval, so it never runs for long. */
const MAX_BATCHES_PER_RUN = 200;

const RETENTION_JOB_KEY = 'omnigate:retention';

export interface RetentionReport {
  messages: number;
  inbound: number;
  events: number;
  idempotencyKeys: number;
  bulks: number;
  /** Statements run per kind (each deleting at most batchSize rows). */
  batches: Record<string, number>;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Deletes what has outlived its retention, in small batches: each batch is its own short transaction that
 * takes at most `batchSize` rows with FOR UPDATE SKIP LOCKED, so a row a send, dispatch or callback holds
 * is skipped (taken next time) and nothing it does waits on retention longer than one batch's delete.
 * Old rows have the lowest ids (ids grow with time), so each batch walks the primary key from its start
 * and no extra index on the hot tables is needed.
 */
export class RetentionService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly options: RetentionOptions,
  ) {}

  async run(): Promise<RetentionReport> {
    const now = this.clock.now().getTime();
    const report: RetentionReport = { messages: 0, inbound: 0, events: 0, idempotencyKeys: 0, bulks: 0, batches: {} };
    if (this.options.messagesDays > 0) {
      const cutoff = new Date(now - this.options.messagesDays * DAY_MS);
      report.messages = await this.inBatches(report, 'messages', () => this.deleteMessages(cutoff));
      report.bulks = await this.inBatches(report, 'bulks', () => this.deleteEmptyBulks(cutoff));
    }
    if (this.options.inboundDays > 0) {
      const cutoff = new Date(now - this.options.inboundDays * DAY_MS);
      report.inbound = await this.inBatches(report, 'inbound', () => this.deleteInbound(cutoff));
    }
    if (this.options.eventDays > 0) {
      const cutoff = new Date(now - this.options.eventDays * DAY_MS);
      report.events = await this.inBatches(report, 'events', () => this.deleteEvents(cutoff));
    }
    const keyCutoff = new Date(now - this.options.idempotencyKeyTtlHours * 3600 * 1000);
    report.idempotencyKeys = await this.inBatches(report, 'idempotency_keys', () => this.deleteIdempotencyKeys(keyCutoff));
    if (report.messages + report.inbound + report.events + report.idempotencyKeys + report.bulks > 0) this.logger.info(report, 'retention deleted old rows');
    return report;
  }

  private async inBatches(report: RetentionReport, kind: string, batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES_PER_RUN; i += 1) {
      const deleted = await batch();
      report.batches[kind] = i + 1;
      total += deleted;
      this.metrics.retentionDeletedRows(kind, deleted);
      if (deleted < this.options.batchSize) break;
    }
    return total;
  }

  /**
   * Messages that ended before the cutoff, with their attempts and status events (no foreign keys cascade
   * there: those tables dropped them for write speed) and, by cascade, their report pushes.
   */
  private async deleteMessages(cutoff: Date): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      with doomed as (
        select id from message
        where created_at < ${cutoff} and done_at < ${cutoff}
        order by id
        limit ${this.options.batchSize}
        for update skip locked
      ), events as (
        delete from status_event where message_ref in (select id from doomed)
      ), attempts as (
        delete from attempt where message_ref in (select id from doomed)
      ), messages as (
        delete from message where id in (select id from doomed) returning 1
      )
      select count(*) as n from messages`.execute(this.db);
    return Number(rows[0]?.n ?? 0);
  }

  /** Bulks older than the cutoff whose messages are all gone. */
  private async deleteEmptyBulks(cutoff: Date): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      with doomed as (
        select b.id from bulk b
        where b.created_at < ${cutoff}
          -- attempts go with their messages, so no messages means no attempts (and message_bulk answers this)
          and not exists (select 1 from message m where m.bulk_ref = b.id)
        order by b.id
        limit ${this.options.batchSize}
        for update skip locked
      ), deleted as (
        delete from bulk where id in (select id from doomed) returning 1
      )
      select count(*) as n from deleted`.execute(this.db);
    return Number(rows[0]?.n ?? 0);
  }

  private async deleteInbound(cutoff: Date): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      with doomed as (
        select id from inbound_message where received_at < ${cutoff} order by id limit ${this.options.batchSize} for update skip locked
      ), deleted as (
        delete from inbound_message where id in (select id from doomed) returning 1
      )
      select count(*) as n from deleted`.execute(this.db);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Event-log entries written before the cutoff. Each batch raises its accounts' first_position past the
   * highest position it deleted, in the same statement: a reader sees both or neither, so a cursor below
   * that mark is known to be expired (CURSOR_EXPIRED) and never silently resumes over a hole.
   */
  private async deleteEvents(cutoff: Date): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      with doomed as (
        select account_id, position from event where recorded_at < ${cutoff} limit ${this.options.batchSize} for update skip locked
      ), deleted as (
        delete from event e using doomed d where e.account_id = d.account_id and e.position = d.position returning e.account_id, e.position
      ), marks as (
        update event_head h set first_position = greatest(h.first_position, m.top + 1)
        from (select account_id, max(position) as top from deleted group by account_id) m
        where h.account_id = m.account_id
      )
      select count(*) as n from deleted`.execute(this.db);
    return Number(rows[0]?.n ?? 0);
  }

  /** Keys have no time index (the table is small: one row per keyed request within the TTL). */
  private async deleteIdempotencyKeys(cutoff: Date): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      with doomed as (
        select account_id, key from idempotency_key where created_at < ${cutoff} limit ${this.options.batchSize} for update skip locked
      ), deleted as (
        delete from idempotency_key k using doomed d where k.account_id = d.account_id and k.key = d.key returning 1
      )
      select count(*) as n from deleted`.execute(this.db);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Makes sure one retention job is queued, whatever the number of instances: the job key makes it a
   * single row, and `preserve_run_at` keeps a restart from pushing it back.
   */
  async schedule(runAt: Date): Promise<void> {
    await sql`select graphile_worker.add_job('retention', '{}'::json, run_at := ${runAt}, job_key := ${RETENTION_JOB_KEY},
                                             job_key_mode := 'preserve_run_at')`.execute(this.db);
  }

  /** One run, then the next one queued: a job that reschedules itself rather than a cron table. */
  async runAndReschedule(): Promise<void> {
    try {
      await this.run();
    } finally {
      await sql`select graphile_worker.add_job('retention', '{}'::json, run_at := ${new Date(Date.now() + this.options.intervalMs)},
                                               job_key := ${RETENTION_JOB_KEY}, job_key_mode := 'replace')`.execute(this.db);
    }
  }
}

/** The job that applies retention. */
export function retentionTask(retention: RetentionService): TaskDefinition {
  return defineTask('retention', () => retention.runAndReschedule());
}
