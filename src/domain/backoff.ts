export interface RetryDelayOptions {
  /** First-retry ceiling and twice the floor. Default 1 s. */
  baseMs?: number;
  /** Ceiling for any delay. Default 5 min. */
  maxMs?: number;
  /** Uniform in [0, 1); injectable so tests and simulations are deterministic. */
  random?: () => number;
}

export const DEFAULT_RETRY_BASE_MS = 1_000;
export const DEFAULT_RETRY_MAX_MS = 5 * 60_000;

/**
 * Delay before retry number `attempt` (1 = first retry), in whole ms: exponential backoff with
 * "full jitter" (ceiling `min(maxMs, baseMs * 2^(attempt-1))`), but never below `baseMs / 2`.
 *
 * The floor is applied by drawing uniformly from [floor, ceiling) instead of clamping a draw from
 * [0, ceiling): clamping would put half of all first retries on exactly the same millisecond,
 * re-synchronising the very clients jitter is meant to spread out.
 */
export function retryDelayMs(attempt: number, opts: RetryDelayOptions = {}): number {
  const baseMs = opts.baseMs ?? DEFAULT_RETRY_BASE_MS;
  const maxMs = opts.maxMs ?? DEFAULT_RETRY_MAX_MS;
  const random = opts.random ?? Math.random;
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError('attempt must be an integer >= 1');
  if (!Number.isFinite(baseMs) || baseMs <= 0) throw new RangeError('baseMs must be a positive number');
  if (!Number.isFinite(maxMs) || maxMs < baseMs) throw new RangeError('maxMs must be a number >= baseMs');

  // Capping the exponent keeps 2 ** n finite; the result is clamped to maxMs anyway.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 64));
  const floor = Math.ceil(baseMs / 2);
  const span = Math.floor(ceiling) - floor;
  if (span <= 0) return floor;
  // A misbehaving random source (NaN, 1, negative) must not push the delay outside [floor, ceiling).
  const r = random();
  const step = Number.isNaN(r) ? 0 : Math.floor(Math.min(Math.max(r, 0), 1) * span);
  return floor + Math.min(step, span - 1);
}

/**
 * Milliseconds to wait according to a Retry-After header: delta-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). `null` when the header is absent or malformed, so the caller falls back to
 * its own backoff; a date in the past gives 0. Parsed strictly, because Date.parse accepts
 * nonsense such as "1" (the year 2001) or "soon 5".
 */
export function parseRetryAfter(header: string | null, now: Date): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (value === '') return null;

  if (/^\d+$/.test(value)) {
    // Absurdly large values stay usable as a number; callers cap waits to their own maximum.
    return Math.min(Number(value) * 1000, Number.MAX_SAFE_INTEGER);
  }

  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) return null;
  const at = parseHttpDate(value, nowMs);
  if (at === null) return null;
  return Math.max(0, at - nowMs);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const SHORT_DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// Sun, 06 Nov 1994 08:49:37 GMT (a one-digit day, as some servers send, is tolerated)
const IMF_FIXDATE = new RegExp(`^${SHORT_DAY}, (\\d{1,2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
// Sunday, 06-Nov-94 08:49:37 GMT (obsolete, still accepted per RFC 9110)
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
// Sun Nov  6 08:49:37 1994 (obsolete asctime)
const ASCTIME_DATE = new RegExp(`^${SHORT_DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

function parseHttpDate(value: string, nowMs: number): number | null {
  let m = IMF_FIXDATE.exec(value);
  if (m) return toInstant(m[3], m[2], m[1], m[4], m[5], m[6]);

  m = RFC850_DATE.exec(value);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years in the future means the previous century.
    const yy = Number(m[3]);
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + yy;
    if (year > nowYear + 50) year -= 100;
    return toInstant(String(year), m[2], m[1], m[4], m[5], m[6]);
  }

  m = ASCTIME_DATE.exec(value);
  if (m) return toInstant(m[6], m[1], m[2]?.trim(), m[3], m[4], m[5]);

  return null;
}

function toInstant(
  yearS: string | undefined,
  monthS: string | undefined,
  dayS: string | undefined,
  hourS: string | undefined,
  minuteS: string | undefined,
  secondS: string | undefined,
): number | null {
  const year = Number(yearS);
  const month = MONTHS.indexOf((monthS ?? '').toLowerCase());
  const day = Number(dayS);
  const hour = Number(hourS);
  const minute = Number(minuteS);
  const second = Number(secondS);
  // Second 60 is a leap second; it simply rolls into the next minute.
  if (month < 0 || hour > 23 || minute > 59 || second > 60) return null;
  const startOfMinute = Date.UTC(year, month, day, hour, minute);
  const check = new Date(startOfMinute);
  // Date.UTC rolls 30 Feb into March; an impossible calendar date is malformed, not a retry time.
  if (check.getUTCMonth() !== month || check.getUTCDate() !== day) return null;
  return startOfMinute + second * 1000;
}
