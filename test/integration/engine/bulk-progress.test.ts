import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { EngineBulkProgress, EngineCreateScenario, EngineMessageStatusChanged, EngineSendMessage } from '../../documents/engine.js';
import type { EngineBulkProgressSubscription, EngineMessageStatusChangedSubscription } from '../../generated/graphql.js';
import { wsClient } from '../../support/graphql-client.js';
import { as, caller, phone, sleep, startEngineApp, stopEngineApp, TimedSubscription, type EngineApp } from './support.js';

type Progress = EngineBulkProgressSubscription['bulkProgress'];
const finalOf = (p: Progress) => p.counters.delivered + p.counters.undeliverable + p.counters.expired + p.counters.rejected;
const sumOf = (p: Progress) =>
  p.counters.accepted + p.counters.pending + p.counters.delivered + p.counters.undeliverable + p.counters.expired + p.counters.rejected;

describe('bulkProgress subscription over graphql-ws', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;
  const clients: Client[] = [];

  /** 20 destinations, every last digit twice: rejections, expiries, retries, undeliverables and plain deliveries. */
  const destinations = (base: number) => Array.from({ length: 20 }, (_, i) => ({ to: { phoneNumber: phone(base + i, i % 10) } }));

  const connect = async (): Promise<Client> => {
    const client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    clients.push(client);
    return client;
  };

  const send = async (bulkId: string, base: number) =>
    as(
      (
        await gql(EngineSendMessage, {
          input: { bulkId, destinations: destinations(base), viber: { text: { text: 'Progress' } }, sms: { text: 'Progress (SMS)' } },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );

  /** Every status change of the bulk's messages, as the API reports them one by one. */
  const watchChanges = async (client: Client, bulkId: string) => {
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const sub = new TimedSubscription<EngineMessageStatusChangedSubscription>(client, EngineMessageStatusChanged, { filter: { bulkId } });
    await connected;
    return sub;
  };

  /** Waits for the FINISHED event (or for the server to end the stream), then checks what every progress stream must show. */
  const expectProgressOf = async (
    sub: TimedSubscription<EngineBulkProgressSubscription>,
    changesSub: TimedSubscription<EngineMessageStatusChangedSubscription>,
    bulkId: string,
  ) => {
    const deadline = Date.now() + 30_000;
    while (sub.completedAt === null && sub.events.at(-1)?.data.bulkProgress.status !== 'FINISHED' && Date.now() < deadline) await sleep(50);
    const events = sub.events.map((e) => e.data.bulkProgress);
    const trace = JSON.stringify(events.map((p) => [p.status, finalOf(p), p.counters.total]));
    expect(sub.errors, trace).toEqual([]);
    expect(events.length, `the stream ${sub.completedAt === null ? 'is still open' : 'was completed by the server'} without any event`).toBeGreaterThan(0);
    expect(events.every((p) => p.bulkId === bulkId && p.counters.total === 20), trace).toBe(true);
    expect(events.every((p) => sumOf(p) === 20), trace).toBe(true);

    // Final counts only grow, and the stream shows progress on the way, not just the end.
    const finals = events.map(finalOf);
    for (let i = 1; i < finals.length; i += 1) expect(finals[i]!, trace).toBeGreaterThanOrEqual(finals[i - 1]!);
    expect(finals.some((n) => n > 0 && n < 20), trace).toBe(true);
    expect(events.slice(0, -1).every((p) => p.status !== 'FINISHED'), trace).toBe(true);

    // The last event is the finished bulk.
    const last = events.at(-1)!;
    expect(last.status, trace).toBe('FINISHED');
    expect(last.counters, trace).toEqual({ total: 20, accepted: 0, pending: 0, delivered: 18, undeliverable: 2, expired: 0, rejected: 0 });

    // Throttled: fewer events than status changes, and not more than a few a second.
    await sleep(500); // the last status events are published just after their commit
    const changes = changesSub.events.length;
    // At least each message's final status and each failed Viber attempt (6 fail over); a send's own
    // PENDING_ENROUTE may be overtaken by the delivery report and not show.
    expect(changes, trace).toBeGreaterThanOrEqual(26);
    expect(events.length, `${events.length} events for ${changes} status changes: ${trace}`).toBeLessThan(20);
    expect(events.length, trace).toBeLessThan(changes);
    const times = sub.events.map((e) => e.at);
    for (let i = 0; i + 5 < times.length; i += 1) {
      // Any 6 consecutive events span more than a second: at most ~5 a second.
      expect(times[i + 5]! - times[i]!, trace).toBeGreaterThan(1_000);
    }

    // After the FINISHED event the server completes the subscription (nothing else happens on the account now).
    await sub.completion(5_000);
    expect(sub.completedAt! - sub.events.at(-1)!.at, trace).toBeLessThan(2_000);
  };

  beforeAll(async () => {
    app = await startEngineApp();
    gql = caller(app);
    as(
      (
        await gql(EngineCreateScenario, {
          input: {
            name: 'Viber (2 s) then SMS',
            flow: [
              { channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 2, timeUnit: 'SECONDS' } },
              { channel: 'SMS', from: 'Omnishop' },
            ],
          },
        })
      ).createScenario,
      'CreateScenarioSuccess',
    );
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await stopEngineApp(app);
  });

  it('streams throttled progress of a bulk subscribed to before it was sent, ending with FINISHED', async () => {
    const client = await connect();
    const changes = await watchChanges(client, 'progress-bulk');
    const sub = new TimedSubscription(client, EngineBulkProgress, { bulkId: 'progress-bulk' });
    await sleep(300); // the server has the subscription before the bulk exists
    expect(sub.completedAt, 'the subscription ended before the bulk was sent').toBeNull();

    await send('progress-bulk', 0);
    try {
      await expectProgressOf(sub, changes, 'progress-bulk');
    } finally {
      sub.close();
      changes.close();
    }
  });

  it('streams the same for a bulk subscribed to right after it was sent', async () => {
    const client = await connect();
    const changes = await watchChanges(client, 'progress-bulk-2');
    await sleep(300);
    await send('progress-bulk-2', 100);
    const sub = new TimedSubscription(client, EngineBulkProgress, { bulkId: 'progress-bulk-2' });
    try {
      await expectProgressOf(sub, changes, 'progress-bulk-2');
    } finally {
      sub.close();
      changes.close();
    }
  });
});
