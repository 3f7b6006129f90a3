import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMIT_CODE, LimitError } from '../graphql/limits/errors.js';
import type { Account } from '../messaging/accounts.js';
import { apiKeyFromAuthorization, hashApiKey } from '../messaging/api-keys.js';
import { refuse } from './graphql-error-response.js';
import { readBody } from './read-body.js';

export const UNAUTHENTICATED_MESSAGE = 'A valid API key is required: send "Authorization: App <key>" (or Bearer <key>).';

/** A stable, non-secret id of the key in an Authorization header (what per-key limits count by). */
export function apiKeyIdOf(authorization: string | null | undefined): string | undefined {
  const key = apiKeyFromAuthorization(authorization);
  return key ? hashApiKey(key) : undefined;
}

export interface AdmittedRequest {
  account: Account;
  apiKeyId: string;
}

export interface GraphQLGateOptions {
  maxBodyBytes: number;
  authenticate(authorization: string | null): Promise<Account | null>;
  /** Hands the request on: with its body already read (capped), or null when it has none (GET, OPTIONS). */
  admit(req: IncomingMessage, res: ServerResponse, body: Buffer | null, who: AdmittedRequest | null): Promise<void> | void;
}

/** GET without a `query` is GraphiQL's page (or yoga's own "query missing" answer); OPTIONS is a CORS preflight. */
function carriesOperation(req: IncomingMessage): boolean {
  if (req.method === 'OPTIONS' || req.method === 'HEAD') return false;
  if (req.method !== 'GET') return true;
  return new URL(req.url ?? '/', 'http://localhost').searchParams.has('query');
}

/**
 * What stands before yoga on the GraphQL path: a declared body over the limit is refused (413) before
 * anything else, the key is checked from the headers alone (401) before a byte of the body is read, and
 * the body is then read with a byte cap (413 as soon as it passes it). Nothing refused here is parsed.
 */
export function graphqlGate(options: GraphQLGateOptions) {
  const tooLarge = new LimitError(LIMIT_CODE.bodySize, `The request body exceeds the limit of ${options.maxBodyBytes} bytes.`, {
    limit: options.maxBodyBytes,
  });

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!carriesOperation(req)) {
      await options.admit(req, res, null, null);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > options.maxBodyBytes) {
      refuse(req, res, 413, tooLarge.toWire());
      return;
    }
    const authorization = req.headers.authorization ?? null;
    const account = await options.authenticate(authorization);
    const apiKeyId = apiKeyIdOf(authorization);
    if (!account || !apiKeyId) {
      refuse(req, res, 401, { message: UNAUTHENTICATED_MESSAGE, extensions: { code: 'UNAUTHENTICATED' } });
      return;
    }
    let body: Buffer | null = null;
    if (req.method !== 'GET') {
      const read = await readBody(req, options.maxBodyBytes);
      if (!read.ok) {
        if (read.reason === 'too-large') refuse(req, res, 413, tooLarge.toWire());
        else res.destroy();
        return;
      }
      body = read.body;
    }
    await options.admit(req, res, body, { account, apiKeyId });
  };
}
