import { describe, expect, it } from 'vitest';
import type { DeliveryTimeWindow } from '../../src/domain/delivery-window.js';
import { scheduleDispatches } from '../../src/domain/dispatch-schedule.js';

const MINUTE = 60_000;

function maxInAnyWindow(times: Date[], lengthMs: number): number {
  const t = times.map((d) => d.getTime()).sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i += 1) {
    while (t[i]! - t[j]! >= lengthMs) j += 1;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('scheduleDispatches', () => {
  const start = new Date('2026-11-23T10:00:00Z'); // a Monday

  it('sends everything at the start when nothing shapes delivery', () => {
    expect(new Set(scheduleDispatches(start, 5, null, () => null).map((d) => d.getTime()))).toEqual(new Set([start.getTime()]));
  });

  it('never puts more than `amount` in any window of one unit', () => {
    for (const amount of [1, 5, 7, 60]) {
      const times = scheduleDispatches(start, 200, { amount, timeUnit: 'MINUTE' }, () => null);
      expect(maxInAnyWindow(times, MINUTE)).toBe(amount);
      expect(times[0]).toEqual(start);
    }
  });

  it('moves messages that fall outside the window to the next opening and keeps their spacing', () => {
    const window: DeliveryTimeWindow = { days: ['MONDAY', 'TUESDAY'], from: { hour: 9, minute: 0 }, to: { hour: 10, minute: 1 } };
    const times = scheduleDispatches(start, 10, { amount: 5, timeUnit: 'MINUTE' }, () => window);
    // 10:00:00, :12, :24, :36, :48 are inside; 10:01:00 is the closing minute → Tuesday 09:00.
    expect(times.slice(0, 5).every((d) => d.getTime() < Date.parse('2026-11-23T10:01:00Z'))).toBe(true);
    expect(times[5]).toEqual(new Date('2026-11-24T09:00:00Z'));
    expect(times[6]).toEqual(new Date('2026-11-24T09:00:12Z'));
    expect(maxInAnyWindow(times, MINUTE)).toBeLessThanOrEqual(5);
  });
});
