import { inject } from 'vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../support/database.js';
import { killRedisClients, runDatabaseFaultScenario, terminateBackends } from './database-fault-scenario.js';
import { sleep } from './support.js';

/** Rounds of pg_terminate_backend, this far apart: the first finds sends on the wire, later ones the retries. */
const ROUNDS = 6;
const ROUND_GAP_MS = 250;

// Redis is a case only when the run provides one; PostgreSQL LISTEN/NOTIFY always is.
const TRANSPORTS = [
  { name: 'PostgreSQL LISTEN/NOTIFY', redisUrl: null },
  ...(process.env.REDIS_URL ? [{ name: 'Redis', redisUrl: process.env.REDIS_URL }] : []),
];

/**
 * The operator's finding: terminating the service's PostgreSQL backends mid-dispatch ended the process
 * (graphile-worker's job bookkeeping rejected unhandled) or, when it survived, silenced live events for
 * good while /readyz said 200.
 */
describe.each(TRANSPORTS)('every database backend of the service terminated mid-dispatch (events over $name)', ({ redisUrl }) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    cleanup.length = 0;
  });

  it('stays up, loses and doubles nothing, and a subscription opened before hears sends made after', async () => {
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    const { serverUrl } = inject('postgres');
    const killed: number[] = [];
    let redisKilled = 0;

    const result = await runDatabaseFaultScenario(
      {
        databaseUrl: database.url,
        destinations: 1_000,
        redisUrl,
        settleMs: 40_000,
        fault: async () => {
          for (let round = 0; round < ROUNDS; round++) {
            killed.push(await terminateBackends(serverUrl, database.name));
            // With Redis, its connections go too: the subscriber must come back and subscribe again.
            if (redisUrl && round === 0) redisKilled = await killRedisClients(redisUrl, database.name);
            await sleep(ROUND_GAP_MS);
          }
        },
      },
      cleanup,
    );

    // The first round found the service's connections (pool, worker, event listener); later rounds found
    // the ones it had opened again since (a round may fall before any were).
    expect(killed[0], 'connections killed by the first round').toBeGreaterThan(5);
    expect(killed.slice(1).reduce((a, b) => a + b, 0), `connections killed per round: ${killed.join(', ')}`).toBeGreaterThan(0);
    if (redisUrl) expect(redisKilled, 'Redis connections killed (publisher, subscriber)').toBe(2);
    console.info(
      `[terminate] killed per round ${killed.join(', ')}${redisUrl ? ` and ${redisKilled} Redis connections` : ''}; ready again ${result.readyAgainMs} ms after the last round; ` +
        `service error lines: ${result.errorLines.length}`,
    );
  }, 60_000);
});
