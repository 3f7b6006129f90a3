import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { withDatabase } from '../../../src/db/connect.js';
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from '../../../src/db/embedded.js';
import { createLogger } from '../../../src/logger.js';
import { runDatabaseFaultScenario } from './database-fault-scenario.js';
import { sleep, waitFor } from './support.js';

/** How long PostgreSQL stays down: long enough for every connection to fail and reconnects to back off. */
const DOWN_MS = 3_000;

/**
 * A real PostgreSQL restart under the running service. The server is this test's own embedded
 * PostgreSQL (never the machine's: other suites run on it), stopped and started again on the same port
 * and data directory. While it is down /readyz must say so; afterwards everything carries on.
 */
describe('PostgreSQL restarted under the service mid-dispatch', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    cleanup.length = 0;
  });

  it('stays up, says it is not ready while the database is away, then loses and doubles nothing and keeps live events', async () => {
    const logger = createLogger('warn');
    // When run as root, PostgreSQL runs as its own user, which must be able to reach the directory.
    const dir = mkdtempSync(join(tmpdir(), 'omnigate-restart-pg-'));
    chmodSync(dir, 0o755);
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dataDir = join(dir, 'data');
    const port = await freePort();
    let server: EmbeddedServer | null = await startEmbeddedPostgres(dataDir, port, logger);
    cleanup.push(async () => void (await server?.stop()));

    const admin = new pg.Client({ connectionString: server.serverUrl });
    await admin.connect();
    await admin.query('create database omnigate_restart');
    await admin.end();
    const databaseUrl = withDatabase(server.serverUrl, 'omnigate_restart');

    const notReadyWhileDown: string[] = [];
    const result = await runDatabaseFaultScenario(
      {
        databaseUrl,
        destinations: 600,
        redisUrl: null,
        settleMs: 40_000,
        fault: async ({ readyz }) => {
          await server!.stop();
          server = null;
          const downAt = Date.now();
          // While the database is away the service says why it is not ready (and does not hang the probe).
          const probe = await waitFor(
            () => readyz(),
            (r) => r.status === 503 && (r.body?.reasons ?? []).some((reason) => /database/.test(reason)),
            DOWN_MS,
            100,
          );
          notReadyWhileDown.push(...(probe.body?.reasons ?? []));
          await sleep(Math.max(0, DOWN_MS - (Date.now() - downAt)));
          server = await startEmbeddedPostgres(dataDir, port, logger);
        },
      },
      cleanup,
    );

    expect(notReadyWhileDown.join('\n')).toMatch(/database/);
    console.info(
      `[restart] down ${DOWN_MS} ms; /readyz while down: ${JSON.stringify(notReadyWhileDown)}; ready again ${result.readyAgainMs} ms ` +
        `after the restart; service error lines: ${result.errorLines.length}`,
    );
  }, 60_000);
});
