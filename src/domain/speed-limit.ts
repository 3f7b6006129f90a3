export const SPEED_TIME_UNITS = ['MINUTE', 'HOUR', 'DAY'] as const;
export type SpeedTimeUnit = (typeof SPEED_TIME_UNITS)[number];

export interface SendingSpeedLimit {
  amount: number;
  timeUnit: SpeedTimeUnit;
}

export interface SpeedLimitError {
  path: string[];
  message: string;
}

export const MIN_SPEED_AMOUNT = 1;
export const MAX_SPEED_AMOUNT = 1_000_000;

/** A DAY is a fixed 24 h: the limit is about throughput, not calendar days, so DST is irrelevant. */
export const SPEED_UNIT_MS: Record<SpeedTimeUnit, number> = {
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

export function validateSpeedLimit(l: SendingSpeedLimit): SpeedLimitError[] {
  const errors: SpeedLimitError[] = [];
  const amount: unknown = l.amount;
  if (typeof amount !== 'number' || !Number.isInteger(amount)) {
    errors.push({ path: ['amount'], message: 'must be an integer' });
  } else if (amount < MIN_SPEED_AMOUNT || amount > MAX_SPEED_AMOUNT) {
    errors.push({ path: ['amount'], message: 'must be from 1 to 1,000,000' });
  }
  if (!(SPEED_TIME_UNITS as readonly unknown[]).includes(l.timeUnit)) {
    errors.push({ path: ['timeUnit'], message: `must be one of ${SPEED_TIME_UNITS.join(', ')}` });
  }
  return errors;
}

/**
 * Dispatch instants for `count` messages sent under `limit` from `start`, continuing after
 * `alreadyScheduled` messages that were planned from the same `start` (so a batch can be scheduled
 * in chunks and the chunks concatenate to what one call would have produced).
 *
 * Message i (counting the already scheduled ones first) goes at `start + floor(i * unit / amount)`
 * ms: spread evenly, `unit / amount` apart, rather than all `amount` at the top of each unit.
 * Bursting would satisfy the limit too, but it would hand a provider 10,000 messages in the same
 * millisecond for "10,000 per DAY" — exactly the load spike a speed limit is asked for to avoid —
 * and would make delivery reports and replies arrive in the same wave. The price is that the first
 * messages of a small batch wait up to `unit / amount` each; message 0 still goes at `start`.
 *
 * Invariant: any half-open interval [t, t + unit) holds at most `amount` instants, because the
 * instants of messages i and i + amount are exactly `unit` apart (flooring only shifts each one
 * down by under a millisecond without reordering them).
 */
export function speedLimitSlots(
  limit: SendingSpeedLimit,
  start: Date,
  count: number,
  alreadyScheduled = 0,
): Date[] {
  const errors = validateSpeedLimit(limit);
  if (errors.length > 0) {
    throw new RangeError(`invalid speed limit: ${errors.map((e) => `${e.path.join('.')} ${e.message}`).join('; ')}`);
  }
  const startMs = start.getTime();
  if (Number.isNaN(startMs)) throw new RangeError('start must be a valid date');
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('count must be a non-negative integer');
  if (!Number.isSafeInteger(alreadyScheduled) || alreadyScheduled < 0) {
    throw new RangeError('alreadyScheduled must be a non-negative integer');
  }

  const unitMs = SPEED_UNIT_MS[limit.timeUnit];
  const { amount } = limit;
  const slots: Date[] = new Array<Date>(count);
  for (let k = 0; k < count; k++) {
    const i = alreadyScheduled + k;
    // Split i into whole units and a remainder so i * unitMs cannot outgrow exact integer range.
    const offset = Math.floor(i / amount) * unitMs + Math.floor(((i % amount) * unitMs) / amount);
    slots[k] = new Date(startMs + offset);
  }
  return slots;
}
