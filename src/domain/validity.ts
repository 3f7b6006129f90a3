import type { Channel } from './channel.js';

export const VALIDITY_TIME_UNITS = ['SECONDS', 'MINUTES', 'HOURS'] as const;
export type ValidityTimeUnit = (typeof VALIDITY_TIME_UNITS)[number];

export interface ValidityPeriod {
  amount: number;
  timeUnit: ValidityTimeUnit;
}

const UNIT_SECONDS: Record<ValidityTimeUnit, number> = { SECONDS: 1, MINUTES: 60, HOURS: 3600 };

export const MIN_VALIDITY_SECONDS = 1;
export const MAX_VALIDITY_SECONDS = 48 * 3600;

/** Defaults follow Infobip OMNI: Viber 24 h, SMS 48 h. */
export const DEFAULT_VALIDITY_SECONDS: Record<Channel, number> = { VIBER: 24 * 3600, SMS: 48 * 3600 };

export function validitySeconds(period: ValidityPeriod): number {
  return period.amount * UNIT_SECONDS[period.timeUnit];
}

/** Renders seconds back as the largest whole unit, so a stored step reads as it was written. */
export function toValidityPeriod(seconds: number): ValidityPeriod {
  if (seconds % 3600 === 0) return { amount: seconds / 3600, timeUnit: 'HOURS' };
  if (seconds % 60 === 0) return { amount: seconds / 60, timeUnit: 'MINUTES' };
  return { amount: seconds, timeUnit: 'SECONDS' };
}
