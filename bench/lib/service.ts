import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  graphqlUrl: string;
  bootstrapKey: string;
  /** Log lines seen so far, by pino level name, and the first warnings/errors in full. */
  logCounts(): Record<string, number>;
  problems(): string[];
  tail(): string;
  /** Request/reply over IPC with a --import'ed helper (profile mode only). */
  request<T>(type: string, body?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** SIGTERM (graceful), SIGKILL after `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const TAIL_BYTES = 64 * 1024;

/**
 * Starts the service as deployed (`node --import tsx src/main.ts start`) in its own process, so its memory
 * and CPU can be read from /proc, and waits for its "Omnigate is listening" line and the bootstrap key.
 */
export async function startService(options: {
  repoRoot: string;
  env: Record<string, string>;
  nodeArgs?: string[];
  /** Modules loaded with --import after tsx (so they may be TypeScript). */
  preloads?: string[];
  ipc?: boolean;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const { repoRoot, env, nodeArgs = [], preloads = [], ipc = false, timeoutMs = 60_000 } = options;
  const imports = preloads.flatMap((p) => ['--import', pathToFileURL(p).href]);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...imports, 'src/main.ts', 'start'], {
    cwd: repoRoot,
    // The fake provider listens on 127.0.0.1: allowed by name, so the outbound address checks stay on and measured.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PRIVATE_URL_ALLOW_LIST: '127.0.0.1', ...env },
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });

  let tail = '';
  let partial = '';
  const counts: Record<string, number> = {};
  const problems: string[] = [];
  let url: string | null = null;
  let key: string | null = null;
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = `code ${code} signal ${signal}`));

  const onLine = (line: string) => {
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; url?: string };
        const level = LEVELS[entry.level ?? 30] ?? String(entry.level);
        counts[level] = (counts[level] ?? 0) + 1;
        if ((entry.level ?? 0) >= 40 && problems.length < 20) problems.push(line.slice(0, 2000));
        if (entry.msg === 'Omnigate is listening' && entry.url) url = entry.url;
        return;
      } catch {
        // not JSON after all
      }
    }
    const m = /"Authorization": "App (og_[^"]+)"/.exec(line);
    if (m?.[1]) key = m[1];
  };
  const onData = (chunk: string) => {
    tail = (tail + chunk).slice(-TAIL_BYTES);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);

  const deadline = Date.now() + timeoutMs;
  while (!(url && key)) {
    if (exited) throw new Error(`the service exited (${exited}) before listening:\n${tail}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not listen and print its key within ${timeoutMs} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const graphqlUrl: string = url;

  let nextId = 1;
  const pending = new Map<number, (msg: { ok: boolean; value: unknown }) => void>();
  if (ipc) {
    child.on('message', (raw: unknown) => {
      const msg = raw as { id?: number; ok: boolean; value: unknown };
      if (typeof msg.id !== 'number') return;
      pending.get(msg.id)?.(msg);
      pending.delete(msg.id);
    });
  }

  return {
    child,
    pid: child.pid ?? 0,
    graphqlUrl,
    url: graphqlUrl.replace(/\/graphql$/, ''),
    bootstrapKey: key as string,
    logCounts: () => ({ ...counts }),
    problems: () => [...problems],
    tail: () => tail,
    request: <T>(type: string, body: Record<string, unknown> = {}, timeout = 120_000) =>
      new Promise<T>((resolve, reject) => {
        if (!ipc) return reject(new Error('the service was started without IPC'));
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`service helper request ${type} timed out`));
        }, timeout);
        pending.set(id, (msg) => {
          clearTimeout(timer);
          if (msg.ok) resolve(msg.value as T);
          else reject(new Error(String(msg.value)));
        });
        child.send({ ...body, id, type });
      }),
    stop: async (graceMs = 15_000) => {
      if (exited || child.exitCode !== null) return child.exitCode;
      const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await done;
      clearTimeout(timer);
      return code;
    },
  };
}
