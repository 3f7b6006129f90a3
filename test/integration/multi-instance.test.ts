import { Redis } from 'ioredis';
import pg from 'pg';
import type { Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { channelOf } from '../../src/events/postgres-event-target.js';
import { OnMessageStatus, SendMessage } from '../documents/operations.js';
import type { OnMessageStatusSubscription } from '../generated/graphql.js';
import { startInstance, startTestApp, type TestApp } from '../support/app.js';
import { query, Subscription, wsClient } from '../support/graphql-client.js';
import { sleep, waitFor } from './helpers.js';

type StatusEvent = { messageStatusChanged: OnMessageStatusSubscription['messageStatusChanged'] };

/**
 * Watches the transport itself, so each test proves which one carried the events: a PostgreSQL LISTEN
 * on the channel instances NOTIFY on, or a Redis pattern subscription on the deployment's prefix.
 */
interface TransportProbe {
  seen(): number;
  close(): Promise<void>;
}

/** Listens where the service publishes one account's status changes: the channel of that topic. */
async function listenPostgres(databaseUrl: string, topic: string): Promise<TransportProbe> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const channel = channelOf(topic);
  let count = 0;
  client.on('notification', (n) => {
    if (n.channel === channel) count += 1;
  });
  await client.query(`listen ${channel}`);
  return { seen: () => count, close: () => client.end() };
}

async function listenRedis(redisUrl: string, prefix: string): Promise<TransportProbe> {
  const client = new Redis(redisUrl);
  let count = 0;
  client.on('pmessage', (_pattern, channel: string) => {
    if (channel.includes(prefix)) count += 1;
  });
  await client.psubscribe(`*${prefix}*`);
  return {
    seen: () => count,
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

// Redis is a case only when the run provides one (CI's second pass does); PostgreSQL always is.
const TRANSPORTS = [
  { name: 'PostgreSQL LISTEN/NOTIFY (no REDIS_URL)', redis: false },
  ...(process.env.REDIS_URL ? [{ name: 'Redis (REDIS_URL set)', redis: true }] : []),
];

describe.each(TRANSPORTS)('two instances on one database, events over $name', ({ redis }) => {
  const redisUrl = process.env.REDIS_URL;
  let a: (TestApp & { dropDatabase(): Promise<void> }) | null = null;
  let b: App | null = null;
  let client: Client | null = null;
  let probe: TransportProbe | null = null;

  afterEach(async () => {
    await client?.dispose();
    await probe?.close();
    await b?.stop();
    await a?.stop();
    await a?.dropDatabase();
  });

  it('a subscriber on instance B sees every status of a message sent over HTTP on instance A', async () => {
    // An empty REDIS_URL counts as unset, so the PostgreSQL case runs even when the run has Redis.
    const transport = redis ? { REDIS_URL: redisUrl! } : { REDIS_URL: '' };
    a = await startTestApp(transport);
    // B has no worker: every event it relays was produced in A's process (A dispatches, A's simulator reports).
    b = await startInstance(a.databaseUrl, { ...transport, WORKER_ENABLED: 'false' });
    expect(new URL(b.url).port).not.toBe(new URL(a.url).port);

    const prefix = new URL(a.databaseUrl).pathname.slice(1);
    const account = await a.database.db.selectFrom('account').select('id').executeTakeFirstOrThrow();
    probe = redis ? await listenRedis(redisUrl!, prefix) : await listenPostgres(a.databaseUrl, `events:${prefix}:${account.id}`);

    client = wsClient(b.graphqlUrl, { authorization: `App ${a.apiKey}` });
    const connected = new Promise<void>((resolve) => client!.on('connected', () => resolve()));
    const events = new Subscription(client, OnMessageStatus, { filter: { bulkId: 'cross-instance' } });
    await connected;
    await sleep(300); // let B register the subscription

    const messageId = 'cross-instance-1';
    const sent = await query(
      a.graphqlUrl,
      SendMessage,
      {
        input: {
          bulkId: 'cross-instance',
          from: 'Omnishop',
          destinations: [{ to: { phoneNumber: '41793026724' }, messageId }],
          viber: { text: { text: 'Hello from A' } },
        },
      },
      a.apiKey,
    );
    expect(sent.sendMessage.__typename).toBe('SendMessageSuccess');

    const seen = await events.until(
      (evs) => evs.some((e) => e.messageStatusChanged.message.status.groupName === 'DELIVERED'),
      15_000,
    );
    const statuses = seen.map((e: StatusEvent) => e.messageStatusChanged.message.status.name);
    expect(seen.every((e) => e.messageStatusChanged.message.messageId === messageId)).toBe(true);
    // PENDING_ENROUTE may be skipped: under load the delivery report can overtake the record of the send.
    expect(statuses.at(-1)).toBe('DELIVERED_TO_HANDSET');
    expect(seen.at(-1)!.messageStatusChanged.message).toMatchObject({ channel: 'VIBER', to: '+41793026724' });
    expect(seen.at(-1)!.messageStatusChanged.attempt).toMatchObject({ channel: 'VIBER', status: { groupName: 'DELIVERED' } });
    // ...and they travelled through the transport this case is about. The probe is a listener of its own,
    // told by its own backend, which may pass a notification on a moment after B's did.
    const probed = await waitFor(() => probe!.seen(), (n) => n >= seen.length, 5_000, 20).catch(() => probe!.seen());
    expect(probed).toBeGreaterThanOrEqual(seen.length);
    events.close();
  });
});
