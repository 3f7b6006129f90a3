import { describe, it, expect } from 'vitest';
import {
  speedLimitSlots,
  validateSpeedLimit,
  SPEED_UNIT_MS,
  type SendingSpeedLimit,
  type SpeedTimeUnit,
} from '../../src/domain/speed-limit.js';

const START = new Date('2024-05-01T10:00:00.000Z');
const ms = (dates: Date[]) => dates.map((x) => x.getTime() - START.getTime());

/**
 * Largest number of instants inside any half-open window [t, t + unitMs). The densest window can
 * always be slid right until it starts on an instant, so checking windows that start on each
 * instant is exhaustive. Deliberately quadratic and independent of the implementation's reasoning.
 */
function maxInAnyWindow(instants: number[], unitMs: number): number {
  let max = 0;
  for (const t of instants) {
    let n = 0;
    for (const u of instants) if (u >= t && u < t + unitMs) n++;
    max = Math.max(max, n);
  }
  return max;
}

function expectRespectsLimit(limit: SendingSpeedLimit, dates: Date[]): void {
  const instants = dates.map((x) => x.getTime());
  expect(maxInAnyWindow(instants, SPEED_UNIT_MS[limit.timeUnit])).toBeLessThanOrEqual(limit.amount);
}

describe('validateSpeedLimit', () => {
  it('accepts the bounds', () => {
    expect(validateSpeedLimit({ amount: 1, timeUnit: 'MINUTE' })).toEqual([]);
    expect(validateSpeedLimit({ amount: 1_000_000, timeUnit: 'DAY' })).toEqual([]);
    expect(validateSpeedLimit({ amount: 500, timeUnit: 'HOUR' })).toEqual([]);
  });

  it('rejects amounts out of range', () => {
    for (const amount of [0, -5, 1_000_001]) {
      expect(validateSpeedLimit({ amount, timeUnit: 'MINUTE' })).toEqual([
        { path: ['amount'], message: 'must be from 1 to 1,000,000' },
      ]);
    }
  });

  it('rejects non-integers', () => {
    for (const amount of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
      expect(validateSpeedLimit({ amount, timeUnit: 'MINUTE' })).toEqual([
        { path: ['amount'], message: 'must be an integer' },
      ]);
    }
  });

  it('rejects an unknown time unit', () => {
    expect(validateSpeedLimit({ amount: 10, timeUnit: 'SECOND' as SpeedTimeUnit })).toEqual([
      { path: ['timeUnit'], message: 'must be one of MINUTE, HOUR, DAY' },
    ]);
  });

  it('reports both fields at once', () => {
    expect(validateSpeedLimit({ amount: 0, timeUnit: 'WEEK' as SpeedTimeUnit }).map((e) => e.path)).toEqual([
      ['amount'],
      ['timeUnit'],
    ]);
  });
});

