import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { createKysely } from '../../../src/db/connect.js';
import type { Database } from '../../../src/db/schema.js';
import { FakeDecisionTelecom } from '../../fakes/decisiontelecom.js';
import { postJson as postToFake } from '../../fakes/fake-server.js';
import { FakeInfobip } from '../../fakes/infobip.js';
import { startInstance } from '../../support/app.js';
import { createTestDatabase, testPool } from '../../support/database.js';
import { query } from '../../support/graphql-client.js';
import { FaultsConfigureConnection, FaultsSendMessage, configureInfobip, deliveryUrl, digitsOf, swissMobile, waitFor, wireRequest } from './support.js';

/**
 * Crash recovery (src/jobs/leases.ts, src/messaging/in-doubt.ts), in process: the state a kill -9 leaves
 * behind is written into the database as a dead instance would have left it (a job locked by its pool,
 * attempts SENDING under its lease), then a live instance starts and must clear it within seconds,
 * without sending anything twice to a provider that cannot drop a repeat.
 */

/** Fast leases for these tests: a silent instance is dead after a second, looked for every 200 ms. */
const FAST_LEASES = { WORKER_LEASE_TTL_MS: '1000', WORKER_REAP_INTERVAL_MS: '200', WORKER_HEARTBEAT_MS: '200' };
/** The in-doubt delays, shortened the same way (defaults are 30 s). */
const FAST_IN_DOUBT = { IN_DOUBT_LOOKUP_DELAY_MS: '0', IN_DOUBT_LOOKUP_RETRY_MS: '500' };
const API_ONLY = { WORKER_ENABLED: 'false' };

interface Setup {
  url: string;
  db: Kysely<Database>;
  api: App;
  apiKey: string;
  drop(): Promise<void>;
}

const apps: App[] = [];
const setups: Setup[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
});
afterAll(async () => {
  for (const s of setups.splice(0)) await s.drop();
});

/** A fresh database with an API-only instance on it: it accepts, nothing dispatches. */
async function setup(): Promise<Setup> {
  const database = await createTestDatabase();
  const api = await startInstance(database.url, API_ONLY);
  apps.push(api);
  if (!api.bootstrapKey) throw new Error('a fresh database should bootstrap a key');
  const pool = testPool(database.url, 2);
  pool.on('error', () => undefined); // the database is dropped with force at the end
  const s: Setup = {
    url: database.url,
    db: createKysely(pool),
    api,
    apiKey: api.bootstrapKey,
    drop: async () => {
      await s.db.destroy();
      await database.drop();
    },
  };
  setups.push(s);
  return s;
}

