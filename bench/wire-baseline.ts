/**
 * The wire baseline for the dispatch and latency figures, run as its own process (forked with IPC).
 *
 * It does what the service does on the wire and nothing else: POSTs Infobip Viber send requests (one
 * destination each, as the adapter does) to the fake at a given concurrency, and receives each delivery
 * report on a node:http server of its own (as the service's webhook route does), answering 200. A message
 * is done when its report has arrived. No database, no GraphQL, no job queue. The client is either plain
 * node:http with a keep-alive agent (`http`), as the service's adapters post (src/providers/http-client.ts),
 * or global fetch with AbortSignal.timeout (`fetch`), as they posted before, for comparison.
 *
 * IPC: throughput { client, fakeUrl, apiKey, count, concurrency } → { elapsedMs, perSecond, ... }
 *      latency { client, fakeUrl, apiKey, count, warmup } → { samplesMs: number[] }
 *      close
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const waiters = new Map<string, () => void>();
let reportsReceived = 0;

const sink = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { results?: Array<{ messageId?: string }> };
      for (const r of body.results ?? []) {
        reportsReceived += 1;
        const id = r.messageId ?? '';
        const w = waiters.get(id);
        if (w) {
          waiters.delete(id);
          w();
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } catch {
      res.writeHead(400).end();
    }
  });
});
sink.keepAliveTimeout = 65_000;

let sinkUrl = '';

function requestBody(messageId: string, i: number): string {
  return JSON.stringify({
    messages: [
      {
        sender: 'BenchSender',
        destinations: [{ to: `38067${String(2_000_000 + (i % 7_000_000)).padStart(7, '0')}`, messageId }],
        content: { type: 'TEXT', text: 'Benchmark message: your code is 123456.' },
        options: { label: 'TRANSACTIONAL', validityPeriod: { amount: 24, timeUnit: 'HOURS' } },
        webhooks: { delivery: { url: `${sinkUrl}/delivery` } },
      },
    ],
  });
}

export type Client = 'http' | 'fetch';

let agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** node:http with a keep-alive agent: the plain HTTP a client can do. */
function postHttp(fakeUrl: string, apiKey: string, body: string): Promise<void> {
  const url = new URL(`${fakeUrl}/viber/2/messages`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          Authorization: `App ${apiKey}`,
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (res.statusCode !== 200) reject(new Error(`fake answered HTTP ${res.statusCode}`));
          else resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Global fetch with a per-request AbortSignal.timeout, as the adapters posted before node:http agents. */
async function postFetch(fakeUrl: string, apiKey: string, body: string): Promise<void> {
  const res = await fetch(`${fakeUrl}/viber/2/messages`, {
    method: 'POST',
    headers: { Authorization: `App ${apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  JSON.parse(await res.text());
  if (res.status !== 200) throw new Error(`fake answered HTTP ${res.status}`);
}

/** One send: POST, read the answer, then wait for the report. Resolves with the time from POST to report. */
async function sendOne(client: Client, fakeUrl: string, apiKey: string, i: number): Promise<number> {
  const messageId = randomUUID();
  const reported = new Promise<void>((resolve) => waiters.set(messageId, resolve));
  const t0 = performance.now();
  await (client === 'fetch' ? postFetch : postHttp)(fakeUrl, apiKey, requestBody(messageId, i));
  await reported;
  return performance.now() - t0;
}

async function throughput(client: Client, fakeUrl: string, apiKey: string, count: number, concurrency: number) {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(1, concurrency) });
  // Warm the JIT and the connections first, as the service is warm when measured.
  await Promise.all(Array.from({ length: Math.min(concurrency, 200) }, (_, i) => sendOne(client, fakeUrl, apiKey, i)));
  const cpu0 = process.cpuUsage();
  let next = 0;
  const t0 = performance.now();
  const workers = Array.from({ length: Math.max(1, concurrency) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await sendOne(client, fakeUrl, apiKey, i);
    }
  });
  await Promise.all(workers);
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { client, count, concurrency, elapsedMs, perSecond: (count / elapsedMs) * 1000, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

async function latency(client: Client, fakeUrl: string, apiKey: string, count: number, warmup: number) {
  const samplesMs: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const ms = await sendOne(client, fakeUrl, apiKey, i);
    if (i >= warmup) samplesMs.push(ms);
  }
  return { samplesMs };
}

process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string; client?: Client; fakeUrl?: string; apiKey?: string; count?: number; concurrency?: number; warmup?: number };
  const client: Client = msg.client ?? 'http';
  const ok = (value: unknown) => process.send?.({ id: msg.id, ok: true, value });
  const fail = (err: unknown) => process.send?.({ id: msg.id, ok: false, value: err instanceof Error ? err.message : String(err) });
  switch (msg.type) {
    case 'throughput':
      throughput(client, msg.fakeUrl ?? '', msg.apiKey ?? '', msg.count ?? 0, msg.concurrency ?? 1).then(ok, fail);
      break;
    case 'latency':
      latency(client, msg.fakeUrl ?? '', msg.apiKey ?? '', msg.count ?? 0, msg.warmup ?? 0).then(ok, fail);
      break;
    case 'close':
      sink.closeAllConnections();
      sink.close(() => {
        ok({ reportsReceived });
        process.disconnect?.();
      });
      break;
    default:
      fail(`unknown request ${msg.type}`);
  }
});
process.on('disconnect', () => process.exit(0));

sink.listen(0, '127.0.0.1', () => {
  const address = sink.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  sinkUrl = `http://127.0.0.1:${port}`;
  process.send?.({ type: 'listening', url: sinkUrl });
});
