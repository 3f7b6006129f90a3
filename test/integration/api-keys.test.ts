import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { Migrator, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import type { App } from '../../src/app.js';
import { createKysely } from '../../src/db/connect.js';
import { hashApiKey } from '../../src/messaging/api-keys.js';
import { ApiKeyList, CreateApiKey, RevokeApiKey, RotateApiKey } from '../documents/api-keys.js';
import { ListMessages, OnMessageStatus } from '../documents/operations.js';
import { createTestDatabase } from '../support/database.js';
import { startInstance, startTestApp, type TestApp } from '../support/app.js';
import { post, query, wsClient } from '../support/graphql-client.js';
import { rawPost, sleep, waitFor } from './helpers.js';

/**
 * A connected graphql-ws client with a live subscription, and the close code once the server ends it.
 * With `headers`, the key travels as GraphiQL sends it: no connectionParams, headers in each operation.
 */
async function openSocket(graphqlUrl: string, connectionParams: Record<string, unknown>, headers?: Record<string, string>) {
  const client: Client = wsClient(graphqlUrl, connectionParams);
  let closedWith: number | null = null;
  client.on('closed', (e) => (closedWith = (e as { code: number }).code));
  const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  const errors: unknown[] = [];
  client.subscribe(
    { query: print(OnMessageStatus), variables: {}, ...(headers ? { extensions: { headers } } : {}) },
    { next: (v) => v.errors && errors.push(v.errors), error: (e) => errors.push(e), complete: () => undefined },
  );
  await connected;
  await sleep(200); // the subscription is registered server-side
  expect(closedWith).toBeNull();
  expect(errors).toEqual([]);
  return { client, closedWith: () => closedWith };
}

describe('API keys: create, list, revoke, rotate', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let accountId: string;
  const clients: Client[] = [];

  const create = async (name: string, scopes: Array<'READ' | 'SEND' | 'CONSOLE' | 'ADMIN'>) => {
    const result = await query(app.graphqlUrl, CreateApiKey, { name, scopes }, app.apiKey);
    if (result.createApiKey.__typename !== 'CreateApiKeySuccess') throw new Error(JSON.stringify(result));
    return result.createApiKey;
  };
  const status = async (url: string, key: string) => (await post(url, ListMessages, {}, key)).status;

  beforeAll(async () => {
    app = await startTestApp();
    accountId = (await app.services.accounts.findByName('default'))!.id;
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await app?.stop();
    await app?.dropDatabase();
  });

  it('returns the secret once on create; the list shows name, prefix and scopes but never a secret', async () => {
    const created = await create('support console', ['CONSOLE']);
    expect(created.secret).toMatch(/^og_/);
    expect(created.apiKey).toMatchObject({ name: 'support console', scopes: ['CONSOLE'], revokedAt: null, expiresAt: null, lastUsedAt: null });
    expect(created.secret.startsWith(created.apiKey.prefix)).toBe(true);
    expect(created.apiKey.prefix.length).toBeLessThan(created.secret.length / 2);

    const listed = await rawPost(app.graphqlUrl, { query: ApiKeyList }, { authorization: `App ${app.apiKey}` });
    expect(listed.text).not.toContain(created.secret);
    expect(listed.text).not.toContain(app.apiKey);
    const keys = listed.json.data.apiKeys as Array<{ id: string; name: string; scopes: string[] }>;
    expect(keys.find((k) => k.id === created.apiKey.id)).toMatchObject({ name: 'support console', scopes: ['CONSOLE'] });
    expect(keys.find((k) => k.name === 'bootstrap')).toMatchObject({ scopes: ['ADMIN'] });

    // The key works, within its scopes.
    expect(await status(app.graphqlUrl, created.secret)).toBe(200);
    const refused = await rawPost(app.graphqlUrl, { query: ApiKeyList }, { authorization: `App ${created.secret}` });
    expect(refused.json.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'admin' });
  });

  it('refuses a key without scopes or without a name, naming the field', async () => {
    const noScopes = await query(app.graphqlUrl, CreateApiKey, { name: 'x', scopes: [] }, app.apiKey);
    expect(noScopes.createApiKey).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['scopes'] }] });
    const noName = await query(app.graphqlUrl, CreateApiKey, { name: '  ', scopes: ['READ'] }, app.apiKey);
    expect(noName.createApiKey).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['name'] }] });
  });

  it('records the last use at most once a minute, not once per request', async () => {
    const { secret, apiKey } = await create('reports', ['READ']);
    const lastUsed = async () =>
      (await app.database.db.selectFrom('apiKey').select('lastUsedAt').where('id', '=', apiKey.id).executeTakeFirstOrThrow()).lastUsedAt;
    expect(await status(app.graphqlUrl, secret)).toBe(200);
    const first = await waitFor(lastUsed, (v) => v !== null, 5_000);
    expect(Math.abs(first!.getTime() - Date.now())).toBeLessThan(10_000);
    // Erase it: requests within the minute must not write it again.
    await app.database.db.updateTable('apiKey').set({ lastUsedAt: null }).where('id', '=', apiKey.id).execute();
    for (let i = 0; i < 5; i += 1) expect(await status(app.graphqlUrl, secret)).toBe(200);
    await sleep(300);
    expect(await lastUsed()).toBeNull();
  });

  it('revoke: the next request is refused and the open WebSockets of the key are closed (4403), both kinds', async () => {
    const { secret, apiKey } = await create('dashboard', ['READ']);
    expect(await status(app.graphqlUrl, secret)).toBe(200); // warm the authentication cache
    const withParams = await openSocket(app.graphqlUrl, { authorization: `App ${secret}` });
    const perOperation = await openSocket(app.graphqlUrl, {}, { authorization: `App ${secret}` });
    clients.push(withParams.client, perOperation.client);
    // A socket of another key must stay open.
    const bystander = await openSocket(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    clients.push(bystander.client);
    expect(withParams.closedWith()).toBeNull();
    expect(perOperation.closedWith()).toBeNull();

    const revoked = await query(app.graphqlUrl, RevokeApiKey, { id: apiKey.id }, app.apiKey);
    expect(revoked.revokeApiKey).toMatchObject({ __typename: 'RevokeApiKeySuccess', apiKey: { id: apiKey.id } });
    expect(await status(app.graphqlUrl, secret)).toBe(401);
    await waitFor(() => withParams.closedWith(), (c) => c === 4403, 2_000, 20);
    await waitFor(() => perOperation.closedWith(), (c) => c === 4403, 2_000, 20);
    await sleep(200);
    expect(bystander.closedWith()).toBeNull();

    // Revoking again changes nothing; unknown ids and another account's keys are not found.
    const again = await query(app.graphqlUrl, RevokeApiKey, { id: apiKey.id }, app.apiKey);
    if (again.revokeApiKey.__typename !== 'RevokeApiKeySuccess' || revoked.revokeApiKey.__typename !== 'RevokeApiKeySuccess') throw new Error('unreachable');
    expect(again.revokeApiKey.apiKey.revokedAt).toBe(revoked.revokeApiKey.apiKey.revokedAt);
    const other = await app.services.accounts.createApiKey('someone-else');
    for (const id of [other.key.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const result = await query(app.graphqlUrl, RevokeApiKey, { id }, app.apiKey);
      expect(result.revokeApiKey, id).toMatchObject({ __typename: 'NotFoundError', key: id });
    }
    expect(await status(app.graphqlUrl, other.apiKey)).toBe(200);
  });

  it('revoke on one instance closes the key’s socket on another and clears that instance’s cache', async () => {
    const second: App = await startInstance(app.databaseUrl, { WORKER_ENABLED: 'false' });
    try {
      const { secret, apiKey } = await create('second-instance', ['READ']);
      expect(await status(second.graphqlUrl, secret)).toBe(200); // cached on the second instance
      const socket = await openSocket(second.graphqlUrl, { authorization: `App ${secret}` });
      clients.push(socket.client);
      await query(app.graphqlUrl, RevokeApiKey, { id: apiKey.id }, app.apiKey);
      await waitFor(() => socket.closedWith(), (c) => c === 4403, 3_000, 20);
      expect(await status(second.graphqlUrl, secret)).toBe(401);
    } finally {
      await second.stop();
    }
  });

  it('rotate: a new secret with the same name and scopes; the old key works for its grace period only', async () => {
    const { secret: old, apiKey } = await create('crm sync', ['READ', 'SEND']);
    expect(await status(app.graphqlUrl, old)).toBe(200); // cached before the rotation
    const socket = await openSocket(app.graphqlUrl, { authorization: `App ${old}` });
    clients.push(socket.client);

    const rotatedAt = Date.now();
    const result = await query(app.graphqlUrl, RotateApiKey, { id: apiKey.id, gracePeriod: { amount: 3, timeUnit: 'SECONDS' } }, app.apiKey);
    if (result.rotateApiKey.__typename !== 'RotateApiKeySuccess') throw new Error(JSON.stringify(result));
    const rotated = result.rotateApiKey;
    expect(rotated.secret).not.toBe(old);
    expect(rotated.apiKey).toMatchObject({ name: 'crm sync', scopes: ['READ', 'SEND'], expiresAt: null });
    expect(rotated.previousKey).toMatchObject({ id: apiKey.id, replacedBy: rotated.apiKey.id });
    const endsAt = Date.parse(rotated.previousKey.expiresAt!);
    expect(Math.abs(endsAt - (rotatedAt + 3_000))).toBeLessThan(1_500);

    // Within the grace period both work and the old key's socket stays open.
    expect(await status(app.graphqlUrl, old)).toBe(200);
    expect(await status(app.graphqlUrl, rotated.secret)).toBe(200);
    expect(Date.now()).toBeLessThan(endsAt);
    expect(socket.closedWith()).toBeNull();

    // After it, the old key stops (HTTP and its socket); the new one goes on.
    await sleep(Math.max(0, endsAt - Date.now()) + 50);
    expect(await status(app.graphqlUrl, old)).toBe(401);
    await waitFor(() => socket.closedWith(), (c) => c === 4403, 3_000, 20);
    expect(await status(app.graphqlUrl, rotated.secret)).toBe(200);

    // A rotated key is not rotated twice; the replacement is.
    const twice = await query(app.graphqlUrl, RotateApiKey, { id: apiKey.id }, app.apiKey);
    expect(twice.rotateApiKey).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['id'] }] });
  });

  it('rotate: the grace period defaults to 24 hours and is at most 168 hours', async () => {
    const { apiKey } = await create('long-lived', ['READ']);
    const tooLong = await query(app.graphqlUrl, RotateApiKey, { id: apiKey.id, gracePeriod: { amount: 169, timeUnit: 'HOURS' } }, app.apiKey);
    expect(tooLong.rotateApiKey).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['gracePeriod'] }] });
    const result = await query(app.graphqlUrl, RotateApiKey, { id: apiKey.id }, app.apiKey);
    if (result.rotateApiKey.__typename !== 'RotateApiKeySuccess') throw new Error(JSON.stringify(result));
    expect(Math.abs(Date.parse(result.rotateApiKey.previousKey.expiresAt!) - (Date.now() + 24 * 3600_000))).toBeLessThan(5_000);
    // A job ends it then (so its sockets close even if nobody calls with it).
    const jobs = await sql<{ runAt: Date }>`
      select j.run_at from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'end-api-key' and j.payload->>'keyId' = ${apiKey.id}`.execute(app.database.db);
    expect(jobs.rows.map((r) => r.runAt.toISOString())).toEqual([result.rotateApiKey.previousKey.expiresAt]);
  });
});

