import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../support/app.js';
import { RawSocket } from '../support/raw-socket.js';
import { spawnService, type ChildService } from './child-service.js';
import { rawPost, sleep, type RawResult } from './helpers.js';

/**
 * Every limit of issue 8: each refusal is a typed error (extensions.code), answered within 100 ms, over
 * HTTP and, for the document/operation limits and the WebSocket deadline, over graphql-ws. The service
 * runs as deployed (its own process, production error masking) on this file's database.
 */

const FAST_MS = 100;
const WS_AUTH_TIMEOUT_MS = 600;

/** A field selection repeated `n` times under distinct aliases. */
const aliased = (n: number, selection: string) => Array.from({ length: n }, (_, i) => `a${i}: ${selection}`).join('\n');

/** A row as a client would read it: enough fields that a page's cost is its rows times these. */
const MESSAGE_NODE = 'messageId to channel status { groupName name description } sentAt doneAt callbackData attempts { channel status { name } }';

const DOCS = {
  /** Valid, but 13 levels deep (nested inline fragments count, as selections do). */
  deep: `query { messages(first: 1) { edges { node { status { ${'... { '.repeat(8)} name ${'} '.repeat(8)} } } } } }`,
  /** 16 aliases of a one-row page: small in every other respect. */
  aliases: `query { ${aliased(16, 'messages(first: 1) { edges { node { messageId } } }')} }`,
  /** The operator's report: a thousand-row page aliased 1,000 times (≈ 17,000 tokens). */
  operatorsFlood: `query { ${aliased(1000, 'messages(first: 1000) { edges { node { messageId } } }')} }`,
  directives: `query { ${Array.from({ length: 51 }, () => '__typename @include(if: true)').join(' ')} }`,
  /** Three full pages: each field of each row counts (19 per row here), 57,003 for 3 × 1,000 rows. */
  costly: `query Costly($n: Int) { a: messages(first: $n) { edges { node { ${MESSAGE_NODE} } } } b: messages(first: $n) { edges { node { ${MESSAGE_NODE} } } } c: messages(first: $n) { edges { node { ${MESSAGE_NODE} } } } }`,
  pageFirst: `query { messages(first: 1001) { edges { node { messageId } } } }`,
  pageLast: `query Last($n: Int) { scenarios(last: $n) { edges { node { key } } } }`,
  /** Cost 1 + 1000 × 7 = 7,001: "expensive" (≥ 5,000) yet far under the cost limit. */
  expensive: `query { messages(first: 1000) { edges { node { messageId to channel sentAt doneAt } } } }`,
  cheap: `query { account { name } }`,
};

type WireError = { message: string; extensions?: Record<string, unknown> };

function codesOf(errors: WireError[] | undefined): unknown[] {
  return (errors ?? []).map((e) => e.extensions?.code);
}

async function timedPost(url: string, query: string, apiKey: string | null, variables: Record<string, unknown> = {}): Promise<RawResult & { ms: number }> {
  const started = performance.now();
  const result = await rawPost(url, { query, variables }, apiKey ? { authorization: `App ${apiKey}` } : {});
  return { ...result, ms: performance.now() - started };
}

/**
 * Refusals are timed at their best of up to three tries: a limit that is slow by design (reading the
 * body, running the query) is slow every time, while this 2-core machine, shared with other test runs,
 * is only slow now and then. Each try's answer is still checked by the caller on the one returned.
 */
async function fastest<T extends { ms: number }>(attempt: (i: number) => Promise<T>): Promise<T> {
  let best: T | null = null;
  for (let i = 0; i < 3 && !(best && best.ms < FAST_MS); i++) {
    const r = await attempt(i);
    if (!best || r.ms < best.ms) best = r;
  }
  return best!;
}

/** A POST written by hand: headers at once, then only what `writeBody` chooses to send. Resolves on the answer. */
function partialPost(
  url: string,
  headers: Record<string, string | number>,
  writeBody: (req: ReturnType<typeof httpRequest>, answered: () => boolean) => Promise<void> | void,
): Promise<{ status: number; json: any; ms: number; answeredAt: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answered = false;
    let answeredAt = 0;
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      answered = true;
      answeredAt = performance.now();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - started;
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json, ms, answeredAt });
      });
    });
    // The server may close the socket on us mid-upload once it has answered; that is the point.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    Promise.resolve(writeBody(req, () => answered)).catch(() => undefined);
  });
}

