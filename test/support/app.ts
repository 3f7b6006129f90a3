import { startApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase } from './database.js';

export interface TestApp extends App {
  /** The default account's key, created on first start of the fresh database. */
  apiKey: string;
  databaseUrl: string;
}

/** Test timing: fast enough to keep the suite quick, slow enough that each status is observable. */
export const TEST_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  WORKER_POLL_INTERVAL_MS: '50',
  SIMULATOR_DELIVERY_DELAY_MS: '100',
  SIMULATOR_SEEN_DELAY_MS: '100',
  SIMULATOR_REPLY_DELAY_MS: '100',
  RETRY_BASE_MS: '100',
  // Fakes and webhook receivers listen on 127.0.0.1; the outbound URL rules have tests of their own.
  ALLOW_PRIVATE_URLS: 'true',
};

export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): Config {
  const dbName = new URL(databaseUrl).pathname.slice(1);
  return loadConfig({
    ...TEST_ENV,
    DATABASE_URL: databaseUrl,
    // Test files share one Redis (when REDIS_URL is set); their channels must not cross.
    PUBSUB_PREFIX: dbName,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...overrides,
  });
}

/** Starts the real service (HTTP, WebSocket, worker) on a fresh database of its own. */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp & { dropDatabase(): Promise<void> }> {
  const database = await createTestDatabase();
  const config = testConfig(database.url, overrides);
  const app = await startApp(config, createLogger(config.LOG_LEVEL));
  if (!app.bootstrapKey) throw new Error('a fresh database should bootstrap a key');
  return { ...app, apiKey: app.bootstrapKey, databaseUrl: database.url, dropDatabase: database.drop };
}

/** Starts another instance on an existing database (a second server, or a restart). */
export async function startInstance(databaseUrl: string, overrides: Record<string, string> = {}): Promise<App> {
  const config = testConfig(databaseUrl, overrides);
  return startApp(config, createLogger(config.LOG_LEVEL));
}
