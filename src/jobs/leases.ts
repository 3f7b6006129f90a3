import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface LeaseOptions {
  /** How often this instance says it is alive. */
  heartbeatMs: number;
  /** An instance silent for this long is dead: its job locks are released and its claims are in doubt. */
  ttlMs: number;
  /** How often every instance looks for dead ones. */
  reapIntervalMs: number;
}

/**
 * This instance's lease, and the reaper of dead instances'.
 *
 * graphile-worker 0.17 locks a job with its pool's id and frees the lock of a worker that died only after
 * 4 hours. Each instance keeps a row in `worker_lease` naming its pool ids and refreshes it every
 * `heartbeatMs`; every instance, at start and every `reapIntervalMs`, treats a row silent for `ttlMs` (or,
 * on the same host, one whose process is gone) as dead, and releases its pools' locks with graphile-worker's
 * own `force_unlock_workers`: the dead instance's jobs run again within seconds, here or elsewhere.
 *
 * Claims of attempts are made under the current lease id (`owner`). Should this instance's lease lapse
 * (the database unreachable, the event loop stalled longer than the TTL), others may already have taken
 * over its claims: `isLive(owner)` turns false, the dispatcher stops sending under that id, and the next
 * heartbeat registers a fresh id for new claims.
 *
 * The heartbeat and reaper use a small pool of their own so a busy application pool cannot starve them.
 */
export class WorkerLeases {
  private id = randomUUID();
  /** performance.now() until which no other instance can have declared this lease dead. */
  private validUntil = 0;
  private readonly poolIds = new Set<string>();
  private readonly host = hostname();
  private readonly pool: pg.Pool;
  private timers: NodeJS.Timeout[] = [];
  private reaps = 0;
  private stopped = false;
  /** Heartbeats run one at a time (a timer's and addPool's), so a lost lease is replaced once. */
  private beating: Promise<void> = Promise.resolve();
  private reaping = false;

  constructor(
    connectionString: string,
    private readonly logger: Logger,
    private readonly options: LeaseOptions,
  ) {
    this.pool = new pg.Pool({ connectionString, max: 2 });
    // A dropped connection must not crash the process; the pool replaces it and the next round retries.
    this.pool.on('error', (err) => logger.warn({ error: err.message }, 'lease connection failed'));
    this.pool.on('connect', (client) => client.on('error', (err) => logger.warn({ error: err.message }, 'lease connection failed')));
  }

  /** The lease id claims are made under now. */
  get owner(): string {
    return this.id;
  }

  /** Whether claims made under `owner` are still this instance's alone. */
  isLive(owner: string): boolean {
    return owner === this.id && performance.now() < this.validUntil;
  }

  /** Registers this instance, releases what dead ones hold, and keeps both going on timers. */
  async start(): Promise<void> {
    await this.heartbeat();
    await this.reap();
    this.timers = [
      setInterval(() => void this.heartbeat().catch((err: unknown) => this.logger.warn({ err }, 'lease heartbeat failed')), this.options.heartbeatMs),
      setInterval(() => {
        if (this.reaping) return;
        this.reaping = true;
        this.reap()
          .catch((err: unknown) => this.logger.warn({ err }, 'lease reaper failed'))
          .finally(() => (this.reaping = false));
      }, this.options.reapIntervalMs),
    ];
    for (const t of this.timers) t.unref();
  }

  /** A graphile-worker pool of this instance: its job locks are released if this instance dies. */
  addPool(poolId: string): void {
    this.poolIds.add(poolId);
    void this.heartbeat().catch((err: unknown) => this.logger.warn({ err }, 'lease heartbeat failed'));
  }

  /** Graceful stop: the lease is given up at once, so nobody waits for it to go stale. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.beating.catch(() => undefined);
    try {
      await this.pool.query('delete from worker_lease where instance_id = $1', [this.id]);
    } finally {
      await this.pool.end();
    }
  }

  private heartbeat(): Promise<void> {
    this.beating = this.beating.catch(() => undefined).then(() => this.beat());
    return this.beating;
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    const started = performance.now();
    const { rowCount } = await this.pool.query('update worker_lease set heartbeat_at = now(), pool_ids = $2 where instance_id = $1', [
      this.id,
      [...this.poolIds],
    ]);
    if (rowCount === 0) {
      if (this.validUntil > 0) {
        // Declared dead by another instance: whatever was claimed under the old id is theirs to settle now.
        this.logger.error({ lease: this.id }, 'this instance lost its lease; continuing under a new one');
        this.id = randomUUID();
      }
      await this.pool.query('insert into worker_lease (instance_id, pool_ids, host, pid, ttl_ms) values ($1, $2, $3, $4, $5)', [
        this.id,
        [...this.poolIds],
        this.host,
        process.pid,
        this.options.ttlMs,
      ]);
    }
    // Others count the TTL from the row's heartbeat_at, which is no earlier than `started`.
    this.validUntil = started + this.options.ttlMs;
  }

  /**
   * Releases the job locks of dead instances. Every tenth round (and the first) also frees locks held by
   * pools no lease names at all (an instance that died between starting its worker and registering its
   * pool), once they are older than the TTL.
   */
  async reap(): Promise<{ deadInstances: string[]; releasedPools: string[] }> {
    const sweep = this.reaps++ % 10 === 0;
    const { rows } = await this.pool.query<{ instance_id: string; host: string; pid: number; stale: boolean }>(
      "select instance_id, host, pid, heartbeat_at < now() - ttl_ms * interval '1 millisecond' as stale from worker_lease where instance_id <> $1",
      [this.id],
    );
    const dead = rows.filter((r) => r.stale || (r.host === this.host && r.pid !== process.pid && !processExists(r.pid))).map((r) => r.instance_id);
    const released: string[] = [];
    if (dead.length > 0 || sweep) {
      const client = await this.pool.connect();
      try {
        await client.query('begin');
        if (dead.length > 0) {
          const gone = await client.query<{ pool_ids: string[] }>('delete from worker_lease where instance_id = any($1) returning pool_ids', [dead]);
          released.push(...gone.rows.flatMap((r) => r.pool_ids));
        }
        if (sweep) {
          const orphans = await client.query<{ locked_by: string }>(
            `select distinct locked_by from graphile_worker._private_jobs j
             where locked_by is not null and locked_at < now() - make_interval(secs => $1::double precision / 1000)
               and not exists (select 1 from worker_lease l where j.locked_by = any(l.pool_ids))`,
            [this.options.ttlMs],
          );
          released.push(...orphans.rows.map((r) => r.locked_by));
        }
        if (released.length > 0) await client.query('select graphile_worker.force_unlock_workers($1::text[])', [released]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    }
    if (dead.length > 0 || released.length > 0) this.logger.warn({ deadInstances: dead, releasedPools: released }, 'released the jobs of dead instances');
    return { deadInstances: dead, releasedPools: released };
  }
}

/** Whether a process with this id runs on this host (signal 0 only checks). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