describe('speedLimitSlots', () => {
  it('sends the first message at start', () => {
    expect(ms(speedLimitSlots({ amount: 10, timeUnit: 'MINUTE' }, START, 1))).toEqual([0]);
  });

  it('returns nothing for count 0', () => {
    expect(speedLimitSlots({ amount: 10, timeUnit: 'MINUTE' }, START, 0)).toEqual([]);
  });

  it('spreads messages evenly across each unit', () => {
    expect(ms(speedLimitSlots({ amount: 4, timeUnit: 'MINUTE' }, START, 9))).toEqual([
      0, 15_000, 30_000, 45_000, 60_000, 75_000, 90_000, 105_000, 120_000,
    ]);
  });

  it('sends one per unit for amount 1', () => {
    expect(ms(speedLimitSlots({ amount: 1, timeUnit: 'HOUR' }, START, 3))).toEqual([0, 3_600_000, 7_200_000]);
    expect(ms(speedLimitSlots({ amount: 1, timeUnit: 'DAY' }, START, 2))).toEqual([0, 86_400_000]);
  });

  it('floors uneven spacing to whole milliseconds', () => {
    // 60,000 / 7 = 8571.43 ms apart.
    expect(ms(speedLimitSlots({ amount: 7, timeUnit: 'MINUTE' }, START, 8))).toEqual([
      0, 8571, 17142, 25714, 34285, 42857, 51428, 60_000,
    ]);
  });

  it('puts several messages in one millisecond when the rate exceeds 1/ms', () => {
    const slots = ms(speedLimitSlots({ amount: 1_000_000, timeUnit: 'MINUTE' }, START, 40));
    expect(slots.slice(0, 17).every((x) => x === 0)).toBe(true);
    expect(slots[17]).toBe(1);
  });

  it('continues after alreadyScheduled messages', () => {
    const limit: SendingSpeedLimit = { amount: 3, timeUnit: 'MINUTE' };
    expect(ms(speedLimitSlots(limit, START, 2, 4))).toEqual([80_000, 100_000]);
  });

  it('produces the same schedule whether a batch is planned at once or in chunks', () => {
    const limit: SendingSpeedLimit = { amount: 7, timeUnit: 'HOUR' };
    const whole = ms(speedLimitSlots(limit, START, 50));
    const chunked = [
      ...speedLimitSlots(limit, START, 13),
      ...speedLimitSlots(limit, START, 20, 13),
      ...speedLimitSlots(limit, START, 17, 33),
    ];
    expect(ms(chunked)).toEqual(whole);
  });

  it('is non-decreasing', () => {
    const slots = ms(speedLimitSlots({ amount: 13, timeUnit: 'MINUTE' }, START, 500));
    for (let i = 1; i < slots.length; i++) expect(slots[i]).toBeGreaterThanOrEqual(slots[i - 1] ?? 0);
  });

  it('stays exact for indexes far beyond the float-safe product', () => {
    // i * unitMs would be ~8.6e19 here, beyond 2^53; splitting into units keeps it exact.
    const limit: SendingSpeedLimit = { amount: 1_000_000, timeUnit: 'DAY' };
    const [a, b] = speedLimitSlots(limit, START, 2, 1_000_000_000_000 - 1);
    expect((a?.getTime() ?? 0) - START.getTime()).toBe(999_999 * 86_400_000 + 86_399_913);
    expect((b?.getTime() ?? 0) - START.getTime()).toBe(1_000_000 * 86_400_000);
  });

  it('rejects bad input', () => {
    const limit: SendingSpeedLimit = { amount: 5, timeUnit: 'MINUTE' };
    expect(() => speedLimitSlots({ amount: 0, timeUnit: 'MINUTE' }, START, 1)).toThrow(RangeError);
    expect(() => speedLimitSlots(limit, new Date(Number.NaN), 1)).toThrow(RangeError);
    expect(() => speedLimitSlots(limit, START, -1)).toThrow(RangeError);
    expect(() => speedLimitSlots(limit, START, 1.5)).toThrow(RangeError);
    expect(() => speedLimitSlots(limit, START, 1, -2)).toThrow(RangeError);
  });
});

describe('speedLimitSlots: no window of one unit holds more than amount', () => {
  it('holds for a grid of limits, counts and offsets', () => {
    const units: SpeedTimeUnit[] = ['MINUTE', 'HOUR', 'DAY'];
    for (const timeUnit of units) {
      for (const amount of [1, 2, 3, 7, 10, 59, 60, 61, 97, 1000, 1_000_000]) {
        for (const already of [0, 1, amount - 1, amount, 3 * amount + 2]) {
          const count = Math.min(3 * amount + 5, 400);
          const limit = { amount, timeUnit };
          const slots = speedLimitSlots(limit, START, count, already);
          expect(slots).toHaveLength(count);
          expectRespectsLimit(limit, slots);
          // The limit also holds together with the messages scheduled earlier.
          if (already <= 2000) expectRespectsLimit(limit, [...speedLimitSlots(limit, START, already), ...slots]);
        }
      }
    }
  });

  it('is tight: some window holds exactly amount once there are enough messages', () => {
    for (const amount of [1, 5, 12, 60]) {
      const limit: SendingSpeedLimit = { amount, timeUnit: 'MINUTE' };
      const slots = speedLimitSlots(limit, START, amount * 3);
      expect(maxInAnyWindow(slots.map((x) => x.getTime()), 60_000)).toBe(amount);
    }
  });

  it('the brute-force checker catches a burst that violates the limit', () => {
    // Sanity check of the checker itself: amount at :00 and amount at :59.999 breaks the limit.
    const bad = [0, 0, 59_999, 59_999].map((x) => START.getTime() + x);
    expect(maxInAnyWindow(bad, 60_000)).toBe(4);
    expect(maxInAnyWindow([0, 0, 60_000, 60_000], 60_000)).toBe(2);
  });

  it('holds for pseudo-random limits', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let n = 0; n < 200; n++) {
      const amount = 1 + Math.floor(rand() * 200);
      const timeUnit = (['MINUTE', 'HOUR', 'DAY'] as const)[Math.floor(rand() * 3)] ?? 'MINUTE';
      const limit = { amount, timeUnit };
      const start = new Date(START.getTime() + Math.floor(rand() * 1e9));
      const slots = speedLimitSlots(limit, start, Math.floor(rand() * 300), Math.floor(rand() * 1000));
      expectRespectsLimit(limit, slots);
    }
  });
});
