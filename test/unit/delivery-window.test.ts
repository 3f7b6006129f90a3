import { describe, it, expect } from 'vitest';
import {
  isInsideWindow,
  isValidTimeZone,
  nextWindowOpening,
  validateDeliveryWindow,
  WEEKDAYS,
  type DeliveryTimeWindow,
  type Weekday,
} from '../../src/domain/delivery-window.js';

const WORKDAYS: Weekday[] = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'];

function win(
  days: Weekday[],
  from: [number, number],
  to: [number, number],
  timeZone?: string,
): DeliveryTimeWindow {
  const w: DeliveryTimeWindow = {
    days,
    from: { hour: from[0], minute: from[1] },
    to: { hour: to[0], minute: to[1] },
  };
  if (timeZone !== undefined) w.timeZone = timeZone;
  return w;
}

const d = (iso: string) => new Date(iso);

describe('validateDeliveryWindow', () => {
  it('accepts a plain working-hours window', () => {
    expect(validateDeliveryWindow(win(WORKDAYS, [9, 0], [17, 0]))).toEqual([]);
    expect(validateDeliveryWindow(win(['SUNDAY'], [0, 0], [23, 59], 'Europe/Zagreb'))).toEqual([]);
  });

  it('requires at least one day', () => {
    expect(validateDeliveryWindow(win([], [9, 0], [17, 0]))).toEqual([
      { path: ['days'], message: 'must contain at least one day' },
    ]);
  });

  it('rejects repeated days, pointing at the repeat', () => {
    expect(validateDeliveryWindow(win(['MONDAY', 'TUESDAY', 'MONDAY'], [9, 0], [17, 0]))).toEqual([
      { path: ['days', '2'], message: 'must not repeat a day (MONDAY is listed twice)' },
    ]);
  });

  it('rejects unknown day names from untyped input', () => {
    const w = { ...win(['MONDAY'], [9, 0], [17, 0]), days: ['MONDAY', 'Funday'] } as unknown as DeliveryTimeWindow;
    const errors = validateDeliveryWindow(w);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toEqual(['days', '1']);
    expect(errors[0]?.message).toMatch(/^must be one of MONDAY/);
  });

  it('checks hour and minute ranges and integrality', () => {
    expect(validateDeliveryWindow(win(WORKDAYS, [24, 0], [17, 60]))).toEqual([
      { path: ['from', 'hour'], message: 'must be an integer from 0 to 23' },
      { path: ['to', 'minute'], message: 'must be an integer from 0 to 59' },
    ]);
    expect(validateDeliveryWindow(win(WORKDAYS, [-1, 0.5], [17, 0]))).toEqual([
      { path: ['from', 'hour'], message: 'must be an integer from 0 to 23' },
      { path: ['from', 'minute'], message: 'must be an integer from 0 to 59' },
    ]);
    expect(validateDeliveryWindow(win(WORKDAYS, [Number.NaN, 0], [17, 0]))).toHaveLength(1);
  });

  it('reports a missing from/to', () => {
    const w = { days: ['MONDAY'], to: { hour: 10, minute: 0 } } as unknown as DeliveryTimeWindow;
    expect(validateDeliveryWindow(w)).toEqual([{ path: ['from'], message: 'is required' }]);
  });

  it('requires the window to be at least one hour long', () => {
    expect(validateDeliveryWindow(win(WORKDAYS, [9, 0], [9, 59]))).toEqual([
      { path: ['to'], message: 'must be at least 1 hour after from: a window must be at least 1 hour long' },
    ]);
    expect(validateDeliveryWindow(win(WORKDAYS, [9, 30], [10, 30]))).toEqual([]);
    expect(validateDeliveryWindow(win(WORKDAYS, [22, 59], [23, 59]))).toEqual([]);
  });

  it('rejects windows crossing midnight and empty windows', () => {
    const crossing = validateDeliveryWindow(win(WORKDAYS, [22, 0], [6, 0]));
    expect(crossing).toEqual([
      {
        path: ['to'],
        message: 'must be later than from on the same day (windows crossing midnight are not supported)',
      },
    ]);
    expect(validateDeliveryWindow(win(WORKDAYS, [9, 0], [9, 0]))).toEqual(crossing);
  });

  it('validates the time zone', () => {
    expect(validateDeliveryWindow(win(WORKDAYS, [9, 0], [17, 0], 'America/New_York'))).toEqual([]);
    for (const tz of ['Mars/Olympus_Mons', '', '   ', 'Europe/Zagrebb']) {
      expect(validateDeliveryWindow(win(WORKDAYS, [9, 0], [17, 0], tz))).toEqual([
        { path: ['timeZone'], message: 'must be a valid IANA time zone, e.g. Europe/Zagreb' },
      ]);
    }
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Etc/GMT+5')).toBe(true);
    expect(isValidTimeZone('Nowhere')).toBe(false);
  });

  it('collects every problem at once', () => {
    expect(validateDeliveryWindow(win([], [25, 0], [10, 0], 'Bogus/Zone')).map((e) => e.path)).toEqual([
      ['days'],
      ['from', 'hour'],
      ['timeZone'],
    ]);
  });
});

