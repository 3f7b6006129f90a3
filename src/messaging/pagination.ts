import { ValidationError } from './errors.js';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  /** Lists are read forwards only; `last` is still held to the same page-size ceiling. */
  last?: number | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  cursorOf(item: T): string;
}

export const DEFAULT_PAGE_SIZE = 20;
/** The services' own ceiling, whoever calls them; GraphQL may be held lower by MAX_PAGE_SIZE (src/config.ts). */
export const MAX_PAGE_SIZE = 1000;
const MAX_BIGINT = 2n ** 63n - 1n;

function checkPageSize(name: 'first' | 'last', value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw ValidationError.single([name], `must be between 1 and ${MAX_PAGE_SIZE}`);
  }
}

/**
 * Keyset pagination over a bigserial id, newest first. Cursors are opaque to clients but carry the kind
 * of list they came from, so a scenario cursor cannot be replayed against messages.
 */
export function encodeCursor(kind: string, id: string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64url');
}

export function decodePageArgs(kind: string, args: PageArgs): { limit: number; beforeId: string | null } {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  checkPageSize('first', first);
  if (args.last !== undefined && args.last !== null) checkPageSize('last', args.last);
  if (!args.after) return { limit: first, beforeId: null };
  const decoded = Buffer.from(args.after, 'base64url').toString();
  const [cursorKind, id] = decoded.split(':');
  // Ids are bigserial: a larger number cannot be one of ours (and PostgreSQL would refuse it as a bigint).
  if (cursorKind !== kind || !id || !/^\d{1,19}$/.test(id) || BigInt(id) > MAX_BIGINT) throw ValidationError.single(['after'], 'is not a cursor of this list');
  return { limit: first, beforeId: id };
}

/** Turns `limit + 1` fetched rows into a page. */
export function toPage<T extends { id: string }>(kind: string, rows: T[], limit: number): Page<T> {
  return {
    items: rows.slice(0, limit),
    hasNextPage: rows.length > limit,
    cursorOf: (item) => encodeCursor(kind, item.id),
  };
}
