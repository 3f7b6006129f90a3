import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { EventBus } from './events/bus.js';
import { databaseCheck, readiness } from './health/readiness.js';
import { workerLanes } from './jobs/lanes.js';
import { WorkerLeases } from './jobs/leases.js';
import { startWorker, type Worker } from './jobs/worker.js';
import { listenEarly, STARTUP_HOLD_MS, type EarlyServer } from './listen-early.js';
import type { Logger } from './logger.js';
import { ProviderGate } from './messaging/provider-gate.js';
import { Metrics, Tracing, type Observability } from './observability/index.js';
import { registerQueueDepth } from './observability/queue-depth.js';
import { requestLimitsFrom } from './graphql/limits/index.js';
import { limitsRedis } from './graphql/limits/key-rates.js';
import { browserAccessFrom } from './http/browser-access.js';
import type { HttpServer } from './server.js';
import { createServices, type Services } from './services.js';
import { handleWebhook } from './webhooks/handler.js';
import { CONSOLE_PATH } from './http/console-page.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface StartOptions {
  /** The port, already listening (main.ts opens it before loading the rest); opened here when absent. */
  early?: EarlyServer;
  /** Tests: spans go to this exporter (tracing on without OTEL_EXPORTER_OTLP_ENDPOINT). */
  spanExporter?: SpanExporter;
}

export interface App {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  graphqlUrl: string;
  /** The support console (static page; it asks for an API key). */
  consoleUrl: string;
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
 * The port listens first (opened by main.ts before the rest is even loaded, or here): nothing is refused
 * while the service starts; provider callbacks are answered as soon as the state machine is up, GraphQL
 * once it is loaded. Dead instances' jobs are freed before this one's worker starts.
 */
export async function startApp(config: Config, logger: Logger, options: StartOptions = {}): Promise<App> {
  const shell = options.early ?? (await listenEarly(config.PORT, config.HOST, STARTUP_HOLD_MS));
  const localUrl = shell.localUrl;
  const url = config.PUBLIC_URL ?? localUrl;
  const database = await openDatabase(config, logger);
  await migrate(database.db, database.pool, logger);
  const observability: Observability = {
    metrics: new Metrics({ processMetrics: true }),
    tracing: Tracing.create({ otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME, spanExporter: options.spanExporter }),
  };
  registerQueueDepth(observability.metrics, database.db);
  const bus = await EventBus.create({
    metrics: observability.metrics,
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
  const services = createServices(database.db, bus, logger, config, () => url, leases, observability);
  shell.serveWebhooks((req, res) => {
    handleWebhook(req, res, services, logger).catch((err: unknown) => {
      logger.error({ err }, 'webhook handler failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const bootstrap = await services.accounts.bootstrap(config.DEFAULT_ACCOUNT_NAME);

  let worker: Worker | null = null;
  const notReady = readiness([databaseCheck(database.db), () => bus.problem(), () => worker?.problem() ?? null]);
  // Loaded only now: the GraphQL layer is the slowest part of start-up and callbacks need none of it.
  const { createHttpServer, GRAPHQL_PATH } = await import('./server.js');
  // Per-key rate counters and WebSocket slots: shared by every instance through Redis when there is one.
  const limitsStore = config.REDIS_URL ? limitsRedis(config.REDIS_URL, config.PUBSUB_PREFIX, logger) : null;
  const http: HttpServer = createHttpServer(services, database.db, logger, {
    notReady,
    metricsEnabled: config.METRICS_ENABLED,
    existing: shell.server,
    limits: requestLimitsFrom(config),
    browser: browserAccessFrom(config),
    redis: limitsStore ? { client: limitsStore, prefix: config.PUBSUB_PREFIX } : null,
  });
  shell.serve(http.handle);

  if (config.WORKER_ENABLED) {
    const gate = new ProviderGate(database.db, logger, {
      maxInFlight: config.PROVIDER_MAX_IN_FLIGHT ?? Math.ceil((config.WORKER_CONCURRENCY * 3) / 4),
    });
    await services.retention.schedule(new Date());
    const traced = services.tasks.map((t) => ({ ...t, task: observability.tracing.wrapTask(t.name, t.task) }));
    const lanes = workerLanes(traced, gate, {
      dispatch: config.WORKER_CONCURRENCY,
      timers: config.WORKER_TIMER_CONCURRENCY,
      callouts: config.WORKER_CALLOUT_CONCURRENCY,
    });
    worker = await startWorker(database.pool, lanes, logger, {
      pollIntervalMs: config.WORKER_POLL_INTERVAL_MS,
      onPool: (poolId) => leases.addPool(poolId),
    });
  }
  logger.info(
    { url: `${localUrl}${GRAPHQL_PATH}`, console: `${localUrl}${CONSOLE_PATH}`, publicUrl: url, worker: Boolean(worker) },
    'Omnigate is listening',
  );

  let stopping: Promise<void> | null = null;
  return {
    url: localUrl,
    graphqlUrl: `${localUrl}${GRAPHQL_PATH}`,
    consoleUrl: `${localUrl}${CONSOLE_PATH}`,
    services,
    database,
    bootstrapKey: bootstrap?.apiKey ?? null,
    stop: () =>
      (stopping ??= (async () => {
        await http.close();
        await limitsStore?.quit().catch(() => limitsStore.disconnect());
        await worker?.stop();
        await leases.stop();
        services.close();
        await bus.close();
        await observability.tracing.shutdown();
        await database.close();
      })()),
  };
}