describe('isInsideWindow in UTC', () => {
  const w = win(WORKDAYS, [9, 0], [17, 0]);

  it('treats from as inclusive and to as exclusive', () => {
    // 2024-01-01 is a Monday.
    expect(isInsideWindow(w, d('2024-01-01T08:59:59.999Z'))).toBe(false);
    expect(isInsideWindow(w, d('2024-01-01T09:00:00.000Z'))).toBe(true);
    expect(isInsideWindow(w, d('2024-01-01T16:59:59.999Z'))).toBe(true);
    expect(isInsideWindow(w, d('2024-01-01T17:00:00.000Z'))).toBe(false);
  });

  it('is closed on days not listed', () => {
    expect(isInsideWindow(w, d('2024-01-06T12:00:00Z'))).toBe(false); // Saturday
    expect(isInsideWindow(w, d('2024-01-07T12:00:00Z'))).toBe(false); // Sunday
    expect(isInsideWindow(w, d('2024-01-05T12:00:00Z'))).toBe(true); // Friday
  });

  it('defaults to UTC without a time zone', () => {
    expect(isInsideWindow(win(['MONDAY'], [0, 0], [1, 0]), d('2024-01-01T00:30:00Z'))).toBe(true);
    expect(isInsideWindow(win(['MONDAY'], [0, 0], [1, 0], 'UTC'), d('2024-01-01T00:30:00Z'))).toBe(true);
  });

  it('throws on an invalid window or date', () => {
    expect(() => isInsideWindow(win([], [9, 0], [17, 0]), d('2024-01-01T12:00:00Z'))).toThrow(RangeError);
    expect(() => isInsideWindow(w, new Date(Number.NaN))).toThrow(RangeError);
    expect(() => nextWindowOpening(win(WORKDAYS, [17, 0], [9, 0]), d('2024-01-01T12:00:00Z'))).toThrow(
      /crossing midnight/,
    );
  });
});

describe('isInsideWindow in other zones', () => {
  it('uses the wall clock of the window time zone', () => {
    const w = win(WORKDAYS, [9, 0], [17, 0], 'Europe/Zagreb');
    // Winter: CET = UTC+1.
    expect(isInsideWindow(w, d('2024-01-08T07:59:00Z'))).toBe(false);
    expect(isInsideWindow(w, d('2024-01-08T08:00:00Z'))).toBe(true);
    expect(isInsideWindow(w, d('2024-01-08T15:59:59Z'))).toBe(true);
    expect(isInsideWindow(w, d('2024-01-08T16:00:00Z'))).toBe(false);
    // Summer: CEST = UTC+2.
    expect(isInsideWindow(w, d('2024-07-08T06:59:59Z'))).toBe(false);
    expect(isInsideWindow(w, d('2024-07-08T07:00:00Z'))).toBe(true);
  });

  it('takes the weekday from the local date, not the UTC date', () => {
    const w = win(['MONDAY'], [0, 0], [2, 0], 'Pacific/Auckland');
    // Sunday 2024-01-07 11:30 UTC is Monday 00:30 in Auckland (UTC+13).
    expect(isInsideWindow(w, d('2024-01-07T11:30:00Z'))).toBe(true);
    const ny = win(['SUNDAY'], [20, 0], [23, 0], 'America/New_York');
    // Monday 2024-01-08 02:00 UTC is Sunday 21:00 in New York (UTC-5).
    expect(isInsideWindow(ny, d('2024-01-08T02:00:00Z'))).toBe(true);
  });

  it('counts the repeated hour twice on a fall-back day', () => {
    // New York falls back on 2024-11-03 at 06:00 UTC (02:00 EDT -> 01:00 EST).
    const w = win(['SUNDAY'], [1, 0], [2, 0], 'America/New_York');
    expect(isInsideWindow(w, d('2024-11-03T04:59:59Z'))).toBe(false);
    expect(isInsideWindow(w, d('2024-11-03T05:00:00Z'))).toBe(true); // 01:00 EDT
    expect(isInsideWindow(w, d('2024-11-03T06:30:00Z'))).toBe(true); // 01:30 EST
    expect(isInsideWindow(w, d('2024-11-03T07:00:00Z'))).toBe(false); // 02:00 EST
  });
});

