import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/db/embedded.js';
import { OnMessageStatus } from '../../documents/operations.js';
import { createTestDatabase } from '../../support/database.js';
import { query, Subscription, wsClient } from '../../support/graphql-client.js';
import { spawnService } from '../child-service.js';
import type { StatusEvent } from './database-fault-scenario.js';
import { FaultsSendMessage, sleep, swissMobile, waitFor } from './support.js';

/** Starts a Redis server of this test's own (never the machine's: other suites use it) on `port`. */
async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  redis.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  await waitFor(() => out, (o) => /Ready to accept connections/.test(o) || redis.exitCode !== null, 10_000, 20);
  if (redis.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
  return redis;
}

async function stopRedis(redis: ChildProcess): Promise<void> {
  if (redis.exitCode !== null || redis.signalCode !== null) return;
  const exited = new Promise((r) => redis.once('exit', r));
  redis.kill('SIGKILL');
  await exited;
}

// The case needs a redis-server binary to run a Redis of its own; it is listed only where there is one.
const CASES = spawnSync('redis-server', ['--version']).status === 0 ? [{ name: 'a Redis of its own' }] : [];

/**
 * With REDIS_URL, live events ride on Redis pub/sub. Redis going away must not end the process (the event
 * target's SUBSCRIBE would otherwise reject unhandled once ioredis gave up on it), /readyz must say live
 * events are down meanwhile, and afterwards every subscription (opened before the outage, or during it)
 * must hear new events.
 */
describe.each(CASES)('Redis restarted under the service ($name)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    cleanup.length = 0;
  });

  it('stays up, says live events are down while Redis is away, and every subscription hears sends made after', async () => {
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    const port = await freePort();
    let redis = await startRedis(port);
    cleanup.push(() => stopRedis(redis));

    const service = await spawnService(database.url, { REDIS_URL: `redis://127.0.0.1:${port}` });
    cleanup.push(() => service.kill());
    const died = () => (service.child.exitCode !== null ? `the service exited (${service.child.exitCode}):\n${service.output().slice(-4000)}` : null);
    const apiKey = service.bootstrapKey!;
    const readyz = async () => {
      const gone = died();
      if (gone) throw new Error(gone);
      const res = await fetch(`${service.url}/readyz`);
      return { status: res.status, body: (await res.json()) as { status: string; reasons?: string[] } };
    };

    const ws = wsClient(service.graphqlUrl, { authorization: `App ${apiKey}` });
    cleanup.push(async () => void (await ws.dispose()));
    const before = new Subscription<StatusEvent>(ws, OnMessageStatus, { filter: { bulkId: 'after-outage' } });
    cleanup.push(async () => before.close());
    await sleep(300);

    await stopRedis(redis);
    const whileDown = await waitFor(readyz, (r) => r.status === 503, 5_000, 50);
    // A subscription opened while Redis is away: its SUBSCRIBE waits for Redis instead of failing.
    const during = new Subscription<StatusEvent>(ws, OnMessageStatus, { filter: { bulkId: 'after-outage' } });
    cleanup.push(async () => during.close());
    await sleep(2_000); // long enough for ioredis to give up on a command limited to a few retries
    expect(died(), 'while Redis is down').toBeNull();

    redis = await startRedis(port);
    await waitFor(readyz, (r) => r.status === 200, 10_000, 50);
    await sleep(300); // the subscriber re-subscribes right after it reconnects

    const sent = await query(
      service.graphqlUrl,
      FaultsSendMessage,
      { input: { bulkId: 'after-outage', from: 'Omnishop', destinations: [{ to: { phoneNumber: swissMobile(7004) } }], viber: { text: { text: 'After the outage' } } } },
      apiKey,
    );
    if (sent.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(JSON.stringify(sent.sendMessage));
    const messageId = sent.sendMessage.messages[0]!.messageId;
    // The simulator delivers numbers ending in 4.
    const delivered = (events: StatusEvent[]) =>
      events.some((e) => e.messageStatusChanged.message.messageId === messageId && e.messageStatusChanged.message.status.groupName === 'DELIVERED');
    await before.until(delivered, 10_000);
    await during.until(delivered, 10_000);
    expect(whileDown.body.reasons?.join('\n')).toMatch(/Redis event subscriber/);
    expect(died(), 'at the end').toBeNull();
  }, 60_000);
});
