import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createKysely, withDatabase } from '../../src/db/connect.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL (any database) and a migrated template each test file clones. */
    postgres: { serverUrl: string; templateDatabase: string };
  }
}

/**
 * One PostgreSQL server for the whole run: DATABASE_URL's when set, else an embedded one in a temporary
 * directory. The schema is migrated once into a template database; each test file clones it, so files
 * run in parallel without seeing each other's rows.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  let serverUrl = process.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let dataDir: string | null = null;
  if (!serverUrl) {
    dataDir = mkdtempSync(join(tmpdir(), 'omnigate-test-pg-'));
    // When run as root, PostgreSQL runs as its own user, which must be able to reach the directory.
    chmodSync(dataDir, 0o755);
    const embedded = await startEmbeddedPostgres(join(dataDir, 'data'), 0, logger);
    serverUrl = embedded.serverUrl;
    stopEmbedded = () => embedded.stop();
  }

  const templateDatabase = `omnigate_template_${process.pid}_${Date.now()}`;
  // Short-lived admin connections: one held for the whole run would die unhandled (ending the run) if a
  // fault test or a forced DROP DATABASE terminated it.
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${templateDatabase}"`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: withDatabase(serverUrl, templateDatabase), max: 2 });
  const db = createKysely(pool);
  await migrate(db, pool, logger);
  await db.destroy(); // a template must have no open connections to be cloned

  project.provide('postgres', { serverUrl, templateDatabase });

  return async () => {
    const admin = new pg.Client({ connectionString: serverUrl! });
    await admin.connect();
    const leftovers = await admin.query<{ datname: string }>(
      `select datname from pg_database where starts_with(datname, $2) or datname = $1`,
      // A prefix, not LIKE: `_` is a wildcard there, and pid 123's teardown would drop pid 1234's databases.
      [templateDatabase, `omnigate_test_${process.pid}_`],
    );
    for (const { datname } of leftovers.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.end();
    await stopEmbedded?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