describe('migration 2026-12-01T02-api-key-scopes', () => {
  it('makes keys issued before scopes existed admin, named by their prefix, and they keep working', async () => {
    const database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const db = createKysely(pool);
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      const down = await migrator.migrateTo('2026-11-21T03-hot-path-writes');
      expect(down.error).toBeUndefined();
      const account = await sql<{ id: string }>`insert into account (name, webhook_secret) values ('old', 's') returning id`.execute(db);
      const secret = 'og_issued-before-scopes';
      await sql`insert into api_key (account_id, key_hash, key_prefix, label) values (${account.rows[0]!.id}, ${hashApiKey(secret)}, 'og_issue', null)`.execute(db);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const row = await db.selectFrom('apiKey').select(['name', 'scopes']).where('keyHash', '=', hashApiKey(secret)).executeTakeFirstOrThrow();
      expect(row).toEqual({ name: 'key og_issue', scopes: ['admin'] });
    } finally {
      await db.destroy();
      await database.drop();
    }
    // And through the service, on a running instance:
    const app = await startTestApp();
    try {
      const old = 'og_old-admin-key';
      const accountId = (await app.services.accounts.findByName('default'))!.id;
      await sql`insert into api_key (account_id, key_hash, key_prefix, name, scopes) values (${accountId}, ${hashApiKey(old)}, 'og_old-a', 'old', '{admin}')`.execute(
        app.database.db,
      );
      expect((await query(app.graphqlUrl, ApiKeyList, {}, old)).apiKeys.length).toBe(2);
    } finally {
      await app.stop();
      await app.dropDatabase();
    }
  });
});
