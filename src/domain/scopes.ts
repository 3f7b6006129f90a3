/**
 * What an API key may do. A key holds one or more scopes; each root field of the API needs one
 * (the table is src/graphql/scopes.ts).
 *
 * - `read`: delivery reports, bulks, inbound messages, events, scenarios.
 * - `send`: send (one message or a bulk) and manage bulks (pause, resume, reschedule, cancel).
 * - `console`: a support console: everything `read` allows, plus `sendMessage` to a single destination
 *   (a reply to one person; never a campaign).
 * - `admin`: keys, provider connections, scenarios and account settings; admin implies every scope.
 */
export const SCOPES = ['read', 'send', 'console', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Which scopes each scope carries besides itself. */
const IMPLIES: Record<Scope, readonly Scope[]> = {
  read: [],
  send: [],
  console: ['read'],
  admin: ['read', 'send', 'console'],
};

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Every scope a key holding `granted` has, implied ones included. */
export function effectiveScopes(granted: readonly Scope[]): Set<Scope> {
  const all = new Set<Scope>();
  for (const scope of granted) {
    all.add(scope);
    for (const implied of IMPLIES[scope]) all.add(implied);
  }
  return all;
}

/** True when a key holding `granted` may do what needs `needed`. */
export function grants(granted: readonly Scope[], needed: Scope): boolean {
  return effectiveScopes(granted).has(needed);
}

/** Stored scopes are trusted but old rows may name a scope that no longer exists: those grant nothing. */
export function scopesFromStorage(stored: readonly string[]): Scope[] {
  return stored.filter(isScope);
}
