import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBulk, EngineCreateScenario, EngineSendMessage } from '../../documents/engine.js';
import type { EngineBulkQuery } from '../../generated/graphql.js';
import { as, caller, ms, phone, startEngineApp, stopEngineApp, waitFor, type EngineApp } from './support.js';

type BulkView = NonNullable<EngineBulkQuery['bulk']>;
const SPEED = 60; // one service minute per real second
const MINUTE = 60_000;
const SLOT = MINUTE / 5; // 5 per minute: one every 12 service seconds

/** The most instants that fall in any half-open window [t, t + width). */
function busiestWindow(instants: number[], width: number): number {
  const sorted = [...instants].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    let j = i;
    while (j < sorted.length && sorted[j]! < sorted[i]! + width) j += 1;
    most = Math.max(most, j - i);
  }
  return most;
}

describe('sending speed limit (service clock at 60× speed)', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;

  beforeAll(async () => {
    app = await startEngineApp({ CLOCK_SPEED: String(SPEED) });
    gql = caller(app);
    as(
      (
        await gql(EngineCreateScenario, {
          input: { name: 'Viber then SMS', flow: [{ channel: 'VIBER', from: 'Omnishop' }, { channel: 'SMS', from: 'Omnishop' }] },
        })
      ).createScenario,
      'CreateScenarioSuccess',
    );
  });
  afterAll(async () => {
    await stopEngineApp(app);
  });

  // The first three are rejected on Viber and fail over to SMS; the rest Viber delivers.
  const numbers = Array.from({ length: 15 }, (_, i) => phone(i, i < 3 ? 0 : 4));
  let b: BulkView;
  let messages: BulkView['messages']['edges'][number]['node'][];
  let scheduled: number[];
  let sentAt: number[];
  let sortedSent: number[];
  let report: string;

  beforeAll(async () => {
    const sent = as(
      (
        await gql(EngineSendMessage, {
          input: {
            bulkId: 'limited-bulk',
            sendingSpeedLimit: { amount: 5, timeUnit: 'MINUTE' },
            destinations: numbers.map((phoneNumber) => ({ to: { phoneNumber } })),
            viber: { text: { text: 'Limited' } },
            sms: { text: 'Limited (SMS)' },
          },
        })
      ).sendMessage,
      'SendMessageSuccess',
    );
    expect(sent.messages).toHaveLength(15);
    b = (await waitFor(
      () => gql(EngineBulk, { bulkId: 'limited-bulk', first: 100 }).then((r) => r.bulk),
      (x) => x?.status === 'FINISHED',
      // 14 slots of 12 service seconds = 2.8 real seconds, plus delivery.
      30_000,
    ))!;
    messages = b.messages.edges.map((e) => e.node);
    const firsts = messages.map((m) => m.attempts.find((a) => a.step === 1)!);
    scheduled = firsts.map((a) => ms(a.scheduledAt));
    sentAt = firsts.map((a) => ms(a.sentAt));
    sortedSent = [...sentAt].sort((x, y) => x - y);
    const origin = Math.min(...scheduled);
    // Service seconds from the first slot, printed with every failure below.
    report = JSON.stringify({
      scheduled: [...scheduled].sort((x, y) => x - y).map((t) => (t - origin) / 1000),
      sent: sortedSent.map((t) => (t - origin) / 1000),
    });
  });

  // The plan itself (12 s slots) is unit-tested in test/unit/dispatch-schedule.test.ts; here jobs wake late
  // and the dispatcher may move an attempt on to keep the limit, so scheduledAt is where each one ended up.
  it('delivers all 15, each sent no sooner than it was scheduled, over at least the planned 14 slots', () => {
    expect(b.sendingSpeedLimit).toEqual({ amount: 5, timeUnit: 'MINUTE' });
    expect(b.counters).toMatchObject({ total: 15, delivered: 15 });
    expect(scheduled).toHaveLength(15);
    expect(Math.max(...scheduled) - Math.min(...scheduled), report).toBeGreaterThanOrEqual(14 * SLOT);
    for (let i = 0; i < 15; i += 1) expect(sentAt[i]!, report).toBeGreaterThanOrEqual(scheduled[i]!);
  });

  it('never sends more than 5 first attempts in any 60-second window of service time, over at least 2 service minutes', () => {
    expect(sortedSent.at(-1)! - sortedSent[0]!, report).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(busiestWindow(sentAt, MINUTE), report).toBeLessThanOrEqual(5);
  });

  it('does not hold failover back: the SMS is due the moment Viber rejects, not in a later slot', () => {
    const failovers = messages.filter((m) => m.attempts.length > 1);
    expect(failovers.map((m) => m.to).sort()).toEqual(numbers.slice(0, 3).map((n) => `+${n}`).sort());
    for (const m of failovers) {
      const [viber, sms] = m.attempts;
      expect(viber).toMatchObject({ channel: 'VIBER', status: { name: 'REJECTED_DESTINATION_NOT_REGISTERED' } });
      expect(sms).toMatchObject({ channel: 'SMS', status: { name: 'DELIVERED_TO_HANDSET' } });
      const rejectedAt = ms(viber!.doneAt);
      expect(Math.abs(ms(sms!.scheduledAt) - rejectedAt), report).toBeLessThanOrEqual(1_000);
      // Sent within 90 service seconds (1.5 real seconds) of the rejection, not after the bulk's 168 s of slots.
      expect(ms(sms!.sentAt) - rejectedAt, report).toBeLessThan(90_000);
    }
    // The first message's SMS was due while the bulk's later first attempts were still waiting for their slots.
    const firstSms = messages.find((m) => m.to === `+${numbers[0]}`)!.attempts[1]!;
    expect(ms(firstSms.scheduledAt), report).toBeLessThan(Math.max(...scheduled));
  });
});
