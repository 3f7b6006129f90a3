/**
 * What every adapter and callback parser shares: exact JSON for ids beyond 2^53, id strings, header
 * lookup, base-URL trimming, and the POST that turns "no answer at all" into a retry-later.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValue } from '../../../src/providers/callback-headers.js';
import { postToProvider, trimBaseUrl } from '../../../src/providers/provider-post.js';
import { SendInDoubtError, TransientProviderError } from '../../../src/providers/types.js';
import { idString, isRecord, parseExactJson } from '../../../src/providers/wire-json.js';

describe('wire JSON', () => {
  it('keeps integers beyond 2^53 exact and small ones as numbers', () => {
    expect(parseExactJson('{"message_token":4912661846655238145,"n":429}')).toEqual({ message_token: '4912661846655238145', n: 429 });
    expect(() => parseExactJson('{"a":')).toThrow();
  });

  it('reads an id as an exact decimal string, from a number or a digit string', () => {
    expect(idString(429)).toBe('429');
    expect(idString('4912661846655238145')).toBe('4912661846655238145');
    const { id } = parseExactJson('{"id":44444444444444444444}') as { id: unknown };
    expect(idString(id)).toBe('44444444444444444444');
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2, '', '12a', '-3', null, undefined, {}, '1'.repeat(41)]) {
      expect(idString(bad)).toBeNull();
    }
  });

  it('tells a JSON object from arrays and null', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord([])).toBe(false);
    expect(isRecord(null)).toBe(false);
    expect(isRecord('x')).toBe(false);
  });
});

describe('callback headers', () => {
  it('finds a header whatever its case, and only when it has a value', () => {
    expect(headerValue({ 'x-webhook-secret': 's' }, 'X-Webhook-Secret')).toBe('s');
    expect(headerValue({ Authorization: 'App k' }, 'authorization')).toBe('App k');
    expect(headerValue({ authorization: undefined, AUTHORIZATION: 'App k' }, 'authorization')).toBe('App k');
    expect(headerValue({}, 'authorization')).toBeUndefined();
  });
});

describe('postToProvider', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(503, { 'retry-after': '7' }).end('{"busy":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('trims trailing slashes off a base URL', () => {
    expect(trimBaseUrl('https://api.example.com/pa//')).toBe('https://api.example.com/pa');
    expect(trimBaseUrl('https://api.example.com')).toBe('https://api.example.com');
  });

  it('returns any answer for the adapter to judge, a 503 included', async () => {
    const res = await postToProvider('Test /x', `${url}/x`, { 'content-type': 'application/json' }, '{}', 2_000);
    expect(res.status).toBe(503);
    expect(res.header('Retry-After')).toBe('7');
    expect(res.text).toBe('{"busy":true}');
  });

  it('makes a refused connection transient, naming the call', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await postToProvider('Test /send', `http://127.0.0.1:${port}/send`, {}, '{}', 2_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientProviderError);
    expect((err as Error).message).toMatch(/^Test \/send: .*ECONNREFUSED/);
  });

  // The request was written out: the provider may have it, so it must never be blindly sent again.
  it('makes a timeout in doubt, not transient, saying how long it waited', async () => {
    const err = await postToProvider('Test /hang', `${url}/hang`, {}, '{}', 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendInDoubtError);
    expect(err).not.toBeInstanceOf(TransientProviderError);
    expect((err as Error).message).toBe('Test /hang: no answer within 100 ms');
  });
});
