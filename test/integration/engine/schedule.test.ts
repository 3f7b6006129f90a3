import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EngineBulk,
  EngineCancelBulk,
  EnginePauseBulk,
  EngineRescheduleBulk,
  EngineResumeBulk,
  EngineSendMessage,
  EngineSendMessages,
} from '../../documents/engine.js';
import type { EngineBulkQuery, SendMessageInput } from '../../generated/graphql.js';
import { as, caller, ms, phone, sleep, startEngineApp, stopEngineApp, waitFor, type EngineApp } from './support.js';

type BulkView = NonNullable<EngineBulkQuery['bulk']>;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('scheduled bulks: sendAt, pause, resume, reschedule, cancel', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;

  const bulk = async (bulkId: string): Promise<BulkView> => {
    const b = (await gql(EngineBulk, { bulkId, first: 100 })).bulk;
    if (!b) throw new Error(`bulk ${bulkId} not found`);
    return b;
  };
  const send = async (input: Partial<SendMessageInput> & Pick<SendMessageInput, 'destinations'>) =>
    (await gql(EngineSendMessage, { input: { from: 'Omnishop', viber: { text: { text: 'Scheduled hello' } }, ...input } })).sendMessage;
  const messagesOf = (b: BulkView) => b.messages.edges.map((e) => e.node);
  const attemptsOf = (b: BulkView) => messagesOf(b).flatMap((m) => m.attempts);

  beforeAll(async () => {
    app = await startEngineApp();
    gql = caller(app);
  });
  afterAll(async () => {
    await stopEngineApp(app);
  });

  it('holds a bulk until sendAt, pauses, resumes, and goes at once when rescheduled to now', async () => {
    const sendAt = new Date(Date.now() + HOUR).toISOString();
    const destinations = [phone(1, 4), phone(2, 4), phone(3, 4)].map((phoneNumber) => ({ to: { phoneNumber } }));
    const sent = as(await send({ bulkId: 'scheduled-bulk', sendAt, destinations }), 'SendMessageSuccess');
    expect(sent.bulkId).toBe('scheduled-bulk');
    expect(sent.messages.every((m) => m.status.name === 'PENDING_ACCEPTED')).toBe(true);

    let b = await bulk('scheduled-bulk');
    expect(b.status).toBe('PENDING');
    expect(b.sendAt).toBe(sendAt);
    expect(b.counters).toMatchObject({ total: 3, pending: 3 });
    expect(attemptsOf(b)).toHaveLength(3);
    expect(attemptsOf(b).map((a) => a.scheduledAt)).toEqual([sendAt, sendAt, sendAt]);

    // Nothing goes out before sendAt.
    await sleep(2_000);
    b = await bulk('scheduled-bulk');
    expect(b.status).toBe('PENDING');
    expect(messagesOf(b).map((m) => [m.status.name, m.sentAt])).toEqual(Array(3).fill(['PENDING_ACCEPTED', null]));
    expect(attemptsOf(b).map((a) => [a.status.name, a.sentAt])).toEqual(Array(3).fill(['PENDING_ACCEPTED', null]));

    const paused = as((await gql(EnginePauseBulk, { bulkId: 'scheduled-bulk' })).pauseBulk, 'PauseBulkSuccess');
    expect(paused.bulk.status).toBe('PAUSED');
    expect((await bulk('scheduled-bulk')).status).toBe('PAUSED');
    // Pausing twice is refused: only a PENDING or PROCESSING bulk can be paused.
    as((await gql(EnginePauseBulk, { bulkId: 'scheduled-bulk' })).pauseBulk, 'ValidationError');

    const resumed = as((await gql(EngineResumeBulk, { bulkId: 'scheduled-bulk' })).resumeBulk, 'ResumeBulkSuccess');
    expect(resumed.bulk.status).toBe('PENDING');
    b = await bulk('scheduled-bulk');
    expect(b.status).toBe('PENDING');
    expect(attemptsOf(b).map((a) => a.scheduledAt)).toEqual([sendAt, sendAt, sendAt]);
    expect(attemptsOf(b).every((a) => a.sentAt === null)).toBe(true);

    const rescheduledAt = Date.now();
    const now = new Date(rescheduledAt).toISOString();
    const rescheduled = as((await gql(EngineRescheduleBulk, { bulkId: 'scheduled-bulk', sendAt: now })).rescheduleBulk, 'RescheduleBulkSuccess');
    expect(rescheduled.bulk.sendAt).toBe(now);
    expect(['PROCESSING', 'FINISHED']).toContain(rescheduled.bulk.status);

    b = await waitFor(() => bulk('scheduled-bulk'), (x) => x.status === 'FINISHED', 15_000);
    expect(b.counters).toMatchObject({ total: 3, delivered: 3 });
    for (const m of messagesOf(b)) {
      expect(m.status.name).toBe('DELIVERED_TO_HANDSET');
      expect(m.attempts).toHaveLength(1);
      const a = m.attempts[0]!;
      // Rescheduled to now: due at once, not at the old sendAt, and sent within seconds.
      expect(ms(a.scheduledAt)).toBeGreaterThanOrEqual(rescheduledAt - 1_000);
      expect(ms(a.scheduledAt)).toBeLessThan(rescheduledAt + 5_000);
      expect(ms(a.sentAt)).toBeGreaterThanOrEqual(ms(a.scheduledAt));
      expect(ms(a.sentAt)).toBeLessThan(rescheduledAt + 10_000);
    }
  });

  it('cancels a scheduled bulk: every message REJECTED_CANCELED, nothing ever sent, and no resume after', async () => {
    const sendAt = new Date(Date.now() + HOUR).toISOString();
    const destinations = [phone(10, 4), phone(11, 5), phone(12, 6), phone(13, 0)].map((phoneNumber) => ({ to: { phoneNumber } }));
    as(
      (
        await gql(EngineSendMessages, {
          input: {
            bulkId: 'canceled-bulk',
            sendAt,
            messages: [{ from: 'Omnishop', viber: { text: { text: 'never sent' } }, smsFailover: { from: 'Omnishop', text: 'never sent' }, destinations }],
          },
        })
      ).sendMessages,
      'SendMessageSuccess',
    );
    expect((await bulk('canceled-bulk')).status).toBe('PENDING');

    const canceled = as((await gql(EngineCancelBulk, { bulkId: 'canceled-bulk' })).cancelBulk, 'CancelBulkSuccess');
    expect(canceled.bulk.status).toBe('CANCELED');

    const check = async () => {
      const b = await bulk('canceled-bulk');
      expect(b.status).toBe('CANCELED');
      expect(b.counters).toEqual({ total: 4, accepted: 0, pending: 0, delivered: 0, undeliverable: 0, expired: 0, rejected: 4 });
      for (const m of messagesOf(b)) {
        expect(m.status).toEqual({ groupName: 'REJECTED', name: 'REJECTED_CANCELED' });
        expect(m.sentAt).toBeNull();
        expect(m.attempts).toHaveLength(1); // no failover out of a cancel
        expect(m.attempts[0]).toMatchObject({ channel: 'VIBER', sentAt: null, status: { name: 'REJECTED_CANCELED' } });
      }
    };
    await check();
    await sleep(1_500);
    await check();

    const resume = as((await gql(EngineResumeBulk, { bulkId: 'canceled-bulk' })).resumeBulk, 'ValidationError');
    expect(resume.fieldErrors.map((f) => f.path)).toEqual([['bulkId']]);
    as((await gql(EngineRescheduleBulk, { bulkId: 'canceled-bulk', sendAt: new Date().toISOString() })).rescheduleBulk, 'ValidationError');
    as((await gql(EnginePauseBulk, { bulkId: 'canceled-bulk' })).pauseBulk, 'ValidationError');
    await sleep(1_000);
    await check();
  });

  it('cancels a bulk mid-way: what was handed to the provider runs its course, the rest is never sent', async () => {
    // One a minute: the first goes at once, the other two wait for slots a minute and two away.
    const destinations = [phone(20, 4), phone(21, 4), phone(22, 4)].map((phoneNumber) => ({ to: { phoneNumber } }));
    as(
      await send({ bulkId: 'half-canceled-bulk', sendingSpeedLimit: { amount: 1, timeUnit: 'MINUTE' }, destinations }),
      'SendMessageSuccess',
    );
    await waitFor(() => bulk('half-canceled-bulk'), (b) => messagesOf(b).some((m) => m.sentAt !== null), 10_000);
    as((await gql(EngineCancelBulk, { bulkId: 'half-canceled-bulk' })).cancelBulk, 'CancelBulkSuccess');
    const b = await waitFor(
      () => bulk('half-canceled-bulk'),
      (x) => messagesOf(x).every((m) => ['DELIVERED', 'REJECTED'].includes(m.status.groupName)),
      10_000,
    );
    const byTo = new Map(messagesOf(b).map((m) => [m.to, m]));
    expect(byTo.get(`+${phone(20, 4)}`)).toMatchObject({ status: { name: 'DELIVERED_TO_HANDSET' } });
    expect(byTo.get(`+${phone(20, 4)}`)!.sentAt).not.toBeNull();
    for (const n of [phone(21, 4), phone(22, 4)]) {
      expect(byTo.get(`+${n}`)).toMatchObject({ sentAt: null, status: { name: 'REJECTED_CANCELED' } });
      expect(byTo.get(`+${n}`)!.attempts.every((a) => a.sentAt === null)).toBe(true);
    }
    expect(b.status).toBe('CANCELED');
    expect(b.counters).toMatchObject({ total: 3, delivered: 1, rejected: 2 });
  });

  it('refuses a sendAt more than 180 days ahead, storing nothing', async () => {
    const sendAt = new Date(Date.now() + 181 * DAY).toISOString();
    const one = as(await send({ bulkId: 'too-far-bulk', sendAt, destinations: [{ to: { phoneNumber: phone(30, 4) } }] }), 'ValidationError');
    expect(one.fieldErrors.map((f) => f.path)).toEqual([['input', 'sendAt']]);
    const many = as(
      (
        await gql(EngineSendMessages, {
          input: { bulkId: 'too-far-bulk', sendAt, messages: [{ from: 'Omnishop', viber: { text: { text: 'x' } }, destinations: [{ to: { phoneNumber: phone(30, 4) } }] }] },
        })
      ).sendMessages,
      'ValidationError',
    );
    expect(many.fieldErrors.map((f) => f.path)).toEqual([['input', 'sendAt']]);
    expect((await gql(EngineBulk, { bulkId: 'too-far-bulk', first: 1 })).bulk).toBeNull();

    // 179 days is fine, and rescheduling beyond 180 days is refused too.
    const near = new Date(Date.now() + 179 * DAY).toISOString();
    as(await send({ bulkId: 'far-but-fine-bulk', sendAt: near, destinations: [{ to: { phoneNumber: phone(31, 4) } }] }), 'SendMessageSuccess');
    const moved = as((await gql(EngineRescheduleBulk, { bulkId: 'far-but-fine-bulk', sendAt })).rescheduleBulk, 'ValidationError');
    expect(moved.fieldErrors.map((f) => f.path)).toEqual([['sendAt']]);
    expect((await bulk('far-but-fine-bulk')).sendAt).toBe(near);
  });

  it('sends at once when sendAt is in the past', async () => {
    const before = Date.now();
    const sendAt = new Date(before - HOUR).toISOString();
    as(await send({ bulkId: 'past-bulk', sendAt, destinations: [{ to: { phoneNumber: phone(40, 4) } }, { to: { phoneNumber: phone(41, 5) } }] }), 'SendMessageSuccess');
    const b = await waitFor(() => bulk('past-bulk'), (x) => x.status === 'FINISHED', 15_000);
    expect(b.counters).toMatchObject({ total: 2, delivered: 2 });
    for (const a of attemptsOf(b)) {
      expect(ms(a.scheduledAt)).toBeGreaterThanOrEqual(before - 1_000);
      expect(ms(a.sentAt)).toBeLessThan(before + 10_000);
    }
  });
});
