import { request as httpRequest } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.js';
import type { Scope } from '../../src/domain/scopes.js';
import { startInstance, startTestApp, type TestApp } from '../support/app.js';
import { RawSocket } from '../support/raw-socket.js';
import { countRows, rawPost, sleep } from './helpers.js';

/**
 * Per-key rate limits (requests and destinations per minute) over HTTP and WebSocket, per-key overrides,
 * WebSocket connection and subscription caps, CSRF prevention, the CORS allow-list, the production
 * defaults for introspection and GraphiQL, and key-less introspection in development.
 */

const REQUESTS_PER_MINUTE = 6;
const DESTINATIONS_PER_MINUTE = 3;
const CONSOLE_ORIGIN = 'https://console.example';
const LIMIT_ENV = {
  RATE_LIMIT_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE),
  RATE_LIMIT_DESTINATIONS_PER_MINUTE: String(DESTINATIONS_PER_MINUTE),
  WS_MAX_CONNECTIONS_PER_KEY: '2',
  WS_MAX_SUBSCRIPTIONS_PER_KEY: '2',
  CORS_ORIGINS: CONSOLE_ORIGIN,
};

const CHEAP = '{ __typename }';
const SUBSCRIBE = 'subscription { messageStatusChanged { message { messageId } } }';
const INTROSPECTION = '{ __schema { queryType { name } types { name } } }';
const send = (numbers: string[]) =>
  `mutation { sendMessage(input: { destinations: [${numbers.map((n) => `{ to: { phoneNumber: "${n}" } }`).join(', ')}], viber: { text: { text: "hi" } } }) { __typename } }`;

/** A key of the app's account, made through the service (no request counted against any key). */
async function newKey(app: App, accountKey: string, scopes: Scope[] = ['admin'], limits: { requestsPerMinute?: number } = {}): Promise<string> {
  const caller = await app.services.accounts.authenticate(`App ${accountKey}`);
  const issued = await app.services.apiKeys.create(caller!.id, { name: 'limits test', scopes, ...limits });
  return issued.secret;
}

/** A bare graphql-transport-ws socket that authenticates with a key and subscribes. */
class KeySocket extends RawSocket {
  /** connection_init with the key; resolves with 'ack' or the close that refused it. */
  async init(apiKey: string): Promise<'ack' | { code: number; reason: string }> {
    await this.opened;
    this.send({ type: 'connection_init', payload: { authorization: `App ${apiKey}` } });
    return Promise.race([this.next((m) => m.type === 'connection_ack', 10_000).then(() => 'ack' as const), this.closed]);
  }

