/**
 * A lean Infobip fake for benchmarks, run as its own process (forked with IPC by bench/run.ts).
 *
 * - `POST /viber/2/messages` and `POST /sms/3/messages`: answers 200 at once with one PENDING_ACCEPTED
 *   entry per destination (the messageId we were given echoed back), as Infobip does.
 * - Right after answering, POSTs one delivery report per destination (DELIVERED_TO_HANDSET) to the
 *   destination's `webhooks.delivery.url` (else the configured default), with the configured
 *   `Authorization` header, over a keep-alive agent. Non-2xx answers are retried a few times.
 *   With `drBatch` > 1, reports to the same URL are gathered, as Infobip may do, into callbacks of up to
 *   `drBatch` results, each sent when full or `drBatchMs` after its first result.
 *
 * No validation beyond JSON.parse and the API key: the wire format is checked by test/fakes/infobip.ts in
 * the test suite; here the fake must not be the bottleneck. It only ever talks to loopback addresses.
 *
 * IPC (request `{ id, type, ... }` → reply `{ id, ok, value }`):
 *   config { apiKey, callbackAuthorization, defaultDeliveryUrl?, drSockets?, drBatch?, drBatchMs? }, stats, reset, close,
 *   marks (send and report-answered times of messages whose callbackData starts with `mark:`).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const PENDING_ACCEPTED = { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' };
const DELIVERED_TO_HANDSET = { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' };
const NO_ERROR = { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false };
const PRICE = { pricePerMessage: 0.01, currency: 'EUR' };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const DR_MAX_TRIES = 8;
const DR_RETRY_MS = 200;

interface Config {
  apiKey: string;
  callbackAuthorization: string;
  defaultDeliveryUrl: string | null;
  drSockets: number;
  drBatch: number;
  drBatchMs: number;
}

let config: Config = { apiKey: '', callbackAuthorization: '', defaultDeliveryUrl: null, drSockets: 32, drBatch: 1, drBatchMs: 5 };
let agent = new http.Agent({ keepAlive: true, maxSockets: config.drSockets });

function freshStats() {
  return {
    requests: 0,
    destinations: 0,
    badRequests: 0,
    /** Delivery-report results (one per message) posted, answered 2xx, given up on; callbacks = requests. */
    drPosted: 0,
    drCallbacks: 0,
    drOk: 0,
    drFailed: 0,
    drRetried: 0,
    drRefused: 0,
    inflight: 0,
    peakInflight: 0,
    /** ∫ inflight dt over the window, in request·ms. */
    inflightArea: 0,
    lastChange: performance.now(),
    firstRequestAt: null as number | null,
    lastResponseAt: null as number | null,
    lastDrOkAt: null as number | null,
    drInflight: 0,
    peakDrInflight: 0,
    /** TCP connections the client opened (a keep-alive client opens one per concurrent request at most). */
    connections: 0,
    openConnections: openSockets,
    peakOpenConnections: openSockets,
    cpuAtReset: process.cpuUsage(),
  };
}
let openSockets = 0;
let stats = freshStats();

function changeInflight(delta: number): void {
  const now = performance.now();
  stats.inflightArea += stats.inflight * (now - stats.lastChange);
  stats.lastChange = now;
  stats.inflight += delta;
  if (stats.inflight > stats.peakInflight) stats.peakInflight = stats.inflight;
}

const urlCache = new Map<string, URL | null>();
function loopbackUrl(raw: string): URL | null {
  let u = urlCache.get(raw);
  if (u === undefined) {
    try {
      const parsed = new URL(raw);
      u = parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname) ? parsed : null;
    } catch {
      u = null;
    }
    urlCache.set(raw, u);
  }
  return u;
}

/** Per-message timestamps (epoch ms, sub-ms) for sends whose callbackData starts with `mark:`. */
const marks = new Map<string, { sendAt: number; drOkAt?: number }>();
const MAX_MARKS = 10_000;
const nowMs = () => performance.timeOrigin + performance.now();

