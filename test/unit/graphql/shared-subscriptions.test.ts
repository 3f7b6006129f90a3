import type { AddressInfo } from 'node:net';
import { parse, type ExecutionResult } from 'graphql';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { schema } from '../../../src/graphql/schema.js';
import { FELL_BEHIND_CLOSE_CODE, SharedSubscriptions } from '../../../src/graphql/shared-subscriptions.js';
import { createLogger } from '../../../src/logger.js';
import { SubscriptionMetrics } from '../../../src/observability/subscription-metrics.js';

/** A stream of results the test pushes, standing in for envelop's subscribe (an upstream, not our code). */
class Upstream implements AsyncIterableIterator<ExecutionResult> {
  private queue: ExecutionResult[] = [];
  private waiting: ((r: IteratorResult<ExecutionResult>) => void) | null = null;
  returned = false;
  push(result: ExecutionResult): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ done: false, value: result });
    } else this.queue.push(result);
  }
  async next(): Promise<IteratorResult<ExecutionResult>> {
    const queued = this.queue.shift();
    if (queued) return { done: false, value: queued };
    if (this.returned) return { done: true, value: undefined };
    return new Promise((resolve) => (this.waiting = resolve));
  }
  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.returned = true;
    this.waiting?.({ done: true, value: undefined });
    return { done: true, value: undefined };
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

const args = { schema, document: parse('subscription { messageStatusChanged { occurredAt } }'), variableValues: {} };
const who = { accountId: 'acc-1', scopes: ['READ'] };

describe('the fan-out of a shared subscription to its sockets', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A real ws server; resolves the server-side socket of each client that connects. */
  async function sockets(count: number) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const pairs: Array<{ server: WebSocket; client: WebSocket }> = [];
    for (let i = 0; i < count; i++) {
      const serverSide = new Promise<WebSocket>((r) => wss.once('connection', (s) => r(s)));
      const client = new WebSocket(url);
      cleanups.push(() => client.terminate());
      await new Promise<void>((r) => client.once('open', () => r()));
      pairs.push({ server: await serverSide, client });
    }
    return pairs;
  }

  function start() {
    const registry = new Registry();
    const shared = new SharedSubscriptions({ metrics: new SubscriptionMetrics(registry), logger: createLogger('silent'), maxBufferedBytes: 256 * 1024 });
    const dropped = async () => (await registry.getSingleMetric('omnigate_subscribers_dropped_total')!.get()).values.reduce((a, v) => a + v.value, 0);
    return { shared, dropped };
  }

  it('writes graphql-ws next frames with each subscriber\'s id around one serialisation', async () => {
    const [a, b] = await sockets(2);
    const { shared } = start();
    const upstream = new Upstream();
    let subscribes = 0;
    const run = () => {
      subscribes += 1;
      return upstream;
    };
    await shared.subscribe(args, { ...who, socket: a!.server, subscriptionId: 'first' }, run);
    await shared.subscribe(args, { ...who, socket: b!.server, subscriptionId: 'sec"ond' }, run);
    expect(subscribes).toBe(1);
    const frames = [a!, b!].map(({ client }) => new Promise<unknown>((r) => client.once('message', (d) => r(JSON.parse(String(d))))));
    upstream.push({ data: { messageStatusChanged: { occurredAt: '2026-12-01T00:00:00.000Z' } } });
    const payload = { data: { messageStatusChanged: { occurredAt: '2026-12-01T00:00:00.000Z' } } };
    expect(await Promise.all(frames)).toEqual([
      { id: 'first', type: 'next', payload },
      { id: 'sec"ond', type: 'next', payload },
    ]);
  });

  it('closes a socket that stops reading once too much is queued for it; the others get every event', async () => {
    const [slow, fast] = await sockets(2);
    const { shared, dropped } = start();
    const upstream = new Upstream();
    const slowMember = (await shared.subscribe(args, { ...who, socket: slow!.server, subscriptionId: 's' }, () => upstream)) as AsyncIterator<unknown>;
    await shared.subscribe(args, { ...who, socket: fast!.server, subscriptionId: 'f' }, () => upstream);
    // The slow client reads nothing from now on: its bytes pile up in the kernel, then in ws.
    (slow!.client as unknown as { _socket: { pause(): void } })._socket.pause();
    let got = 0;
    fast!.client.on('message', () => (got += 1));

    // A reader that keeps up gets each event before the next is published; the slow one reads nothing.
    const big = 'x'.repeat(64 * 1024);
    const EVENTS = 200; // 12.8 MB: more than loopback's socket buffers hold
    for (let i = 0; i < EVENTS; i++) {
      upstream.push({ data: { messageStatusChanged: { occurredAt: big } } });
      await expect.poll(() => got, { timeout: 5_000, interval: 1 }).toBe(i + 1);
    }
    await expect.poll(() => slow!.server.readyState, { timeout: 5_000 }).not.toBe(WebSocket.OPEN);
    expect(await dropped()).toBe(1);
    // graphql-ws ends the subscription when the socket closes; the stream goes on for the others.
    await slowMember.return!();
    expect(upstream.returned).toBe(false);
    upstream.push({ data: { messageStatusChanged: { occurredAt: 'after' } } });
    await expect.poll(() => got, { timeout: 5_000 }).toBe(EVENTS + 1);
    expect(FELL_BEHIND_CLOSE_CODE).toBe(1013);
  }, 30_000);

  it('ends the upstream when the last member leaves, and completes members when the upstream ends', async () => {
    const [a, b, c] = await sockets(3);
    const { shared } = start();
    const first = new Upstream();
    const m1 = (await shared.subscribe(args, { ...who, socket: a!.server, subscriptionId: '1' }, () => first)) as AsyncIterator<unknown>;
    const m2 = (await shared.subscribe(args, { ...who, socket: b!.server, subscriptionId: '2' }, () => first)) as AsyncIterator<unknown>;
    await m1.return!();
    expect(first.returned).toBe(false);
    await m2.return!();
    await expect.poll(() => first.returned).toBe(true);
    expect(shared.size).toBe(0);

    const second = new Upstream();
    const m3 = (await shared.subscribe(args, { ...who, socket: c!.server, subscriptionId: '3' }, () => second)) as AsyncIterator<unknown>;
    const pending = m3.next();
    await second.return(); // the stream ends by itself (e.g. the bus closed)
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(shared.size).toBe(0);
  });
});
