/**
 * A failed report push records why, the way a client debugging its endpoint needs it: the HTTP status
 * when one came back, else the network error's code and the address it was tried on
 * (`ECONNREFUSED 127.0.0.1:9`), never a wrapper's "fetch failed".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetailsMessages, DetailsSendMessage } from '../../documents/report-details.js';
import type { DetailsMessageFieldsFragment } from '../../generated/graphql.js';
import { caller, phone, startEngineApp, stopEngineApp, waitFor, type EngineApp } from './support.js';

const TIMEOUT_MS = 400;

/** A loopback receiver that answers with `status`, or never when `status` is null. */
async function receiver(status: number | null, port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    if (status !== null) req.on('end', () => res.writeHead(status).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`, server };
}

/** Ports browsers (and so Node's fetch) refuse to connect to; a webhook server may well use one. */
const FETCH_BLOCKED_PORTS = [10080, 6665, 6666, 6667, 6668, 6669, 6697, 6000, 5060, 5061];

describe('report push failures are recorded with their HTTP status or network error', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;
  const servers: Server[] = [];
  let n = 0;

  beforeAll(async () => {
    // One try per push within a test: the retry comes long after.
    app = await startEngineApp({ REPORT_PUSH_RETRY_BASE_MS: '600000', REPORT_PUSH_TIMEOUT_MS: String(TIMEOUT_MS) });
    gql = caller(app);
  });
  afterAll(async () => {
    await stopEngineApp(app);
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  /** Sends one simulator message (delivers) whose final report goes to `url`; returns its first push try. */
  async function pushTo(url: string): Promise<DetailsMessageFieldsFragment> {
    n += 1;
    const r = (
      await gql(DetailsSendMessage, {
        input: { from: 'Omnishop', viber: { text: { text: 'Hello' } }, destinations: [{ to: { phoneNumber: phone(n, 4) } }], webhooks: { delivery: { url } } },
      })
    ).sendMessage;
    if (r.__typename !== 'SendMessageSuccess') throw new Error(JSON.stringify(r));
    const messageId = r.messages[0]!.messageId;
    return waitFor(
      async () => (await gql(DetailsMessages, { filter: { messageId } })).messages.edges[0]!.node,
      // The delivery and its tries are read by two queries: wait until both show the committed try.
      (m) => (m.reportDeliveries[0]?.attempts.length ?? 0) >= 1 && (m.reportDeliveries[0]?.tries ?? 0) >= 1,
      15_000,
      50,
    );
  }

  it('nothing listening: the try shows ECONNREFUSED and the address, no status code', async () => {
    const m = await pushTo('http://127.0.0.1:9/reports');
    expect(m.reportDeliveries).toEqual([
      { url: 'http://127.0.0.1:9/reports', state: 'PENDING', tries: 1, attempts: [{ statusCode: null, error: 'ECONNREFUSED 127.0.0.1:9', errorCode: 'ECONNREFUSED' }] },
    ]);
  });

  it('an HTTP error: the try shows the status and no network error code', async () => {
    const r = await receiver(503);
    servers.push(r.server);
    const m = await pushTo(r.url);
    expect(m.reportDeliveries[0]!.attempts).toEqual([{ statusCode: 503, error: 'HTTP 503', errorCode: null }]);
  });

  it('no answer in time: the try shows ETIMEDOUT, the host and the limit', async () => {
    const r = await receiver(null);
    servers.push(r.server);
    const m = await pushTo(r.url);
    const host = new URL(r.url).host;
    expect(m.reportDeliveries[0]!.attempts).toEqual([{ statusCode: null, error: `ETIMEDOUT ${host} (no answer within ${TIMEOUT_MS} ms)`, errorCode: 'ETIMEDOUT' }]);
  });

  it('a webhook on a port fetch refuses (10080, 6665–6669…) is reached all the same', async () => {
    let r: { url: string; server: Server } | null = null;
    for (const port of FETCH_BLOCKED_PORTS) {
      r = await receiver(200, port).catch(() => null);
      if (r) break;
    }
    if (!r) throw new Error(`none of ports ${FETCH_BLOCKED_PORTS.join(', ')} is free on 127.0.0.1`);
    servers.push(r.server);
    const m = await pushTo(r.url);
    expect(m.reportDeliveries[0]).toMatchObject({ state: 'DELIVERED', tries: 1, attempts: [{ statusCode: 200, error: null, errorCode: null }] });
  });
});