/** A bare graphql-transport-ws socket that sends one operation at a time and times each answer. */
class TimedSocket extends RawSocket {
  /** connection_init with these params; resolves at the ack. */
  async init(payload: Record<string, unknown>): Promise<number> {
    await this.opened;
    this.send({ type: 'connection_init', payload });
    await this.next((m) => m.type === 'connection_ack');
    return performance.now();
  }

  /** One operation; resolves with its first answer (`next` or `error`) and how long it took. */
  async operation(id: string, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>) {
    const started = performance.now();
    this.send({ id, type: 'subscribe', payload: { query, variables, ...(extensions ? { extensions } : {}) } });
    const answer = await this.next((m) => m.id === id && (m.type === 'next' || m.type === 'error'));
    const errors: WireError[] = answer.type === 'error' ? answer.payload : (answer.payload.errors ?? []);
    return { type: answer.type, errors, data: answer.type === 'next' ? answer.payload.data : undefined, ms: performance.now() - started };
  }

  close(): void {
    this.ws.close();
  }
}

describe('request limits', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let service: ChildService;
  let url: string;
  let otherKey: string;
  const sockets: TimedSocket[] = [];

  const socket = () => {
    const s = new TimedSocket(url);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    app = await startTestApp({ WORKER_ENABLED: 'false' });
    otherKey = (await app.services.accounts.createApiKey('second-account')).apiKey;
    service = await spawnService(app.databaseUrl, {
      WORKER_ENABLED: 'false',
      WS_AUTH_TIMEOUT_MS: String(WS_AUTH_TIMEOUT_MS),
      // Two rather than the default one, so the tests see slots counted, not a flag.
      MAX_CONCURRENT_EXPENSIVE_PER_KEY: '2',
    });
    url = service.graphqlUrl;
    // First requests load the schema, the key cache and the database pool; refusals are timed after that.
    for (const key of [app.apiKey, otherKey]) for (let i = 0; i < 3; i++) await timedPost(url, DOCS.cheap, key);
    for (const doc of Object.values(DOCS)) await timedPost(url, doc, app.apiKey, { n: 5 });
  });

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await service?.kill();
    await app?.stop();
    await app?.dropDatabase();
  });

  describe('document limits, over HTTP', () => {
    it('refuses a selection deeper than MAX_QUERY_DEPTH (10) with QUERY_TOO_DEEP', async () => {
      const r = await fastest(() => timedPost(url, DOCS.deep, app.apiKey));
      expect(codesOf(r.json.errors)).toEqual(['QUERY_TOO_DEEP']);
      expect(r.json.errors[0].extensions).toMatchObject({ limit: 10, found: 13 });
      expect(r.json.data ?? null).toBeNull();
      expect(r.ms).toBeLessThan(FAST_MS);
    });

    it('refuses more than MAX_ALIASES (15) aliases with TOO_MANY_ALIASES', async () => {
      const r = await fastest(() => timedPost(url, DOCS.aliases, app.apiKey));
      expect(codesOf(r.json.errors)).toEqual(['TOO_MANY_ALIASES']);
      expect(r.json.errors[0].extensions).toMatchObject({ limit: 15, found: 16 });
      expect(r.ms).toBeLessThan(FAST_MS);
    });

    it("refuses the operator's 1,000 aliased thousand-row pages at the parser with TOO_MANY_TOKENS", async () => {
      const r = await fastest(() => timedPost(url, DOCS.operatorsFlood, app.apiKey));
      expect(codesOf(r.json.errors)).toEqual(['TOO_MANY_TOKENS']);
      expect(r.json.errors[0].extensions).toMatchObject({ limit: 2000 });
      expect(r.ms).toBeLessThan(FAST_MS);
    });

    it('refuses more than MAX_DIRECTIVES (50) directives with TOO_MANY_DIRECTIVES', async () => {
      const r = await fastest(() => timedPost(url, DOCS.directives, app.apiKey));
      expect(codesOf(r.json.errors)).toEqual(['TOO_MANY_DIRECTIVES']);
      expect(r.json.errors[0].extensions).toMatchObject({ limit: 50, found: 51 });
      expect(r.ms).toBeLessThan(FAST_MS);
    });
  });

  describe('operation cost and page size, over HTTP', () => {
    it('weighs a connection by its page size: three 1,000-row pages are QUERY_TOO_COSTLY, three 10-row pages run', async () => {
      const r = await fastest(() => timedPost(url, DOCS.costly, app.apiKey, { n: 1000 }));
      expect(codesOf(r.json.errors)).toEqual(['QUERY_TOO_COSTLY']);
      expect(r.json.errors[0].extensions).toMatchObject({ limit: 50_000, found: 57_003 });
      expect(r.json.data ?? null).toBeNull();
      expect(r.ms).toBeLessThan(FAST_MS);

      const small = await timedPost(url, DOCS.costly, app.apiKey, { n: 10 });
      expect(small.json.errors).toBeUndefined();
      expect(small.json.data.a.edges).toEqual([]);
    });

    it('refuses first or last above MAX_PAGE_SIZE (1000) with BAD_USER_INPUT naming the argument', async () => {
      const first = await fastest(() => timedPost(url, DOCS.pageFirst, app.apiKey));
      expect(codesOf(first.json.errors)).toEqual(['BAD_USER_INPUT']);
      expect(first.json.errors[0].extensions.fieldErrors).toEqual([{ path: ['messages', 'first'], message: 'must be between 1 and 1000' }]);
      expect(first.ms).toBeLessThan(FAST_MS);

      const last = await fastest(() => timedPost(url, DOCS.pageLast, app.apiKey, { n: 5000 }));
      expect(codesOf(last.json.errors)).toEqual(['BAD_USER_INPUT']);
      expect(last.json.errors[0].extensions.fieldErrors).toEqual([{ path: ['scenarios', 'last'], message: 'must be between 1 and 1000' }]);
      expect(last.ms).toBeLessThan(FAST_MS);

      const fits = await timedPost(url, DOCS.pageLast, app.apiKey, { n: 1000 });
      expect(fits.json.errors).toBeUndefined();
    });
  });

  describe('per-key concurrency of expensive operations', () => {
    it('refuses a third expensive operation of one key at once with TOO_MANY_CONCURRENT, over HTTP and WebSocket; others still run', async () => {
      // Hold the message table so the two admitted operations stay in flight until the lock goes.
      const locker = new pg.Client({ connectionString: app.databaseUrl });
      locker.on('error', () => undefined); // its end is awaited below; a dropped connection must not crash the file
      await locker.connect();
      await locker.query('begin');
      await locker.query('lock table message in access exclusive mode');
      let held: Array<Promise<RawResult & { ms: number }>> = [];
      try {
        held = [timedPost(url, DOCS.expensive, app.apiKey), timedPost(url, DOCS.expensive, app.apiKey)];
        // Both have reached the database (and so hold their slots) once PostgreSQL shows them waiting.
        for (let waiting = 0; waiting < 2; await sleep(10)) {
          const { rows } = await app.database.pool.query<{ n: string }>(
            "select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%from \"message\"%'",
          );
          waiting = Number(rows[0]!.n);
        }

        const third = await fastest(() => timedPost(url, DOCS.expensive, app.apiKey));
        expect(third.status).toBe(429);
        expect(codesOf(third.json.errors)).toEqual(['TOO_MANY_CONCURRENT']);
        expect(third.json.errors[0].extensions).toMatchObject({ limit: 2 });
        expect(third.ms).toBeLessThan(FAST_MS);

        // The same key over graphql-ws shares the slots.
        const ws = socket();
        await ws.init({ authorization: `App ${app.apiKey}` });
        const overWs = await fastest((i) => ws.operation(`q${i}`, DOCS.expensive));
        expect(codesOf(overWs.errors)).toEqual(['TOO_MANY_CONCURRENT']);
        expect(overWs.ms).toBeLessThan(FAST_MS);

        // A cheap operation of the same key is not held back.
        const cheap = await fastest(() => timedPost(url, DOCS.cheap, app.apiKey));
        expect(cheap.json.errors).toBeUndefined();
        expect(cheap.ms).toBeLessThan(FAST_MS);
      } finally {
        await locker.query('rollback');
        await locker.end();
      }
      for (const r of await Promise.all(held)) expect(r.json.errors).toBeUndefined();
      // The slots are free again.
      const after = await timedPost(url, DOCS.expensive, app.apiKey);
      expect(after.json.errors).toBeUndefined();
    });

    it("counts per key: another key's expensive operations are admitted while the first key is at its cap", async () => {
      const locker = new pg.Client({ connectionString: app.databaseUrl });
      locker.on('error', () => undefined); // its end is awaited below; a dropped connection must not crash the file
      await locker.connect();
      await locker.query('begin');
      await locker.query('lock table message in access exclusive mode');
      let all: Array<Promise<RawResult & { ms: number }>> = [];
      try {
        all = [app.apiKey, app.apiKey, otherKey, otherKey].map((key) => timedPost(url, DOCS.expensive, key));
        for (let waiting = 0; waiting < 4; await sleep(10)) {
          const { rows } = await app.database.pool.query<{ n: string }>(
            "select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%from \"message\"%'",
          );
          waiting = Number(rows[0]!.n);
        }
      } finally {
        await locker.query('rollback');
        await locker.end();
      }
      for (const r of await Promise.all(all)) expect(r.json.errors).toBeUndefined();
    });
  });

  describe('request bodies', () => {
    it('refuses a declared body over MAX_BODY_BYTES with 413 PAYLOAD_TOO_LARGE before reading it', async () => {
      // 20 MB declared, one byte sent: the answer cannot have waited for the body.
      const r = await fastest(() =>
        partialPost(url, { authorization: `App ${app.apiKey}`, 'content-length': 20 * 1024 * 1024 }, (req) => {
          req.write('{');
        }),
      );
      expect(r.status).toBe(413);
      expect(codesOf(r.json.errors)).toEqual(['PAYLOAD_TOO_LARGE']);
      expect(r.json.errors[0].extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', limit: 8 * 1024 * 1024 });
      expect(r.ms).toBeLessThan(FAST_MS);
    });

    it('stops reading a body without Content-Length as soon as it passes MAX_BODY_BYTES (413)', async () => {
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const upload = async () => {
        let sent = 0;
        let passedLimitAt = 0;
        const r = await partialPost(url, { authorization: `App ${app.apiKey}`, 'transfer-encoding': 'chunked' }, async (req, answered) => {
          req.write('{"query": "');
          // Up to 4 × the limit; the server is expected to answer once it has seen just over 1 ×.
          while (!answered() && sent < 32 * 1024 * 1024) {
            if (!req.write(chunk)) {
              await new Promise<void>((resolve) => {
                const done = () => {
                  req.off('drain', done).off('close', done);
                  resolve();
                };
                req.once('drain', done).once('close', done);
              });
            }
            sent += chunk.length;
            if (!passedLimitAt && sent > 8 * 1024 * 1024) passedLimitAt = performance.now();
          }
        });
        // How long after the limit was passed the answer came (not after the whole upload).
        return { ...r, sent, passedLimitAt, ms: r.answeredAt - passedLimitAt };
      };
      const r = await fastest(upload);
      expect(r.status).toBe(413);
      expect(codesOf(r.json.errors)).toEqual(['PAYLOAD_TOO_LARGE']);
      expect(r.sent).toBeLessThan(32 * 1024 * 1024);
      expect(r.passedLimitAt).toBeGreaterThan(0);
      expect(r.ms).toBeLessThan(FAST_MS);
    });

    it('checks the key before reading the body: a bad key is 401 while the declared body is still unsent', async () => {
      const r = await fastest(() =>
        partialPost(url, { authorization: 'App og_not-a-key', 'content-length': 1024 * 1024 }, (req) => {
          req.write('{');
        }),
      );
      expect(r.status).toBe(401);
      expect(codesOf(r.json.errors)).toEqual(['UNAUTHENTICATED']);
      expect(r.ms).toBeLessThan(FAST_MS);

      const none = await fastest(() =>
        partialPost(url, { 'content-length': 1024 * 1024 }, (req) => {
          req.write('{');
        }),
      );
      expect(none.status).toBe(401);
      expect(none.ms).toBeLessThan(FAST_MS);
    });

    it('still accepts a body under the limit from a valid key', async () => {
      const r = await timedPost(url, DOCS.cheap, app.apiKey);
      expect(r.status).toBe(200);
      expect(r.json.data.account.name).toBe('default');
    });
  });

  it('still streams a subscription over HTTP (text/event-stream) once the gate has read the body', async () => {
    const aborter = new AbortController();
    const res = await fetch(url, {
      method: 'POST',
      signal: aborter.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `App ${app.apiKey}` },
      body: JSON.stringify({ query: 'subscription { messageStatusChanged { occurredAt } }' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const first = await res.body!.getReader().read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^:/); // yoga's keep-alive comment opens the stream
    aborter.abort();
  });

  describe('over graphql-ws', () => {
    it('applies the depth, alias, token, directive, cost and page-size limits to WebSocket operations', async () => {
      const ws = socket();
      await ws.init({ authorization: `App ${app.apiKey}` });
      const cases: Array<[string, string, Record<string, unknown>, string]> = [
        ['deep', DOCS.deep, {}, 'QUERY_TOO_DEEP'],
        ['aliases', DOCS.aliases, {}, 'TOO_MANY_ALIASES'],
        ['tokens', DOCS.operatorsFlood, {}, 'TOO_MANY_TOKENS'],
        ['directives', DOCS.directives, {}, 'TOO_MANY_DIRECTIVES'],
        ['cost', DOCS.costly, { n: 1000 }, 'QUERY_TOO_COSTLY'],
        ['page', DOCS.pageFirst, {}, 'BAD_USER_INPUT'],
      ];
      for (const [id, query, variables, code] of cases) {
        const r = await fastest((i) => ws.operation(`${id}-${i}`, query, variables));
        expect(codesOf(r.errors), id).toEqual([code]);
        expect(r.data ?? null, id).toBeNull();
        expect(r.ms, id).toBeLessThan(FAST_MS);
      }
      // The page size is refused by the limits (naming the field), not left to the service's own rule.
      const page = await ws.operation('page-again', DOCS.pageFirst);
      expect(page.errors[0]!.extensions!.fieldErrors).toEqual([{ path: ['messages', 'first'], message: 'must be between 1 and 1000' }]);
      const fine = await ws.operation('fine', DOCS.cheap);
      expect(fine.errors).toEqual([]);
      expect(fine.data).toEqual({ account: { name: 'default' } });
    });

    it('weighs subscriptions too: a page size out of range in a subscription is refused before it starts', async () => {
      const ws = socket();
      await ws.init({ authorization: `App ${app.apiKey}` });
      const r = await fastest((i) => ws.operation(`progress-${i}`, `subscription { bulkProgress(bulkId: "b") { messages(first: 5000) { edges { node { messageId } } } } }`));
      expect(codesOf(r.errors)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors[0]!.extensions!.fieldErrors).toEqual([{ path: ['messages', 'first'], message: 'must be between 1 and 1000' }]);
      expect(r.ms).toBeLessThan(FAST_MS);
    });

    it('closes a socket that sent connection_init without a key and never subscribed with one (4401) after WS_AUTH_TIMEOUT_MS', async () => {
      const ws = socket();
      const ackAt = await ws.init({});
      const closed = await ws.closed;
      expect(closed.code).toBe(4401);
      expect(closed.reason).toMatch(/no valid API key within 600 ms/);
      expect(closed.at - ackAt).toBeGreaterThanOrEqual(WS_AUTH_TIMEOUT_MS - 20);
      expect(closed.at - ackAt).toBeLessThan(WS_AUTH_TIMEOUT_MS + FAST_MS);
    });

    it('closes a socket that never sends connection_init (4408) after WS_AUTH_TIMEOUT_MS', async () => {
      const ws = socket();
      await ws.opened;
      const openedAt = performance.now();
      const closed = await ws.closed;
      expect(closed.code).toBe(4408);
      expect(closed.at - openedAt).toBeLessThan(WS_AUTH_TIMEOUT_MS + FAST_MS);
    });

    it('keeps a keyless socket open once it subscribes with a valid key in the operation headers (GraphiQL)', async () => {
      const ws = socket();
      await ws.init({});
      ws.send({
        id: 'live',
        type: 'subscribe',
        payload: { query: 'subscription { messageStatusChanged { occurredAt } }', extensions: { headers: { Authorization: `App ${app.apiKey}` } } },
      });
      await sleep(WS_AUTH_TIMEOUT_MS + 200);
      expect(ws.ws.readyState).toBe(WebSocket.OPEN);
      expect(ws.messages.filter((m) => m.type === 'error')).toEqual([]);
      ws.close();
    });

    it('closes a socket whose message exceeds MAX_BODY_BYTES (1009) without parsing it', async () => {
      const ws = socket();
      await ws.init({ authorization: `App ${app.apiKey}` });
      const started = performance.now();
      ws.ws.send(Buffer.alloc(8 * 1024 * 1024 + 1, 0x20));
      const closed = await ws.closed;
      expect(closed.code).toBe(1009);
      expect(closed.at - started).toBeLessThan(FAST_MS * 5); // 8 MiB over loopback first
    });
  });
});
