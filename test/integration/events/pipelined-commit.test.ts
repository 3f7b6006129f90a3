import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { readEvents, readHead } from '../../../src/events/log.js';
import { logEvents, transact } from '../../../src/messaging/transact.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { waitFor } from '../helpers.js';

/**
 * `transact` logs a transaction's events in its last statement and sends the COMMIT in the same write
 * (src/db/commit-pipelining.ts). What a caller relies on: the work and its events commit together or not
 * at all, the error of a failed last statement is the one thrown, and the connection goes back to the
 * pool as an ordinary one (the pipelined mode is switched off again).
 */
describe('a transaction whose events are logged with its commit', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let accountId: string;

  beforeAll(async () => {
    app = await startTestApp();
    accountId = (await app.database.db.selectFrom('account').select('id').executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  const nameOf = async () => (await app.database.db.selectFrom('account').select('name').where('id', '=', accountId).executeTakeFirstOrThrow()).name;

  it('commits the work and its events together, and every pooled connection still answers ordinary queries', async () => {
    const db = app.database.db;
    const before = await readHead(db, accountId);
    // More transactions at once than the pool has connections, so every connection takes this path.
    const rounds = Array.from({ length: 40 }, (_, i) => i);
    await Promise.all(
      rounds.map((i) =>
        transact(db, app.services.bus, async (trx) => {
          await sql`update account set name = ${`pipelined ${i}`} where id = ${accountId}`.execute(trx);
          logEvents(trx, [{ accountId, draft: { kind: 'conversation', conversationId: `pipelined-${i}`, occurredAt: new Date() } }]);
        }),
      ),
    );
    const read = await readEvents(db, accountId, before.lastPosition, { limit: 1000 });
    expect(read.events.map((e) => (e.kind === 'conversation' ? e.conversationId : null)).sort()).toEqual(rounds.map((i) => `pipelined-${i}`).sort());
    // Positions still come in order without holes.
    expect(read.events.map((e) => e.position)).toEqual(rounds.map((i) => before.lastPosition + 1 + i));
    expect(await nameOf()).toMatch(/^pipelined \d+$/);
    // Ordinary statements and transactions on the same connections, many at once.
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => sql<{ n: number }>`select ${i}::int as n`.execute(db)));
    expect(answers.map((a) => a.rows[0]!.n)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    await db.transaction().execute(async (trx) => sql`select 1`.execute(trx));
  });

  it('rolls back the work when the last statement fails, throws that error, and leaves the connection usable', async () => {
    const db = app.database.db;
    const name = await nameOf();
    const head = await readHead(db, accountId);
    // A NUL in the events' JSON makes PostgreSQL refuse the statement that logs them.
    const failed = transact(db, app.services.bus, async (trx) => {
      await sql`update account set name = 'never committed' where id = ${accountId}`.execute(trx);
      logEvents(trx, [{ accountId, draft: { kind: 'conversation', conversationId: 'bad\u0000id', occurredAt: new Date() } }]);
    });
    await expect(failed).rejects.toThrow(/unicode|\\u0000|escape/i);
    expect(await nameOf()).toBe(name);
    expect(await readHead(db, accountId)).toEqual(head);
    // The next transactions (on whichever connection) work and log as usual.
    await transact(db, app.services.bus, async (trx) => {
      logEvents(trx, [{ accountId, draft: { kind: 'conversation', conversationId: 'after-failure', occurredAt: new Date() } }]);
    });
    expect((await readHead(db, accountId)).lastPosition).toBe(head.lastPosition + 1);
  });

  it('releases the account log lock at commit even while this process cannot run (the COMMIT went with the statement)', async () => {
    const db = app.database.db;
    // Another writer of the account, on its own thread and event loop: it takes the head row lock as
    // soon as told and says when it got it.
    const other = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const pg = require('pg');
       const client = new pg.Client({ connectionString: workerData.url });
       client.on('error', () => undefined);
       client.connect().then(() => parentPort.postMessage({ ready: true }));
       parentPort.on('message', async () => {
         const asked = Date.now();
         await client.query('update event_head set last_position = last_position where account_id = $1', [workerData.accountId]);
         parentPort.postMessage({ asked, got: Date.now() });
         await client.end();
       });`,
      { eval: true, workerData: { url: app.database.connectionString, accountId } },
    );
    try {
      const answers: Array<{ ready?: boolean; asked?: number; got?: number }> = [];
      other.on('message', (m: { ready?: boolean }) => answers.push(m));
      await new Promise<void>((resolve) => other.once('message', () => resolve()));
      const BLOCKED_MS = 1500;
      let blockedUntil = 0;
      await transact(db, app.services.bus, async (trx) => {
        logEvents(trx, [{ accountId, draft: { kind: 'conversation', conversationId: 'lock-holder', occurredAt: new Date() } }]);
        // Runs once the statements are written: this thread then stops for BLOCKED_MS, as a busy event loop would.
        setImmediate(() => {
          other.postMessage('go');
          blockedUntil = Date.now() + BLOCKED_MS;
          while (Date.now() < blockedUntil) {
            // busy: no I/O, no timers, no COMMIT could be sent from here
          }
        });
      });
      const result = await new Promise<{ asked: number; got: number }>((resolve) => {
        const done = answers.find((a) => a.got !== undefined);
        if (done) resolve(done as { asked: number; got: number });
        else other.once('message', (m: { asked: number; got: number }) => resolve(m));
      });
      // Sent apart, the COMMIT would leave only after the block, and the other writer would wait for it.
      expect(result.got, `the other writer asked at ${result.asked} and got the lock at ${result.got}; this thread was blocked until ${blockedUntil}`).toBeLessThan(blockedUntil);
    } finally {
      await other.terminate();
    }
  });

  it('commits nothing when its connection is lost while the statement and its COMMIT are both in flight, and the next transaction works', async () => {
    const db = app.database.db;
    const name = await nameOf();
    const head = await readHead(db, accountId);
    // Another session holds the account's log head, so the pipelined statement waits on the server with
    // its COMMIT queued behind it; that backend is then terminated.
    const holder = new pg.Client({ connectionString: app.database.connectionString });
    holder.on('error', () => undefined);
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from event_head where account_id = $1 for update', [accountId]);
      const lost = transact(db, app.services.bus, async (trx) => {
        await sql`update account set name = 'lost with its connection' where id = ${accountId}`.execute(trx);
        logEvents(trx, [{ accountId, draft: { kind: 'conversation', conversationId: 'lost', occurredAt: new Date() } }]);
      });
      lost.catch(() => undefined);
      // The one session blocked by the holder is the transaction's: it has sent its last statement.
      const blocked = await waitFor(
        async () => (await holder.query<{ pid: number }>('select pid from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid))')).rows,
        (rows) => rows.length === 1,
        10_000,
      );
      await holder.query('select pg_terminate_backend($1)', [blocked[0]!.pid]);
      await expect(lost).rejects.toThrow(/terminat|connection/i);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    expect(await nameOf()).toBe(name);
    expect(await readHead(db, accountId)).toEqual(head);
    // The pool replaced the lost connection; logging works as before.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        transact(db, app.services.bus, async (trx) => {
          logEvents(trx, [{ accountId, draft: { kind: 'conversation', conversationId: `after-loss-${i}`, occurredAt: new Date() } }]);
        }),
      ),
    );
    expect((await readHead(db, accountId)).lastPosition).toBe(head.lastPosition + 12);
  });

  it('refuses to log outside transact rather than lose the event', async () => {
    await expect(app.database.db.transaction().execute(async (trx) => logEvents(trx, []))).rejects.toThrow(/transact/);
  });
});
