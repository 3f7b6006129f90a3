import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSendMessage, EngineUpdateAccount } from '../../documents/engine.js';
import { startInstance } from '../../support/app.js';
import { query } from '../../support/graphql-client.js';
import { rawPost, waitFor } from '../helpers.js';
import { phone } from '../engine/support.js';
import { scrape, startObservedApp, valueOf, waitAllFinal, type ObservedApp } from './support.js';

/** A loopback port nothing listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('/metrics and logs', () => {
  let app: ObservedApp;
  let deadPort: number;

  beforeAll(async () => {
    app = await startObservedApp({ REPORT_PUSH_RETRY_BASE_MS: '60000' });
    deadPort = await closedPort();
    // Every final report is pushed to a port that refuses connections.
    await query(app.graphqlUrl, EngineUpdateAccount, { input: { deliveryWebhookUrl: `http://127.0.0.1:${deadPort}/hooks/omnigate?token=s3cret` } }, app.apiKey);
  });
  afterAll(async () => {
    await app?.stopAndDrop();
  });

  it('counts ten simulated sends from accepted through dispatched to DELIVERED, in Prometheus text', async () => {
    const before = await scrape(app);
    expect(valueOf(before.samples, 'omnigate_messages_accepted_total', { channel: 'VIBER', provider: 'SIMULATOR' })).toBe(0);

    const text = 'Your parcel is on its way';
    const result = await query(
      app.graphqlUrl,
      EngineSendMessage,
      { input: { from: 'Omnishop', viber: { text: { text } }, destinations: Array.from({ length: 10 }, (_, i) => ({ to: { phoneNumber: phone(i, 4 + (i % 5)) } })) } },
      app.apiKey,
    );
    expect(result.sendMessage.__typename).toBe('SendMessageSuccess');
    await waitAllFinal(app, 10);

    const { status, contentType, samples } = await scrape(app);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const viber = { channel: 'VIBER', provider: 'SIMULATOR' };
    expect(valueOf(samples, 'omnigate_messages_accepted_total', viber)).toBe(10);
    expect(valueOf(samples, 'omnigate_messages_dispatched_total', { ...viber, outcome: 'accepted' })).toBe(10);
    expect(valueOf(samples, 'omnigate_messages_finished_total', { ...viber, status_group: 'DELIVERED' })).toBe(10);
    expect(valueOf(samples, 'omnigate_dispatch_lag_seconds_count', { channel: 'VIBER' })).toBe(10);
    expect(valueOf(samples, 'omnigate_send_to_final_seconds_count', { channel: 'VIBER', status_group: 'DELIVERED' })).toBe(10);
    // The simulator takes one message per call.
    expect(valueOf(samples, 'omnigate_provider_request_duration_seconds_count', { provider: 'SIMULATOR', outcome: 'accepted' })).toBe(10);
    // Each message: accepted → enroute → delivered is two published changes at least.
    expect(valueOf(samples, 'omnigate_events_published_total', { topic: 'message-status' })).toBeGreaterThanOrEqual(20);
    // The queue is read at scrape time: every task has its four states.
    for (const state of ['ready', 'scheduled', 'running', 'failed']) {
      expect(samples.some((s) => s.name === 'omnigate_job_queue_depth' && s.labels.task === 'dispatch' && s.labels.state === state)).toBe(true);
    }
    // The GraphQL layer's own metrics (the Yoga plugin) share the registry.
    expect(samples.some((s) => s.name === 'graphql_envelop_request_duration_count')).toBe(true);
  });

  it('keeps each app instance on its own registry', async () => {
    const other = await startInstance(app.database.connectionString, { WORKER_ENABLED: 'false' });
    try {
      const { samples } = await scrape(other);
      expect(valueOf(samples, 'omnigate_messages_accepted_total', { channel: 'VIBER', provider: 'SIMULATOR' })).toBe(0);
    } finally {
      await other.stop();
    }
  });

  it('logs a failed report push with the webhook host and the network error code, and counts it', async () => {
    const failed = await waitFor(
      () => app.logs.filter((l) => l.msg === 'delivery report push failed'),
      (lines) => lines.length > 0,
    );
    expect(failed[0]).toMatchObject({ level: 40, host: `127.0.0.1:${deadPort}`, code: 'ECONNREFUSED' });
    // Host only: the path and its token stay out of the log.
    expect(JSON.stringify(failed)).not.toContain('s3cret');
    expect(JSON.stringify(failed)).not.toContain('/hooks/omnigate');
    const { samples } = await scrape(app);
    expect(valueOf(samples, 'omnigate_report_pushes_total', { outcome: 'network_error' })).toBeGreaterThanOrEqual(1);
  });

  it('writes one access line per request, with operation and account but no contents', async () => {
    const line = app.logs.find((l) => l.msg === 'request' && l.operation === 'EngineSendMessage');
    expect(line).toMatchObject({ level: 30, method: 'POST', path: '/graphql', status: 200 });
    expect(typeof line!.durationMs).toBe('number');
    expect(line!.accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(app.logs)).not.toContain('Your parcel is on its way');
    expect(JSON.stringify(app.logs)).not.toContain(app.apiKey);
  });

  it("logs a client's own mistake at info, never at error", async () => {
    const errorsBefore = app.logs.filter((l) => l.level >= 50).length;
    const res = await rawPost(app.graphqlUrl, { query: 'query Firsts { messages(first: 0) { edges { node { messageId } } } }' }, { authorization: `App ${app.apiKey}` });
    expect(res.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const bad = await rawPost(app.graphqlUrl, { query: 'query Nope { nope }' }, { authorization: `App ${app.apiKey}` });
    expect(bad.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const access = await waitFor(
      () => app.logs.filter((l) => l.msg === 'request' && (l.operation === 'Firsts' || l.operation === 'Nope')),
      (lines) => lines.length === 2,
    );
    expect(access.map((l) => [l.level, l.errors])).toEqual([
      [30, ['BAD_USER_INPUT']],
      [30, ['GRAPHQL_VALIDATION_FAILED']],
    ]);
    expect(app.logs.filter((l) => l.level >= 50).length).toBe(errorsBefore);
  });

  it('logs worker jobs in one short line, without the job row', async () => {
    const jobLines = app.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Completed task'));
    expect(jobLines.length).toBeGreaterThan(0);
    for (const l of jobLines) {
      expect(l).not.toHaveProperty('job');
      expect(JSON.stringify(l).length).toBeLessThan(300);
    }
  });
});