function postDr(url: URL, body: string, tries: number, results: number, marked: string[]): void {
  if (tries === 0) stats.drCallbacks += 1;
  stats.drInflight += 1;
  if (stats.drInflight > stats.peakDrInflight) stats.peakDrInflight = stats.drInflight;
  let settled = false;
  const done = (ok: boolean) => {
    if (settled) return;
    settled = true;
    stats.drInflight -= 1;
    if (ok) {
      stats.drOk += results;
      stats.lastDrOkAt = Date.now();
      for (const key of marked) {
        const m = marks.get(key);
        if (m) m.drOkAt = nowMs();
      }
    } else if (tries + 1 < DR_MAX_TRIES) {
      stats.drRetried += 1;
      setTimeout(() => postDr(url, body, tries + 1, results, marked), DR_RETRY_MS);
    } else {
      stats.drFailed += results;
    }
  };
  const req = http.request(
    {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: config.callbackAuthorization,
      },
    },
    (res) => {
      const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
      res.resume();
      res.on('end', () => done(ok));
      res.on('error', () => done(false));
    },
  );
  req.on('error', () => done(false));
  req.end(body);
}

interface Gathering {
  url: URL;
  results: Array<Record<string, unknown>>;
  marked: string[];
  timer: NodeJS.Timeout | null;
}
const gathering = new Map<string, Gathering>();

function flushDr(g: Gathering): void {
  if (g.timer) clearTimeout(g.timer);
  gathering.delete(g.url.href);
  postDr(g.url, JSON.stringify({ results: g.results }), 0, g.results.length, g.marked);
}

function queueDr(url: URL, result: Record<string, unknown>, mark: string | undefined): void {
  if (config.drBatch <= 1) {
    postDr(url, JSON.stringify({ results: [result] }), 0, 1, mark ? [mark] : []);
    return;
  }
  let g = gathering.get(url.href);
  if (!g) {
    g = { url, results: [], marked: [], timer: null };
    gathering.set(url.href, g);
  }
  g.results.push(result);
  if (mark) g.marked.push(mark);
  if (g.results.length >= config.drBatch) flushDr(g);
  else if (!g.timer) {
    const pending = g;
    g.timer = setTimeout(() => flushDr(pending), config.drBatchMs);
  }
}

interface Destination {
  to?: unknown;
  messageId?: unknown;
}
interface WireMessage {
  sender?: unknown;
  destinations?: unknown;
  webhooks?: { delivery?: { url?: unknown }; callbackData?: unknown };
}

let seq = 0;

