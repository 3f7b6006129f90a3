#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig } from './config.js';
import { listenEarly, STARTUP_HOLD_MS } from './listen-early.js';
import { createLogger } from './logger.js';
import type { ApiKeyView } from './messaging/api-keys.js';

// The rest is imported by each command when it runs: `start` listens before loading it (a restart then
// refuses no provider callback while the modules load).
const startApp = async (...args: Parameters<typeof import('./app.js').startApp>) => (await import('./app.js')).startApp(...args);
const openDatabase = async (...args: Parameters<typeof import('./db/connect.js').openDatabase>) => (await import('./db/connect.js')).openDatabase(...args);
const migrate = async (...args: Parameters<typeof import('./db/migrate.js').migrate>) => (await import('./db/migrate.js')).migrate(...args);

const USAGE = `Usage: omnigate <command> [options]

Commands:
  start                           serve the API (and run the worker unless WORKER_ENABLED=false)
  migrate                         apply database migrations and exit
  api-key create --account NAME   create an API key (and the account, if new)
  api-key list --account NAME     list an account's API keys (never their secrets)
  api-key revoke --account NAME ID  revoke a key at once

Options:
  -h, --help                      show this help (or a command's: omnigate start --help)

Configuration comes from environment variables (see the README's configuration table).`;

const COMMAND_HELP: Record<string, string> = {
  start: `Usage: omnigate start

Serves GraphQL over HTTP and WebSocket on PORT (default 4000), with GraphiQL at /graphql, the support
console at /console, health at /healthz and /readyz, provider webhooks under /webhooks/. Without DATABASE_URL an embedded PostgreSQL is
started in DATA_DIR (not in production unless EMBEDDED_DATABASE=true). The first start on an empty
database creates the default account and prints its API key once. SIGINT or SIGTERM stops it gracefully.`,
  migrate: `Usage: omnigate migrate

Applies the database migrations (the application's and the job queue's) and exits. Safe to run while
other instances are serving.`,
  'api-key': `Usage: omnigate api-key create --account NAME [--name LABEL] [--scopes SCOPE,...] [--requests-per-minute N] [--destinations-per-minute N]
       omnigate api-key list --account NAME
       omnigate api-key revoke --account NAME ID

create  Creates a key for the account NAME (creating the account if it is new) and prints its secret once.
        --name says what it is for (default "cli"); --scopes is a comma-separated list of
        read, send, console, admin (default admin):
          read     delivery reports, bulks, inbound messages, scenarios, live events
          send     sendMessage, sendMessages, pause/resume/reschedule/cancel a bulk
          console  read, plus sendMessage to a single destination
          admin    everything: keys, provider connections, scenarios, account settings
        --requests-per-minute and --destinations-per-minute give the key its own rate limits
        (default: RATE_LIMIT_REQUESTS_PER_MINUTE and RATE_LIMIT_DESTINATIONS_PER_MINUTE).
list    Prints the account's keys: id, visible prefix, name, scopes, created, last used (to the minute)
        and state (active, expires at the end of a rotation's grace period, expired, revoked).
revoke  Stops the key ID at once, on every running instance (its open WebSockets are closed).`,
};

