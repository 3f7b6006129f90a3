import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '']);

/** The benchmark only ever talks to a PostgreSQL on this machine. */
export function assertLocalDatabase(url: string): void {
  const u = new URL(url);
  const host = u.hostname || new URLSearchParams(u.search).get('host') || '';
  if (!LOOPBACK_HOSTS.has(host) && !host.startsWith('/')) {
    throw new Error(`DATABASE_URL must point at this machine (127.0.0.1, localhost or a socket), not ${host}`);
  }
}

export function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs `fn` on the maintenance database (`postgres`), falling back to the database the URL names. */
async function withAdmin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  try {
    return await withClient(withDatabase(serverUrl, 'postgres'), fn);
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err;
    return withClient(serverUrl, fn);
  }
}

export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  await withAdmin(serverUrl, (c) => c.query(`create database "${name}"`));
  return withDatabase(serverUrl, name);
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, (c) => c.query(`drop database if exists "${name}" with (force)`));
}

/** Leftovers of runs that were killed before they could clean up (older than an hour). */
export async function dropStaleBenchDatabases(serverUrl: string, prefix: string): Promise<string[]> {
  return withAdmin(serverUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${prefix}%`]);
    const dropped: string[] = [];
    for (const { datname } of rows) {
      const ts = Number(/_(\d{13})(?:_|$)/.exec(datname)?.[1] ?? NaN);
      if (Number.isFinite(ts) && Date.now() - ts > 3600_000) {
        await c.query(`drop database if exists "${datname}" with (force)`);
        dropped.push(datname);
      }
    }
    return dropped;
  });
}

export class BenchDb {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  static open(url: string): BenchDb {
    return new BenchDb(new pg.Pool({ connectionString: url, max: 2 }), url);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async serverInfo(): Promise<Record<string, string>> {
    const { rows } = await this.pool.query<{ name: string; setting: string; unit: string | null }>(
      `select name, setting, unit from pg_settings
       where name in ('server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', 'max_connections',
                      'commit_delay', 'full_page_writes', 'wal_level', 'max_wal_size')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]));
  }

  async bulkRef(bulkId: string): Promise<string> {
    const { rows } = await this.pool.query<{ id: string }>('select id from bulk where bulk_id = $1', [bulkId]);
    if (!rows[0]) throw new Error(`no bulk ${bulkId}`);
    return rows[0].id;
  }

  async progress(bulkRef: string): Promise<{ total: number; delivered: number; failed: number }> {
    const { rows } = await this.pool.query<{ total: string; delivered: string; failed: string }>(
      `select count(*) as total,
              count(*) filter (where status_group = 'DELIVERED') as delivered,
              count(*) filter (where status_group in ('UNDELIVERABLE', 'EXPIRED', 'REJECTED')) as failed
       from message where bulk_ref = $1`,
      [bulkRef],
    );
    const r = rows[0]!;
    return { total: Number(r.total), delivered: Number(r.delivered), failed: Number(r.failed) };
  }

  /** When the bulk's messages were created, first/last put on the wire and last made final (service clock). */
  async timeline(bulkRef: string): Promise<{ firstSentAt: number; lastSentAt: number; lastDoneAt: number; failedSamples: unknown[] }> {
    const { rows } = await this.pool.query<{ first_sent: Date; last_sent: Date; last_done: Date }>(
      `select min(a.sent_at) as first_sent, max(a.sent_at) as last_sent, max(m.updated_at) as last_done
       from message m join attempt a on a.message_ref = m.id where m.bulk_ref = $1`,
      [bulkRef],
    );
    const failed = await this.pool.query(
      `select message_id, status, error from message where bulk_ref = $1 and status_group <> 'DELIVERED' limit 3`,
      [bulkRef],
    );
    const r = rows[0]!;
    return {
      firstSentAt: r.first_sent?.getTime() ?? NaN,
      lastSentAt: r.last_sent?.getTime() ?? NaN,
      lastDoneAt: r.last_done?.getTime() ?? NaN,
      failedSamples: failed.rows,
    };
  }

  /**
   * Samples pg_stat_activity of this database every `everyMs` on a connection of its own: what the
   * service's backends are doing (running, waiting on a lock, idle in a transaction, idle), on average.
   */
  activitySampler(everyMs = 100): { stop(): Promise<ActivitySummary> } {
    const client = new pg.Client({ connectionString: this.url });
    let samples = 0;
    let maxBackends = 0;
    const byState = new Map<string, number>();
    const activeByWait = new Map<string, number>();
    const activeQueries = new Map<string, number>();
    const idleInTxQueries = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    let running = true;
    const loop = (async () => {
      await client.connect();
      while (running) {
        const { rows } = await client.query<{ state: string | null; wait: string | null; query: string }>(
          `select state, wait_event_type || ':' || wait_event as wait, query
           from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
        );
        samples += 1;
        maxBackends = Math.max(maxBackends, rows.length);
        for (const r of rows) {
          const state = r.state ?? 'unknown';
          bump(byState, state);
          const q = r.query.replace(/\s+/g, ' ').replace(/\$\d+(?:\s*,\s*\$\d+)*/g, '$n').slice(0, 120);
          if (state === 'active') {
            bump(activeByWait, r.wait ?? 'on CPU (no wait event)');
            bump(activeQueries, q);
          } else if (state.startsWith('idle in transaction')) {
            bump(idleInTxQueries, q);
          }
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
      await client.end();
    })();
    const top = (m: Map<string, number>, n: number) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, v]) => ({ what: k, avgBackends: Math.round((v / Math.max(1, samples)) * 100) / 100 }));
    return {
      stop: async () => {
        running = false;
        await loop;
        return {
          samples,
          maxBackends,
          avgBackendsByState: Object.fromEntries([...byState.entries()].map(([k, v]) => [k, Math.round((v / Math.max(1, samples)) * 100) / 100])),
          activeByWaitEvent: top(activeByWait, 10),
          topActiveQueries: top(activeQueries, 10),
          topIdleInTransactionLastQueries: top(idleInTxQueries, 5),
        };
      },
    };
  }

  /**
   * The accept baseline: the same number of message rows, shaped as the service writes them, into a scratch
   * copy of the message table (same columns and defaults, no indexes or constraints), in one transaction:
   * `values` – plain multi-row INSERTs of 1,000 rows (one bind parameter per field);
   * `json` – one INSERT … SELECT FROM json_to_recordset($1) per 1,000 rows (one parameter per statement).
   * Returns the wall time of BEGIN…COMMIT.
   */
  async plainInsert(rows: number, accountId: string, mode: 'values' | 'json' = 'values'): Promise<number> {
    await this.pool.query('create table if not exists bench_scratch_message (like message including defaults)');
    await this.pool.query('truncate bench_scratch_message');
    const flow = JSON.stringify([
      {
        channel: 'VIBER',
        from: 'BenchSender',
        provider: 'INFOBIP',
        connectionId: randomUUID(),
        validitySeconds: 86400,
        failoverOn: [],
        content: { type: 'TEXT', text: 'Benchmark message: your code is 123456.' },
      },
    ]);
    const status = JSON.stringify({ groupId: 1, groupName: 'PENDING', id: 7, name: 'PENDING_ACCEPTED', description: 'Message accepted' });
    const options = JSON.stringify({ deliveryTimeWindow: null, deliveryWebhookUrl: null });
    const bulkId = randomUUID();
    const cols = [
      'account_id', 'bulk_ref', 'message_id', 'bulk_id', 'to_number', 'scenario_key', 'flow', 'callback_data',
      'current_step', 'channel', 'status', 'status_group', 'error', 'options',
    ];
    const client = await this.pool.connect();
    try {
      const t0 = performance.now();
      await client.query('begin');
      for (let offset = 0; offset < rows; offset += 1000) {
        const n = Math.min(1000, rows - offset);
        if (mode === 'json') {
          const records = Array.from({ length: n }, (_, i) => ({
            account_id: accountId,
            bulk_ref: '1',
            message_id: randomUUID(),
            bulk_id: bulkId,
            to_number: `+38067${String(5_000_000 + offset + i).padStart(7, '0')}`,
            scenario_key: null,
            flow: JSON.parse(flow) as unknown,
            callback_data: null,
            current_step: 0,
            channel: 'VIBER',
            status: JSON.parse(status) as unknown,
            status_group: 'PENDING',
            error: null,
            options: JSON.parse(options) as unknown,
          }));
          await client.query(
            `insert into bench_scratch_message (${cols.join(',')})
             select ${cols.join(',')} from json_to_recordset($1::json) as x(account_id uuid, bulk_ref bigint, message_id text, bulk_id text,
               to_number text, scenario_key text, flow jsonb, callback_data text, current_step integer, channel text, status jsonb,
               status_group text, error jsonb, options jsonb)`,
            [JSON.stringify(records)],
          );
          continue;
        }
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (let i = 0; i < n; i++) {
          const b = values.length;
          tuples.push(`(${cols.map((_, j) => `$${b + j + 1}`).join(',')})`);
          values.push(
            accountId, '1', randomUUID(), bulkId, `+38067${String(5_000_000 + offset + i).padStart(7, '0')}`, null, flow, null,
            0, 'VIBER', status, 'PENDING', 'null', options,
          );
        }
        await client.query(`insert into bench_scratch_message (${cols.join(',')}) values ${tuples.join(',')}`, values);
      }
      await client.query('commit');
      return performance.now() - t0;
    } finally {
      client.release();
    }
  }

  async dropScratch(): Promise<void> {
    await this.pool.query('drop table if exists bench_scratch_message');
  }

  async accountId(): Promise<string> {
    const { rows } = await this.pool.query<{ id: string }>('select id from account order by created_at limit 1');
    return rows[0]!.id;
  }
}

export interface ActivitySummary {
  samples: number;
  maxBackends: number;
  avgBackendsByState: Record<string, number>;
  activeByWaitEvent: Array<{ what: string; avgBackends: number }>;
  topActiveQueries: Array<{ what: string; avgBackends: number }>;
  topIdleInTransactionLastQueries: Array<{ what: string; avgBackends: number }>;
}

