import { describe, expect, it } from 'vitest';
import { KeyCostRate } from '../../src/graphql/limits/key-cost-rate.js';

describe('KeyCostRate (per-key query cost budget)', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('lets a key spend its burst, then refuses with the seconds until the cost fits', () => {
    const c = clock();
    const rate = new KeyCostRate(1_000, 8_000, c.now);
    expect(rate.trySpend('k', 7_000)).toBe(0);
    // 1,000 left: 7,000 more needs 6 s of earning at 1,000 a second.
    expect(rate.trySpend('k', 7_000)).toBe(6);
    // A refusal spends nothing: a cheap operation still fits.
    expect(rate.trySpend('k', 900)).toBe(0);
  });

  it('earns back at its rate, never beyond the burst', () => {
    const c = clock();
    const rate = new KeyCostRate(1_000, 8_000, c.now);
    expect(rate.trySpend('k', 8_000)).toBe(0);
    c.advance(3_000);
    expect(rate.trySpend('k', 3_500)).toBe(1);
    expect(rate.trySpend('k', 3_000)).toBe(0);
    c.advance(3_600_000);
    expect(rate.trySpend('k', 8_000)).toBe(0);
    expect(rate.trySpend('k', 1)).toBe(1);
  });

  it('keeps one bucket per key: one key spending all of its budget leaves another untouched', () => {
    const rate = new KeyCostRate(1_000, 8_000, clock().now);
    expect(rate.trySpend('flooder', 8_000)).toBe(0);
    expect(rate.trySpend('flooder', 10)).toBeGreaterThan(0);
    expect(rate.trySpend('victim', 8_000)).toBe(0);
  });

  it('names at least one second, and a cost above the burst waits only for a full bucket', () => {
    const c = clock();
    const rate = new KeyCostRate(1_000_000, 8_000, c.now);
    expect(rate.trySpend('k', 8_000)).toBe(0);
    expect(rate.trySpend('k', 1)).toBe(1);
    const slow = new KeyCostRate(1_000, 8_000, c.now);
    expect(slow.trySpend('k', 20_000)).toBe(0);
    expect(slow.trySpend('k', 20_000)).toBe(8);
  });
});
