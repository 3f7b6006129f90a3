import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeViberBot } from '../fakes/viber-bot.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { wsClient } from '../support/graphql-client.js';
import { leaks, maskedErrors, names, namedPaths, outcomeOf, reachedResolver, type ResponseShape } from './fuzz/checks.js';
import type { KnownValues } from './fuzz/inputs.js';
import { casesFor, malformedBodies, rootFields, type FuzzCase } from './fuzz/operations.js';
import { Random, seedFromEnvironment } from './fuzz/random.js';
import { rawPost } from './helpers.js';

/**
 * Thousands of generated calls of every root field (found by introspection, so a new field is fuzzed the
 * day it is added) must never produce a masked internal error, leak internals or take the service down;
 * a string PostgreSQL would refuse must come back as a typed error naming its path.
 *
 * FUZZ_SEED=<n> replays a run; FUZZ_CASES=<n> sets the calls per field (default 120).
 */
const SEED = seedFromEnvironment();
const CASES_PER_FIELD = Number(process.env.FUZZ_CASES ?? 120);
const SUBSCRIPTION_CASES = Math.ceil(CASES_PER_FIELD / 2);
const HTTP_CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 6);
/** FUZZ_ONLY=sendMessages,bulk narrows a replay to some fields (the seed still generates the same inputs for them). */
const ONLY = process.env.FUZZ_ONLY ? new Set(process.env.FUZZ_ONLY.split(',')) : null;
const WS_CONCURRENCY = 12;
const REQUEST_TIMEOUT_MS = 20_000;

interface Failure {
  case: string;
  problem: string;
  query?: string;
  variables?: string;
  response?: string;
}