async function send(s: Setup, to: string, messageId: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await query(
    s.api.graphqlUrl,
    FaultsSendMessage,
    { input: { from: 'Omnishop', destinations: [{ to: { phoneNumber: to }, messageId }], viber: { text: { text: 'Your parcel is on its way' } }, ...extra } },
    s.apiKey,
  );
  if (res.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(`send refused: ${JSON.stringify(res.sendMessage)}`);
}

async function attemptOf(s: Setup, messageId: string) {
  return s.db
    .selectFrom('attempt')
    .innerJoin('message', 'message.id', 'attempt.messageRef')
    .select(['attempt.id', 'attempt.attemptId', 'attempt.dispatchState', 'attempt.tries', 'attempt.claimedBy', 'attempt.status', 'message.statusGroup as messageStatus'])
    .where('message.messageId', '=', messageId)
    .orderBy('attempt.stepIndex', 'desc')
    .executeTakeFirstOrThrow();
}

/** What a worker killed mid-send leaves: the attempt claimed (SENDING) under its lease, never answered. */
async function claimAsDead(s: Setup, messageId: string, deadInstance: string): Promise<void> {
  const a = await attemptOf(s, messageId);
  await s.db
    .updateTable('attempt')
    .set({ dispatchState: 'SENDING', tries: 1, claimedBy: deadInstance, claimedAt: new Date(), sentAt: new Date() })
    .where('id', '=', a.id)
    .execute();
}

describe('jobs locked by a dead instance', () => {
  it('run again within seconds once its lease is stale, not after graphile-worker 4 hours', async () => {
    const s = await setup();
    await send(s, '+41793026724', 'lock-1');
    // The dispatch job, taken by a pool of an instance that then died (its heartbeat stops now).
    await sql`insert into worker_lease (instance_id, pool_ids, host, pid, ttl_ms) values ('dead-instance', '{pool-dead}', 'another-host', 1, 1000)`.execute(s.db);
    const locked = await sql`update graphile_worker._private_jobs set locked_by = 'pool-dead', locked_at = now()`.execute(s.db);
    expect(Number(locked.numAffectedRows)).toBeGreaterThan(0);

    const started = Date.now();
    apps.push(await startInstance(s.url, FAST_LEASES));
    await waitFor(() => attemptOf(s, 'lock-1'), (a) => a.messageStatus === 'DELIVERED', 10_000, 100);
    const tookMs = Date.now() - started;
    console.info(`[recovery] a dead instance's locked dispatch job ran ${tookMs} ms after a live instance started (lease TTL 1 s)`);
    expect(tookMs).toBeLessThan(10_000);
    expect(await s.db.selectFrom('workerLease').select('instanceId').where('instanceId', '=', 'dead-instance').execute()).toEqual([]);
  }, 30_000);

  it('are freed too when held by a pool no lease names (a worker that died before registering)', async () => {
    const s = await setup();
    await send(s, '+41793026724', 'lock-2');
    await sql`update graphile_worker._private_jobs set locked_by = 'pool-never-registered', locked_at = now() - interval '10 seconds'`.execute(s.db);

    apps.push(await startInstance(s.url, FAST_LEASES));
    await waitFor(() => attemptOf(s, 'lock-2'), (a) => a.messageStatus === 'DELIVERED', 10_000, 100);
    const stillLocked = await sql<{ n: string }>`select count(*) as n from graphile_worker._private_jobs where locked_by = 'pool-never-registered'`.execute(s.db);
    expect(Number(stillLocked.rows[0]!.n)).toBe(0);
  }, 30_000);
});

describe('attempts in doubt', () => {
  it("resend (the simulator keeps no record): claimed by a dead instance, it is sent again and delivered", async () => {
    const s = await setup();
    await send(s, '+41793026724', 'doubt-resend');
    await claimAsDead(s, 'doubt-resend', 'dead-instance');

    apps.push(await startInstance(s.url, { ...FAST_LEASES, ...FAST_IN_DOUBT }));
    const a = await waitFor(() => attemptOf(s, 'doubt-resend'), (x) => x.messageStatus === 'DELIVERED', 10_000, 100);
    expect(a.tries).toBe(2); // claimed by the dead instance, then once more here
  }, 30_000);

  it('ask (Infobip): one its logs name is taken as sent and never resent; one they do not name is sent once; no answer means ask again', async () => {
    const fake = new FakeInfobip({ apiKey: 'recovery-infobip-key' });
    await fake.start();
    try {
      const s = await setup();
      const connection = await configureInfobip(s.api.graphqlUrl, s.apiKey, fake);
      const [reached, lost] = [swissMobile(101), swissMobile(102)];
      await send(s, reached, 'doubt-reached');
      await send(s, lost, 'doubt-lost');
      const reachedAttempt = await attemptOf(s, 'doubt-reached');
      const lostAttempt = await attemptOf(s, 'doubt-lost');
      // The dead instance got `reached` onto the wire before it died (Infobip has it); `lost` never left.
      const wire = await postToFake(
        `${fake.baseUrl}/viber/2/messages`,
        { messages: [{ sender: 'Omnishop', destinations: [{ to: digitsOf(reached), messageId: reachedAttempt.attemptId }], content: { type: 'TEXT', text: 'Your parcel is on its way' } }] },
        { Authorization: `App ${fake.apiKey}` },
      );
      expect(wire.status).toBe(200);
      await claimAsDead(s, 'doubt-reached', 'dead-instance');
      await claimAsDead(s, 'doubt-lost', 'dead-instance');
      fake.logsFailWith = 503;

      apps.push(await startInstance(s.url, { ...FAST_LEASES, ...FAST_IN_DOUBT }));
      const logQueries = () => fake.requests.filter((r) => r.method === 'GET' && r.path === '/viber/2/logs');
      await waitFor(logQueries, (q) => q.length >= 1, 10_000, 50);
      // Infobip could not be asked: nothing is sent meanwhile, and both stay in doubt.
      const posts = (id: string) => fake.requests.filter((r) => r.method === 'POST' && JSON.stringify(r.body).includes(id)).length;
      expect(posts(lostAttempt.attemptId)).toBe(0);
      expect((await attemptOf(s, 'doubt-lost')).dispatchState).toBe('SENDING');
      fake.logsFailWith = null;

      await waitFor(() => attemptOf(s, 'doubt-reached'), (a) => a.dispatchState === 'SENT', 10_000, 100);
      await waitFor(() => posts(lostAttempt.attemptId), (n) => n >= 1, 10_000, 50);
      expect(logQueries().length).toBeGreaterThanOrEqual(2);
      // Reports for both, as Infobip would send them: both end DELIVERED.
      for (const sent of fake.sent) {
        const res = await fake.deliver(sent, { url: deliveryUrl(s.api.url, connection.id) }, { headers: { Authorization: connection.callbackAuthorization } });
        expect(res.status).toBe(200);
      }
      await waitFor(() => attemptOf(s, 'doubt-lost'), (a) => a.messageStatus === 'DELIVERED', 10_000, 100);
      await waitFor(() => attemptOf(s, 'doubt-reached'), (a) => a.messageStatus === 'DELIVERED', 10_000, 100);

      expect(posts(reachedAttempt.attemptId)).toBe(1); // the dead instance's, never again
      expect(posts(lostAttempt.attemptId)).toBe(1); // sent once, by the live instance
      expect((await attemptOf(s, 'doubt-reached')).tries).toBe(1);
      expect((await attemptOf(s, 'doubt-lost')).tries).toBe(2);
    } finally {
      await fake.stop();
    }
  }, 60_000);

  it('settle (DecisionTelecom can neither drop a repeat nor be asked without its own id): treated as sent, never sent again', async () => {
    const dt = new FakeDecisionTelecom({ apiKey: 'recovery-dt-key' });
    await dt.start();
    try {
      const s = await setup();
      const configured = await query(
        s.api.graphqlUrl,
        FaultsConfigureConnection,
        { input: { name: 'Fake DT', type: 'DECISIONTELECOM', baseUrl: dt.baseUrl, credentials: { apiKey: dt.apiKey }, channels: ['VIBER'] } },
        s.apiKey,
      );
      expect(configured.configureProviderConnection.__typename).toBe('ConfigureProviderConnectionSuccess');
      await send(s, '+380636111001', 'doubt-settle');
      await claimAsDead(s, 'doubt-settle', 'dead-instance');

      apps.push(await startInstance(s.url, { ...FAST_LEASES, ...FAST_IN_DOUBT }));
      const a = await waitFor(() => attemptOf(s, 'doubt-settle'), (x) => x.dispatchState === 'SENT', 10_000, 100);
      expect(a.status).toMatchObject({ name: 'PENDING_ENROUTE' });
      expect(a.tries).toBe(1);
      // A while later, still nothing went to DecisionTelecom: the send the dead instance may have made stands.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(dt.requests.filter((r) => r.method === 'POST' && r.path.includes('send'))).toEqual([]);
    } finally {
      await dt.stop();
    }
  }, 60_000);
});

describe('a send whose answer is lost', () => {
  it('is in doubt, not retried: Infobip is asked, has it, and it is followed to DELIVERED with one request only', async () => {
    const fake = new FakeInfobip({ apiKey: 'recovery-infobip-key-2' });
    await fake.start();
    try {
      const s = await setup();
      const connection = await configureInfobip(s.api.graphqlUrl, s.apiKey, fake);
      const to = swissMobile(201);
      // Infobip takes the message, and the answer never arrives (the connection drops, as after a timeout).
      fake.scriptOnce(digitsOf(to), { dropAfterMs: 100 });
      apps.push(await startInstance(s.url, { ...FAST_LEASES, ...FAST_IN_DOUBT, RETRY_BASE_MS: '50' }));
      await send(s, to, 'lost-answer');

      const a = await waitFor(() => attemptOf(s, 'lost-answer'), (x) => x.dispatchState === 'SENT', 10_000, 50);
      expect(a.status).toMatchObject({ name: 'PENDING_ENROUTE' });
      // Far longer than any retry backoff would wait: still one request on the wire.
      await new Promise((r) => setTimeout(r, 1_500));
      const requests = fake.requests.map(wireRequest).filter((w) => w.to.includes(digitsOf(to)));
      expect(requests).toHaveLength(1);
      expect(fake.requests.some((r) => r.method === 'GET' && r.path === '/viber/2/logs')).toBe(true);
      const res = await fake.deliver(fake.sent[0]!, {}, { headers: { Authorization: connection.callbackAuthorization } });
      expect(res.status).toBe(200);
      const done = await waitFor(() => attemptOf(s, 'lost-answer'), (x) => x.messageStatus === 'DELIVERED', 10_000, 50);
      expect(done.tries).toBe(1);
    } finally {
      await fake.stop();
    }
  }, 60_000);
});

describe('a claim whose lease lapsed before sending', () => {
  it('is given back and sent once by the job retry, not left in doubt until Infobip can be asked', async () => {
    const fake = new FakeInfobip({ apiKey: 'recovery-infobip-key-3' });
    await fake.start();
    const s = await setup();
    const locker = new pg.Client({ connectionString: s.url });
    try {
      await configureInfobip(s.api.graphqlUrl, s.apiKey, fake);
      // The in-doubt delays stay at their defaults (30 s): an attempt left in doubt would not be sent in this test.
      apps.push(await startInstance(s.url, FAST_LEASES));
      // Heartbeats cannot reach the lease table (as when the database stalls for the lease's connections
      // alone): after the TTL this instance may no longer send under its lease.
      await locker.connect();
      await locker.query('begin');
      await locker.query('lock table worker_lease in access exclusive mode');
      await new Promise((r) => setTimeout(r, 1_500));

      const to = swissMobile(301);
      await send(s, to, 'lapsed-lease');
      const lapsed = () =>
        sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs where last_error like '%lapsed before sending%'`.execute(s.db);
      await waitFor(lapsed, (r) => r.rows[0]!.n >= 1, 10_000, 50);
      const givenBack = await attemptOf(s, 'lapsed-lease');
      expect(givenBack).toMatchObject({ dispatchState: 'QUEUED', tries: 0, claimedBy: null });
      expect(fake.requests.map(wireRequest).filter((w) => w.to.includes(digitsOf(to)))).toHaveLength(0);

      await locker.query('commit');
      const sent = await waitFor(() => attemptOf(s, 'lapsed-lease'), (a) => a.dispatchState === 'SENT', 15_000, 50);
      expect(sent.tries).toBe(1);
      expect(fake.requests.map(wireRequest).filter((w) => w.to.includes(digitsOf(to)))).toHaveLength(1);
      expect(fake.requests.some((r) => r.method === 'GET' && r.path === '/viber/2/logs')).toBe(false);
    } finally {
      await locker.end().catch(() => undefined);
      await fake.stop();
    }
  }, 60_000);
});
