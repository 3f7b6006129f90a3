import type { Runner } from 'graphile-worker';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { EventBus } from './events/bus.js';
import { WorkerLeases } from './jobs/leases.js';
import { createTaskList } from './jobs/tasks.js';
import { startWorker } from './jobs/worker.js';
import { listenEarly, STARTUP_HOLD_MS, type EarlyServer } from './listen-early.js';
import type { Logger } from './logger.js';
import type { HttpServer } from './server.js';
import { createServices, type Services } from './services.js';
import { handleWebhook } from './webhooks/handler.js';

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
 *
 * The port listens first (`early`, opened by main.ts before the rest is even loaded, or here): nothing
 * is refused while the service starts; provider callbacks are answered as soon as the state machine is
 * up, GraphQL once it is loaded. Dead instances' jobs are freed before this one's worker starts.
 */
export async function startApp(config: Config, logger: Logger, early?: EarlyServer): Promise<App> {
  const shell = early ?? (await listenEarly(config.PORT, config.HOST, STARTUP_HOLD_MS));
  const localUrl = shell.localUrl;
  const url = config.PUBLIC_URL ?? localUrl;
  const database = await openDatabase(config, logger);
  await migrate(database.db, database.pool, logger);
  const bus = await EventBus.create({
    prefix: config.PUBSUB_PREFIX,
    redisUrl: config.REDIS_URL,
    databaseUrl: database.connectionString,
    logger,
  });
  const leases = new WorkerLeases(database.connectionString, logger, {
    heartbeatMs: config.WORKER_HEARTBEAT_MS,
    ttlMs: config.WORKER_LEASE_TTL_MS,
    reapIntervalMs: config.WORKER_REAP_INTERVAL_MS,
  });
  await leases.start();
  const services = createServices(database.db, bus, logger, config, () => url, leases);
  shell.serveWebhooks((req, res) => {
    handleWebhook(req, res, services, logger).catch((err: unknown) => {
      logger.error({ err }, 'webhook handler failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const bootstrap = await services.accounts.bootstrap(config.DEFAULT_ACCOUNT_NAME);

  // Loaded only now: the GraphQL layer is the slowest part of start-up and callbacks need none of it.
  const { createHttpServer, GRAPHQL_PATH } = await import('./server.js');
  const http: HttpServer = createHttpServer(services, database.db, logger, shell.server);
  shell.serve(http.handle);

  let worker: Runner | null = null;
  if (config.WORKER_ENABLED) {
    worker = await startWorker(database.pool, createTaskList(services), logger, {
      concurrency: config.WORKER_CONCURRENCY,
      pollIntervalMs: config.WORKER_POLL_INTERVAL_MS,
      onPool: (poolId) => leases.addPool(poolId),
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
        await leases.stop();
        services.close();
        await bus.close();
        await database.close();
      })()),
  };
}
