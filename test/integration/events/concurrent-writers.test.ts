import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { EventsPage } from '../../documents/events.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { query } from '../../support/graphql-client.js';
import type { EventsPageQuery } from '../../generated/graphql.js';
import { sleep, waitFor } from '../helpers.js';
import { appendEvents, type EventEnvelope } from '../../../src/events/log.js';
import { openResumableStream } from '../../../src/events/resumable.js';
import { encodeEventCursor } from '../../../src/domain/event-cursor.js';
import { bulkSettled, Follower, positionOf, randomBetween, sendMixedBulk, storedPositions } from './support.js';

const MESSAGES = 1_000;
const RESUMERS = 8;
/** Callbacks applied at once, each in its own transaction, all bumping the same account's head. */
const BURST = 40;

/**
 * Many writers of one account commit at once: dispatch jobs recording send answers, the simulator's
 * delivery reports, and bursts of seen and inbound callbacks applied concurrently, each in its own
 * transaction. Meanwhile followers resume from the newest cursor delivered at random moments; each must
 * end with exactly the stored events after its cursor, and the events query read from delivered cursors
 * must list exactly what is stored after them.
 */
describe('resuming while many writers of one account commit at once', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const followers: Follower[] = [];

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    for (const f of followers) await f.close();
    await app?.stop();
    await app?.dropDatabase();
  });

  it('a follower resuming from any delivered cursor loses nothing and repeats nothing', { timeout: 180_000 }, async () => {
    const db = app.database.db;
    const account = await db.selectFrom('account').select('id').executeTakeFirstOrThrow();
    const primary = new Follower(app.apiKey, null);
    followers.push(primary);
    await primary.follow(app.graphqlUrl);
    await sleep(300);

    const bulkId = 'concurrent-writers';
    await sendMixedBulk(app.graphqlUrl, app.apiKey, bulkId, MESSAGES);

    // Bursts of callbacks, concurrent with the bulk's own writers.
    let stop = false;
    let burstNo = 0;
    const storm = (async () => {
      while (!stop) {
        const { rows } = await sql<{ attemptId: string }>`
          select attempt_id from attempt where bulk_ref = (select id from bulk where bulk_id = ${bulkId}) and seen_at is null
            and sent_at is not null order by random() limit ${BURST}`.execute(db);
        burstNo += 1;
        await Promise.all(
          rows.map(({ attemptId }, i) =>
            app.services.reportIntake.applyReports(
              i % 2 === 0
                ? [{ kind: 'seen', match: { attemptId }, seenAt: new Date() }]
                : [
                    {
                      kind: 'inbound',
                      provider: 'SIMULATOR',
                      channel: 'VIBER',
                      providerMessageId: `burst-${burstNo}-${i}`,
                      from: '+41793026729',
                      to: 'Omnishop',
                      receivedAt: new Date(),
                      content: { type: 'TEXT', text: 'thanks' },
                      replyTo: { attemptId },
                    },
                  ],
            ),
          ),
        );
        await sleep(randomBetween(0, 30));
      }
    })();

    // Resumers join at random moments, from the newest cursor delivered so far.
    const starts: number[] = [];
    for (let i = 0; i < RESUMERS; i += 1) {
      const at = randomBetween(50, 2_000);
      await waitFor(() => primary.received.length, (n) => n >= at, 60_000, 5);
      const cursor = primary.lastCursor!;
      starts.push(positionOf(account.id, cursor));
      const resumer = new Follower(app.apiKey, null, cursor);
      followers.push(resumer);
      await resumer.follow(app.graphqlUrl);
    }

    await waitFor(() => bulkSettled(db, bulkId), Boolean, 120_000, 250);
    stop = true;
    await storm;
    await sleep(1_000);
    const all = await storedPositions(db, null);
    expect(burstNo).toBeGreaterThan(3);

    await waitFor(() => primary.received.length, (n) => n >= all.length, 30_000, 100).catch(() => undefined);
    expect(primary.errors).toEqual([]);
    expect(primary.received.map((e) => positionOf(account.id, e.cursor))).toEqual(all);
    for (const [i, resumer] of followers.slice(1).entries()) {
      const expected = all.filter((p) => p > starts[i]!);
      await waitFor(() => resumer.received.length, (n) => n >= expected.length, 30_000, 100).catch(() => undefined);
      expect(resumer.errors).toEqual([]);
      expect(resumer.received.map((e) => positionOf(account.id, e.cursor)), `resumer ${i} after ${starts[i]}`).toEqual(expected);
    }

    // The query pages the same history, every kind, from a few delivered cursors.
    const { rows: stored } = await sql<{ position: string }>`select position from event order by position`.execute(db);
    const everything = stored.map((r) => Number(r.position));
    for (const cursor of [primary.received[0]!.cursor, primary.received[randomBetween(1, primary.received.length - 2)]!.cursor]) {
      const listed: number[] = [];
      let after: string | null = cursor;
      for (;;) {
        const page: EventsPageQuery = await query(app.graphqlUrl, EventsPage, { after, first: 1000 }, app.apiKey);
        listed.push(...page.events.edges.map((e) => positionOf(account.id, e.cursor)));
        if (!page.events.pageInfo.hasNextPage) break;
        after = page.events.pageInfo.endCursor!;
      }
      const from = positionOf(account.id, cursor);
      expect(listed).toEqual(everything.filter((p) => p > from));
    }
  });

  it('positions become visible in order even when commits are slow: a resumed stream never skips one committed late', async () => {
    const db = app.database.db;
    const bus = app.services.bus;
    const account = await db.selectFrom('account').select('id').executeTakeFirstOrThrow();
    const WRITERS = 8;
    const TRANSACTIONS = 30;
    const committed: number[] = [];
    let newest: number | null = null;

    // Writers whose commits take a while after their events are appended (a slow disk, a busy server).
    const writers = Array.from({ length: WRITERS }, (_, w) =>
      (async () => {
        for (let t = 0; t < TRANSACTIONS; t += 1) {
          const events = await db.transaction().execute(async (trx) => {
            const drafts = Array.from({ length: randomBetween(1, 3) }, (_, k) => ({
              kind: 'conversation' as const,
              conversationId: `c-${w}-${t}-${k}`,
              occurredAt: new Date(),
            }));
            const appended = await appendEvents(trx, account.id, drafts);
            await sql`select pg_sleep(${Math.random() * 0.02})`.execute(trx);
            return appended;
          });
          committed.push(...events.map((e) => e.position));
          newest = Math.max(newest ?? 0, ...events.map((e) => e.position));
          bus.publishEvents(events.map((event) => ({ accountId: account.id, event })));
        }
      })(),
    );

    // Streams resumed at random moments from the newest position committed so far.
    const resumed: Array<{ start: number; got: number[]; stop: () => Promise<unknown> }> = [];
    for (let i = 0; i < 6; i += 1) {
      await waitFor(() => committed.length, (n) => n >= randomBetween(5, 200), 30_000, 2);
      const start = newest!;
      const stream = await openResumableStream<EventEnvelope>({ db, bus }, {
        accountId: account.id,
        after: encodeEventCursor(account.id, start as never),
        kinds: ['conversation'],
        topic: 'test',
        select: (e) => e,
      });
      const got: number[] = [];
      const pump = (async () => {
        for await (const r of stream) got.push(r.value.position);
      })();
      resumed.push({ start, got, stop: async () => { await stream.return?.(); await pump; } });
    }
    await Promise.all(writers);
    const { rows } = await sql<{ position: string }>`select position from event where kind = 'conversation' order by position`.execute(db);
    const all = rows.map((r) => Number(r.position));
    for (const r of resumed) {
      await waitFor(() => r.got.length, (n) => n >= all.filter((p) => p > r.start).length, 15_000, 50).catch(() => undefined);
    }
    await Promise.all(resumed.map((r) => r.stop()));
    for (const [i, r] of resumed.entries()) {
      expect(r.got, `stream ${i} resumed after ${r.start}`).toEqual(all.filter((p) => p > r.start));
    }
  }, 120_000);
});

