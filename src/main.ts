import { parseArgs } from 'node:util';
import { loadConfig } from './config.js';
import { listenEarly, STARTUP_HOLD_MS } from './listen-early.js';
import { createLogger } from './logger.js';

// The rest is imported by each command when it runs: `start` listens before loading it (a restart then
// refuses no provider callback while the modules load).
const startApp = async (...args: Parameters<typeof import('./app.js').startApp>) => (await import('./app.js')).startApp(...args);
const openDatabase = async (...args: Parameters<typeof import('./db/connect.js').openDatabase>) => (await import('./db/connect.js')).openDatabase(...args);
const migrate = async (...args: Parameters<typeof import('./db/migrate.js').migrate>) => (await import('./db/migrate.js')).migrate(...args);

const USAGE = `Usage:
  omnigate start                               serve the API (and run the worker unless WORKER_ENABLED=false)
  omnigate migrate                             apply database migrations and exit
  omnigate api-key create --account NAME       create an API key (and the account, if new)`;

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
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);

  switch (command) {
    case 'start': {
      const early = await listenEarly(config.PORT, config.HOST, STARTUP_HOLD_MS);
      logger.info({ url: early.localUrl }, 'accepting connections; starting');
      const app = await startApp(config, logger, early);
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
        const { AccountService } = await import('./messaging/accounts.js');
        const { account, apiKey } = await new AccountService(database.db).createApiKey(values.account);
        printKey(apiKey, account.name);
      } finally {
        await database.close();
      }
      return;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      process.exitCode = command ? 2 : 0;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
