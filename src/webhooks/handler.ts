import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { UnknownAttemptError } from '../messaging/report-intake.js';
import { moduleFor } from '../providers/registry.js';
import { CallbackAuthError, MalformedCallbackError } from '../providers/types.js';
import type { Services } from '../services.js';

/** Providers post small JSON documents; anything bigger is not theirs. */
export const MAX_CALLBACK_BYTES = 1024 * 1024;

const ROUTE = /^\/webhooks\/([a-z]+)\/([^/?]+)(\/[^?]*)?$/;

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLargeError());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export function isWebhookPath(path: string): boolean {
  return path.startsWith('/webhooks/');
}

/**
 * Provider callbacks: `/webhooks/<provider>/<connectionId>[/<subPath>]`. The connection's parser verifies
 * them (signature or secret) over the raw bytes and turns them into reports; the reports of one callback
 * are stored in one transaction. Nothing is stored unless every check passes.
 */
export async function handleWebhook(req: IncomingMessage, res: ServerResponse, services: Services, logger: Logger): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = ROUTE.exec(url.pathname);
  if (!match) return reply(res, 404, { error: 'not found' });
  if (req.method !== 'POST') return reply(res, 405, { error: 'use POST' }, { allow: 'POST' });
  const [, slug, connectionId, subPath = ''] = match;

  let rawBody: Buffer;
  try {
    rawBody = await readBody(req, MAX_CALLBACK_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return reply(res, 413, { error: `body over ${MAX_CALLBACK_BYTES} bytes` });
    throw err;
  }

  const connection = await services.connections.byId(connectionId!);
  const webhooks = connection ? moduleFor(connection.type).webhooks : null;
  if (!connection || !webhooks || webhooks.slug !== slug) {
    return reply(res, 404, { error: 'no such connection' });
  }
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
  try {
    const reports = webhooks.createParser(connection).parse({ subPath, headers, query: url.searchParams, rawBody });
    await services.reportIntake.submitReports(reports, { connection });
    return reply(res, 200, { status: 'ok' });
  } catch (err) {
    if (err instanceof CallbackAuthError) return reply(res, 401, { error: 'callback authentication failed' });
    if (err instanceof MalformedCallbackError) return reply(res, 400, { error: err.message });
    if (err instanceof UnknownAttemptError) {
      // Usually a report that overtook our record of the send: the provider's retry will find it.
      logger.warn({ connectionId, err: err.message }, 'callback names an unknown message; asking the provider to retry');
      return reply(res, 503, { error: 'unknown message, retry later' }, { 'retry-after': '30' });
    }
    logger.error({ err, connectionId }, 'callback failed');
    return reply(res, 500, { error: 'internal error' });
  }
}
