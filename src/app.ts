import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { EventBus } from './events/bus.js';
import { databaseCheck, readiness } from './health/readiness.js';
import { workerLanes } from './jobs/lanes.js';
import { startWorker, type Worker } from './jobs/worker.js';
import type { Logger } from './logger.js';
import { ProviderGate } from './messaging/provider-gate.js';
import { createHttpServer, GRAPHQL_PATH, type HttpServer } from './server.js';
import { createServices, type Services } from './services.js';
import { Metrics, Tracing, type Observability } from './observability/index.js';
import { registerQueueDepth } from './observability/queue-depth.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface StartOptions {
  /** Tests: spans go to this exporter (tracing on without OTEL_EXPORTER_OTLP_ENDPOINT). */
  spanExporter?: SpanExporter;
}

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
export async function startApp(config: Config, logger: Logger, options: StartOptions = {}): Promise<App> {
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
  let url = config.PUBLIC_URL ?? '';
  const services = createServices(database.db, bus, logger, config, () => url, observability);
  const bootstrap = await services.accounts.bootstrap(config.DEFAULT_ACCOUNT_NAME);

  let worker: Worker | null = null;
  const notReady = readiness([databaseCheck(database.db), () => bus.problem(), () => worker?.problem() ?? null]);
  const http: HttpServer = createHttpServer(services, database.db, logger, notReady, { metricsEnabled: config.METRICS_ENABLED });
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = http.server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const localUrl = `http://${host}:${port}`;
  url = config.PUBLIC_URL ?? localUrl;

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
    worker = await startWorker(database.pool, lanes, logger, { pollIntervalMs: config.WORKER_POLL_INTERVAL_MS });
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
        await observability.tracing.shutdown();
        await database.close();
      })()),
  };
}
