import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvents, type EventEnvelope } from '../../../src/events/log.js';
import { openResumableStream } from '../../../src/events/resumable.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { waitFor } from '../helpers.js';
import { scrape, valueOf } from '../observability/support.js';

/**
 * A subscriber that takes nothing for a while (a slow socket) must not make its stream hold every live
 * event meanwhile: past the buffer limit the stream drops what it holds and reads the range from the log
 * when the subscriber is back, still delivering every event once, in order.
 */
describe('a slow subscriber of the event log', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  it('costs a bounded buffer and still gets every event once, in order', async () => {
    const db = app.database.db;
    const bus = app.services.bus;
    const account = await db.selectFrom('account').select('id').executeTakeFirstOrThrow();
    let overflows = 0;
    const stream = await openResumableStream<EventEnvelope>({ db, bus }, {
      accountId: account.id,
      after: null,
      kinds: ['conversation'],
      topic: 'test',
      select: (e) => e,
      maxBuffered: 10,
      onOverflow: () => (overflows += 1),
    });

    // 120 events committed and published one by one while the subscriber reads nothing.
    const published: number[] = [];
    for (let i = 0; i < 120; i += 1) {
      const events = await db.transaction().execute((trx) =>
        appendEvents(trx, account.id, [{ kind: 'conversation', conversationId: `slow-${i}`, occurredAt: new Date() }]),
      );
      published.push(...events.map((e) => e.position));
      bus.publishEvents(events.map((event) => ({ accountId: account.id, event })));
    }
    // Published over the bus: wait until every one reached this instance's listener (it dropped and refilled).
    await waitFor(() => overflows, (n) => n >= 10, 10_000, 20);

    const got: number[] = [];
    for await (const r of stream) {
      got.push(r.value.position);
      if (got.length === published.length) break;
    }
    expect(got).toEqual(published);
    // Operators see it: every drop is counted under the stream's topic.
    const { samples } = await scrape(app);
    expect(valueOf(samples, 'omnigate_live_buffer_overflows_total', { topic: 'test' })).toBe(overflows);
  });
});
