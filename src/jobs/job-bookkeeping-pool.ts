import pg from 'pg';
import { retryDelayMs } from '../domain/backoff.js';
import type { Logger } from '../logger.js';
import { isConnectionLoss } from '../db/connection-errors.js';

/**
 * graphile-worker 0.17 records a job's outcome (`completeJob` / `failJob`) in a promise nobody awaits,
 * retrying only on serialization failures, deadlocks and "starting up". When the connection is killed
 * (pg_terminate_backend, a database restart) that promise rejects unhandled and Node ends the process;
 * had it survived, the job would stay locked by a live worker for four hours.
 *
 * These statements are single, idempotent statements outside any transaction (delete the job; or unlock
 * it with its error where it is still locked by this pool), so running one again on a fresh connection
 * is safe. This wraps the application pool for graphile-worker: a statement of those kinds that fails by
 * connection loss, or finds no connection to run on, is run again, with backoff, until the database
 * answers. Every other statement behaves as before (graphile-worker already retries taking a job, and
 * reconnects its LISTEN client).
 *
 * The statements are recognised by the names graphile-worker gives its prepared statements. Should a
 * version rename them, nothing is retried: the fault tests (test/integration/faults/database-*.test.ts)
 * then fail with the old crash.
 */
const IDEMPOTENT_STATEMENTS = /^(complete_job|complete_job_q|fail_job|fail_job_q)\//;

export function jobBookkeepingPool(pool: pg.Pool, logger: Logger, options: { retryBaseMs?: number; retryMaxMs?: number } = {}): pg.Pool {
  const rerun = async (config: pg.QueryConfig, firstError: unknown): Promise<pg.QueryResult> => {
    let lastError = firstError;
    for (let attempt = 1; ; attempt++) {
      if (pool.ending) {
        // Shutting down: nobody awaits this outcome, and an error here would only end the process untidily.
        // The job stays locked by this worker and runs again once its lock is freed.
        logger.warn({ statement: config.name, error: String(lastError) }, 'job outcome not recorded: shutting down');
        return { rows: [], rowCount: 0, command: '', oid: 0, fields: [] };
      }
      const delay = retryDelayMs(attempt, { baseMs: options.retryBaseMs ?? 100, maxMs: options.retryMaxMs ?? 5_000 });
      if (attempt === 1) logger.warn({ statement: config.name, error: String(lastError) }, 'job outcome not recorded (database connection lost); retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
      // A connection of its own, outside the pool: the caller still holds its dead pool client until this
      // returns, and retries holding every pool slot while waiting for another would never finish.
      const client = new pg.Client(pool.options);
      client.on('error', () => undefined);
      try {
        await client.connect();
        // Unnamed: preparing it on a connection used once gains nothing.
        const result = await client.query({ text: config.text, values: config.values });
        logger.info({ statement: config.name, attempts: attempt + 1 }, 'job outcome recorded after reconnecting');
        return result;
      } catch (err) {
        if (!isConnectionLoss(err)) throw err;
        lastError = err;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  };

  const isBookkeeping = (config: unknown): config is pg.QueryConfig => {
    const name = typeof config === 'object' && config !== null ? (config as pg.QueryConfig).name : undefined;
    return typeof name === 'string' && IDEMPOTENT_STATEMENTS.test(name);
  };

  const resilientClient = (client: pg.PoolClient): pg.PoolClient =>
    new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return (config: unknown, ...rest: unknown[]) => {
          const result = (target.query as (...args: unknown[]) => unknown)(config, ...rest);
          if (!isBookkeeping(config) || !(result instanceof Promise)) return result;
          return (result as Promise<pg.QueryResult>).catch((err: unknown) => {
            if (!isConnectionLoss(err)) throw err;
            return rerun(config, err);
          });
        };
      },
    });

  /**
   * What a caller gets when no connection could be made (the server is restarting): bookkeeping
   * statements wait for the database; anything else fails with the connection error, as before.
   */
  const unconnectedClient = (connectError: unknown): pg.PoolClient =>
    ({
      query: (config: unknown) => (isBookkeeping(config) ? rerun(config, connectError) : Promise.reject(connectError)),
      release: () => undefined,
    }) as unknown as pg.PoolClient;

  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'connect') return Reflect.get(target, prop, receiver) as unknown;
      return (callback?: (...args: unknown[]) => void) => {
        // The callback form is graphile-worker's LISTEN client, which handles its own errors and reconnects.
        if (callback) return target.connect(callback as never);
        return target.connect().then(resilientClient, (err: unknown) => {
          if (!isConnectionLoss(err)) throw err;
          return unconnectedClient(err);
        });
      };
    },
  });
}
