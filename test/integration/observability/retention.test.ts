import pg from 'pg';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSendMessage } from '../../documents/engine.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { RetentionService } from '../../../src/retention/retention.js';
import { query } from '../../support/graphql-client.js';
import { countRows } from '../helpers.js';
import { phone } from '../engine/support.js';
import { startObservedApp, waitAllFinal, type ObservedApp } from './support.js';

const DAY = 24 * 3600 * 1000;

describe('data retention', () => {
  let app: ObservedApp;
  let messageRefs: string[];

  beforeAll(async () => {
    app = await startObservedApp();
    await query(
      app.graphqlUrl,
      EngineSendMessage,
      { input: { from: 'Omnishop', viber: { text: { text: 'hi' } }, destinations: Array.from({ length: 8 }, (_, i) => ({ to: { phoneNumber: phone(i, 4) } })) } },
      app.apiKey,
    );
    await waitAllFinal(app, 8);
    messageRefs = (await app.database.db.selectFrom('message').select('id').orderBy('id').execute()).map((r) => r.id);
    const db = app.database.db;
    const old = new Date(Date.now() - 100 * DAY);
    // Seven messages ended 100 days ago; the eighth is today's.
    await db.updateTable('message').set({ createdAt: old, doneAt: old }).where('id', 'in', messageRefs.slice(0, 7)).execute();
    const account = await db.selectFrom('account').select('id').executeTakeFirstOrThrow();
    const inbound = (n: number, receivedAt: Date, paired: string | null) => ({
      accountId: account.id,
      provider: 'SIMULATOR' as const,
      channel: 'VIBER' as const,
      providerMessageId: `in-${n}`,
      fromAddress: '+41793026729',
      toAddress: 'Omnishop',
      content: JSON.stringify({ type: 'TEXT', text: 'reply' }),
      pairedMessageRef: paired,
      receivedAt,
    });
    await db
      .insertInto('inboundMessage')
      .values([inbound(1, old, messageRefs[0]!), inbound(2, old, null), inbound(3, old, null), inbound(4, old, null), inbound(5, new Date(), messageRefs[7]!)])
      .execute();
    const key = (k: string, createdAt: Date) => ({ accountId: account.id, key: k, requestHash: 'h', response: '{}', createdAt });
    await db
      .insertInto('idempotencyKey')
      .values([key('old-1', new Date(Date.now() - 25 * 3600_000)), key('old-2', new Date(Date.now() - 30 * 3600_000)), key('fresh', new Date())])
      .execute();
  });
  afterAll(async () => {
    await app?.stopAndDrop();
  });

  const retention = () =>
    new RetentionService(app.database.db, app.services.clock, pino({ level: 'silent' }), new Metrics(), {
      messagesDays: 90,
      inboundDays: 90,
      eventDays: 0,
      idempotencyKeyTtlHours: 24,
      batchSize: 3,
      intervalMs: 3600_000,
    });

  it('deletes old rows in batches, skips a row someone holds without waiting for it, and keeps new rows', async () => {
    const db = app.database.db;
    const attemptsBefore = await countRows(db, 'attempt');
    const eventsBefore = await countRows(db, 'statusEvent');
    expect(attemptsBefore).toBe(8);

    // Another transaction (a late callback, say) holds one old message.
    const holder = new pg.Client({ connectionString: app.database.connectionString });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select id from message where id = $1 for update', [messageRefs[6]]);
    let first;
    try {
      first = await retention().run();
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    // Six of the seven old messages, three per statement: 3 + 3 + an empty batch that ends the loop.
    expect(first.messages).toBe(6);
    expect(first.batches.messages).toBe(3);
    expect(first.inbound).toBe(4);
    expect(first.batches.inbound).toBe(2);
    expect(first.idempotencyKeys).toBe(2);

    const left = (await db.selectFrom('message').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(left).toEqual([messageRefs[6], messageRefs[7]]);
    // Attempts and status events went with their messages (no foreign key cascades there).
    expect(await countRows(db, 'attempt')).toBe(2);
    const events = await db.selectFrom('statusEvent').select('messageRef').execute();
    expect(events.length).toBeLessThan(eventsBefore);
    expect(new Set(events.map((e) => e.messageRef))).toEqual(new Set([messageRefs[6], messageRefs[7]]));
    expect((await db.selectFrom('inboundMessage').select('providerMessageId').execute()).map((r) => r.providerMessageId)).toEqual(['in-5']);
    expect((await db.selectFrom('idempotencyKey').select('key').execute()).map((r) => r.key)).toEqual(['fresh']);

    // Released, the skipped message goes on the next run; the bulk goes once it has no messages left.
    const second = await retention().run();
    expect(second.messages).toBe(1);
    expect((await db.selectFrom('message').select('id').execute()).map((r) => r.id)).toEqual([messageRefs[7]]);
    expect(second.bulks).toBe(0); // the bulk still has today's message
  });

  it('queues itself as one job, whatever the number of starts', async () => {
    await app.services.retention.schedule(new Date(Date.now() + 3600_000));
    await app.services.retention.schedule(new Date(Date.now() + 3600_000));
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'retention'`.execute(app.database.db);
    expect(Number(rows[0]!.n)).toBe(1);
  });
});
