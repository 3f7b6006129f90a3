import http from 'node:http';
import https from 'node:https';
import type { OutboundGuard } from '../net/outbound-guard.js';

/** How one POST to a client's webhook ended: an HTTP status, or a network failure named by code and host. */
export type WebhookPostResult = { kind: 'answered'; status: number } | { kind: 'failed'; code: string; error: string };

/**
 * POSTs a report to a client's webhook over node:http rather than fetch, for two reasons. fetch refuses
 * the "bad ports" of the browser's list (6000, 6665–6669, 10080…), which are legitimate webhook ports for
 * a server; and it wraps every network failure as "fetch failed", while a client debugging its endpoint
 * needs `ECONNREFUSED 127.0.0.1:9` or `ENOTFOUND hooks.example`. Redirects are not followed (a 3xx is a
 * failed try, as before); the answer's body is not read.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  /** Checks the address at connect time (a name that resolved to a public address may not any more). */
  guard?: OutboundGuard,
): Promise<WebhookPostResult> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  // An IP host is connected to without a lookup, so the guard looks at it here.
  const refused = guard?.literalRefusal(target.hostname);
  if (refused) return Promise.resolve({ kind: 'failed', code: refused.code, error: `${refused.code} ${target.host}: ${refused.message}` });
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (result: WebhookPostResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const lookup = guard?.checksAddresses ? guard.lookup.bind(guard) : undefined;
    const req = transport.request(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, ...(lookup ? { lookup } : {}) }, (res) => {
      settle({ kind: 'answered', status: res.statusCode ?? 0 });
      // The status is all we need. A short answer is drained so the socket can be reused; a long one is
      // cut off rather than read forever.
      let drained = 0;
      res.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > MAX_DRAINED_BYTES) res.destroy();
      });
      res.on('error', () => undefined);
    });
    // One deadline for the whole exchange, answer body included, so a receiver that trickles cannot hold
    // the socket open.
    timer = setTimeout(() => {
      settle({ kind: 'failed', code: 'ETIMEDOUT', error: `ETIMEDOUT ${target.host} (no answer within ${timeoutMs} ms)` });
      req.destroy();
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err) => settle(networkFailure(err, target)));
    req.end(body);
  });
}

const MAX_DRAINED_BYTES = 64 * 1024;

interface NetworkError extends Error {
  code?: string;
  address?: string;
  port?: number;
  errors?: unknown[];
}

/** `<code> <host>`: the address the connection was tried on when Node says, else the URL's host. */
export function networkFailure(err: unknown, target: URL): WebhookPostResult {
  const e = (err ?? {}) as NetworkError;
  // Happy eyeballs fails with an AggregateError of one error per address tried; the first names the code.
  const inner = (Array.isArray(e.errors) ? e.errors[0] : undefined) as NetworkError | undefined;
  const code = e.code ?? inner?.code ?? 'ERROR';
  const address = e.address ?? inner?.address;
  const port = e.port ?? inner?.port;
  const host = address ? `${address.includes(':') ? `[${address}]` : address}${port ? `:${port}` : ''}` : target.host;
  const detail = e.code || inner?.code ? '' : ` (${e.message || String(err)})`;
  return { kind: 'failed', code, error: `${code} ${host}${detail}` };
}
