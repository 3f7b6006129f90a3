/**
 * The service's idea of "now". Production uses the system clock. Tests of minute-, hour- and day-scale
 * rules (speed limits, delivery windows) run a scaled clock instead — starting at a chosen instant and
 * running `speed` times faster — rather than waiting for real minutes to pass. Jobs are queued in real
 * time, so every scheduled instant goes through `toReal`.
 */
export interface Clock {
  now(): Date;
  /** The real instant at which this clock will show `at`. */
  toReal(at: Date): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
  toReal: (at) => at,
};

export function scaledClock(start: Date, speed: number, realStart: number = Date.now()): Clock {
  return {
    now: () => new Date(start.getTime() + (Date.now() - realStart) * speed),
    toReal: (at) => new Date(realStart + (at.getTime() - start.getTime()) / speed),
  };
}
