import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMIT_CODE, LimitError, rateLimitedError } from '../graphql/limits/errors.js';
import type { RateRefusal } from '../graphql/limits/key-rates.js';
import { apiKeyFromAuthorization, hashApiKey, type AuthenticatedAccount } from '../messaging/api-keys.js';
import { quietAccess } from '../observability/access-log.js';
import { refuse } from './graphql-error-response.js';
import { readBody } from './read-body.js';

export const UNAUTHENTICATED_MESSAGE = 'A valid API key is required: send "Authorization: App <key>" (or Bearer <key>).';

/** A stable, non-secret id of the key in an Authorization header (what per-key limits count by). */
export function apiKeyIdOf(authorization: string | null | undefined): string | undefined {
  const key = apiKeyFromAuthorization(authorization);
  return key ? hashApiKey(key) : undefined;
}

/** Who a request is: a key's caller, or — only for a schema introspection — nobody. */
export type AdmittedRequest = { kind: 'key'; account: AuthenticatedAccount; apiKeyId: string } | { kind: 'introspection' };

export interface GraphQLGateOptions {
  maxBodyBytes: number;
  /** Key-less requests that only introspect the schema, with bodies up to this size; null: none (every request needs a key). */
  keylessIntrospectionMaxBytes: number | null;
  authenticate(authorization: string | null): Promise<AuthenticatedAccount | null>;
  /** Counts one request against its key (or, key-less, its address); a refusal when over the limit. */
  countRequest(subject: string, account: AuthenticatedAccount | null): Promise<RateRefusal | null>;
  isIntrospectionOnly(body: Buffer): boolean;
  /** Hands the request on: with its body already read (capped), or null when it has none (GET, OPTIONS). */
  admit(req: IncomingMessage, res: ServerResponse, body: Buffer | null, who: AdmittedRequest | null): Promise<void> | void;
  /** CORS headers a hand-written refusal carries (so a browser on an allowed origin can read it). */
  corsHeaders(req: IncomingMessage): Record<string, string>;
}

/** GET without a `query` is GraphiQL's page (or yoga's own "query missing" answer); OPTIONS is a CORS preflight. */
function carriesOperation(req: IncomingMessage): boolean {
  if (req.method === 'OPTIONS' || req.method === 'HEAD') return false;
  if (req.method !== 'GET') return true;
  return new URL(req.url ?? '/', 'http://localhost').searchParams.has('query');
}

/**
 * What stands before yoga on the GraphQL path, cheapest check first, nothing refused here ever parsed:
 * a declared body over the limit is refused (413); the key is checked from the headers alone (401) and
 * its request counted against its per-minute limit (429 RATE_LIMITED + Retry-After), both before a byte
 * of the body is read; the body is then read with a byte cap (413 as soon as it passes it).
 *
 * Without any Authorization header, a POST whose body (at most `keylessIntrospectionMaxBytes`) asks for
 * nothing but the schema is let through when introspection is on (GraphiQL loads its docs before a key
 * is pasted); such requests are counted per client address. Everything else without a valid key is 401.
 */
export function graphqlGate(options: GraphQLGateOptions) {
  const tooLarge = new LimitError(LIMIT_CODE.bodySize, `The request body exceeds the limit of ${options.maxBodyBytes} bytes.`, {
    limit: options.maxBodyBytes,
  });
  const unauthenticated = { message: UNAUTHENTICATED_MESSAGE, extensions: { code: 'UNAUTHENTICATED' } };
  const rateLimited = (req: IncomingMessage, res: ServerResponse, refusal: RateRefusal) => {
    // A flood is thousands of identical refusals a second: one line at info per window, the rest at debug.
    if (!refusal.first) quietAccess(req);
    refuse(req, res, 429, rateLimitedError(refusal).toWire(), { ...options.corsHeaders(req), 'retry-after': String(refusal.retryAfterSeconds) });
  };

  const keyless = async (req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<void> => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (req.method !== 'POST' || declared > maxBytes) {
      refuse(req, res, 401, unauthenticated, options.corsHeaders(req));
      return;
    }
    const refusal = await options.countRequest(`address:${req.socket.remoteAddress ?? 'unknown'}`, null);
    if (refusal) return rateLimited(req, res, refusal);
    const read = await readBody(req, maxBytes);
    if (!read.ok) {
      if (read.reason === 'too-large') refuse(req, res, 401, unauthenticated, options.corsHeaders(req));
      else res.destroy();
      return;
    }
    if (!options.isIntrospectionOnly(read.body)) {
      refuse(req, res, 401, unauthenticated, options.corsHeaders(req));
      return;
    }
    await options.admit(req, res, read.body, { kind: 'introspection' });
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!carriesOperation(req)) {
      await options.admit(req, res, null, null);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > options.maxBodyBytes) {
      refuse(req, res, 413, tooLarge.toWire(), options.corsHeaders(req));
      return;
    }
    const authorization = req.headers.authorization ?? null;
    if (authorization === null && options.keylessIntrospectionMaxBytes !== null) {
      await keyless(req, res, options.keylessIntrospectionMaxBytes);
      return;
    }
    const account = await options.authenticate(authorization);
    const apiKeyId = apiKeyIdOf(authorization);
    if (!account || !apiKeyId) {
      refuse(req, res, 401, unauthenticated, options.corsHeaders(req));
      return;
    }
    const refusal = await options.countRequest(account.key.id, account);
    if (refusal) return rateLimited(req, res, refusal);
    let body: Buffer | null = null;
    if (req.method !== 'GET') {
      const read = await readBody(req, options.maxBodyBytes);
      if (!read.ok) {
        if (read.reason === 'too-large') refuse(req, res, 413, tooLarge.toWire(), options.corsHeaders(req));
        else res.destroy();
        return;
      }
      body = read.body;
    }
    await options.admit(req, res, body, { kind: 'key', account, apiKeyId });
  };
}