  /** Subscribes; resolves with the operation's errors once refused, or [] once it is running (no answer within `settleMs`). */
  async subscribe(id: string, query: string, settleMs = 300): Promise<Array<{ extensions?: Record<string, unknown> }>> {
    this.send({ id, type: 'subscribe', payload: { query } });
    try {
      const answer = await this.next((m) => m.id === id && (m.type === 'error' || m.type === 'next'), settleMs);
      return answer.type === 'error' ? answer.payload : (answer.payload.errors ?? []);
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {
    this.ws.close(1000);
    await this.closed;
  }
}

function extensionsOf(json: any): Record<string, unknown> {
  return json?.errors?.[0]?.extensions ?? {};
}

describe('per-key rate limits, WebSocket caps and browser safety', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };

  beforeAll(async () => {
    app = await startTestApp(LIMIT_ENV);
  });

  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  it('refuses a key past its requests per minute with 429 RATE_LIMITED and Retry-After, before reading the body; other keys go on', async () => {
    const key = await newKey(app, app.apiKey);
    const other = await newKey(app, app.apiKey);
    for (let i = 0; i < REQUESTS_PER_MINUTE; i++) {
      const ok = await rawPost(app.graphqlUrl, { query: CHEAP }, { authorization: `App ${key}` });
      expect(ok.status, ok.text).toBe(200);
    }
    // Headers only: the answer must come although not a byte of the promised body is ever sent.
    const refused = await new Promise<{ status: number; headers: Record<string, unknown>; json: any }>((resolve, reject) => {
      const req = httpRequest(
        app.graphqlUrl,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000', authorization: `App ${key}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          });
        },
      );
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(refused.status).toBe(429);
    const extensions = extensionsOf(refused.json);
    expect(extensions).toMatchObject({ code: 'RATE_LIMITED', limit: REQUESTS_PER_MINUTE, per: 'minute', counts: 'requests' });
    const retryAfter = extensions.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['retry-after']).toBe(String(retryAfter));

    const otherKey = await rawPost(app.graphqlUrl, { query: CHEAP }, { authorization: `App ${other}` });
    expect(otherKey.status).toBe(200);
  });

  it('caps a burst at twice the average rate per second (at least 10): the minute cannot be spent at once', async () => {
    // 600 a minute: 20 in any one second.
    const key = await newKey(app, app.apiKey, ['read'], { requestsPerMinute: 600 });
    const burst = await Promise.all(Array.from({ length: 40 }, () => rawPost(app.graphqlUrl, { query: CHEAP }, { authorization: `App ${key}` })));
    const refused = burst.filter((r) => r.status === 429);
    // Only the second's cap can refuse here: 40 requests are far under the minute's 600.
    expect(refused.length).toBeGreaterThan(0);
    expect(extensionsOf(refused[0]!.json)).toMatchObject({ code: 'RATE_LIMITED', per: 'second', limit: 20, retryAfterSeconds: 1 });
    await sleep(1_100);
    expect((await rawPost(app.graphqlUrl, { query: CHEAP }, { authorization: `App ${key}` })).status).toBe(200);
  });

  it('counts WebSocket operations against the same limit: past it a subscribe gets RATE_LIMITED with retryAfterSeconds', async () => {
    const key = await newKey(app, app.apiKey);
    for (let i = 0; i < REQUESTS_PER_MINUTE - 1; i++) expect((await rawPost(app.graphqlUrl, { query: CHEAP }, { authorization: `App ${key}` })).status).toBe(200);
    const socket = new KeySocket(app.graphqlUrl);
    expect(await socket.init(key)).toBe('ack');
    expect(await socket.subscribe('last', CHEAP)).toEqual([]); // the last one of the minute
    const errors = await socket.subscribe('over', CHEAP);
    expect(errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: REQUESTS_PER_MINUTE });
    expect(errors[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await socket.close();
  });

  it("applies a key's own limit, set at creation and changed by setApiKeyRateLimits", async () => {
    const admin = await newKey(app, app.apiKey, ['admin'], { requestsPerMinute: 1000 });
    const created = await rawPost(
      app.graphqlUrl,
      { query: 'mutation { createApiKey(name: "slow", scopes: [READ], requestsPerMinute: 2) { ... on CreateApiKeySuccess { secret apiKey { id requestsPerMinute destinationsPerMinute } } } }' },
      { authorization: `App ${admin}` },
    );
    const { secret, apiKey } = created.json.data.createApiKey;
    expect(apiKey).toMatchObject({ requestsPerMinute: 2, destinationsPerMinute: null });
    const asSlow = () => rawPost(app.graphqlUrl, { query: CHEAP }, { authorization: `App ${secret}` });
    expect((await asSlow()).status).toBe(200);
    expect((await asSlow()).status).toBe(200);
    const third = await asSlow();
    expect(third.status).toBe(429);
    expect(extensionsOf(third.json)).toMatchObject({ code: 'RATE_LIMITED', limit: 2 });

    const raised = await rawPost(
      app.graphqlUrl,
      { query: `mutation { setApiKeyRateLimits(id: "${apiKey.id}", requestsPerMinute: 50) { ... on SetApiKeyRateLimitsSuccess { apiKey { requestsPerMinute } } } }` },
      { authorization: `App ${admin}` },
    );
    expect(raised.json.data.setApiKeyRateLimits.apiKey.requestsPerMinute).toBe(50);
    expect((await asSlow()).status).toBe(200);

    const invalid = await rawPost(
      app.graphqlUrl,
      { query: `mutation { setApiKeyRateLimits(id: "${apiKey.id}", requestsPerMinute: 0) { __typename ... on ValidationError { fieldErrors { path message } } } }` },
      { authorization: `App ${admin}` },
    );
    expect(invalid.json.data.setApiKeyRateLimits).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['requestsPerMinute'] }] });
  });

  it('refuses a send past the destinations per minute whole (429, nothing stored); refused destinations are not counted', async () => {
    const key = await newKey(app, app.apiKey, ['admin'], { requestsPerMinute: 100 });
    const auth = { authorization: `App ${key}` };
    const scenario = await rawPost(app.graphqlUrl, { query: 'mutation { createScenario(input: {name: "s", flow: [{channel: VIBER, from: "Shop"}]}) { __typename } }' }, auth);
    expect(scenario.json.data?.createScenario, scenario.text).toEqual({ __typename: 'CreateScenarioSuccess' });
    const first = await rawPost(app.graphqlUrl, { query: send(['+41793026724', '+41793026725']) }, auth);
    expect(first.json.data?.sendMessage, first.text).toEqual({ __typename: 'SendMessageSuccess' });
    const before = await countRows(app.database.db, 'message');
    const over = await rawPost(app.graphqlUrl, { query: send(['+41793026726', '+41793026727']) }, auth);
    expect(over.status).toBe(429);
    expect(extensionsOf(over.json)).toMatchObject({ code: 'RATE_LIMITED', counts: 'destinations', limit: DESTINATIONS_PER_MINUTE, found: 2 });
    expect(await countRows(app.database.db, 'message')).toBe(before);
    // The refused two were given back: one more still fits in the minute.
    const last = await rawPost(app.graphqlUrl, { query: send(['+41793026728']) }, auth);
    expect(last.json.data?.sendMessage, last.text).toEqual({ __typename: 'SendMessageSuccess' });
  });

  it('closes a third WebSocket of one key with 4429 TOO_MANY_CONNECTIONS; closing one frees its place', async () => {
    const key = await newKey(app, app.apiKey, ['read'], { requestsPerMinute: 100 });
    const a = new KeySocket(app.graphqlUrl);
    const b = new KeySocket(app.graphqlUrl);
    expect(await a.init(key)).toBe('ack');
    expect(await b.init(key)).toBe('ack');
    const c = new KeySocket(app.graphqlUrl);
    const refused = await c.init(key);
    expect(refused).toMatchObject({ code: 4429 });
    expect((refused as { reason: string }).reason).toMatch(/^TOO_MANY_CONNECTIONS/);
    await a.close();
    await sleep(100);
    const d = new KeySocket(app.graphqlUrl);
    expect(await d.init(key)).toBe('ack');
    await Promise.all([b.close(), d.close()]);
  });

  it('refuses a third subscription of one key with TOO_MANY_SUBSCRIPTIONS; completing one frees its place', async () => {
    const key = await newKey(app, app.apiKey, ['read'], { requestsPerMinute: 100 });
    const a = new KeySocket(app.graphqlUrl);
    const b = new KeySocket(app.graphqlUrl);
    expect(await a.init(key)).toBe('ack');
    expect(await b.init(key)).toBe('ack');
    expect(await a.subscribe('1', SUBSCRIBE)).toEqual([]);
    expect(await b.subscribe('2', SUBSCRIBE)).toEqual([]);
    const third = await b.subscribe('3', SUBSCRIBE);
    expect(third[0]?.extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: 2 });
    a.send({ id: '1', type: 'complete' });
    await sleep(100);
    expect(await b.subscribe('4', SUBSCRIBE)).toEqual([]);
    // Closing a socket frees the subscriptions it held.
    await b.close();
    await sleep(100);
    const c = new KeySocket(app.graphqlUrl);
    expect(await c.init(key)).toBe('ack');
    expect(await c.subscribe('5', SUBSCRIBE)).toEqual([]);
    expect(await c.subscribe('6', SUBSCRIBE)).toEqual([]);
    await Promise.all([a.close(), c.close()]);
  });

  it('refuses simple (CSRF-able) requests: a form or text/plain POST and a GET without the header; JSON POSTs and GETs with it work', async () => {
    const key = await newKey(app, app.apiKey, ['read'], { requestsPerMinute: 100 });
    const form = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `App ${key}` },
      body: `query=${encodeURIComponent(CHEAP)}`,
    });
    expect(form.status).toBe(403);
    const text = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `App ${key}` },
      body: JSON.stringify({ query: CHEAP }),
    });
    expect(text.status).toBe(403);
    const getUrl = `${app.graphqlUrl}?query=${encodeURIComponent(CHEAP)}`;
    const bareGet = await fetch(getUrl, { headers: { authorization: `App ${key}`, accept: 'application/json' } });
    expect(bareGet.status).toBe(403);
    const headerGet = await fetch(getUrl, { headers: { authorization: `App ${key}`, accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    expect(headerGet.status).toBe(200);
    const json = await rawPost(app.graphqlUrl, { query: CHEAP }, { authorization: `App ${key}` });
    expect(json.status).toBe(200);
    expect(json.json).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers CORS for a listed origin only: never echoes another, and without a list sends no CORS headers', async () => {
    const preflight = (origin: string) =>
      fetch(app.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const listed = await preflight(CONSOLE_ORIGIN);
    expect(listed.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(listed.headers.get('access-control-allow-credentials')).toBe('true');
    const unlisted = await preflight('https://evil.example');
    expect(unlisted.headers.get('access-control-allow-origin')).toBeNull();
    expect(unlisted.headers.get('access-control-allow-credentials')).toBeNull();

    const key = await newKey(app, app.apiKey, ['read'], { requestsPerMinute: 100 });
    const post = (origin: string) => rawPost(app.graphqlUrl, { query: CHEAP }, { authorization: `App ${key}`, origin });
    const fromEvil = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json', authorization: `App ${key}` },
      body: JSON.stringify({ query: CHEAP }),
    });
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post(CONSOLE_ORIGIN)).status).toBe(200);
    // A refusal written before yoga (401) carries the listed origin's CORS headers too, so the page can read it.
    const unauthorized = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { origin: CONSOLE_ORIGIN, 'content-type': 'application/json', authorization: 'App og_wrong' },
      body: JSON.stringify({ query: CHEAP }),
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);

    const plain = await startInstance(app.databaseUrl, { WORKER_ENABLED: 'false' });
    try {
      const noList = await fetch(plain.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin: CONSOLE_ORIGIN, 'access-control-request-method': 'POST' },
      });
      expect(noList.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.stop();
    }
  });

  it('lets a key-less request introspect the schema in development; anything else without a key is 401', async () => {
    const schema = await rawPost(app.graphqlUrl, { query: INTROSPECTION }, {});
    expect(schema.status, schema.text).toBe(200);
    expect(schema.json.data.__schema.queryType.name).toBe('Query');
    for (const query of ['{ account { name } }', '{ __schema { queryType { name } } account { name } }', 'mutation { __typename }']) {
      const refused = await rawPost(app.graphqlUrl, { query }, {});
      expect(refused.status, query).toBe(401);
      expect(extensionsOf(refused.json).code).toBe('UNAUTHENTICATED');
    }
    // Key-less bodies are small: a padded introspection is refused like any key-less request.
    const padded = await rawPost(app.graphqlUrl, { query: `${INTROSPECTION}\n#${'x'.repeat(20_000)}` }, {});
    expect(padded.status).toBe(401);
    // A wrong key is a wrong key, even for introspection.
    expect((await rawPost(app.graphqlUrl, { query: INTROSPECTION }, { authorization: 'App og_wrong' })).status).toBe(401);
  });

  it('turns introspection and GraphiQL off by default with NODE_ENV=production', async () => {
    const production = await startInstance(app.databaseUrl, { NODE_ENV: 'production', WORKER_ENABLED: 'false' });
    try {
      const key = await newKey(production, app.apiKey, ['read'], { requestsPerMinute: 100 });
      const page = await fetch(production.graphqlUrl, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/graphiql/i);
      const introspection = await rawPost(production.graphqlUrl, { query: INTROSPECTION }, { authorization: `App ${key}` });
      expect(introspection.json.data ?? null).toBeNull();
      expect(introspection.json.errors[0].message).toMatch(/introspection/i);
      expect((await rawPost(production.graphqlUrl, { query: INTROSPECTION }, {})).status).toBe(401);
      expect((await rawPost(production.graphqlUrl, { query: CHEAP }, { authorization: `App ${key}` })).json).toEqual({ data: { __typename: 'Query' } });
    } finally {
      await production.stop();
    }
    const page = await fetch(app.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).toMatch(/graphiql/i);
  });
});

