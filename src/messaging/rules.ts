import { z } from 'zod';
import { validateDeliveryWindow, WEEKDAYS } from '../domain/delivery-window.js';
import { SPEED_TIME_UNITS, validateSpeedLimit } from '../domain/speed-limit.js';
import { parseHttpUrl } from '../domain/text.js';
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS, VALIDITY_TIME_UNITS, validitySeconds } from '../domain/validity.js';

/** A validity period as clients write it, checked and converted to seconds. */
export const validityPeriodSchema = z
  .object({
    amount: z.number().int('must be a whole number').min(1, 'must be at least 1'),
    timeUnit: z.enum(VALIDITY_TIME_UNITS),
  })
  .transform((p, ctx) => {
    const seconds = validitySeconds(p);
    if (seconds < MIN_VALIDITY_SECONDS || seconds > MAX_VALIDITY_SECONDS) {
      ctx.addIssue({ code: 'custom', message: 'must be between 1 second and 48 hours' });
      return z.NEVER;
    }
    return seconds;
  });

const timeOfDay = z.object({ hour: z.number(), minute: z.number() });

/** Delivery window rules live in the domain; this only adapts them to zod's issue reporting. */
export const deliveryTimeWindowSchema = z
  .object({ days: z.array(z.enum(WEEKDAYS)), from: timeOfDay, to: timeOfDay, timeZone: z.string().nullish() })
  .transform((w, ctx) => {
    const window = { days: w.days, from: w.from, to: w.to, ...(w.timeZone ? { timeZone: w.timeZone } : {}) };
    for (const e of validateDeliveryWindow(window)) ctx.addIssue({ code: 'custom', path: e.path, message: e.message });
    return window;
  });

export const sendingSpeedLimitSchema = z
  .object({ amount: z.number(), timeUnit: z.enum(SPEED_TIME_UNITS) })
  .superRefine((l, ctx) => {
    for (const e of validateSpeedLimit(l)) ctx.addIssue({ code: 'custom', path: e.path, message: e.message });
  });

/** Where reports are pushed: only http(s), and never with credentials in the URL (they would be logged). */
export const webhookUrlSchema = z
  .string()
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => {
    const url = parseHttpUrl(value);
    return url !== null && !url.username && !url.password;
  }, 'must be an http(s) URL without credentials');

export const MAX_SCHEDULE_AHEAD_MS = 180 * 24 * 3600 * 1000;
