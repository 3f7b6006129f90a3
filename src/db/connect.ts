import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { commitPipeliningPool } from './commit-pipelining.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import type { Database } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
  connectionString: string;
  close(): Promise<void>;
}

const EMBEDDED_DATABASE = 'omnigate';

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

export function createKysely(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: commitPipeliningPool(pool) }), plugins: [new CamelCasePlugin()] });
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL and connects to its database. */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  let embedded: EmbeddedServer | null = null;
  let connectionString = config.DATABASE_URL;
  if (!connectionString) {
    embedded = await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT, logger);
    await ensureDatabase(embedded.serverUrl, EMBEDDED_DATABASE);
    connectionString = withDatabase(embedded.serverUrl, EMBEDDED_DATABASE);
  }
  const pool = new pg.Pool({ connectionString, max: 20 });
  // An idle client's socket error must not crash the process; the pool replaces the client.
  pool.on('error', (err) => logger.warn({ error: err.message }, 'idle database connection failed'));
  pool.on('connect', (client) => client.on('error', (err) => logger.warn({ error: err.message }, 'database connection failed')));
  const db = createKysely(pool);
  return {
    db,
    pool,
    connectionString,
    close: async () => {
      await db.destroy();
      await embedded?.stop();
    },
  };
}