/**
 * Two instances on one database: with Redis the limits are one count for both; without it, each
 * instance counts on its own (what the README says).
 */
const STORES = [
  { name: 'in memory (no REDIS_URL): each instance counts alone', redis: false },
  ...(process.env.REDIS_URL ? [{ name: 'in Redis (REDIS_URL set): one count across instances', redis: true }] : []),
];

describe.each(STORES)('limits across two instances, $name', ({ redis }) => {
  let first: TestApp & { dropDatabase(): Promise<void> };
  let second: App;

  beforeAll(async () => {
    const store: Record<string, string> = redis ? {} : { REDIS_URL: '' };
    first = await startTestApp({ ...LIMIT_ENV, ...store });
    second = await startInstance(first.databaseUrl, { ...LIMIT_ENV, ...store, WORKER_ENABLED: 'false' });
  });

  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    await first?.dropDatabase();
  });

  it('requests per minute', async () => {
    const key = await newKey(first, first.apiKey, ['read']);
    const statuses: number[] = [];
    for (let i = 0; i < REQUESTS_PER_MINUTE + 2; i++) {
      const url = i % 2 === 0 ? first.graphqlUrl : second.graphqlUrl;
      statuses.push((await rawPost(url, { query: CHEAP }, { authorization: `App ${key}` })).status);
    }
    // Alternating: shared, the limit is reached after REQUESTS_PER_MINUTE requests in all; alone, each
    // instance has seen only half of them.
    const expected = Array.from({ length: REQUESTS_PER_MINUTE + 2 }, (_, i) => (redis && i >= REQUESTS_PER_MINUTE ? 429 : 200));
    expect(statuses).toEqual(expected);
  });

  it('WebSocket connections per key', async () => {
    const key = await newKey(first, first.apiKey, ['read'], { requestsPerMinute: 100 });
    const a = new KeySocket(first.graphqlUrl);
    const b = new KeySocket(second.graphqlUrl);
    expect(await a.init(key)).toBe('ack');
    expect(await b.init(key)).toBe('ack');
    const c = new KeySocket(second.graphqlUrl);
    const third = await c.init(key);
    if (redis) expect(third).toMatchObject({ code: 4429 });
    else expect(third).toBe('ack');
    await Promise.all([a.close(), b.close(), redis ? Promise.resolve() : c.close()]);
  });

  // Only where there is a Redis to hold entries of a dead instance (registered, not skipped, elsewhere).
  if (redis) it('drops the entries of an instance that died without releasing them', async () => {
    const key = await newKey(first, first.apiKey, ['read'], { requestsPerMinute: 100 });
    const keyId = (await first.services.accounts.authenticate(`App ${key}`))!.key.id;
    const prefix = new URL(first.databaseUrl).pathname.slice(1);
    const client = new Redis(process.env.REDIS_URL!);
    try {
      // Two sockets of a dead instance, last renewed long ago: expired, they must not count.
      const set = `${prefix}:ws:connections:${keyId}`;
      await client.zadd(set, Date.now() - 1_000, 'dead:1', Date.now() - 1_000, 'dead:2');
      const a = new KeySocket(first.graphqlUrl);
      expect(await a.init(key)).toBe('ack');
      expect(await client.zscore(set, 'dead:1')).toBeNull();
      await a.close();
    } finally {
      client.disconnect();
    }
  });
});
