import { z } from 'zod';
import { allowListEntryProblem } from './net/address-policy.js';

/**
 * Every environment variable the service reads, parsed once. The README's configuration table mirrors
 * this file; keep them together.
 */
const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const ConfigSchema = z.object({
  /** `production` turns on the production defaults below (no embedded database unless asked for). */
  NODE_ENV: z.string().default('development'),
  /**
   * Start an embedded PostgreSQL when DATABASE_URL is unset. On by default in development; in production a
   * missing DATABASE_URL is a start-up error unless this is set explicitly, so a mistyped deployment never
   * quietly keeps its data in a folder inside the container.
   */
  EMBEDDED_DATABASE: boolFromEnv.optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  /** The URL providers reach this service at; webhook URLs shown for each connection are built from it. */
  PUBLIC_URL: z.string().url().optional(),
  /** When unset, an embedded PostgreSQL is started with its data under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('.data/postgres'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** When set, live events fan out across instances through Redis. */
  REDIS_URL: z.string().optional(),
  /** Separates the Redis channels of several deployments (or test runs) sharing one Redis. */
  PUBSUB_PREFIX: z.string().default('omnigate'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Run the job worker in this process (the API alone when false). */
  WORKER_ENABLED: boolFromEnv.default(true),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  /** Expiry jobs run at once, in a lane of their own: they never wait behind sends to a slow provider. */
  WORKER_TIMER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(4),
  /** Status polls and delivery-report pushes run at once, in a lane of their own. */
  WORKER_CALLOUT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  /**
   * Dispatch jobs that may wait on one provider connection at once (default: three quarters of
   * WORKER_CONCURRENCY), so a connection that hangs leaves the other slots to other connections.
   */
  PROVIDER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).optional(),
  /**
   * How often the worker looks for jobs that became due (new jobs arrive by LISTEN/NOTIFY; jobs scheduled
   * for later — expiries, retries — are found by this poll, so it bounds their lateness).
   */
  WORKER_POLL_INTERVAL_MS: z.coerce.number().int().min(20).default(250),
  /** First delay before retrying a transient provider failure; later retries back off exponentially. */
  RETRY_BASE_MS: z.coerce.number().int().min(1).default(500),
  /** Simulator timing: how long after a send it reports delivery, seen and a reply. */
  SIMULATOR_DELIVERY_DELAY_MS: z.coerce.number().int().min(0).default(300),
  SIMULATOR_SEEN_DELAY_MS: z.coerce.number().int().min(0).default(300),
  SIMULATOR_REPLY_DELAY_MS: z.coerce.number().int().min(0).default(300),
  /** How often pending attempts are polled at providers that report status on request (DecisionTelecom). */
  STATUS_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(60_000),
  /** Delivery-report pushes: first retry delay (doubling up to an hour), how long to keep trying, per-try timeout. */
  REPORT_PUSH_RETRY_BASE_MS: z.coerce.number().int().min(1).default(30_000),
  REPORT_PUSH_GIVE_UP_AFTER_MS: z.coerce.number().int().min(0).default(25 * 3600 * 1000),
  REPORT_PUSH_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  /**
   * Test-only: run the service's clock from CLOCK_START at CLOCK_SPEED times real speed, so minute-,
   * hour- and day-scale rules (speed limits, delivery windows) can be exercised in seconds.
   */
  CLOCK_START: z.string().datetime({ offset: true }).optional(),
  CLOCK_SPEED: z.coerce.number().positive().default(1),
  /** The first start on an empty database creates this account and prints its key. */
  DEFAULT_ACCOUNT_NAME: z.string().min(1).default('default'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** OpenTelemetry traces go to this OTLP/HTTP endpoint (e.g. http://collector:4318); unset, tracing is off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('omnigate'),
  /** Serve Prometheus metrics at GET /metrics. */
  METRICS_ENABLED: boolFromEnv.default(true),
  /** Final messages (with their attempts, status events and report pushes) are deleted this many days after they ended; 0 keeps them. */
  RETENTION_MESSAGES_DAYS: z.coerce.number().int().min(0).default(90),
  /** Inbound messages are deleted this many days after they were received; 0 keeps them. */
  RETENTION_INBOUND_DAYS: z.coerce.number().int().min(0).default(90),
  /** Entries of the event log (what `after` cursors resume from) are deleted this many days after they were written; 0 keeps them. */
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(0).default(7),
  /** How long an idempotency key holds: a repeat within it replays the first result; older keys are deleted. */
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce.number().int().min(1).default(24),
  /** How often the retention job runs, and how many rows one of its statements deletes at most. */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(1000).default(3600_000),
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1000),
  /**
   * Crash recovery (src/jobs/leases.ts, src/messaging/in-doubt.ts): each instance heartbeats every
   * WORKER_HEARTBEAT_MS; one silent for WORKER_LEASE_TTL_MS is dead and its jobs are freed, checked every
   * WORKER_REAP_INTERVAL_MS by every instance. A claim a live instance holds for IN_DOUBT_CLAIM_LEASE_MS
   * (longer than any provider timeout) is in doubt; a provider is asked about one no sooner than
   * IN_DOUBT_LOOKUP_DELAY_MS after its claim, and again IN_DOUBT_LOOKUP_RETRY_MS after a failed lookup.
   */
  WORKER_HEARTBEAT_MS: z.coerce.number().int().min(10).default(1_000),
  WORKER_LEASE_TTL_MS: z.coerce.number().int().min(100).default(5_000),
  WORKER_REAP_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  IN_DOUBT_CLAIM_LEASE_MS: z.coerce.number().int().min(100).default(60_000),
  IN_DOUBT_LOOKUP_DELAY_MS: z.coerce.number().int().min(0).default(30_000),
  IN_DOUBT_LOOKUP_RETRY_MS: z.coerce.number().int().min(10).default(30_000),
  /**
   * Request limits: no one request, nor one key's burst of them, can starve the others. Every refusal is
   * an immediate typed error (src/graphql/limits/errors.ts lists the codes).
   * Cost ≈ fields resolved: each field 1 plus its children, a connection's children times its page size
   * (`first`/`last`, else 20), a send's destinations counted once each.
   */
  MAX_QUERY_COST: z.coerce.number().int().min(1).default(50_000),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(1).default(10),
  MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  /** Lexical tokens in one document (variables do not count: a 10,000-destination send belongs there). */
  MAX_TOKENS: z.coerce.number().int().min(1).default(2_000),
  MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  /**
   * GraphQL request bodies and WebSocket messages. A 10,000-destination sendMessages measures 0.4 MB as the
   * bench sends it, 0.9 MB with a UUID messageId each, 4.4 MB with every field at its maximum.
   */
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(8 * 1024 * 1024),
  /** Largest `first`/`last` of any connection; the services never return more than 1000 rows a page. */
  MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(1000),
  /**
   * Operations costing at least this much are "expensive" (a 1,000-row page of ids, a send to 5,000
   * numbers); one key may run only so many of them at once. One: the event loop is shared, and a second
   * concurrent thousand-row page doubled other clients' latency in the bench.
   */
  EXPENSIVE_QUERY_COST: z.coerce.number().int().min(1).default(5_000),
  MAX_CONCURRENT_EXPENSIVE_PER_KEY: z.coerce.number().int().min(1).default(1),
  /** A WebSocket must present a valid key (connection_init, or its first subscribe) within this time. */
  WS_AUTH_TIMEOUT_MS: z.coerce.number().int().min(50).default(5_000),
  /**
   * Outbound URLs (report webhooks, provider base URLs) are refused when they resolve to loopback, private,
   * link-local, CGNAT, unspecified or metadata addresses, when given and again when connecting. `true`
   * allows every address (local development and tests against fakes on 127.0.0.1).
   */
  ALLOW_PRIVATE_URLS: boolFromEnv.default(false),
  /** Comma-separated host names, IP addresses or CIDR ranges allowed despite that, e.g. `10.1.0.0/16,sms-gw.internal`. */
  PRIVATE_URL_ALLOW_LIST: z
    .string()
    .default('')
    .transform((list) => list.split(',').map((e) => e.trim()).filter((e) => e !== ''))
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        const problem = allowListEntryProblem(entry);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
});

export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (!config.DATABASE_URL && config.EMBEDDED_DATABASE === undefined && config.NODE_ENV === 'production') {
    throw new Error('NODE_ENV=production needs DATABASE_URL (or EMBEDDED_DATABASE=true to run the embedded PostgreSQL on purpose).');
  }
  if (!config.DATABASE_URL && config.EMBEDDED_DATABASE === false) {
    throw new Error('EMBEDDED_DATABASE=false needs DATABASE_URL: set it to your PostgreSQL server.');
  }
  return config;
}
