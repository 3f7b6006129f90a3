import type { AddressInfo } from 'node:net';
import type { Runner } from 'graphile-worker';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { EventBus } from './events/bus.js';
import { createTaskList } from './jobs/tasks.js';
import { startWorker } from './jobs/worker.js';
import type { Logger } from './logger.js';
import { requestLimitsFrom } from './graphql/limits/index.js';
import { createHttpServer, GRAPHQL_PATH, type HttpServer } from './server.js';
import { createServices, type Services } from './services.js';

export interface App {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  graphqlUrl: string;
  services: Services;
  database: DatabaseHandle;
  /** Set on the first start of an empty database: the default account's key, shown once. */
  bootstrapKey: string | null;
  stop(): Promise<void>;
}

/**
 * Starts the whole service: database (embedded when DATABASE_URL is unset), migrations, event bus, HTTP
 * and WebSocket server and, unless disabled, the job worker. `stop()` undoes it in reverse order.
 */
export async function startApp(config: Config, logger: Logger): Promise<App> {
  const database = await openDatabase(config, logger);
  await migrate(database.db, database.pool, logger);
  const bus = await EventBus.create({
    prefix: config.PUBSUB_PREFIX,
    redisUrl: config.REDIS_URL,
    databaseUrl: database.connectionString,
    logger,
  });
  let url = config.PUBLIC_URL ?? '';
  const services = createServices(database.db, bus, logger, config, () => url);
  const bootstrap = await services.accounts.bootstrap(config.DEFAULT_ACCOUNT_NAME);

  const http: HttpServer = createHttpServer(services, database.db, logger, requestLimitsFrom(config));
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = http.server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const localUrl = `http://${host}:${port}`;
  url = config.PUBLIC_URL ?? localUrl;

  let worker: Runner | null = null;
  if (config.WORKER_ENABLED) {
    worker = await startWorker(database.pool, createTaskList(services), logger, {
      concurrency: config.WORKER_CONCURRENCY,
      pollIntervalMs: config.WORKER_POLL_INTERVAL_MS,
    });
  }
  logger.info({ url: `${localUrl}${GRAPHQL_PATH}`, publicUrl: url, worker: Boolean(worker) }, 'Omnigate is listening');

  let stopping: Promise<void> | null = null;
  return {
    url: localUrl,
    graphqlUrl: `${localUrl}${GRAPHQL_PATH}`,
    services,
    database,
    bootstrapKey: bootstrap?.apiKey ?? null,
    stop: () =>
      (stopping ??= (async () => {
        await http.close();
        await worker?.stop();
        services.close();
        await bus.close();
        await database.close();
      })()),
  };
}
