import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_ENV } from '../support/app.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildService {
  child: ChildProcess;
  /** The GraphQL endpoint the process logged in its 'Omnigate is listening' line. */
  graphqlUrl: string;
  /** Base URL (no path). */
  url: string;
  /** The key printed on the first start of an empty database, else null. */
  bootstrapKey: string | null;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, as when a machine dies. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful shutdown path. Resolves with the exit code. */
  terminate(): Promise<number | null>;
}

/**
 * Runs the service exactly as deployed (`node --import tsx src/main.ts start`) in its own process, on
 * the given database, and waits for it to log the URL it listens on. Always binds 127.0.0.1 on a free port.
 */
export async function spawnService(databaseUrl: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ChildService> {
  const dbName = new URL(databaseUrl).pathname.slice(1);
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...TEST_ENV,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    PUBSUB_PREFIX: dbName,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));

  const graphqlUrl = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`the service did not log its URL within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'Omnigate is listening' && entry.url) {
            clearInterval(poll);
            clearTimeout(deadline);
            resolve(entry.url);
            return;
          }
        } catch {
          // a partial line; the next poll sees it whole
        }
      }
      if (exited) {
        clearInterval(poll);
        clearTimeout(deadline);
        reject(new Error(`the service exited (${JSON.stringify(exited)}) before listening:\n${out}`));
      }
    }, 50);
  });
  // The key is printed just after the listening line; give stdout a moment to flush it.
  const deadline = Date.now() + 2_000;
  while (!/App og_/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const bootstrapKey = /"Authorization": "App (og_[^"]+)"/.exec(out)?.[1] ?? null;

  return {
    child,
    graphqlUrl,
    url: graphqlUrl.replace(/\/graphql$/, ''),
    bootstrapKey,
    output: () => out,
    kill: async () => {
      if (exited) return;
      child.kill('SIGKILL');
      await exitPromise;
    },
    terminate: async () => {
      if (exited) return (exited as { code: number | null }).code;
      child.kill('SIGTERM');
      return (await exitPromise).code;
    },
  };
}
