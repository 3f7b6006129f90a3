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
  return parsed.data;
}