describe('nextWindowOpening in UTC', () => {
  const w = win(WORKDAYS, [9, 0], [17, 0]);

  it('returns at itself when the window is open', () => {
    const at = d('2024-01-01T12:34:56.789Z');
    const next = nextWindowOpening(w, at);
    expect(next.getTime()).toBe(at.getTime());
    expect(next).not.toBe(at);
  });

  it('opens later the same day', () => {
    expect(nextWindowOpening(w, d('2024-01-01T03:00:00Z')).toISOString()).toBe('2024-01-01T09:00:00.000Z');
    expect(nextWindowOpening(w, d('2024-01-01T08:59:59.999Z')).toISOString()).toBe('2024-01-01T09:00:00.000Z');
  });

  it('treats at exactly at `to` as closed and opens the next day', () => {
    expect(nextWindowOpening(w, d('2024-01-01T17:00:00Z')).toISOString()).toBe('2024-01-02T09:00:00.000Z');
  });

  it('skips the weekend', () => {
    expect(nextWindowOpening(w, d('2024-01-05T17:00:00Z')).toISOString()).toBe('2024-01-08T09:00:00.000Z');
    expect(nextWindowOpening(w, d('2024-01-06T10:00:00Z')).toISOString()).toBe('2024-01-08T09:00:00.000Z');
    expect(nextWindowOpening(w, d('2024-01-07T23:59:59Z')).toISOString()).toBe('2024-01-08T09:00:00.000Z');
  });

  it('waits a whole week for a single-day window that just closed', () => {
    const monday = win(['MONDAY'], [9, 30], [10, 30]);
    expect(nextWindowOpening(monday, d('2024-01-01T10:30:00Z')).toISOString()).toBe('2024-01-08T09:30:00.000Z');
    expect(nextWindowOpening(monday, d('2024-01-01T09:29:00Z')).toISOString()).toBe('2024-01-01T09:30:00.000Z');
  });

  it('handles a window starting at midnight', () => {
    const w0 = win(['SATURDAY'], [0, 0], [6, 0]);
    expect(nextWindowOpening(w0, d('2024-01-05T23:59:59.999Z')).toISOString()).toBe('2024-01-06T00:00:00.000Z');
  });
});