function printKey(apiKey: string, account: string, urls?: { graphql: string; console: string }): void {
  const lines = [
    '',
    `  API key for account "${account}" (shown once, store it now):`,
    '',
    `    ${apiKey}`,
    '',
    '  Paste into GraphiQL → Headers:',
    `    {"Authorization": "App ${apiKey}"}`,
    ...(urls ? ['', `  GraphiQL:        ${urls.graphql}`, `  Support console: ${urls.console} (sign in with the key above)`] : []),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function keyState(key: ApiKeyView, now: Date): string {
  if (key.revokedAt) return `revoked ${key.revokedAt.toISOString()}`;
  if (key.expiresAt) return key.expiresAt <= now ? `expired ${key.expiresAt.toISOString()}` : `expires ${key.expiresAt.toISOString()}`;
  return 'active';
}

/** One key a line, columns aligned, for people (ids are what `revoke` takes). */
function formatKeys(keys: ApiKeyView[]): string {
  if (keys.length === 0) return 'No API keys.\n';
  const now = new Date();
  const rows = [
    ['ID', 'PREFIX', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'STATE'],
    ...keys.map((k) => [k.id, k.prefix, k.name, k.scopes.join(','), k.createdAt.toISOString(), k.lastUsedAt?.toISOString() ?? 'never', keyState(k, now)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // `npm start -- api-key create …` arrives as `start api-key create …`: the npm script names `start`.
  if (args[0] === 'start' && (args[1] === 'api-key' || args[1] === 'migrate')) args.shift();
  const [command, ...rest] = args;
  // Help is answered before any configuration is read or anything is started.
  if (args.includes('--help') || args.includes('-h') || command === 'help') {
    const topic = command === 'help' ? rest[0] : command;
    process.stdout.write(`${(topic && COMMAND_HELP[topic]) || USAGE}\n`);
    return;
  }
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);

  switch (command) {
    case 'start': {
      const early = await listenEarly(config.PORT, config.HOST, STARTUP_HOLD_MS);
      logger.info({ url: early.localUrl }, 'accepting connections; starting');
      const app = await startApp(config, logger, { early });
      if (app.bootstrapKey) printKey(app.bootstrapKey, config.DEFAULT_ACCOUNT_NAME, { graphql: app.graphqlUrl, console: app.consoleUrl });
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        const timer = setTimeout(() => {
          logger.error('shutdown timed out');
          process.exit(1);
        }, config.SHUTDOWN_TIMEOUT_MS);
        timer.unref();
        app.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      return;
    }
    case 'migrate': {
      const database = await openDatabase(config, logger);
      try {
        await migrate(database.db, database.pool, logger);
      } finally {
        await database.close();
      }
      return;
    }
    case 'api-key': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: {
          account: { type: 'string' },
          name: { type: 'string' },
          scopes: { type: 'string' },
          'requests-per-minute': { type: 'string' },
          'destinations-per-minute': { type: 'string' },
        },
        allowPositionals: true,
      });
      const [action, id] = positionals;
      const usage = COMMAND_HELP['api-key']!;
      if (!values.account || !['create', 'list', 'revoke'].includes(action ?? '') || (action === 'revoke' && !id)) throw new Error(usage);
      const database = await openDatabase(config, logger);
      const [{ systemClock }, { EventBus }, { AccountService }, { ApiKeyService }] = await Promise.all([
        import('./domain/clock.js'),
        import('./events/bus.js'),
        import('./messaging/accounts.js'),
        import('./messaging/api-keys.js'),
      ]);
      // Only a revoke has news for running instances: their key caches and open WebSockets.
      const bus =
        action === 'revoke'
          ? await EventBus.create({ prefix: config.PUBSUB_PREFIX, redisUrl: config.REDIS_URL, databaseUrl: database.connectionString, logger })
          : null;
      try {
        await migrate(database.db, database.pool, logger);
        const keys = new ApiKeyService(database.db, systemClock, logger, bus);
        const accounts = new AccountService(database.db, keys);
        if (action === 'create') {
          const scopes = values.scopes?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
          const perMinute = (flag: 'requests-per-minute' | 'destinations-per-minute'): number | undefined => {
            const raw = values[flag];
            if (raw === undefined) return undefined;
            if (!/^\d+$/.test(raw)) throw new Error(`--${flag} must be a whole number, got "${raw}".`);
            return Number(raw);
          };
          const { account, apiKey, key } = await accounts.createApiKey(values.account, {
            name: values.name,
            scopes,
            requestsPerMinute: perMinute('requests-per-minute'),
            destinationsPerMinute: perMinute('destinations-per-minute'),
          });
          printKey(apiKey, account.name);
          process.stdout.write(`  id ${key.id}, scopes: ${key.scopes.join(', ')}\n\n`);
          return;
        }
        const account = await accounts.findByName(values.account);
        if (!account) throw new Error(`No account named "${values.account}".`);
        if (action === 'list') {
          process.stdout.write(formatKeys(await keys.list(account.id)));
        } else {
          const key = await keys.revoke(account.id, id!);
          process.stdout.write(`Revoked ${key.id} (${key.prefix}…, "${key.name}") at ${key.revokedAt?.toISOString()}.\n`);
        }
      } finally {
        await bus?.close();
        await database.close();
      }
      return;
    }
    default:
      if (command) process.stderr.write(`Unknown command: ${command}\n\n`);
      process.stderr.write(`${USAGE}\n`);
      process.exitCode = command ? 2 : 0;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
