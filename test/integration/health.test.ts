import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { startInstance, startTestApp, type TestApp } from '../support/app.js';
import { wsClient } from '../support/graphql-client.js';

/** Resolves true when something accepts a TCP connection on the port, false when it is refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('health probes, GraphiQL and shutdown', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  it('answers /healthz with 200 and no key', async () => {
    const response = await fetch(`${app.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 while the database is reachable', async () => {
    const response = await fetch(`${app.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });
  });

  it('serves the GraphiQL page on GET /graphql to a browser, without a key', async () => {
    const response = await fetch(app.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html.toLowerCase()).toContain('graphiql');
    expect(html).toContain('<title>Omnigate</title>');
  });

  it('serves a GraphiQL page that loads no script or style from another host, so it works offline', async () => {
    const html = await (await fetch(app.graphqlUrl, { headers: { accept: 'text/html' } })).text();
    const external = /^(?:https?:)?\/\//i;
    const scriptSrcs = [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!);
    const linkHrefs = [...html.matchAll(/<link\b[^>]*\bhref\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!);
    expect(scriptSrcs.filter((s) => external.test(s))).toEqual([]);
    expect(linkHrefs.filter((s) => external.test(s))).toEqual([]);
    expect(html).not.toMatch(/<script[^>]+src=["']?https?:/i);
    expect(html).not.toMatch(/<link[^>]+href=["']?https?:/i);
    // nor imported from a CDN inside an inline module or stylesheet
    expect(html).not.toMatch(/\bimport\s*(?:[^'"]*from\s*)?\(?\s*["']https?:\/\//);
    expect(html).not.toMatch(/@import\s+(?:url\()?["']?https?:\/\//);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr\.net|cdnjs|esm\.sh/);

    // Whatever it does load comes from this server and is really served.
    for (const path of [...scriptSrcs, ...linkHrefs].filter((p) => !p.startsWith('data:'))) {
      const asset = await fetch(new URL(path, app.graphqlUrl));
      expect(asset.status, path).toBe(200);
    }
  });

  it('still requires a key for GraphQL requests over GET', async () => {
    const response = await fetch(`${app.graphqlUrl}?query=${encodeURIComponent('{ scenarios { edges { cursor } } }')}`, {
      headers: { accept: 'application/json' },
    });
    const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.length).toBeGreaterThan(0);
  });

  it('stops accepting connections on its port once stop() resolves, and ends open WebSocket sessions', async () => {
    const instance: App = await startInstance(app.databaseUrl);
    const port = Number(new URL(instance.url).port);
    expect(await accepts(port)).toBe(true);
    expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);

    const client = wsClient(instance.graphqlUrl, { authorization: `App ${app.apiKey}` });
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const closed = new Promise<number>((resolve) => client.on('closed', (e) => resolve((e as { code: number }).code)));
    const dispose = client.subscribe({ query: 'subscription { messageStatusChanged { occurredAt } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    await connected;

    await instance.stop();
    expect(await accepts(port)).toBe(false);
    await expect(fetch(`${instance.url}/healthz`)).rejects.toThrow();
    const code = await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 3_000))]);
    expect(code).not.toBeNull();
    dispose();
    await client.dispose();

    // The other instance on the same database is unaffected.
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
  });
});