describe('nextWindowOpening across DST changes', () => {
  it('Europe/Zagreb: Friday evening to Monday morning over the spring change', () => {
    // DST starts Sunday 2024-03-31 at 01:00 UTC; Monday 08:00 CEST is 06:00 UTC.
    const w = win(WORKDAYS, [8, 0], [16, 0], 'Europe/Zagreb');
    expect(nextWindowOpening(w, d('2024-03-29T15:00:00Z')).toISOString()).toBe('2024-04-01T06:00:00.000Z');
    // Before the change the same wall time was 07:00 UTC.
    expect(nextWindowOpening(w, d('2024-03-28T15:00:00Z')).toISOString()).toBe('2024-03-29T07:00:00.000Z');
  });

  it('Europe/Zagreb: Friday evening to Monday morning over the autumn change', () => {
    // DST ends Sunday 2024-10-27 at 01:00 UTC; Monday 08:00 CET is 07:00 UTC.
    const w = win(WORKDAYS, [8, 0], [16, 0], 'Europe/Zagreb');
    expect(nextWindowOpening(w, d('2024-10-25T15:00:00Z')).toISOString()).toBe('2024-10-28T07:00:00.000Z');
  });

  it('America/New_York: the morning after spring forward', () => {
    // DST starts Sunday 2024-03-10 at 07:00 UTC; Sunday 09:00 EDT is 13:00 UTC (not 14:00).
    const w = win(['SUNDAY'], [9, 0], [17, 0], 'America/New_York');
    expect(nextWindowOpening(w, d('2024-03-09T23:00:00Z')).toISOString()).toBe('2024-03-10T13:00:00.000Z');
  });

  it('America/New_York: a window starting in the skipped hour opens at the jump', () => {
    // 02:30 does not exist on 2024-03-10; the clock goes from 01:59:59 EST to 03:00 EDT (07:00 UTC).
    const w = win(['SUNDAY'], [2, 30], [4, 0], 'America/New_York');
    expect(nextWindowOpening(w, d('2024-03-10T06:00:00Z')).toISOString()).toBe('2024-03-10T07:00:00.000Z');
    expect(isInsideWindow(w, d('2024-03-10T06:59:59.999Z'))).toBe(false);
    expect(isInsideWindow(w, d('2024-03-10T07:00:00Z'))).toBe(true);
    // The following Sunday it opens at 02:30 EDT as usual.
    expect(nextWindowOpening(w, d('2024-03-10T08:00:00Z')).toISOString()).toBe('2024-03-17T06:30:00.000Z');
  });

  it('America/New_York: a window ending in the skipped hour', () => {
    // 01:00–02:30 on spring-forward day: open 01:00–01:59:59 EST only, then the clock reads 03:00.
    const w = win(['SUNDAY'], [1, 0], [2, 30], 'America/New_York');
    expect(isInsideWindow(w, d('2024-03-10T06:59:59Z'))).toBe(true);
    expect(isInsideWindow(w, d('2024-03-10T07:00:00Z'))).toBe(false);
    expect(nextWindowOpening(w, d('2024-03-10T07:00:00Z')).toISOString()).toBe('2024-03-17T05:00:00.000Z');
  });

  it('America/New_York: reopens in the repeated hour after fall back', () => {
    // 01:15–02:15 Sunday opens at 01:15 EDT (05:15 UTC). At 06:00 UTC the clock goes back from
    // 02:00 EDT to 01:00 EST, below `from`, so it closes, and reopens at 01:15 EST (06:15 UTC).
    const w = win(['SUNDAY'], [1, 15], [2, 15], 'America/New_York');
    expect(nextWindowOpening(w, d('2024-11-03T04:00:00Z')).toISOString()).toBe('2024-11-03T05:15:00.000Z');
    expect(isInsideWindow(w, d('2024-11-03T05:59:59Z'))).toBe(true); // 01:59:59 EDT
    expect(isInsideWindow(w, d('2024-11-03T06:10:00Z'))).toBe(false); // 01:10 EST
    expect(nextWindowOpening(w, d('2024-11-03T06:10:00Z')).toISOString()).toBe('2024-11-03T06:15:00.000Z');
  });

  it('America/New_York: a fall-back transition that lands inside a window re-enters it at the jump', () => {
    // 00:30–01:30. At 01:45 EDT (05:45 UTC) it is closed; at 02:00 EDT the clock jumps back to
    // 01:00 EST (06:00 UTC), which is inside again.
    const w = win(['SUNDAY'], [0, 30], [1, 30], 'America/New_York');
    expect(nextWindowOpening(w, d('2024-11-03T05:45:00Z')).toISOString()).toBe('2024-11-03T06:00:00.000Z');
  });

  it('Australia/Lord_Howe: half-hour DST shift', () => {
    // DST starts 2024-10-06 02:00 (+10:30) -> 02:30 (+11), at 15:30 UTC on 10-05.
    const w = win(['SUNDAY'], [2, 0], [3, 30], 'Australia/Lord_Howe');
    expect(nextWindowOpening(w, d('2024-10-05T15:00:00Z')).toISOString()).toBe('2024-10-05T15:30:00.000Z');
  });
});

