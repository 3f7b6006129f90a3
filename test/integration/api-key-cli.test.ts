import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListMessages, OnMessageStatus } from '../documents/operations.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { post, Subscription, wsClient } from '../support/graphql-client.js';
import { sleep, waitFor } from './helpers.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('omnigate api-key create|list|revoke', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const clients: Client[] = [];

  /** Runs the CLI as deployed, on this file's database and event channels. */
  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: app.databaseUrl,
      PUBSUB_PREFIX: new URL(app.databaseUrl).pathname.slice(1),
      LOG_LEVEL: 'warn',
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    };
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api-key', ...args], { cwd: REPO_ROOT, env, timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await app?.stop();
    await app?.dropDatabase();
  });

  it('creates a key with a name and scopes, lists it without its secret, and revokes it on the running service', async () => {
    const created = await cli(['create', '--account', 'default', '--name', 'ci-reports', '--scopes', 'read,console']);
    expect(created.code, created.stderr).toBe(0);
    const secret = /"Authorization": "App (og_[^"]+)"/.exec(created.stdout)?.[1];
    expect(secret).toBeDefined();
    const id = /id ([0-9a-f-]{36}), scopes: read, console/.exec(created.stdout)?.[1];
    expect(id, created.stdout).toBeDefined();

    // The key works on the running service, with its scopes.
    expect((await post(app.graphqlUrl, ListMessages, {}, secret!)).status).toBe(200);
    const client = wsClient(app.graphqlUrl, { authorization: `App ${secret}` });
    clients.push(client);
    let closedWith: number | null = null;
    client.on('closed', (e) => (closedWith = (e as { code: number }).code));
    const connected = new Promise<void>((r) => client.on('connected', () => r()));
    const sub = new Subscription(client, OnMessageStatus, {});
    await connected;
    await sleep(200);

    const listed = await cli(['list', '--account', 'default']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(secret!);
    expect(listed.stdout).not.toContain(app.apiKey);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(id!));
    expect(line, listed.stdout).toMatch(new RegExp(`^${id}\\s+${secret!.slice(0, 12)}\\s+ci-reports\\s+read,console\\s+\\S+\\s+\\S+\\s+active$`));
    expect(listed.stdout).toMatch(/^ID\s+PREFIX\s+NAME\s+SCOPES\s+CREATED\s+LAST USED\s+STATE/);
    expect(listed.stdout).toMatch(/bootstrap\s+admin/);

    const revoked = await cli(['revoke', '--account', 'default', id!]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${id}`);
    // The CLI is another process: the running service hears of it over the event bus.
    await waitFor(() => closedWith, (c) => c === 4403, 5_000, 20);
    expect((await post(app.graphqlUrl, ListMessages, {}, secret!)).status).toBe(401);
    expect(sub.events).toEqual([]);

    const after = await cli(['list', '--account', 'default']);
    expect(after.stdout.split('\n').find((l) => l.startsWith(id!))).toMatch(/revoked \d{4}-/);
  });

  it('creates an admin key by default; refuses unknown scopes and a revoke without an id', async () => {
    const plain = await cli(['create', '--account', 'fresh-account']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/scopes: admin/);

    const badScope = await cli(['create', '--account', 'default', '--scopes', 'read,superuser']);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toMatch(/scopes/);

    const noId = await cli(['revoke', '--account', 'default']);
    expect(noId.code).toBe(1);
    expect(noId.stderr).toContain('omnigate api-key revoke --account NAME ID');
  });

  it('documents list and revoke in its help', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const usage of ['api-key create --account NAME', 'api-key list --account NAME', 'api-key revoke --account NAME ID', 'console']) {
      expect(help.stdout).toContain(usage);
    }
  });
});
