import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { withDatabase } from '../../src/db/connect.js';

/**
 * A pool for a test's own reads and writes. pg-pool's end() resolves before its clients' sockets have
 * closed, so a database dropped WITH (FORCE) right after (`drop` below) can terminate a client still
 * closing: that reaches the pool as an 'error' event, which with no listener is an uncaught exception
 * failing the whole run (seen in CI after restart.test.ts). Nothing is waiting on such a
 * client any more; a query that fails gets its own error.
 */
export function testPool(connectionString: string, max = 2): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
}

/** A fresh database cloned from the migrated template: this test file's rows and nobody else's. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const { serverUrl, templateDatabase } = inject('postgres');
  const parentPid = templateDatabase.split('_')[2];
  const name = `omnigate_test_${parentPid}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}" template "${templateDatabase}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(serverUrl, name),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