// ---------------------------------------------------------------------------------------------
// Brute force: the first whole minute at or after `at` whose local clock is inside the window,
// computed with a separate Intl formatter. Every entry into a window happens on a whole minute
// in the zones used here, so scanning minutes is exact.

const checkers = new Map<string, Intl.DateTimeFormat>();
function localReading(zone: string, t: number): { day: Weekday; minutes: number } {
  let f = checkers.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    checkers.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(t).map((p) => [p.type, p.value]));
  return {
    day: String(parts.weekday).toUpperCase() as Weekday,
    minutes: (Number(parts.hour) % 24) * 60 + Number(parts.minute),
  };
}

function bruteInside(w: DeliveryTimeWindow, t: number): boolean {
  const { day, minutes } = localReading(w.timeZone ?? 'UTC', t);
  return (
    w.days.includes(day) &&
    minutes >= w.from.hour * 60 + w.from.minute &&
    minutes < w.to.hour * 60 + w.to.minute
  );
}

function bruteNextOpening(w: DeliveryTimeWindow, at: number): number {
  if (bruteInside(w, at)) return at;
  for (let t = Math.ceil(at / 60_000) * 60_000; t < at + 16 * 86_400_000; t += 60_000) {
    if (bruteInside(w, t)) return t;
  }
  throw new Error('never opens');
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe('nextWindowOpening matches a brute-force scan', () => {
  const cases: Array<{ zone: string; around: string }> = [
    { zone: 'UTC', around: '2024-06-15T12:00:00Z' },
    { zone: 'Europe/Zagreb', around: '2024-03-31T01:00:00Z' },
    { zone: 'Europe/Zagreb', around: '2024-10-27T01:00:00Z' },
    { zone: 'America/New_York', around: '2024-03-10T07:00:00Z' },
    { zone: 'America/New_York', around: '2024-11-03T06:00:00Z' },
    { zone: 'Australia/Lord_Howe', around: '2024-04-06T15:00:00Z' },
    { zone: 'Australia/Lord_Howe', around: '2024-10-05T15:30:00Z' },
    { zone: 'Asia/Kathmandu', around: '2024-01-01T00:00:00Z' },
    { zone: 'America/Sao_Paulo', around: '2018-11-04T03:00:00Z' }, // DST started at local midnight
  ];

  for (const { zone, around } of cases) {
    it(`${zone} around ${around}`, () => {
      const rand = rng(zone.length * 7919 + Date.parse(around) / 1000);
      for (let n = 0; n < 12; n++) {
        const days = WEEKDAYS.filter(() => rand() < 0.4);
        if (days.length === 0) days.push(WEEKDAYS[Math.floor(rand() * 7)] ?? 'MONDAY');
        const fromMin = Math.floor(rand() * (23 * 60 - 1));
        const toMin = fromMin + 60 + Math.floor(rand() * (23 * 60 + 59 - fromMin - 60 + 1));
        const w = win(days, [Math.floor(fromMin / 60), fromMin % 60], [Math.floor(toMin / 60), toMin % 60], zone);
        expect(validateDeliveryWindow(w)).toEqual([]);
        const at = Date.parse(around) + Math.floor((rand() - 0.5) * 2 * 86_400_000);
        const got = nextWindowOpening(w, new Date(at)).getTime();
        expect({ w, at: new Date(at).toISOString(), got: new Date(got).toISOString() }).toEqual({
          w,
          at: new Date(at).toISOString(),
          got: new Date(bruteNextOpening(w, at)).toISOString(),
        });
        expect(isInsideWindow(w, new Date(got))).toBe(true);
        expect(isInsideWindow(w, new Date(at))).toBe(bruteInside(w, at));
      }
    });
  }

  it('agrees minute by minute with isInsideWindow over a DST week', () => {
    const w = win(['SATURDAY', 'SUNDAY', 'MONDAY'], [0, 30], [2, 45], 'America/New_York');
    const start = Date.parse('2024-11-01T00:00:00Z');
    for (let t = start; t < start + 5 * 86_400_000; t += 5 * 60_000) {
      expect(isInsideWindow(w, new Date(t))).toBe(bruteInside(w, t));
    }
  });
});
