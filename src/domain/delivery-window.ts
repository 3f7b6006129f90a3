export const WEEKDAYS = [
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
  'SUNDAY',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface TimeOfDay {
  hour: number;
  minute: number;
}

/**
 * Days and times are wall-clock in `timeZone` (IANA, default UTC). `from` is inclusive, `to`
 * exclusive, and both lie on the same day: windows crossing midnight are rejected, as Infobip does.
 */
export interface DeliveryTimeWindow {
  days: Weekday[];
  from: TimeOfDay;
  to: TimeOfDay;
  timeZone?: string;
}

export interface DeliveryWindowError {
  path: string[];
  message: string;
}

export const MIN_WINDOW_MINUTES = 60;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// A week plus slack for calendar days a zone may skip (Pacific/Apia dropped 2011-12-30).
const HORIZON_DAYS = 15;
// Zones change offset at most twice a year in practice, so two changes inside one sample
// interval do not occur; the interval only has to be shorter than any gap between transitions.
const SAMPLE_MS = 6 * 3_600_000;
// Indexed by Date#getUTCDay().
const DAY_BY_INDEX: readonly Weekday[] = [
  'SUNDAY',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
];

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    // Goes through the cache: windows are re-validated on every call below.
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

function isIntInRange(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function validateTimeOfDay(t: unknown, key: 'from' | 'to', errors: DeliveryWindowError[]): t is TimeOfDay {
  if (typeof t !== 'object' || t === null) {
    errors.push({ path: [key], message: 'is required' });
    return false;
  }
  const { hour, minute } = t as Partial<TimeOfDay>;
  let ok = true;
  if (!isIntInRange(hour, 0, 23)) {
    errors.push({ path: [key, 'hour'], message: 'must be an integer from 0 to 23' });
    ok = false;
  }
  if (!isIntInRange(minute, 0, 59)) {
    errors.push({ path: [key, 'minute'], message: 'must be an integer from 0 to 59' });
    ok = false;
  }
  return ok;
}

/** Checks the shape defensively too, since windows arrive from API input and stored JSON. */
export function validateDeliveryWindow(w: DeliveryTimeWindow): DeliveryWindowError[] {
  const errors: DeliveryWindowError[] = [];

  const days: unknown = w.days;
  if (!Array.isArray(days) || days.length === 0) {
    errors.push({ path: ['days'], message: 'must contain at least one day' });
  } else {
    const seen = new Set<unknown>();
    days.forEach((day: unknown, i) => {
      if (!(WEEKDAYS as readonly unknown[]).includes(day)) {
        errors.push({ path: ['days', String(i)], message: `must be one of ${WEEKDAYS.join(', ')}` });
      } else if (seen.has(day)) {
        errors.push({ path: ['days', String(i)], message: `must not repeat a day (${String(day)} is listed twice)` });
      }
      seen.add(day);
    });
  }

  const fromOk = validateTimeOfDay(w.from, 'from', errors);
  const toOk = validateTimeOfDay(w.to, 'to', errors);
  if (fromOk && toOk) {
    const length = minutesOfDay(w.to) - minutesOfDay(w.from);
    if (length <= 0) {
      errors.push({
        path: ['to'],
        message: 'must be later than from on the same day (windows crossing midnight are not supported)',
      });
    } else if (length < MIN_WINDOW_MINUTES) {
      errors.push({
        path: ['to'],
        message: 'must be at least 1 hour after from: a window must be at least 1 hour long',
      });
    }
  }

  const tz: unknown = w.timeZone;
  if (tz !== undefined && (typeof tz !== 'string' || !isValidTimeZone(tz))) {
    errors.push({ path: ['timeZone'], message: 'must be a valid IANA time zone, e.g. Europe/Zagreb' });
  }

  return errors;
}

export function isInsideWindow(w: DeliveryTimeWindow, at: Date): boolean {
  assertValid(w);
  return insideAtInstant(w, zoneOf(w), instantOf(at));
}

/**
 * `at` (as a new Date) when the window is open, else the earliest later instant at which it opens.
 * Openness is judged on the local wall clock, so on a spring-forward day a window starting inside
 * the skipped hour opens at the jump, and on a fall-back day the repeated hour counts twice.
 */
export function nextWindowOpening(w: DeliveryTimeWindow, at: Date): Date {
  assertValid(w);
  const zone = zoneOf(w);
  const t = instantOf(at);
  if (insideAtInstant(w, zone, t)) return new Date(t);

  // The window is entered either where the wall clock runs continuously onto `from` (instant =
  // wall time − offset, for one of the offsets in force nearby) or where it jumps at a zone
  // transition. Collect both kinds of candidate and take the earliest one that is open.
  const horizon = t + HORIZON_DAYS * DAY_MS;
  const offsets = new Set<number>();
  const candidates: number[] = [];
  let prevT = t;
  let prevOffset = offsetAt(zone, t);
  offsets.add(prevOffset);
  for (let s = t + SAMPLE_MS; s <= horizon + SAMPLE_MS; s += SAMPLE_MS) {
    const off = offsetAt(zone, s);
    offsets.add(off);
    if (off !== prevOffset) candidates.push(findTransition(zone, prevT, prevOffset, s));
    prevT = s;
    prevOffset = off;
  }

  const wallNow = wallClock(zone, t);
  const localMidnight = wallNow - mod(wallNow, DAY_MS);
  const fromMs = minutesOfDay(w.from) * MINUTE_MS;
  // Starting a day early covers a fall-back that crosses local midnight.
  for (let d = -1; d <= HORIZON_DAYS; d++) {
    const wallOpening = localMidnight + d * DAY_MS + fromMs;
    for (const off of offsets) candidates.push(wallOpening - off);
  }

  let best = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (c > t && c < best && insideAtInstant(w, zone, c)) best = c;
  }
  if (!Number.isFinite(best)) {
    // Unreachable for a valid window unless a zone skips more than a week of calendar days.
    throw new Error(`delivery window does not open within ${HORIZON_DAYS} days of ${at.toISOString()}`);
  }
  return new Date(best);
}

function assertValid(w: DeliveryTimeWindow): void {
  const errors = validateDeliveryWindow(w);
  if (errors.length > 0) {
    throw new RangeError(
      `invalid delivery window: ${errors.map((e) => `${e.path.join('.')} ${e.message}`).join('; ')}`,
    );
  }
}

function instantOf(at: Date): number {
  const t = at.getTime();
  if (Number.isNaN(t)) throw new RangeError('invalid date');
  return t;
}

function zoneOf(w: DeliveryTimeWindow): string {
  return w.timeZone ?? 'UTC';
}

function minutesOfDay(t: TimeOfDay): number {
  return t.hour * 60 + t.minute;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function insideAtInstant(w: DeliveryTimeWindow, zone: string, t: number): boolean {
  const wall = wallClock(zone, t);
  const day = DAY_BY_INDEX[new Date(wall).getUTCDay()];
  if (day === undefined || !w.days.includes(day)) return false;
  const msOfDay = mod(wall, DAY_MS);
  return msOfDay >= minutesOfDay(w.from) * MINUTE_MS && msOfDay < minutesOfDay(w.to) * MINUTE_MS;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The local wall-clock reading at instant `t`, encoded as if it were a UTC timestamp. */
function wallClock(zone: string, t: number): number {
  if (zone === 'UTC') return t;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const p of formatterFor(zone).formatToParts(t)) {
    switch (p.type) {
      case 'year':
        year = Number(p.value);
        break;
      case 'month':
        month = Number(p.value);
        break;
      case 'day':
        day = Number(p.value);
        break;
      case 'hour':
        // Older ICU builds render midnight as 24 even with h23.
        hour = Number(p.value) % 24;
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      case 'second':
        second = Number(p.value);
        break;
    }
  }
  // Intl drops milliseconds; every offset in use is whole seconds, so they carry over unchanged.
  return Date.UTC(year, month - 1, day, hour, minute, second) + mod(t, 1000);
}

function offsetAt(zone: string, t: number): number {
  return wallClock(zone, t) - t;
}

/** The first instant in (lo, hi] already on `hi`'s offset, given `lo` is on `loOffset`. */
function findTransition(zone: string, lo: number, loOffset: number, hi: number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid) === loOffset) lo = mid;
    else hi = mid;
  }
  return hi;
}
