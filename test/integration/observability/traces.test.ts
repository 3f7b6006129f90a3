import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSendMessage } from '../../documents/engine.js';
import { query } from '../../support/graphql-client.js';
import { waitFor } from '../helpers.js';
import { phone } from '../engine/support.js';
import { startObservedApp, waitAllFinal, type ObservedApp } from './support.js';

describe('traces', () => {
  const exporter = new InMemorySpanExporter();
  let app: ObservedApp;

  beforeAll(async () => {
    app = await startObservedApp({}, { spanExporter: exporter });
  });
  afterAll(async () => {
    await app?.stopAndDrop();
  });

  it('puts a send, its dispatch job, the provider call and the callback that closes it in one trace', async () => {
    await query(
      app.graphqlUrl,
      EngineSendMessage,
      { input: { from: 'Omnishop', viber: { text: { text: 'hello' } }, destinations: [{ to: { phoneNumber: phone(1, 4) } }] } },
      app.apiKey,
    );
    await waitAllFinal(app, 1);
    const spans = await waitFor(
      () => exporter.getFinishedSpans(),
      (all) => all.some((s) => s.name === 'provider callback status' && s.attributes['omnigate.status'] === 'DELIVERED_TO_HANDSET'),
    );
    const one = (predicate: (s: ReadableSpan) => boolean, what: string): ReadableSpan => {
      const found = spans.filter(predicate);
      expect(found.length, `${what}: ${spans.map((s) => s.name).join(', ')}`).toBeGreaterThanOrEqual(1);
      return found[0]!;
    };
    const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

    const operation = one((s) => s.name === 'mutation.EngineSendMessage', 'the GraphQL operation span');
    const dispatch = one((s) => s.name === 'job dispatch', 'the dispatch job span');
    const provider = one((s) => s.name === 'provider send SIMULATOR', 'the provider call span');
    const delivered = one((s) => s.name === 'provider callback status' && s.attributes['omnigate.status'] === 'DELIVERED_TO_HANDSET', 'the closing callback span');

    const traceId = operation.spanContext().traceId;
    for (const s of [dispatch, provider, delivered]) expect(s.spanContext().traceId, s.name).toBe(traceId);
    // send → job (through the job payload) → provider call; the callback continues the dispatch (through the attempt row).
    expect(parentOf(dispatch)).toBe(operation.spanContext().spanId);
    expect(parentOf(provider)).toBe(dispatch.spanContext().spanId);
    expect(parentOf(delivered)).toBe(dispatch.spanContext().spanId);
    // Operation spans carry no document or variables (message contents).
    expect(JSON.stringify(operation.attributes)).not.toContain('hello');
  });
});
