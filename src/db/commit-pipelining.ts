import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * A statement whose SQL starts with this is sent to PostgreSQL together with a COMMIT, in one write
 * (protocol pipelining): the server runs the two back to back, with no client round trip between them.
 * It must be the last statement of a transaction opened with a plain `begin` on the same connection (see
 * `transact`, src/messaging/transact.ts), which then sends no COMMIT of its own.
 *
 * Why: the statement that takes an account's event-log positions (src/events/log.ts) locks the account's
 * log head until the commit. Sent apart, the COMMIT leaves only once the answer has crossed the socket and
 * a busy event loop has got round to it; every other writer of the account waited out that gap (the
 * bench measured 1.5 backends on average blocked on that lock, ~10 ms a transaction). Pipelined, the lock
 * is held for the statement and the commit's own WAL flush only.
 */
export const THEN_COMMIT = '/* then commit */ ';

/** What the pipelined COMMIT answered when the statement before it had failed: the transaction is gone. */
class RolledBackAtCommitError extends Error {
  constructor() {
    super('the transaction was rolled back at commit');
    this.name = 'RolledBackAtCommitError';
  }
}

/**
 * node-postgres pipelines a client's queued queries while this flag is set. Its types offer it only as a
 * constructor option, but the client reads it on every pulse of its queue, so setting it on an idle
 * pooled client for one statement and its COMMIT, and clearing it once both are answered, leaves the
 * client exactly as it was (its queues are empty before and after; the lockfile pins the version, and
 * test/integration/events/pipelined-commit.test.ts fails if the pair stops being pipelined). A version
 * without the flag would send the two one after the other: still correct, only slower.
 */
interface PipelineSwitch {
  pipeline: boolean;
}

async function queryThenCommit(client: pg.PoolClient, text: string, values: unknown[]): Promise<pg.QueryResult> {
  const switchable = client as unknown as PipelineSwitch;
  switchable.pipeline = true;
  // Both are written now; the flag stays on until both are answered (pg routes the answers by it).
  const statement = client.query(text, values);
  const commit = client.query('commit');
  const [done, committed] = await Promise.allSettled([statement, commit]);
  switchable.pipeline = false;
  // A failed statement aborts the transaction, and PostgreSQL answers the COMMIT after it with ROLLBACK.
  if (done.status === 'rejected') throw done.reason;
  if (committed.status === 'rejected') throw committed.reason;
  if (committed.value.command !== 'COMMIT') throw new RolledBackAtCommitError();
  return done.value;
}

/** The client Kysely sees: every query passes through, a THEN_COMMIT one with its COMMIT pipelined behind. */
class CommitPipeliningClient {
  constructor(private readonly client: pg.PoolClient) {}

  // Kysely hands over a fresh copy of the parameters with every query: passed on as they are.
  query(text: string, values: unknown[]): Promise<pg.QueryResult> {
    return text.startsWith(THEN_COMMIT) ? queryThenCommit(this.client, text, values) : this.client.query(text, values);
  }

  release(): void {
    this.client.release();
  }
}

/**
 * The pool to give Kysely: `pool`'s clients, each behind one CommitPipeliningClient (kept per client, so
 * Kysely's per-connection bookkeeping sees the same object every time the client comes back).
 */
export function commitPipeliningPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, CommitPipeliningClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        w = new CommitPipeliningClient(client);
        wrapped.set(client, w);
      }
      // Kysely's driver calls query(text, values) and release() only (no cursor is configured).
      return w as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
