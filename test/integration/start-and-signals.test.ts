import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the command line', () => {
  it('prints usage for --help and exits without starting anything', () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start', '--help'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, PORT: '1' }, // port 1 would fail to bind if it tried to serve
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Usage: omnigate start/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('names an unknown command and exits 2', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^Unknown command: serve/);
  });
});

describe('npm start and signals', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('SIGTERM to `npm start` stops the server it started', async () => {
    const child = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', WORKER_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let url: string | undefined;
      const deadline = Date.now() + 60_000;
      while (!url && Date.now() < deadline) {
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/graphql)"/.exec(out)?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, out).toBeDefined();
      const health = new URL('/healthz', url).toString();
      expect((await fetch(health)).status).toBe(200);

      child.kill('SIGTERM'); // to npm, as a process manager or a terminal would send it
      await exited;
      // Whatever npm's own exit code, the server behind it must be gone: nothing answers on its port.
      const gone = Date.now() + 15_000;
      let answered = true;
      while (answered && Date.now() < gone) {
        answered = await fetch(health).then(
          () => true,
          () => false,
        );
        if (answered) await new Promise((r) => setTimeout(r, 200));
      }
      expect(answered, `the server still answers after SIGTERM to npm start:\n${out}`).toBe(false);
      expect(out).toMatch(/shutting down/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
