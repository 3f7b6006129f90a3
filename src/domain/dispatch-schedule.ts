import { isInsideWindow, nextWindowOpening, type DeliveryTimeWindow } from './delivery-window.js';
import { SPEED_UNIT_MS, type SendingSpeedLimit } from './speed-limit.js';

/**
 * When each of a bulk's first attempts may be dispatched. Messages go in order, no sooner than `start`,
 * `unit / amount` apart under a speed limit (so no window of one unit ever holds more than `amount`), and
 * never outside their delivery window: a message that falls outside waits for the next opening, and the
 * ones after it keep their spacing from there, so an opening never brings a burst.
 */
export function scheduleDispatches(
  start: Date,
  count: number,
  speedLimit: SendingSpeedLimit | null,
  windowOf: (index: number) => DeliveryTimeWindow | null,
): Date[] {
  const unitMs = speedLimit ? SPEED_UNIT_MS[speedLimit.timeUnit] : 0;
  const amount = speedLimit?.amount ?? 1;
  const out: Date[] = new Array(count);
  // Offsets are ceil(k·unit/amount) from the last base, in integers, so rounding never lets slots drift
  // closer together than the limit allows.
  let base = start.getTime();
  let k = 0;
  for (let i = 0; i < count; i += 1) {
    let at = base + Math.ceil((k * unitMs) / amount);
    const window = windowOf(i);
    if (window && !isInsideWindow(window, new Date(at))) {
      at = nextWindowOpening(window, new Date(at)).getTime();
      base = at;
      k = 0;
    }
    out[i] = new Date(at);
    k += 1;
  }
  return out;
}
