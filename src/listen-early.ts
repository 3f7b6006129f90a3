import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface EarlyServer {
  server: Server;
  /** e.g. http://127.0.0.1:4000 */
  localUrl: string;
  /** Provider callbacks are answered by `handler` from now on; other requests keep waiting. */
  serveWebhooks(handler: Handler): void;
  /** Every request is answered by `handler` from now on, the waiting ones first. */
  serve(handler: Handler): void;
}

const WEBHOOK_PREFIX = '/webhooks/';

/** How long a request that arrives while the service starts may wait before a 503 (which providers retry). */
export const STARTUP_HOLD_MS = 15_000;

/**
 * Listens before anything else is loaded or connected, so a restart refuses no connection: requests that
 * arrive while the service starts wait (up to `holdMs`) instead of being refused, and provider callbacks
 * are answered as soon as the database and the state machine are up, before the GraphQL layer is even
 * loaded. A request still waiting after `holdMs` gets 503 with Retry-After, which providers retry (a 4xx
 * they would drop). Only node:http is imported here: this module is loaded first, by main.ts.
 */
export async function listenEarly(port: number, host: string, holdMs: number): Promise<EarlyServer> {
  let webhooks: Handler | null = null;
  let all: Handler | null = null;
  const waiting = new Set<{ req: IncomingMessage; res: ServerResponse; timer: NodeJS.Timeout }>();

  const route = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (all) all(req, res);
    else if (webhooks && (req.url ?? '').startsWith(WEBHOOK_PREFIX)) webhooks(req, res);
    else return false;
    return true;
  };
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] === '/healthz' && !all) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"starting"}');
      return;
    }
    if (route(req, res)) return;
    const entry = {
      req,
      res,
      timer: setTimeout(() => {
        waiting.delete(entry);
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"starting, retry shortly"}');
      }, holdMs),
    };
    waiting.add(entry);
    res.once('close', () => {
      clearTimeout(entry.timer);
      waiting.delete(entry);
    });
  });
  const drain = () => {
    for (const entry of [...waiting]) {
      if (!route(entry.req, entry.res)) continue;
      clearTimeout(entry.timer);
      waiting.delete(entry);
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    server,
    localUrl: `http://${shown}:${bound}`,
    serveWebhooks: (handler) => {
      webhooks = handler;
      drain();
    },
    serve: (handler) => {
      all = handler;
      drain();
    },
  };
}
