/**
 * Shared plumbing for the fake provider servers: a loopback `node:http` server that records every
 * request byte-for-byte, plus JSON helpers that keep integers beyond 2^53 exact in both directions.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import JSONbig from 'json-bigint';

// Provider ids (Viber message_token, DecisionTelecom tokens) exceed Number.MAX_SAFE_INTEGER; a plain
// JSON.parse would silently round them, so recorded bodies keep them as decimal strings instead.
const bigJson = JSONbig({ storeAsString: true });

export interface RecordedRequest {
  /** Date.now() when the body had been read completely. */
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed with json-bigint (`storeAsString`): integers beyond 2^53 arrive as decimal strings. `undefined` when empty or not JSON. */
  body: unknown;
  /** Set when the body was non-empty but not valid JSON. */
  parseError?: string;
}

/** One problem a fake found in a client request; a well-behaved client produces none. */
export interface Violation {
  at: number;
  /** Index into `requests` of the offending request. */
  requestIndex: number;
  method: string;
  path: string;
  /** Dotted/indexed path of the field, e.g. `messages[0].destinations[0].to`; `(request)` for whole-request problems. */
  field: string;
  problem: string;
}

export interface FieldProblem {
  field: string;
  problem: string;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the response this long first; `Infinity` never answers (the socket is destroyed on stop()). */
  delayMs?: number;
  /** Close the connection instead of answering (after `delayMs`): the client's answer is lost. */
  drop?: boolean;
}

/** Serialises like JSON.stringify, except `bigint` values are written as bare integer literals. */
export function toRawJson(value: unknown): string {
  const out = serialize(value);
  if (out === undefined) throw new TypeError('value is not JSON-serialisable');
  return out;
}

