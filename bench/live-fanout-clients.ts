/**
 * The subscribers of `npm run bench:fanout` (see bench/README.md), in a process of their own: thousands of
 * graphql-ws clients, on the service or on the bare baseline server, each noting when an event reaches
 * it. `sample` is the payload of the first `next` seen (what the baseline then broadcasts). Driven over IPC by bench/live-fanout.ts; loopback only.
 */
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes on one machine. */
const now = () => performance.timeOrigin + performance.now();

let receipts: number[] = [];
let sample: string | null = null;
let wake: (() => void) | null = null;
const graphqlClients: Client[] = [];

function received(): void {
  receipts.push(now());
  if (wake) wake();
}

/** Connects in waves of `concurrency`, so the servers see a steady stream of connects, not a SYN flood. */
async function inWaves(count: number, concurrency: number, open: (i: number) => Promise<void>): Promise<number> {
  let failed = 0;
  for (let start = 0; start < count; start += concurrency) {
    const wave = Array.from({ length: Math.min(concurrency, count - start) }, (_, k) => open(start + k).catch(() => void (failed += 1)));
    await Promise.all(wave);
  }
  return failed;
}

async function connectGraphql(body: { url: string; apiKey: string; count: number; concurrency: number; query: string; variables: Record<string, unknown> }) {
  const started = now();
  const failed = await inWaves(body.count, body.concurrency, (i) => {
    const client = createClient({
      url: body.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `App ${body.apiKey}` },
      lazy: true,
      retryAttempts: 0,
    });
    graphqlClients.push(client);
    return new Promise<void>((resolve, reject) => {
      client.on('connected', () => resolve());
      client.on('closed', () => reject(new Error(`client ${i} closed`)));
      client.on('message', (message) => {
        if (message.type === 'next' && sample === null) sample = JSON.stringify(message.payload);
      });
      client.subscribe(
        { query: body.query, variables: body.variables },
        { next: () => received(), error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))), complete: () => undefined },
      );
    });
  });
  return { connected: body.count - failed, failed, ms: now() - started };
}

/** Waits until `expected` receipts arrived (or the timeout), then hands them over and starts afresh. */
async function collect(body: { expected: number; timeoutMs: number }) {
  const deadline = now() + body.timeoutMs;
  while (receipts.length < body.expected && now() < deadline) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, deadline - now()));
      wake = () => {
        if (receipts.length >= body.expected) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    wake = null;
  }
  const out = { receipts, sample };
  receipts = [];
  return out;
}

async function closeAll() {
  await Promise.all(graphqlClients.splice(0).map((c) => c.dispose()));
  return { closed: true };
}

const handlers: Record<string, (body: never) => Promise<unknown>> = {
  'connect-graphql': connectGraphql,
  reset: async () => {
    receipts = [];
    return { reset: true };
  },
  collect,
  'disconnect-all': closeAll,
  close: async () => {
    await closeAll();
    setImmediate(() => process.exit(0));
    return { closed: true };
  },
};

process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string } & Record<string, unknown>;
  const handler = handlers[msg.type];
  if (!handler) {
    process.send!({ id: msg.id, ok: false, value: `unknown request ${msg.type}` });
    return;
  }
  handler(msg as never).then(
    (value) => process.send!({ id: msg.id, ok: true, value }),
    (err: unknown) => process.send!({ id: msg.id, ok: false, value: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready', pid: process.pid });
