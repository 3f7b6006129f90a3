/**
 * An Infobip-wire fake for the crash trials: lean enough for 10,000-destination bulks (the full wire
 * checks live in test/fakes/infobip.ts), and it keeps the figures the trials judge.
 *
 * - `POST /viber/2/messages`, `POST /sms/3/messages`: answers 200 at once, one entry per destination
 *   (our messageId echoed). Viber destinations ending in 0 are "not registered" (the flow fails over to
 *   SMS); every other message is accepted and reported DELIVERED_TO_HANDSET to its `webhooks.delivery.url`
 *   right after the answer, up to 100 results per callback.
 * - A callback that fails (connection refused, non-2xx) is retried every `retryEveryMs` for up to
 *   `retryForMs`, like a provider's webhook sender; after that its reports are lost and counted.
 * - Every messageId received is counted per channel: one received twice is a duplicate send.
 * - `GET /sms/3/logs`, `GET /viber/2/logs` answer by `messageId`, as Infobip's message logs do.
 *
 * It listens and posts on loopback only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const PENDING_ACCEPTED = { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' };
const NOT_REGISTERED = { groupId: 5, groupName: 'REJECTED', id: 18, name: 'REJECTED_DESTINATION_NOT_REGISTERED', description: 'Destination not registered' };
const DELIVERED = { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' };
const NO_ERROR = { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false };
const REPORTS_PER_CALLBACK = 100;

export interface WireFakeOptions {
  apiKey: string;
  retryEveryMs: number;
  retryForMs: number;
}

interface Received {
  channel: 'VIBER' | 'SMS';
  to: string;
  status: typeof PENDING_ACCEPTED | typeof NOT_REGISTERED;
  at: number;
}

export class InfobipWireFake {
  baseUrl = '';
  /** Authorization header our callbacks carry (the connection's callbackAuthorization). */
  callbackAuthorization = '';
  private server: http.Server | null = null;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly received = new Map<string, Received>();
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly stats = {
    /** Destinations received (every send, duplicates included). */
    destinations: 0,
    duplicates: [] as string[],
    reportsPosted: 0,
    reportsOk: 0,
    /** Callback tries that failed (refused connection or non-2xx) and were retried. */
    failedTries: 0,
    /** Reports given up on after retryForMs: lost. */
    reportsLost: 0,
    logQueries: 0,
    /** When a callback was last answered 2xx. */
    lastReportOkAt: 0,
  };
  /** 2xx callback answers, in time order (for "first answered after the restart"). */
  readonly okAt: number[] = [];

  constructor(private readonly options: WireFakeOptions) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.agent.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Whether reports are still in flight or waiting for a retry. */
  get reportsPending(): number {
    return this.stats.reportsPosted - this.stats.reportsOk - this.stats.reportsLost;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (req.headers.authorization !== `App ${this.options.apiKey}`) return json(res, 401, { requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } });
      if (req.method === 'GET' && (url.pathname === '/sms/3/logs' || url.pathname === '/viber/2/logs')) {
        this.stats.logQueries += 1;
        const channel = url.pathname === '/sms/3/logs' ? 'SMS' : 'VIBER';
        const results = url.searchParams.getAll('messageId').flatMap((id) => {
          const r = this.received.get(`${channel}:${id}`);
          return r ? [{ messageId: id, destination: r.to, status: r.status, error: NO_ERROR, sentAt: new Date(r.at).toISOString().replace('Z', '+0000') }] : [];
        });
        return json(res, 200, { results });
      }
      const channel = url.pathname === '/viber/2/messages' ? 'VIBER' : url.pathname === '/sms/3/messages' ? 'SMS' : null;
      if (req.method !== 'POST' || !channel) return json(res, 404, { requestError: { serviceException: { messageId: 'NOT_FOUND', text: 'Not found' } } });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        messages: Array<{ destinations: Array<{ to: string; messageId: string }>; webhooks?: { delivery?: { url?: string }; callbackData?: string } }>;
      };
      const entries: unknown[] = [];
      const reports = new Map<string, unknown[]>();
      for (const m of body.messages) {
        for (const d of m.destinations) {
          this.stats.destinations += 1;
          const key = `${channel}:${d.messageId}`;
          if (this.received.has(key)) this.stats.duplicates.push(key);
          const status = channel === 'VIBER' && d.to.endsWith('0') ? NOT_REGISTERED : PENDING_ACCEPTED;
          this.received.set(key, { channel, to: d.to, status, at: Date.now() });
          entries.push(channel === 'VIBER' ? { messageId: d.messageId, status, destination: d.to } : { to: d.to, messageId: d.messageId, status });
          const target = m.webhooks?.delivery?.url;
          if (status === PENDING_ACCEPTED && target) {
            const now = new Date().toISOString().replace('Z', '+0000');
            const report = { messageId: d.messageId, to: d.to, sentAt: now, doneAt: now, messageCount: 1, status: DELIVERED, error: NO_ERROR, ...(channel === 'VIBER' ? { channel } : {}), ...(m.webhooks?.callbackData ? { callbackData: m.webhooks.callbackData } : {}) };
            reports.set(target, [...(reports.get(target) ?? []), report]);
          }
        }
      }
      json(res, 200, { bulkId: `CHAOS-${Date.now()}`, messages: entries });
      setImmediate(() => {
        for (const [target, results] of reports) {
          for (let i = 0; i < results.length; i += REPORTS_PER_CALLBACK) {
            const chunk = results.slice(i, i + REPORTS_PER_CALLBACK);
            this.stats.reportsPosted += chunk.length;
            this.postReports(target, JSON.stringify({ results: chunk }), chunk.length, Date.now());
          }
        }
      });
    });
  }

  private postReports(target: string, body: string, count: number, firstTry: number): void {
    const url = new URL(target);
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      if (ok) {
        this.stats.reportsOk += count;
        this.stats.lastReportOkAt = Date.now();
        this.okAt.push(Date.now());
        return;
      }
      this.stats.failedTries += 1;
      if (Date.now() - firstTry + this.options.retryEveryMs > this.options.retryForMs) {
        this.stats.reportsLost += count;
        return;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.postReports(target, body, count, firstTry);
      }, this.options.retryEveryMs);
      this.timers.add(timer);
    };
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: this.callbackAuthorization },
      },
      (res) => {
        res.resume();
        res.on('end', () => done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
        res.on('error', () => done(false));
      },
    );
    req.on('error', () => done(false));
    req.end(body);
  }
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}
