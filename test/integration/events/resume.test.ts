import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { startInstance, startTestApp, type TestApp } from '../../support/app.js';
import { sleep, waitFor } from '../helpers.js';
import {
  bulkSettled,
  Follower,
  positionOf,
  randomBetween,
  receivedStatusSequences,
  sendMixedBulk,
  storedPositions,
  storedStatusSequences,
} from './support.js';

const MESSAGES = 1_000;

type Started = TestApp & { dropDatabase(): Promise<void> };

/** Cuts happen once the follower has received these many events: three random moments of the bulk. */
function cutPoints(): number[] {
  return [randomBetween(100, 600), randomBetween(700, 1300), randomBetween(1400, 2000)];
}

/**
 * What the acceptance asks: after all cuts and resumes, the follower holds every stored status event of
 * the bulk exactly once, in the stored order per message, and every seen report too; positions only grow.
 */
async function expectEverythingOnce(app: TestApp, follower: Follower, bulkId: string): Promise<void> {
  const db = app.database.db;
  await waitFor(() => bulkSettled(db, bulkId), Boolean, 120_000, 250);
  await sleep(1_000); // seen reports trail their delivery reports
  const expected = await storedPositions(db, bulkId);
  await waitFor(() => follower.received.length, (n) => n >= expected.length, 30_000, 100).catch(() => undefined);
  expect(follower.errors).toEqual([]);
  const account = await db.selectFrom('account').select('id').executeTakeFirstOrThrow();
  const positions = follower.received.map((e) => positionOf(account.id, e.cursor));
  expect(positions).toEqual(expected);
  const stored = await storedStatusSequences(db, bulkId);
  expect(stored.size).toBe(MESSAGES);
  expect(receivedStatusSequences(follower.received)).toEqual(stored);
}

describe('resuming messageStatusChanged after the socket was cut', () => {
  let app: Started | null = null;
  let follower: Follower | null = null;

  afterEach(async () => {
    await follower?.close();
    await app?.stop();
    await app?.dropDatabase();
    app = null;
  });

  it('a follower cut three times during a 1,000-message bulk ends with every stored status event exactly once, in order', { timeout: 180_000 }, async () => {
    app = await startTestApp();
    const bulkId = 'resume-single';
    follower = new Follower(app.apiKey, { bulkId });
    await follower.follow(app.graphqlUrl);
    await sleep(300); // the server has registered the subscription

    await sendMixedBulk(app.graphqlUrl, app.apiKey, bulkId, MESSAGES);
    for (const at of cutPoints()) {
      await waitFor(() => follower!.received.length, (n) => n >= at, 60_000, 5);
      follower.cut();
      // Offline for a moment: whatever is published meanwhile is not delivered live.
      await sleep(randomBetween(50, 700));
      await follower.follow(app.graphqlUrl);
    }
    await expectEverythingOnce(app, follower, bulkId);
  });
});

const TRANSPORTS = [
  { name: 'PostgreSQL LISTEN/NOTIFY', env: { REDIS_URL: '' } },
  ...(process.env.REDIS_URL ? [{ name: 'Redis', env: { REDIS_URL: process.env.REDIS_URL } }] : []),
];

describe.each(TRANSPORTS)('resuming on another instance, events over $name', ({ env }) => {
  let a: Started | null = null;
  let b: App | null = null;
  let follower: Follower | null = null;

  afterEach(async () => {
    await follower?.close();
    await b?.stop();
    await a?.stop();
    await a?.dropDatabase();
    a = null;
    b = null;
  });

  it('moves to a second instance, then to that instance restarted, then back, and misses nothing', { timeout: 180_000 }, async () => {
    a = await startTestApp(env);
    // B has no worker: every event it delivers live was produced by A and crossed the transport.
    b = await startInstance(a.databaseUrl, { ...env, WORKER_ENABLED: 'false' });
    const bulkId = 'resume-moving';
    follower = new Follower(a.apiKey, { bulkId });
    await follower.follow(a.graphqlUrl);
    await sleep(300);

    await sendMixedBulk(a.graphqlUrl, a.apiKey, bulkId, MESSAGES);
    const [first, second, third] = cutPoints();

    await waitFor(() => follower!.received.length, (n) => n >= first!, 60_000, 5);
    follower.cut();
    await sleep(randomBetween(50, 700));
    await follower.follow(b.graphqlUrl);

    // The instance it is on goes away (its socket with it) and comes back on a new port.
    await waitFor(() => follower!.received.length, (n) => n >= second!, 60_000, 5);
    follower.cut();
    await b.stop();
    b = await startInstance(a.databaseUrl, { ...env, WORKER_ENABLED: 'false' });
    await follower.follow(b.graphqlUrl);

    await waitFor(() => follower!.received.length, (n) => n >= third!, 60_000, 5);
    follower.cut();
    await sleep(randomBetween(50, 700));
    await follower.follow(a.graphqlUrl);

    await expectEverythingOnce(a, follower, bulkId);
  });
});
