// GraphQL over HTTP for the console: the key goes in the Authorization header of every call.

export const GRAPHQL_PATH = '/graphql';

/** A call the server refused or could not answer; `code` is the GraphQL extensions.code when there is one. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = null, errors = [] } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  get unauthenticated() {
    return this.status === 401 || this.code === 'UNAUTHENTICATED';
  }
}

/**
 * One GraphQL operation. JSON content type and the CSRF header on every POST: the server refuses
 * simple (non-preflighted) requests, so no other site can make a signed-in browser post here.
 */
export async function graphql(apiKey, query, variables = {}) {
  let response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `App ${apiKey}`,
        'x-graphql-yoga-csrf': '1',
      },
      body: JSON.stringify({ query, variables }),
      credentials: 'omit',
    });
  } catch {
    throw new ApiError('The server cannot be reached. Check the connection and try again.');
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, a cut-off body): answered below by status.
  }
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  if (errors.length > 0 || !response.ok || !body?.data) {
    const first = errors[0];
    const code = first?.extensions?.code ?? null;
    const message = first?.message ?? `The server answered ${response.status}.`;
    throw new ApiError(message, { status: response.status, code, errors });
  }
  return body.data;
}

/** The WebSocket URL of the same endpoint (ws: beside http:, wss: beside https:). */
export function websocketUrl() {
  const url = new URL(GRAPHQL_PATH, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}
