import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBulk, EngineSendMessage, EngineSendMessages } from '../../documents/engine.js';
import type { DeliveryTimeWindowInput, EngineBulkQuery } from '../../generated/graphql.js';
import { as, caller, ms, phone, startEngineApp, stopEngineApp, waitFor, type EngineApp } from './support.js';

type BulkView = NonNullable<EngineBulkQuery['bulk']>;
const SPEED = 60; // one service minute per real second
const WORKDAYS: DeliveryTimeWindowInput['days'] = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'];
const NINE_TO_THREE: DeliveryTimeWindowInput = { days: WORKDAYS, from: { hour: 9, minute: 0 }, to: { hour: 15, minute: 0 } };
const iso = (t: number) => new Date(t).toISOString();

/** 2026-03-02 is a Monday. */
const MONDAY = '2026-03-02';
const TUESDAY = '2026-03-03';

describe('delivery time window: a window that closes mid-bulk', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;
  const bulk = async (bulkId: string): Promise<BulkView> => (await gql(EngineBulk, { bulkId, first: 100 })).bulk!;

  beforeAll(async () => {
    // The bulk is sent for 14:59:00 exactly (sendAt), so its speed-limit slots do not depend on how long
    // the app took to start: the service clock starts a little earlier and reaches 14:59 a few real seconds later.
    app = await startEngineApp({ CLOCK_START: `${MONDAY}T14:54:00Z`, CLOCK_SPEED: String(SPEED) });
    gql = caller(app);
  });
  afterAll(async () => {
    await stopEngineApp(app);
  });

  it('dispatches the 5 slots before 15:00 and holds the other 5 for Tuesday 09:00', async () => {
    const sendAt = `${MONDAY}T14:59:00.000Z`;
    const numbers = Array.from({ length: 10 }, (_, i) => phone(i, 4));
    const sent = as(
      (
        await gql(EngineSendMessage, {
          input: {
            bulkId: 'closing-window-bulk',
            sendAt,
            sendingSpeedLimit: { amount: 5, timeUnit: 'MINUTE' },
            deliveryTimeWindow: NINE_TO_THREE,
            from: 'Omnishop',
            viber: { text: { text: 'Office hours only' } },
            destinations: numbers.map((phoneNumber) => ({ to: { phoneNumber } })),
          },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );
    expect(sent.messages).toHaveLength(10);
    const accepted = await bulk('closing-window-bulk');
    expect(accepted.status, 'the service clock had already passed sendAt when the bulk was accepted: the app started too slowly').toBe('PENDING');

    const slotsOf = (b: BulkView) =>
      b.messages.edges
        .map((e) => e.node.attempts[0]!.scheduledAt)
        .sort();
    const monday = [0, 12, 24, 36, 48].map((s) => iso(Date.parse(`${MONDAY}T14:59:00Z`) + s * 1000));
    // The next opening, with the limit's spacing kept from there: an opening brings no burst.
    const tuesday = [0, 12, 24, 36, 48].map((s) => iso(Date.parse(`${TUESDAY}T09:00:00Z`) + s * 1000));
    expect(slotsOf(accepted)).toEqual([...monday, ...tuesday]);

    await waitFor(() => bulk('closing-window-bulk'), (b) => b.counters.delivered >= 5, 20_000);
    // A minute and a half of service time after the window closed, the rest still waits.
    await waitFor(async () => app.services.clock.now().getTime(), (now) => now >= Date.parse(`${MONDAY}T15:01:30Z`), 20_000, 50);
    const b = await bulk('closing-window-bulk');
    expect(b.status).toBe('PROCESSING');
    expect(b.counters).toMatchObject({ total: 10, delivered: 5, pending: 5 });

    const nodes = b.messages.edges.map((e) => e.node);
    const delivered = nodes.filter((m) => m.status.groupName === 'DELIVERED');
    const waiting = nodes.filter((m) => m.status.groupName !== 'DELIVERED');
    expect(delivered.map((m) => m.attempts[0]!.scheduledAt).sort()).toEqual(monday);
    for (const m of delivered) {
      const sentAt = ms(m.attempts[0]!.sentAt);
      expect(sentAt).toBeGreaterThanOrEqual(Date.parse(`${MONDAY}T14:59:00Z`));
      expect(sentAt).toBeLessThan(Date.parse(`${MONDAY}T15:00:00Z`));
    }
    expect(waiting).toHaveLength(5);
    for (const m of waiting) {
      expect(m.status.name).toBe('PENDING_ACCEPTED');
      expect(m.sentAt).toBeNull();
      expect(m.attempts).toHaveLength(1);
      expect(m.attempts[0]).toMatchObject({ status: { name: 'PENDING_ACCEPTED' }, sentAt: null });
    }
    expect(waiting.map((m) => m.attempts[0]!.scheduledAt).sort()).toEqual(tuesday);
    expect(waiting.map((m) => m.attempts[0]!.scheduledAt).sort()[0]).toBe(`${TUESDAY}T09:00:00.000Z`);
  });

  it('refuses a window shorter than one hour, or one whose end is before its start', async () => {
    const send = (deliveryTimeWindow: DeliveryTimeWindowInput) =>
      gql(EngineSendMessage, {
        input: { from: 'Omnishop', viber: { text: { text: 'x' } }, destinations: [{ to: { phoneNumber: phone(50, 4) } }], deliveryTimeWindow },
      }).then((r) => as(r.sendMessage, 'ValidationError'));

    const short = await send({ days: WORKDAYS, from: { hour: 9, minute: 0 }, to: { hour: 9, minute: 59 } });
    expect(short.fieldErrors.length).toBeGreaterThan(0);
    for (const f of short.fieldErrors) expect(f.path.slice(0, 2)).toEqual(['input', 'deliveryTimeWindow']);
    expect(short.fieldErrors.map((f) => f.message).join(' ')).toMatch(/hour/);

    const backwards = await send({ days: WORKDAYS, from: { hour: 15, minute: 0 }, to: { hour: 9, minute: 0 } });
    expect(backwards.fieldErrors.length).toBeGreaterThan(0);
    for (const f of backwards.fieldErrors) expect(f.path.slice(0, 2)).toEqual(['input', 'deliveryTimeWindow']);

    // In a bulk entry the path names the entry.
    const inEntry = as(
      (
        await gql(EngineSendMessages, {
          input: {
            messages: [
              { from: 'Omnishop', viber: { text: { text: 'x' } }, destinations: [{ to: { phoneNumber: phone(51, 4) } }] },
              {
                from: 'Omnishop',
                viber: { text: { text: 'x' } },
                destinations: [{ to: { phoneNumber: phone(52, 4) } }],
                deliveryTimeWindow: { days: ['MONDAY'], from: { hour: 10, minute: 0 }, to: { hour: 10, minute: 30 } },
              },
            ],
          },
        })
      ).sendMessages,
      'ValidationError',
    );
    for (const f of inEntry.fieldErrors) expect(f.path.slice(0, 4)).toEqual(['input', 'messages', '1', 'deliveryTimeWindow']);

    // Exactly one hour is long enough.
    as(
      (
        await gql(EngineSendMessage, {
          input: {
            from: 'Omnishop',
            viber: { text: { text: 'x' } },
            destinations: [{ to: { phoneNumber: phone(53, 4) } }],
            deliveryTimeWindow: { days: WORKDAYS, from: { hour: 9, minute: 0 }, to: { hour: 10, minute: 0 } },
          },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );
  });

  it('moves an attempt found due while the window is closed (its job woke late) to the next opening, and keeps one woken early at its time; each gets a job', async () => {
    await waitFor(async () => app.services.clock.now().getTime(), (now) => now >= Date.parse(`${MONDAY}T15:00:30Z`), 20_000, 50);
    const sent = as(
      (
        await gql(EngineSendMessage, {
          input: {
            bulkId: 'late-job-bulk',
            deliveryTimeWindow: NINE_TO_THREE,
            from: 'Omnishop',
            viber: { text: { text: 'Office hours only' } },
            destinations: [{ to: { phoneNumber: phone(70, 4) } }],
          },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );
    const db = app.database.db;
    const attempt = await db
      .selectFrom('attempt as a')
      .innerJoin('message as m', 'm.id', 'a.messageRef')
      .select(['a.id'])
      .where('m.messageId', '=', sent.messages[0]!.messageId)
      .executeTakeFirstOrThrow();
    const dispatchJobsOf = (attemptRef: string) => sql<{ id: string; runAt: Date }>`
      select j.id, j.run_at from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'dispatch' and (j.payload::jsonb)->'attemptRefs' ? ${attemptRef}::text`.execute(db);
    // As if it had been planned inside the window and its only job ran after 15:00 (a job is gone once run).
    await db.updateTable('attempt').set({ notBefore: new Date(Date.parse(`${MONDAY}T14:59:30Z`)) }).where('id', '=', attempt.id).execute();
    const planned = (await dispatchJobsOf(attempt.id)).rows;
    expect(planned).toHaveLength(1);
    await sql`delete from graphile_worker._private_jobs where id = ${planned[0]!.id}`.execute(db);

    await app.services.dispatcher.dispatch([attempt.id]);

    const after = await db.selectFrom('attempt').select(['dispatchState', 'notBefore', 'sentAt']).where('id', '=', attempt.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ dispatchState: 'QUEUED', notBefore: new Date(`${TUESDAY}T09:00:00Z`), sentAt: null });
    const jobs = (await dispatchJobsOf(attempt.id)).rows;
    expect(jobs.map((j) => j.runAt.getTime())).toEqual([app.services.clock.toReal(new Date(`${TUESDAY}T09:00:00Z`)).getTime()]);

    // Not due yet when its job ran (a job that woke early): its time stands, and it gets a job at that time.
    const later = new Date(`${TUESDAY}T10:00:00Z`);
    await db.updateTable('attempt').set({ notBefore: later }).where('id', '=', attempt.id).execute();
    await sql`delete from graphile_worker._private_jobs where id = ${jobs[0]!.id}`.execute(db);
    await app.services.dispatcher.dispatch([attempt.id]);
    expect(await db.selectFrom('attempt').select(['dispatchState', 'notBefore']).where('id', '=', attempt.id).executeTakeFirstOrThrow()).toEqual({
      dispatchState: 'QUEUED',
      notBefore: later,
    });
    expect((await dispatchJobsOf(attempt.id)).rows.map((j) => j.runAt.getTime())).toEqual([app.services.clock.toReal(later).getTime()]);
  });
});

describe('delivery time window: a bulk sent before the window opens', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;

  beforeAll(async () => {
    app = await startEngineApp({ CLOCK_START: `${MONDAY}T08:56:00Z`, CLOCK_SPEED: String(SPEED) });
    gql = caller(app);
  });
  afterAll(async () => {
    await stopEngineApp(app);
  });

  it('waits for 09:00 and then sends, keeping the speed limit from the opening', async () => {
    const numbers = Array.from({ length: 3 }, (_, i) => phone(60 + i, 4));
    as(
      (
        await gql(EngineSendMessage, {
          input: {
            bulkId: 'early-bulk',
            sendingSpeedLimit: { amount: 5, timeUnit: 'MINUTE' },
            deliveryTimeWindow: NINE_TO_THREE,
            from: 'Omnishop',
            viber: { text: { text: 'Good morning' } },
            destinations: numbers.map((phoneNumber) => ({ to: { phoneNumber } })),
          },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );
    expect(app.services.clock.now().getTime(), 'the service clock passed 09:00 before the send').toBeLessThan(Date.parse(`${MONDAY}T09:00:00Z`));
    let b = (await gql(EngineBulk, { bulkId: 'early-bulk', first: 10 })).bulk!;
    expect(b.messages.edges.map((e) => e.node.attempts[0]!.scheduledAt).sort()).toEqual(
      [0, 12, 24].map((s) => iso(Date.parse(`${MONDAY}T09:00:00Z`) + s * 1000)),
    );
    b = (await waitFor(() => gql(EngineBulk, { bulkId: 'early-bulk', first: 10 }).then((r) => r.bulk!), (x) => x.status === 'FINISHED', 20_000))!;
    expect(b.counters).toMatchObject({ total: 3, delivered: 3 });
    // None went before the opening.
    for (const e of b.messages.edges) expect(ms(e.node.attempts[0]!.sentAt)).toBeGreaterThanOrEqual(Date.parse(`${MONDAY}T09:00:00Z`));
  });
});
