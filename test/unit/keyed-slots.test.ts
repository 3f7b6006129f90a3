import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyedSlots } from '../../src/messaging/keyed-slots.js';

describe('KeyedSlots', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('gives each key at most its capacity, independently of other keys', async () => {
    const slots = new KeyedSlots(2);
    expect(await slots.acquire(['a'], 0)).not.toBeNull();
    expect(await slots.acquire(['a'], 0)).not.toBeNull();
    expect(await slots.acquire(['a'], 0)).toBeNull();
    expect(await slots.acquire(['b'], 0)).not.toBeNull();
    expect(slots.used('a')).toBe(2);
    expect(slots.used('b')).toBe(1);
  });

  it('gives up after waitMs when the key stays full, holding nothing', async () => {
    const slots = new KeyedSlots(1);
    await slots.acquire(['a'], 0);
    const waiting = slots.acquire(['a'], 100);
    await vi.advanceTimersByTimeAsync(99);
    let settled = false;
    void waiting.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toBeNull();
    expect(slots.used('a')).toBe(1);
  });

  it('hands a released slot to the longest waiter, before any newcomer', async () => {
    const slots = new KeyedSlots(1);
    const release = (await slots.acquire(['a'], 0))!;
    const first = slots.acquire(['a'], 1_000);
    const second = slots.acquire(['a'], 1_000);
    release();
    expect(await slots.acquire(['a'], 0)).toBeNull(); // the newcomer finds it taken
    const firstRelease = await first;
    expect(firstRelease).not.toBeNull();
    firstRelease!();
    expect(await second).not.toBeNull();
    expect(slots.used('a')).toBe(1);
  });

  it('takes every key or none: a full key gives back the ones already taken', async () => {
    const slots = new KeyedSlots(1);
    await slots.acquire(['b'], 0);
    expect(await slots.acquire(['a', 'b'], 0)).toBeNull();
    expect(slots.used('a')).toBe(0);
    const both = await slots.acquire(['a', 'c', 'c'], 0);
    expect(slots.used('a')).toBe(1);
    expect(slots.used('c')).toBe(1);
    both!();
    both!(); // a second release gives nothing back twice
    expect(slots.used('a')).toBe(0);
    expect(slots.used('c')).toBe(0);
  });
});