const clip = (s: string, n = 600) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe(`fuzzing every root field (FUZZ_SEED=${SEED})`, () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let auth: Record<string, string>;
  const viber = new FakeViberBot({ authToken: 'fuzz-token' });
  let known: KnownValues;

  const call = async (query: string, variables: Record<string, unknown>) => {
    const r = await rawPost(app.graphqlUrl, { query, variables }, auth);
    if (r.status !== 200 || r.json?.errors) throw new Error(`setup call failed: ${r.text}`);
    return r.json.data;
  };

  beforeAll(async () => {
    await viber.start();
    app = await startTestApp({
      // Nothing is dispatched, so whatever the fuzz sends never leaves the process.
      WORKER_ENABLED: 'false',
      // Thousands of refused inputs would flood the output; the responses are what is judged.
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
      // The outbound URL rules are on (fuzzed URLs name private hosts); the fake Viber bot is allowed.
      ALLOW_PRIVATE_URLS: 'false',
      PRIVATE_URL_ALLOW_LIST: '127.0.0.1',
      // Thousands of requests a minute from one key: the fuzz judges inputs, not the rate limits
      // (test/integration/key-limits.test.ts does), so its key is never refused for its rate.
      RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
    });
    auth = { authorization: `App ${app.apiKey}` };
    // The simulator carries unnamed steps (it comes first); the bot connection gives a real connection id.
    await call(`mutation { configureProviderConnection(input: {name: "sim", type: SIMULATOR, channels: [VIBER, SMS]}) { __typename } }`, {});
    const bot = await call(
      `mutation($url: String!) { configureProviderConnection(input: {name: "bot", type: VIBER_BOT, baseUrl: $url, credentials: {authToken: "fuzz-token"}, channels: [VIBER]}) {
         ... on ConfigureProviderConnectionSuccess { connection { id } } ... on ValidationError { fieldErrors { path message } } } }`,
      { url: viber.apiBase },
    );
    const scenario = await call(
      `mutation { createScenario(input: {name: "fuzz", flow: [{channel: VIBER, from: "Omnishop"}, {channel: SMS, from: "Omnishop"}]}) { ... on CreateScenarioSuccess { scenario { key } } } }`,
      {},
    );
    await call(
      `mutation { sendMessage(input: {bulkId: "fuzz-bulk", destinations: [{to: {phoneNumber: "+41793026724"}, messageId: "fuzz-message"}], viber: {text: {text: "hi"}}, sms: {text: "hi"}}) { __typename } }`,
      {},
    );
    known = {
      connectionId: bot.configureProviderConnection.connection.id,
      scenarioKey: scenario.createScenario.scenario.key,
      bulkId: 'fuzz-bulk',
      messageId: 'fuzz-message',
      reachableUrl: `${viber.apiBase}`,
    };
  });

  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await viber.stop();
  });

  it('answers every generated input with data or a typed error, never a masked one, and stays healthy', { timeout: 180_000 }, async () => {
    const started = performance.now();
    const introspection = await call(getIntrospectionQuery(), {});
    const schema = buildClientSchema(introspection as IntrospectionQuery);
    const roots = rootFields(schema);
    expect(roots.length).toBeGreaterThan(20);

    // All inputs are generated before any is sent, so concurrency cannot change what a seed produces.
    const rng = new Random(SEED);
    const cases: FuzzCase[] = [];
    for (const root of roots) {
      const count = root.field.args.length === 0 ? 3 : root.kind === 'subscription' ? SUBSCRIPTION_CASES : CASES_PER_FIELD;
      cases.push(...casesFor(root, count, rng, known, cases.length));
    }
    const malformed = ONLY ? [] : malformedBodies();
    const generatedSeconds = ((performance.now() - started) / 1000).toFixed(1);
    if (ONLY) cases.splice(0, cases.length, ...cases.filter((c) => ONLY.has(c.field)));
    // Generating blocked the event loop for a while: let the client notice keep-alive sockets the server
    // closed meanwhile, so the first requests do not go out on them.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const failures: Failure[] = [];
    const outcomes = new Map<string, Map<string, number>>();
    const count = (field: string, outcome: string) => {
      const byField = outcomes.get(field) ?? new Map<string, number>();
      byField.set(outcome, (byField.get(outcome) ?? 0) + 1);
      outcomes.set(field, byField);
    };
    let unstorableSent = 0;
    let unstorableJudged = 0;
    const judge = (c: FuzzCase, body: ResponseShape, raw: string) => {
      const fail = (problem: string) =>
        failures.push({ case: `#${c.index} ${c.kind} ${c.field}`, problem, query: clip(c.query, 400), variables: clip(JSON.stringify(c.variables)), response: clip(raw) });
      count(`${c.kind} ${c.field}`, outcomeOf(body, c.field));
      if (maskedErrors(body.errors).length > 0) fail('masked internal error');
      const leaked = leaks(body);
      if (leaked.length > 0) fail(`leaks internals: ${leaked.join(', ')}`);
      if (c.unstorable.length > 0) unstorableSent++;
      if (c.unstorable.length > 0 && reachedResolver(body, c.field)) {
        unstorableJudged++;
        const named = namedPaths(body, c.field);
        const missing = c.unstorable.filter((p) => !names(named, p));
        if (named.length === 0 || (c.unstorable.length <= 10 && missing.length > 0)) {
          fail(`a string PostgreSQL refuses was not refused by name: ${JSON.stringify(missing.slice(0, 3))}`);
        }
      }
    };

    // --- queries and mutations over HTTP -----------------------------------------------------------
    const httpCases = cases.filter((c) => c.kind !== 'subscription');
    const slowest: Array<{ ms: number; label: string }> = [];
    await inPool(httpCases, HTTP_CONCURRENCY, async (c) => {
      let response: Response;
      const t0 = performance.now();
      const send = () =>
        fetch(app.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...auth },
          body: JSON.stringify({ query: c.query, variables: c.variables }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      try {
        // One retry for a connection the server had closed as idle just as it was reused; an input that
        // makes the server drop the connection fails both times.
        response = await send().catch((err: unknown) => {
          if (err instanceof Error && err.name === 'TimeoutError') throw err;
          return send();
        });
      } catch (err) {
        failures.push({ case: `#${c.index} ${c.kind} ${c.field}`, problem: `no answer: ${String(err)}`, query: clip(c.query, 400), variables: clip(JSON.stringify(c.variables)) });
        return;
      }
      const text = await response.text();
      slowest.push({ ms: Math.round(performance.now() - t0), label: `#${c.index} ${c.field} ${JSON.stringify(c.variables).length}B` });
      let body: ResponseShape;
      try {
        body = JSON.parse(text) as ResponseShape;
      } catch {
        failures.push({ case: `#${c.index} ${c.kind} ${c.field}`, problem: `HTTP ${response.status}, body is not JSON`, response: clip(text) });
        return;
      }
      if (response.status >= 500) failures.push({ case: `#${c.index} ${c.kind} ${c.field}`, problem: `HTTP ${response.status}`, response: clip(text) });
      judge(c, body, text);
    });

    const httpSeconds = ((performance.now() - started) / 1000).toFixed(1);

    // --- malformed documents and bodies -------------------------------------------------------------
    for (const m of malformed) {
      const response = await fetch(app.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': m.contentType ?? 'application/json', accept: 'application/graphql-response+json, application/json', ...auth },
        body: typeof m.body === 'string' ? m.body : new Uint8Array(m.body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      count('malformed bodies', String(response.status));
      let body: ResponseShape | null = null;
      try {
        body = JSON.parse(text) as ResponseShape;
      } catch {
        // judged below: every answer must be JSON
      }
      // A refusal at the HTTP level (e.g. 415 for an unsupported media type) may come without a body.
      if (response.status >= 500 || (!body && response.status < 400)) failures.push({ case: m.name, problem: `HTTP ${response.status}`, response: clip(text) });
      else if (!body) continue;
      else if (maskedErrors(body.errors).length > 0 || leaks(body).length > 0) failures.push({ case: m.name, problem: 'masked or leaking error', response: clip(text) });
    }

    // --- subscriptions over graphql-ws ---------------------------------------------------------------
    const client: Client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` }, { lazy: false });
    // Only the client closes with 1000, and a non-lazy one only when its lock count went wrong (below).
    const normalCloses: number[] = [];
    client.on('closed', (e) => {
      if ((e as { code?: unknown }).code === 1000) normalCloses.push(Date.now());
    });
    const subscriptionCases = cases.filter((c) => c.kind === 'subscription');
    await inPool(subscriptionCases, WS_CONCURRENCY, async (c) => {
      const body = await new Promise<ResponseShape & { closed?: string }>((resolve) => {
        let dispose: () => void = () => undefined;
        // An accepted subscription just stays open; one that must be refused gets time to be refused (a
        // loaded CI machine can take seconds), and saying nothing in that time is a failure of its own.
        const mustRefuse = c.unstorable.length > 0;
        const timer = setTimeout(
          () => {
            dispose();
            resolve(mustRefuse ? { closed: 'no refusal within 20 s' } : { data: { [c.field]: null } });
          },
          mustRefuse ? 20_000 : 250,
        );
        const finish = (value: ResponseShape & { closed?: string }) => {
          clearTimeout(timer);
          // Not disposed from inside `next`: when the server's Next and Complete arrive in one socket read,
          // graphql-ws 6.4's client releases the subscription twice (the dispose, then the Complete before
          // it has unhooked its listener), so its lock count drifts down; when it lands on 0 the client
          // closes the shared socket itself (1000) and every subscription in flight ends as "complete"
          // with no result (the stop-13 CI failure). A turn later the Complete has been handled and the
          // dispose is a no-op.
          setImmediate(dispose);
          resolve(value);
        };
        dispose = client.subscribe(
          { query: c.query, variables: c.variables },
          {
            next: (value) => finish(value as ResponseShape),
            error: (err) => {
              if (Array.isArray(err)) finish({ errors: err as ResponseShape['errors'] });
              else if (err && typeof err === 'object' && 'code' in err) finish({ closed: `socket closed ${String((err as { code: unknown }).code)}` });
              else finish({ errors: [{ message: String(err) }] });
            },
            complete: () => finish({ data: { [c.field]: null } }),
          },
        );
      });
      if (body.closed) failures.push({ case: `#${c.index} subscription ${c.field}`, problem: body.closed, query: clip(c.query, 400), variables: clip(JSON.stringify(c.variables)) });
      else judge(c, body, JSON.stringify(body));
    });
    expect(normalCloses, 'the fuzz client closed its own socket while subscriptions were in flight').toEqual([]);
    await client.dispose();

    // --- still healthy: ready, and a scenario and a send on it still work end to end ----------------
    const ready = await fetch(`${app.url}/readyz`);
    const scenario = await rawPost(
      app.graphqlUrl,
      { query: `mutation { createScenario(input: {name: "after the fuzz", flow: [{channel: SMS, from: "Omnishop"}]}) { ... on CreateScenarioSuccess { scenario { key } } } }` },
      auth,
    );
    const after = await rawPost(
      app.graphqlUrl,
      {
        query: `mutation($key: String!) { sendMessage(input: {scenarioKey: $key, destinations: [{to: {phoneNumber: "+41793026725"}}], sms: {text: "still here"}}) { __typename } }`,
        variables: { key: scenario.json?.data?.createScenario?.scenario?.key ?? '' },
      },
      auth,
    );

    slowest.sort((a, b) => b.ms - a.ms);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const lines = [...outcomes.entries()].map(([field, byOutcome]) => `  ${field}: ${[...byOutcome.entries()].map(([o, n]) => `${o} ${n}`).join(', ')}`);
    console.log(
      `fuzz FUZZ_SEED=${SEED}: ${cases.length + malformed.length} requests (${httpCases.length} HTTP, ${subscriptionCases.length} subscriptions, ${malformed.length} malformed bodies) over ${roots.length} root fields (${unstorableSent} with NUL or a lone surrogate, ${unstorableJudged} of them past GraphQL's type checks) in ${seconds} s (generating ${generatedSeconds} s, HTTP cases until ${httpSeconds} s); ${failures.length} failures\n${lines.join('\n')}\n  slowest: ${slowest
        .slice(0, 5)
        .map((x) => `${x.label} ${x.ms} ms`)
        .join('; ')}`,
    );
    // One example of each kind of failure, so a long list still shows every distinct problem.
    const kinds = new Map<string, Failure>();
    for (const f of failures) {
      const key = `${f.case.replace(/^#\d+ /, '')}: ${f.problem.replace(/\[\[.*$/, '')}`;
      if (!kinds.has(key)) kinds.set(key, f);
    }
    expect([...kinds.values()].slice(0, 40), `FUZZ_SEED=${SEED}: ${failures.length} failures of ${kinds.size} kinds`).toEqual([]);
    expect(ready.status).toBe(200);
    expect(after.json?.data?.sendMessage?.__typename, after.text).toBe('SendMessageSuccess');
  });
});