function serialize(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (value === null) return 'null';
  if (typeof value === 'undefined' || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value !== 'object') return JSON.stringify(value);
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return serialize(withToJson.toJSON());
  if (Array.isArray(value)) return `[${value.map((v) => serialize(v) ?? 'null').join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const s = serialize(v);
    if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
  }
  return `{${parts.join(',')}}`;
}

/** Parses JSON keeping integers beyond 2^53 as decimal strings (json-bigint `storeAsString`). */
export function parseJsonExact(raw: string): unknown {
  return bigJson.parse(raw);
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): FakeReply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: toRawJson(value) };
}

export interface PostResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Body parsed with parseJsonExact, or undefined when not JSON. */
  json: unknown;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * POSTs a callback the way a provider would. A string body is sent byte-for-byte (needed for bare big
 * integers and for signature tests); anything else goes through toRawJson.
 */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): Promise<PostResult> {
  // Fakes stand in for remote providers; refusing non-loopback targets keeps a mis-wired test from
  // calling out to the internet.
  if (!isLoopbackUrl(url)) throw new Error(`postJson refuses non-loopback URL ${url}`);
  const raw = typeof body === 'string' ? body : toRawJson(body);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : parseJsonExact(text);
  } catch {
    json = undefined;
  }
  const outHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    outHeaders[k] = v;
  });
  return { status: res.status, headers: outHeaders, text, json };
}

interface Waiter {
  n: number;
  filter: ((r: RecordedRequest) => boolean) | undefined;
  resolve: (rs: RecordedRequest[]) => void;
}

export abstract class FakeServer {
  readonly requests: RecordedRequest[] = [];
  readonly violations: Violation[] = [];
  private server: Server | undefined;
  private port: number | undefined;
  private waiters: Waiter[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private pendingReplies = new Set<() => void>();

  /** Produce the reply for a recorded request; validation problems go through `violate`. */
  protected abstract handle(req: RecordedRequest, index: number): FakeReply | Promise<FakeReply>;

  get baseUrl(): string {
    if (this.port === undefined) throw new Error('fake server not started');
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      void this.onRequest(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const release of this.pendingReplies) release();
    this.pendingReplies.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive sockets from fetch and deliberately hung requests would otherwise hold close() open.
      server.closeAllConnections();
    });
  }

  /** Forget recorded requests and violations (scripts are kept; subclasses add their own reset). */
  clearRecords(): void {
    this.requests.length = 0;
    this.violations.length = 0;
  }

  /** Resolves with the matching requests once at least `n` have arrived; rejects after `timeoutMs`. */
  waitForRequests(
    n: number,
    timeoutMs = 5_000,
    filter?: (r: RecordedRequest) => boolean,
  ): Promise<RecordedRequest[]> {
    const matching = () => (filter ? this.requests.filter(filter) : [...this.requests]);
    const now = matching();
    if (now.length >= n) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        n,
        filter,
        resolve: (rs) => {
          clearTimeout(timer);
          resolve(rs);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const got = matching();
        reject(
          new Error(
            `waitForRequests: expected ${n} request(s) within ${timeoutMs} ms, got ${got.length}: ` +
              got.map((r) => `${r.method} ${r.path}`).join(', '),
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Throws with every recorded violation listed; handy as an afterEach guard. */
  assertNoViolations(): void {
    if (this.violations.length === 0) return;
    const lines = this.violations.map((v) => `  #${v.requestIndex} ${v.method} ${v.path} ${v.field}: ${v.problem}`);
    throw new Error(`${this.constructor.name} saw ${this.violations.length} violation(s):\n${lines.join('\n')}`);
  }

  protected violate(index: number, problems: FieldProblem[]): void {
    const req = this.requests[index];
    for (const p of problems) {
      this.violations.push({
        at: Date.now(),
        requestIndex: index,
        method: req?.method ?? '',
        path: req?.path ?? '',
        field: p.field,
        problem: p.problem,
      });
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(key);
      query[key] = all.length === 1 ? (all[0] as string) : all;
    }
    let body: unknown;
    let parseError: string | undefined;
    if (rawBody.trim() !== '') {
      try {
        body = parseJsonExact(rawBody);
      } catch (e) {
        parseError = e instanceof Error ? e.message : String((e as { message?: unknown })?.message ?? e);
      }
    }
    const recorded: RecordedRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      headers: req.headers,
      rawBody,
      body,
      ...(parseError !== undefined ? { parseError } : {}),
    };
    const index = this.requests.push(recorded) - 1;
    this.notifyWaiters();

    let reply: FakeReply;
    try {
      reply = await this.handle(recorded, index);
    } catch (e) {
      reply = { status: 500, headers: { 'content-type': 'text/plain' }, body: `fake server error: ${String(e)}` };
    }
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      const proceed = await this.delay(reply.delayMs, res);
      if (!proceed) return;
    }
    if (res.destroyed || res.writableEnded) return;
    if (reply.drop) {
      res.socket?.destroy();
      return;
    }
    const payload = reply.body ?? '';
    res.writeHead(reply.status, { 'content-length': String(Buffer.byteLength(payload)), ...reply.headers });
    res.end(payload);
  }

  /** Resolves true when the delay elapsed, false when the client went away or the server stopped. */
  private delay(ms: number, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (ok: boolean) => {
        if (timer) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
        this.pendingReplies.delete(release);
        res.off('close', onClose);
        resolve(ok);
      };
      const release = () => finish(false);
      const onClose = () => finish(false);
      res.on('close', onClose);
      this.pendingReplies.add(release);
      if (Number.isFinite(ms)) {
        timer = setTimeout(() => finish(true), ms);
        this.timers.add(timer);
      }
    });
  }

  private notifyWaiters(): void {
    for (const w of [...this.waiters]) {
      const got = w.filter ? this.requests.filter(w.filter) : [...this.requests];
      if (got.length >= w.n) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(got);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Small validation helpers shared by the fakes.

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Absent for validation purposes: official SDKs send `null` for unset optional fields. */
export function isAbsent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

export function isHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Characters as a user sees them (code points), which is how the providers state their limits. */
export function charLength(s: string): number {
  return [...s].length;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
