import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** A part of the service that can say why it is not ready, or null while it is. */
export type ReadinessCheck = () => string | null | Promise<string | null>;

/**
 * What /readyz reports: every reason the service cannot do its whole job right now. A database that does
 * not answer, live events that cannot be delivered (the event transport is reconnecting), a job worker
 * lane being restarted. Each reason says what and since when, for the operator.
 */
export function readiness(checks: ReadinessCheck[]): () => Promise<string[]> {
  return async () => {
    const results = await Promise.all(checks.map(async (check) => check()));
    return results.filter((r): r is string => r !== null);
  };
}

/** The database answers a trivial query within `timeoutMs`. */
export function databaseCheck(db: Kysely<Database>, timeoutMs = 2_000): ReadinessCheck {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`database did not answer within ${timeoutMs} ms`), timeoutMs)));
    try {
      return await Promise.race([sql`select 1`.execute(db).then(() => null), timeout]);
    } catch (err) {
      return `database unreachable (${err instanceof Error ? err.message : String(err)})`;
    } finally {
      clearTimeout(timer);
    }
  };
}
