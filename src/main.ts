#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startApp } from './app.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { createLogger } from './logger.js';
import { AccountService } from './messaging/accounts.js';

const USAGE = `Usage: omnigate <command> [options]

Commands:
  start                           serve the API (and run the worker unless WORKER_ENABLED=false)
  migrate                         apply database migrations and exit
  api-key create --account NAME   create an API key (and the account, if new)

Options:
  -h, --help                      show this help (or a command's: omnigate start --help)

Configuration comes from environment variables (see the README's configuration table).`;

const COMMAND_HELP: Record<string, string> = {
  start: `Usage: omnigate start

Serves GraphQL over HTTP and WebSocket on PORT (default 4000), with GraphiQL at /graphql, health at
/healthz and /readyz, provider webhooks under /webhooks/. Without DATABASE_URL an embedded PostgreSQL is
started in DATA_DIR (not in production unless EMBEDDED_DATABASE=true). The first start on an empty
database creates the default account and prints its API key once. SIGINT or SIGTERM stops it gracefully.`,
  migrate: `Usage: omnigate migrate

Applies the database migrations (the application's and the job queue's) and exits. Safe to run while
other instances are serving.`,
  'api-key': `Usage: omnigate api-key create --account NAME

Creates an API key for the account NAME (creating the account if it is new) and prints it once.`,
};

function printKey(apiKey: string, account: string, graphqlUrl?: string): void {
  const lines = [
    '',
    `  API key for account "${account}" (shown once, store it now):`,
    '',
    `    ${apiKey}`,
    '',
    '  Paste into GraphiQL → Headers:',
    `    {"Authorization": "App ${apiKey}"}`,
    ...(graphqlUrl ? ['', `  GraphiQL: ${graphqlUrl}`] : []),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
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
      const app = await startApp(config, logger);
      if (app.bootstrapKey) printKey(app.bootstrapKey, config.DEFAULT_ACCOUNT_NAME, app.graphqlUrl);
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
      const { values, positionals } = parseArgs({ args: rest, options: { account: { type: 'string' } }, allowPositionals: true });
      if (positionals[0] !== 'create' || !values.account) throw new Error(USAGE);
      const database = await openDatabase(config, logger);
      try {
        await migrate(database.db, database.pool, logger);
        const { account, apiKey } = await new AccountService(database.db).createApiKey(values.account);
        printKey(apiKey, account.name);
      } finally {
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
