import http from 'node:http';
import https from 'node:https';
import type { LookupOptions } from 'node:dns';
import { OutboundGuard } from '../net/outbound-guard.js';

export interface HttpResponse {
  status: number;
  header(name: string): string | null;
  text: string;
}

/**
 * Provider base URLs are checked when configured; this checks the address again at connect time (DNS may
 * have changed). Process-wide like the agents; the service installs its configured guard on start. Until
 * then (adapters used on their own, as in unit tests) every address is allowed.
 */
let outbound: OutboundGuard | null = null;

export function installOutboundGuard(guard: OutboundGuard): void {
  outbound = guard;
}

const PERMISSIVE = new OutboundGuard({ allowPrivate: true, allowedHosts: new Set(), allowedRanges: [] });
const lookup = (hostname: string, options: LookupOptions, callback: Parameters<OutboundGuard['lookup']>[2]) =>
  (outbound ?? PERMISSIVE).lookup(hostname, options, callback);

/**
 * JSON POSTs to providers over keep-alive agents. Node's `fetch` costs several times the CPU per request
 * (streams, abort signals) on the dispatch hot path; a plain agent reuses sockets and caps them per
 * origin so a burst of sends cannot open hundreds of connections.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64, lookup }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64, lookup }),
};

export function postJson(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpResponse> {
  return requestJson('POST', url, headers, body, timeoutMs);
}

/** A GET (a provider's status or log query); same agents and deadline as postJson. */
export function getJson(url: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpResponse> {
  return requestJson('GET', url, headers, null, timeoutMs);
}

/**
 * Whether a failed request may have reached the provider whole. An error before the request was written
 * out (connection refused, a keep-alive socket the server had closed) means it cannot have: sending again
 * is safe. After that (a timeout, a reset while waiting for the answer) the provider may have taken it.
 */
export function mayHaveReachedProvider(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { requestWritten?: unknown }).requestWritten === true;
}

function requestJson(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body: string | null, timeoutMs: number): Promise<HttpResponse> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
  // An IP host is connected to without a lookup, so the guard looks at it here.
  const refused = outbound?.literalRefusal(target.hostname);
  if (refused) return Promise.reject(refused);
  return new Promise((resolve, reject) => {
    let written = false;
    const fail = (err: Error) => reject(Object.assign(err, { requestWritten: written }));
    const req = transport.request(
      target,
      { method, agent, headers: body === null ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          const raw = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            header: (name) => {
              const v = raw[name.toLowerCase()];
              return Array.isArray(v) ? v.join(', ') : (v ?? null);
            },
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    // One deadline for the whole exchange, as AbortSignal.timeout gave fetch.
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
    req.on('finish', () => (written = true));
    req.on('close', () => clearTimeout(timer));
    req.on('error', fail);
    req.end(body ?? undefined);
  });
}
