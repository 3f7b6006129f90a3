import type { Config } from '../config.js';

/** What browsers may do: call from other origins, introspect the schema, open GraphiQL. */
export interface BrowserAccess {
  /** Origins allowed to call the API from a browser (`*`: any, never with credentials); empty: same-origin only. */
  corsOrigins: readonly string[];
  introspection: boolean;
  graphiql: boolean;
}

/** Introspection and GraphiQL default to on in development and off with NODE_ENV=production. */
export function browserAccessFrom(config: Config): BrowserAccess {
  const production = config.NODE_ENV === 'production';
  return {
    corsOrigins: config.CORS_ORIGINS,
    introspection: config.INTROSPECTION_ENABLED ?? !production,
    graphiql: config.GRAPHIQL_ENABLED ?? !production,
  };
}

/** Headers a browser may read on a cross-origin answer (the rate limit's delay). */
const EXPOSED = ['retry-after'];

/**
 * The CORS answer for a request's Origin: for a listed origin, that origin (never another) with
 * credentials; for `*`, any origin without credentials; otherwise no CORS headers at all, so the browser
 * keeps the answer from the calling page (same-origin pages need none).
 */
export function corsPolicy(origins: readonly string[]) {
  const listed = new Set(origins.filter((o) => o !== '*'));
  const anyOrigin = origins.includes('*');
  const decide = (origin: string | null): { origin: string; credentials: boolean } | null => {
    if (!origin) return null;
    if (listed.has(origin)) return { origin, credentials: true };
    if (anyOrigin) return { origin, credentials: false };
    return null;
  };
  return {
    /** yoga's `cors` option for this request: false sends no CORS headers. */
    yogaOptions(origin: string | null) {
      const decision = decide(origin);
      if (!decision) return false as const;
      return {
        // One origin: yoga answers with exactly it (with Vary: Origin set below by the list of one).
        origin: [decision.origin],
        credentials: decision.credentials,
        methods: ['GET', 'POST', 'OPTIONS'],
        exposedHeaders: EXPOSED,
        maxAge: 600,
      };
    },
    /** The same headers for answers written before yoga (401, 413, 429 from the gate). */
    refusalHeaders(origin: string | null): Record<string, string> {
      const decision = decide(origin);
      if (!decision) return {};
      return {
        'access-control-allow-origin': decision.origin,
        vary: 'Origin',
        'access-control-expose-headers': EXPOSED.join(', '),
        ...(decision.credentials ? { 'access-control-allow-credentials': 'true' } : {}),
      };
    },
  };
}
