import { Migrator, type Kysely } from 'kysely';
import type pg from 'pg';
import { runMigrations as runWorkerMigrations } from 'graphile-worker';
import { migrations } from '../../migrations/index.js';
import type { Logger } from '../logger.js';
import type { Database } from './schema.js';

/** Applies the application's migrations and graphile-worker's own schema. Safe to run concurrently. */
export async function migrate(db: Kysely<Database>, pool: pg.Pool, logger: Logger): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === 'Success') logger.info({ migration: r.migrationName }, 'migration applied');
    if (r.status === 'Error') logger.error({ migration: r.migrationName }, 'migration failed');
  }
  if (error) throw error;
  await runWorkerMigrations({ pgPool: pool });
}
