import { GraphQLError } from 'graphql';

/**
 * The codes a refused request carries in `extensions.code`. Each refusal also names its `limit` (and,
 * where it was measured, what was `found`), so a client can tell which rule it broke without parsing text.
 */
export const LIMIT_CODE = {
  depth: 'QUERY_TOO_DEEP',
  aliases: 'TOO_MANY_ALIASES',
  tokens: 'TOO_MANY_TOKENS',
  directives: 'TOO_MANY_DIRECTIVES',
  cost: 'QUERY_TOO_COSTLY',
  concurrency: 'TOO_MANY_CONCURRENT',
  costRate: 'COST_RATE_EXCEEDED',
  bodySize: 'PAYLOAD_TOO_LARGE',
  pageSize: 'BAD_USER_INPUT',
  rate: 'RATE_LIMITED',
  subscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  connections: 'TOO_MANY_CONNECTIONS',
} as const;

export type LimitCode = (typeof LIMIT_CODE)[keyof typeof LIMIT_CODE];

/** HTTP status yoga answers with when one of these errors ends a request. */
const HTTP_STATUS: Record<LimitCode, number> = {
  QUERY_TOO_DEEP: 400,
  TOO_MANY_ALIASES: 400,
  TOO_MANY_TOKENS: 400,
  TOO_MANY_DIRECTIVES: 400,
  QUERY_TOO_COSTLY: 400,
  BAD_USER_INPUT: 400,
  TOO_MANY_CONCURRENT: 429,
  COST_RATE_EXCEEDED: 429,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  TOO_MANY_SUBSCRIPTIONS: 429,
  TOO_MANY_CONNECTIONS: 429,
};

/** A request refused by a limit (a class of its own so it can be told from graphql-js' own errors). */
export class LimitError extends GraphQLError {
  constructor(code: LimitCode, message: string, details: Record<string, unknown> = {}, headers?: Record<string, string>) {
    super(message, { extensions: { code, ...details, http: { status: HTTP_STATUS[code], ...(headers ? { headers } : {}) } } });
  }

  /** What goes on the wire (yoga strips `http`; a hand-written answer must too). */
  toWire(): { message: string; extensions: Record<string, unknown> } {
    const { http: _http, ...extensions } = this.extensions;
    return { message: this.message, extensions };
  }
}

/** Page sizes are input rules: the same shape as every other broken rule (`fieldErrors [{path, message}]`). */
export function pageSizeError(path: string[], max: number, found: unknown): LimitError {
  const message = `must be between 1 and ${max}`;
  return new LimitError(LIMIT_CODE.pageSize, `${path.join('.')} ${message} (got ${String(found)})`, {
    fieldErrors: [{ path, message }],
    limit: max,
  });
}

/** A key over one of its per-minute limits: when to try again, in `retryAfterSeconds` and (over HTTP) `Retry-After`. */
export function rateLimitedError(
  refusal: { kind: 'requests' | 'destinations'; limit: number; per: 'minute' | 'second'; retryAfterSeconds: number },
  found?: number,
): LimitError {
  const what = refusal.kind === 'requests' ? 'requests' : 'destinations sent to';
  const message =
    found !== undefined && found > refusal.limit
      ? `This send has ${found} destinations, more than this key may send to in a minute (${refusal.limit}): split it.`
      : `This key has used its ${refusal.limit} ${what} per ${refusal.per}; retry in ${refusal.retryAfterSeconds} s.`;
  return new LimitError(
    LIMIT_CODE.rate,
    message,
    { limit: refusal.limit, per: refusal.per, counts: refusal.kind, retryAfterSeconds: refusal.retryAfterSeconds, ...(found !== undefined ? { found } : {}) },
    { 'retry-after': String(refusal.retryAfterSeconds) },
  );
}

/** Why a WebSocket is closed when its key already has its maximum of open sockets. */
export const TOO_MANY_CONNECTIONS_CLOSE = { code: 4429, reason: (limit: number) => `TOO_MANY_CONNECTIONS: this key already has ${limit} open WebSockets` } as const;
