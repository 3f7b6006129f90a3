import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { replayDockerfile, type Stage } from './dockerfile-steps.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The Dockerfile's build and runtime stages replayed in a bare folder outside the repository (nothing of
 * the working tree's node_modules can be reached from there), then the runtime stage's CMD started as the
 * container would start it.
 */
describe('the Dockerfile, replayed in a bare folder', () => {
  let root: string;
  let runtime: Stage;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'omnigate-deploy-'));
    chmodSync(root, 0o755);
    const stages = replayDockerfile(join(REPO_ROOT, 'Dockerfile'), REPO_ROOT, root, (line) => process.stdout.write(`${line}\n`));
    runtime = stages.at(-1)!;
  }, 600_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('installs production dependencies only: no tsx, no sources, the compiled entry point present', () => {
    expect(existsSync(join(runtime.dir, 'dist/src/main.js'))).toBe(true);
    expect(existsSync(join(runtime.dir, 'dist/migrations/index.js'))).toBe(true);
    expect(existsSync(join(runtime.dir, 'node_modules/graphql-yoga'))).toBe(true);
    expect(existsSync(join(runtime.dir, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(runtime.dir, 'src'))).toBe(false);
  });

  it('answers --help for the program and each command, and starts nothing', () => {
    for (const args of [['--help'], ['start', '--help'], ['migrate', '--help'], ['api-key', '--help']]) {
      const run = spawnSync(process.execPath, ['dist/src/main.js', ...args], { cwd: runtime.dir, env: { PATH: process.env.PATH, ...runtime.env }, encoding: 'utf8', timeout: 20_000 });
      expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/^Usage: omnigate/);
    }
  });

  it('refuses to start in production without DATABASE_URL, in one sentence', () => {
    const run = spawnSync(process.execPath, ['dist/src/main.js', 'start'], { cwd: runtime.dir, env: { PATH: process.env.PATH, ...runtime.env }, encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('NODE_ENV=production needs DATABASE_URL (or EMBEDDED_DATABASE=true to run the embedded PostgreSQL on purpose).');
  });

  it('starts with CMD, serves GraphQL, passes its HEALTHCHECK and stops on SIGTERM', async () => {
    const database = await createTestDatabase();
    const [command, ...args] = runtime.cmd!;
    const env = { PATH: process.env.PATH, ...runtime.env, DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' };
    const child = spawn(command === 'node' ? process.execPath : command!, args, { cwd: runtime.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline) {
        url = /"msg":"Omnigate is listening".*?"url":"([^"]+)"|"url":"([^"]+)".*?"msg":"Omnigate is listening"/.exec(out)?.slice(1).find(Boolean);
        if (!url) await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, out).toBeDefined();
      await new Promise((r) => setTimeout(r, 300)); // the key is printed just after the listening line
      const key = /"Authorization": "App (og_[^"]+)"/.exec(out)?.[1];
      expect(key, out).toBeDefined();
      const res = await fetch(url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `App ${key}` },
        body: JSON.stringify({ query: '{ account { name } }' }),
      });
      expect(await res.json()).toEqual({ data: { account: { name: 'default' } } });
      // The support console's files come with the compiled output (the build copies them), its
      // graphql-ws bundle from the production dependencies.
      const page = await fetch(new URL('/console', url).href);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Support console');
      for (const asset of ['/console/app.js', '/console/console.css', '/console/vendor/graphql-ws.js']) {
        expect((await fetch(new URL(asset, url).href)).status, asset).toBe(200);
      }

      const port = new URL(url!).port;
      const [hcCommand, ...hcArgs] = runtime.healthcheck!;
      const health = spawnSync(hcCommand === 'node' ? process.execPath : hcCommand!, hcArgs, { env: { PATH: process.env.PATH, PORT: port }, timeout: 10_000 });
      expect(health.status).toBe(0);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const after = spawnSync(hcCommand === 'node' ? process.execPath : hcCommand!, hcArgs, { env: { PATH: process.env.PATH, PORT: port }, timeout: 10_000 });
      expect(after.status, 'the health check fails once the server is gone').toBe(1);
    } finally {
      child.kill('SIGKILL');
      await database.drop();
    }
  });
});
