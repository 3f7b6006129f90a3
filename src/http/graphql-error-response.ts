import type { ServerResponse } from 'node:http';

export interface WireError {
  message: string;
  extensions: Record<string, unknown>;
}

/**
 * A GraphQL-shaped refusal written before yoga sees the request (no key, body too large): the same
 * `{"errors": [{message, extensions: {code}}]}` a client gets for any other error. `close` ends the
 * connection after the answer, so a body we refused to read is not drained through it.
 */
export function writeGraphQLError(res: ServerResponse, status: number, error: WireError, options: { close?: boolean } = {}): void {
  const body = JSON.stringify({ errors: [error] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(options.close ? { connection: 'close' } : {}),
  });
  res.end(body);
}
