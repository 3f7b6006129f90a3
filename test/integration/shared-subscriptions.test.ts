import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateApiKey } from '../documents/api-keys.js';
import { EngineBulkProgress } from '../documents/engine.js';
import { OnMessageStatus, SendMessage } from '../documents/operations.js';
import type { OnMessageStatusSubscription } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { query, Subscription, wsClient } from '../support/graphql-client.js';
import { phone } from './engine/support.js';
import { waitFor } from './helpers.js';
import { scrape, valueOf } from './observability/support.js';

type StatusEvent = { messageStatusChanged: OnMessageStatusSubscription['messageStatusChanged'] };

const EXECUTIONS = 'omnigate_subscription_executions_total';
const GROUPS = 'omnigate_shared_subscription_groups';
const MEMBERS = 'omnigate_shared_subscription_subscribers';
/** Counted by the event bus itself: one per stream listening on a topic, whoever runs it. */
const BUS_LISTENERS = 'omnigate_live_subscribers';

const delivered = (events: StatusEvent[]) => events.some((e) => e.messageStatusChanged.message.status.groupName === 'DELIVERED');

describe('identical subscriptions share one execution per event', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let readKey: string;
  let otherAccountKey: string;
  const clients: Client[] = [];
  let n = 0;

  beforeAll(async () => {
    app = await startTestApp();
    const created = await query(app.graphqlUrl, CreateApiKey, { name: 'reader', scopes: ['READ'] }, app.apiKey);
    if (created.createApiKey.__typename !== 'CreateApiKeySuccess') throw new Error('no key');
    readKey = created.createApiKey.secret;
    otherAccountKey = (await app.services.accounts.createApiKey('other-account')).apiKey;
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await app?.stop();
    await app?.dropDatabase();
  });

  /** One WebSocket per subscriber, as 10,000 consoles would have. */
  function subscriber(key: string, to: string | null): Subscription<StatusEvent> {
    const client = wsClient(app.graphqlUrl, { authorization: `App ${key}` });
    clients.push(client);
    return new Subscription(client, OnMessageStatus, to === null ? {} : { filter: { to } });
  }

  async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return valueOf((await scrape(app)).samples, name, labels);
  }

  async function until(name: string, value: number, labels: Record<string, string> = {}): Promise<void> {
    await waitFor(() => metric(name, labels), (v) => v === value, 10_000, 25);
  }

  /** A message the simulator delivers (numbers from phone(…, 4)); each test uses numbers of its own. */
  async function send(to: string): Promise<void> {
    const result = await query(app.graphqlUrl, SendMessage, { input: { from: 'Omnishop', destinations: [{ to: { phoneNumber: to } }], viber: { text: { text: 'hi' } } } }, app.apiKey);
    if (result.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(JSON.stringify(result.sendMessage));
  }

  it('five subscribers of one document and variables get identical results from one execution per event', async () => {
    const to = phone(++n, 4);
    const subs = Array.from({ length: 5 }, () => subscriber(app.apiKey, to));
    await until(MEMBERS, 5);
    expect(await metric(GROUPS)).toBe(1);
    expect(await metric(BUS_LISTENERS, { topic: 'message-status' })).toBe(1);
    const before = await metric(EXECUTIONS);

    await send(to);
    const received = await Promise.all(subs.map((s) => s.until(delivered)));

    const first = received[0]!;
    expect(first.length).toBeGreaterThanOrEqual(2); // at least accepted/sent and delivered
    for (const events of received) expect(events).toEqual(first);
    expect((await metric(EXECUTIONS)) - before).toBe(first.length);

    for (const s of subs) s.close();
    await until(GROUPS, 0);
    await until(MEMBERS, 0);
    await until(BUS_LISTENERS, 0, { topic: 'message-status' });
  });

  it('different variables, scopes or accounts are not shared: each sees only its own events', async () => {
    const a = phone(++n, 4);
    const b = phone(++n, 4);
    const adminA = subscriber(app.apiKey, a);
    const adminA2 = subscriber(app.apiKey, a);
    const adminB = subscriber(app.apiKey, b);
    const readerA = subscriber(readKey, a);
    const strangerA = subscriber(otherAccountKey, a);
    const strangerAll = subscriber(otherAccountKey, null);
    // Two with one key, then one group each: other variables, other scopes, another account (twice).
    await until(MEMBERS, 6);
    expect(await metric(GROUPS)).toBe(5);
    expect(await metric(BUS_LISTENERS, { topic: 'message-status' })).toBe(5);
    const before = await metric(EXECUTIONS);

    await send(a);
    await send(b);
    const [eventsA, eventsA2, eventsB, eventsReaderA] = await Promise.all([adminA, adminA2, adminB, readerA].map((s) => s.until(delivered)));
    const numbers = (events: StatusEvent[]) => [...new Set(events.map((e) => e.messageStatusChanged.message.to))];
    expect(numbers(eventsA!)).toEqual([`+${a}`]);
    expect(numbers(eventsB!)).toEqual([`+${b}`]);
    expect(eventsA2).toEqual(eventsA);
    expect(eventsReaderA).toEqual(eventsA);
    // The other account's subscribers heard nothing of this account's messages.
    expect(strangerA.events).toEqual([]);
    expect(strangerAll.events).toEqual([]);
    // adminA and adminA2 share; readerA runs its own; the other account's never run (nothing for them).
    expect((await metric(EXECUTIONS)) - before).toBe(eventsA!.length * 2 + eventsB!.length);

    for (const s of [adminA, adminA2, adminB, readerA, strangerA, strangerAll]) s.close();
    await until(GROUPS, 0);
  });

  it('one subscriber leaving does not end the others; the last one out ends the shared stream', async () => {
    const to = phone(++n, 4);
    const [leaver, stayer1, stayer2] = [subscriber(app.apiKey, to), subscriber(app.apiKey, to), subscriber(app.apiKey, to)];
    await until(MEMBERS, 3);
    leaver.close();
    await until(MEMBERS, 2);
    expect(await metric(GROUPS)).toBe(1);

    await send(to);
    const [e1, e2] = await Promise.all([stayer1.until(delivered), stayer2.until(delivered)]);
    expect(e2).toEqual(e1);
    expect(leaver.events).toEqual([]);
    expect(stayer1.completed).toBe(false);

    stayer1.close();
    await until(MEMBERS, 1);
    expect(await metric(BUS_LISTENERS, { topic: 'message-status' })).toBe(1);
    stayer2.close();
    await until(GROUPS, 0);
    await until(BUS_LISTENERS, 0, { topic: 'message-status' });
    // A new subscriber after that starts a stream of its own, and it works.
    const late = subscriber(app.apiKey, null);
    await until(MEMBERS, 1);
    const next = phone(++n, 4);
    await send(next);
    const events = await late.until(delivered);
    expect(events.every((e) => e.messageStatusChanged.message.to === `+${next}`)).toBe(true);
    late.close();
    await until(GROUPS, 0);
  });

  it('a subscriber whose socket closes leaves its group; the others keep receiving', async () => {
    const to = phone(++n, 4);
    const goneClient = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    const gone = new Subscription<StatusEvent>(goneClient, OnMessageStatus, { filter: { to } });
    const stays = subscriber(app.apiKey, to);
    await until(MEMBERS, 2);
    await goneClient.dispose();
    await until(MEMBERS, 1);
    await send(to);
    await stays.until(delivered);
    expect(gone.events).toEqual([]);
    stays.close();
    await until(GROUPS, 0);
  });

  it('bulkProgress (which answers the current state first) is never shared', async () => {
    const client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    clients.push(client);
    const subs = [new Subscription(client, EngineBulkProgress, { bulkId: 'not-yet' }), new Subscription(client, EngineBulkProgress, { bulkId: 'not-yet' })];
    await until(BUS_LISTENERS, 2, { topic: 'message-status' });
    expect(await metric(GROUPS)).toBe(0);
    expect(await metric(MEMBERS)).toBe(0);
    // Not waited for: bulkProgress on a bulk that never appears ends only when it next answers (its own matter).
    for (const s of subs) s.close();
  });
});
