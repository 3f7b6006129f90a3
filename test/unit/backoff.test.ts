import { describe, it, expect } from 'vitest';
import { parseRetryAfter, retryDelayMs } from '../../src/domain/backoff.js';

const always = (r: number) => () => r;

describe('retryDelayMs', () => {
  it('never goes below half the base delay', () => {
    for (const attempt of [1, 2, 5, 20]) expect(retryDelayMs(attempt, { random: always(0) })).toBe(500);
    expect(retryDelayMs(3, { baseMs: 200, random: always(0) })).toBe(100);
  });

  it('stays below the exponential ceiling', () => {
    const top = always(0.999_999_9);
    expect(retryDelayMs(1, { random: top })).toBe(999);
    expect(retryDelayMs(2, { random: top })).toBe(1999);
    expect(retryDelayMs(3, { random: top })).toBe(3999);
    expect(retryDelayMs(9, { random: top })).toBe(255_999);
  });

  it('draws uniformly between the floor and the ceiling', () => {
    // attempt 3: [500, 4000)
    expect(retryDelayMs(3, { random: always(0.5) })).toBe(2250);
    expect(retryDelayMs(1, { random: always(0.25) })).toBe(625);
  });

  it('caps at maxMs (default 5 minutes)', () => {
    const top = always(0.999_999_9);
    expect(retryDelayMs(10, { random: top })).toBe(299_999);
    expect(retryDelayMs(1000, { random: top })).toBe(299_999);
    expect(retryDelayMs(Number.MAX_SAFE_INTEGER, { random: top })).toBe(299_999);
    expect(retryDelayMs(4, { maxMs: 2500, random: top })).toBe(2499);
  });

  it('returns the floor when floor and ceiling meet', () => {
    expect(retryDelayMs(1, { baseMs: 1, random: always(0.9) })).toBe(1);
  });

  it('returns whole milliseconds for odd bases', () => {
    const d = retryDelayMs(1, { baseMs: 1001, random: always(0) });
    expect(d).toBe(501);
    expect(Number.isInteger(retryDelayMs(2, { baseMs: 333.3, random: always(0.123) }))).toBe(true);
  });

  it('tolerates a misbehaving random source', () => {
    expect(retryDelayMs(2, { random: always(1) })).toBe(1999);
    expect(retryDelayMs(2, { random: always(7) })).toBe(1999);
    expect(retryDelayMs(2, { random: always(-3) })).toBe(500);
    expect(retryDelayMs(2, { random: always(Number.NaN) })).toBe(500);
  });

  it('stays within bounds and spreads out with the real random source', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(300_000, 1000 * 2 ** (attempt - 1));
      const seen = new Set<number>();
      for (let n = 0; n < 200; n++) {
        const d = retryDelayMs(attempt);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(500);
        expect(d).toBeLessThan(ceiling);
        seen.add(d);
      }
      // No pile-up on the floor: 200 draws over ≥ 500 values are mostly distinct.
      expect(seen.size).toBeGreaterThan(100);
    }
  });

  it('has the expected mean', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) sum += retryDelayMs(4, { random });
    // Uniform on [500, 8000): mean 4250.
    expect(Math.abs(sum / n - 4250)).toBeLessThan(60);
  });

  it('rejects invalid arguments', () => {
    expect(() => retryDelayMs(0)).toThrow(RangeError);
    expect(() => retryDelayMs(-1)).toThrow(RangeError);
    expect(() => retryDelayMs(1.5)).toThrow(RangeError);
    expect(() => retryDelayMs(Number.NaN)).toThrow(RangeError);
    expect(() => retryDelayMs(1, { baseMs: 0 })).toThrow(RangeError);
    expect(() => retryDelayMs(1, { baseMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => retryDelayMs(1, { baseMs: 1000, maxMs: 999 })).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2024-05-01T10:00:00.000Z'); // a Wednesday

  it('is null when absent or blank', () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter('   ', now)).toBeNull();
  });

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 5 ', now)).toBe(5000);
    expect(parseRetryAfter('007', now)).toBe(7000);
  });

  it('does not need a valid now for delta-seconds', () => {
    expect(parseRetryAfter('3', new Date(Number.NaN))).toBe(3000);
  });

  it('clamps absurdly large delta-seconds to a safe integer', () => {
    expect(parseRetryAfter('9'.repeat(30), now)).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseRetryAfter('9'.repeat(400), now)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects malformed delta-seconds', () => {
    for (const v of ['-5', '+5', '1.5', '5s', '1e3', '0x10', '5 6', 'soon', 'soon 5', 'NaN', 'Infinity']) {
      expect(parseRetryAfter(v, now)).toBeNull();
    }
  });

  it('reads an IMF-fixdate', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 02 May 2024 10:00:00 GMT', now)).toBe(86_400_000);
    expect(parseRetryAfter('Wed, 1 May 2024 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('wed, 01 may 2024 10:00:30 gmt', now)).toBe(30_000);
  });

  it('measures from now including milliseconds', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:30 GMT', new Date('2024-05-01T10:00:00.250Z'))).toBe(29_750);
  });

  it('never returns a negative delay for a date in the past', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 09:59:59 GMT', now)).toBe(0);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:00 GMT', now)).toBe(0);
  });

  it('reads the obsolete RFC 850 format with the two-digit-year rule', () => {
    expect(parseRetryAfter('Wednesday, 01-May-24 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(0);
    // 2074 is not more than 50 years ahead of 2024, so it stays in this century...
    expect(parseRetryAfter('Monday, 01-Jan-74 00:00:00 GMT', now)).toBe(
      Date.UTC(2074, 0, 1) - now.getTime(),
    );
    // ...while 2075 would be, so "75" means 1975.
    expect(parseRetryAfter('Wednesday, 01-Jan-75 00:00:00 GMT', now)).toBe(0);
  });

  it('reads the obsolete asctime format', () => {
    expect(parseRetryAfter('Wed May  1 10:00:45 2024', now)).toBe(45_000);
    expect(parseRetryAfter('Sat May 11 10:00:00 2024', now)).toBe(10 * 86_400_000);
  });

  it('accepts a leap second', () => {
    const before = new Date('2016-12-31T23:59:00Z');
    expect(parseRetryAfter('Sat, 31 Dec 2016 23:59:60 GMT', before)).toBe(60_000);
  });

  it('rejects malformed or impossible dates', () => {
    for (const v of [
      'Fri, 31 Feb 2024 10:00:00 GMT',
      'Wed, 00 May 2024 10:00:00 GMT',
      'Wed, 01 May 2024 24:00:00 GMT',
      'Wed, 01 May 2024 10:60:00 GMT',
      'Wed, 01 May 2024 10:00:61 GMT',
      'Wed, 01 Mai 2024 10:00:00 GMT',
      'Wed, 01 May 2024 10:00:00 UTC',
      'Wed, 01 May 2024 10:00:00 +0000',
      'Wed, 01 May 2024 10:00 GMT',
      '2024-05-01T10:00:30Z',
      'May 1, 2024',
      'tomorrow',
    ]) {
      expect(parseRetryAfter(v, now)).toBeNull();
    }
  });

  it('is null for an HTTP-date when now is invalid', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:30 GMT', new Date(Number.NaN))).toBeNull();
  });
});