const server = http.createServer((req, res) => {
  stats.requests += 1;
  if (stats.firstRequestAt === null) stats.firstRequestAt = Date.now();
  changeInflight(1);
  res.on('finish', () => {
    changeInflight(-1);
    stats.lastResponseAt = Date.now();
  });
  res.on('close', () => {
    if (!res.writableFinished) changeInflight(-1);
  });

  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const api = req.url === '/viber/2/messages' ? 'VIBER' : req.url === '/sms/3/messages' ? 'SMS' : null;
    if (req.method !== 'POST' || !api) {
      stats.badRequests += 1;
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"requestError":{"serviceException":{"messageId":"NOT_FOUND","text":"Requested URL not found."}}}');
      return;
    }
    if (req.headers.authorization !== `App ${config.apiKey}`) {
      stats.badRequests += 1;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}');
      return;
    }
    let body: { messages?: WireMessage[] };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages?: WireMessage[] };
    } catch {
      stats.badRequests += 1;
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request"}}}');
      return;
    }
    seq += 1;
    const bulkId = `BENCH-${process.pid}-${seq}`;
    const entries: Array<Record<string, unknown>> = [];
    const reports: Array<{ url: string | null; result: Record<string, unknown>; mark?: string }> = [];
    const now = new Date().toISOString().replace('Z', '+0000');
    for (const m of body.messages ?? []) {
      const deliveryUrl = typeof m.webhooks?.delivery?.url === 'string' ? m.webhooks.delivery.url : config.defaultDeliveryUrl;
      const callbackData = typeof m.webhooks?.callbackData === 'string' ? m.webhooks.callbackData : undefined;
      for (const d of (Array.isArray(m.destinations) ? m.destinations : []) as Destination[]) {
        stats.destinations += 1;
        const to = String(d.to ?? '');
        const messageId = typeof d.messageId === 'string' ? d.messageId : `${bulkId}-${entries.length}`;
        entries.push(api === 'VIBER' ? { messageId, status: PENDING_ACCEPTED, destination: to } : { to, messageId, status: PENDING_ACCEPTED });
        const mark = callbackData?.startsWith('mark:') && marks.size < MAX_MARKS ? callbackData : undefined;
        if (mark) marks.set(mark, { sendAt: nowMs() });
        reports.push({
          mark,
          url: deliveryUrl,
          result: {
            bulkId,
            messageId,
            to,
            sender: m.sender,
            sentAt: now,
            doneAt: now,
            messageCount: 1,
            mccMnc: '25501',
            ...(callbackData !== undefined ? { callbackData } : {}),
            price: PRICE,
            status: DELIVERED_TO_HANDSET,
            error: NO_ERROR,
            ...(api === 'VIBER' ? { channel: 'VIBER' } : {}),
          },
        });
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bulkId, messages: entries }));
    // The report leaves right after the answer, as soon as the event loop is free.
    setImmediate(() => {
      for (const r of reports) {
        const url = r.url ? loopbackUrl(r.url) : null;
        if (!url) {
          stats.drRefused += 1;
          continue;
        }
        stats.drPosted += 1;
        queueDr(url, r.result, r.mark);
      }
    });
  });
});
server.on('connection', (socket) => {
  openSockets += 1;
  stats.connections += 1;
  stats.openConnections = openSockets;
  if (openSockets > stats.peakOpenConnections) stats.peakOpenConnections = openSockets;
  socket.once('close', () => {
    openSockets -= 1;
    stats.openConnections = openSockets;
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

function snapshot() {
  const now = performance.now();
  const area = stats.inflightArea + stats.inflight * (now - stats.lastChange);
  const activeMs =
    stats.firstRequestAt !== null && stats.lastResponseAt !== null ? Math.max(1, stats.lastResponseAt - stats.firstRequestAt) : null;
  const cpu = process.cpuUsage(stats.cpuAtReset);
  const { cpuAtReset: _cpu, lastChange: _lc, inflightArea: _area, ...rest } = stats;
  return {
    ...rest,
    meanInflight: activeMs ? area / activeMs : 0,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string; [k: string]: unknown };
  const reply = (value: unknown) => process.send?.({ id: msg.id, ok: true, value });
  switch (msg.type) {
    case 'config': {
      const c = msg as unknown as Partial<Config>;
      config = {
        apiKey: c.apiKey ?? config.apiKey,
        callbackAuthorization: c.callbackAuthorization ?? config.callbackAuthorization,
        defaultDeliveryUrl: c.defaultDeliveryUrl ?? config.defaultDeliveryUrl,
        drSockets: c.drSockets ?? config.drSockets,
        drBatch: c.drBatch ?? config.drBatch,
        drBatchMs: c.drBatchMs ?? config.drBatchMs,
      };
      agent.destroy();
      agent = new http.Agent({ keepAlive: true, maxSockets: config.drSockets });
      reply(null);
      break;
    }
    case 'stats':
      reply(snapshot());
      break;
    case 'marks':
      reply(Object.fromEntries(marks));
      marks.clear();
      break;
    case 'reset':
      stats = freshStats();
      reply(null);
      break;
    case 'close':
      agent.destroy();
      server.closeAllConnections();
      server.close(() => {
        reply(null);
        process.disconnect?.();
      });
      break;
    default:
      process.send?.({ id: msg.id, ok: false, value: `unknown request ${msg.type}` });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ type: 'listening', url: `http://127.0.0.1:${port}` });
});
