import { isInsideWindow, nextWindowOpening, type DeliveryTimeWindow } from './delivery-window.js';
import type { FlowStep } from './flow.js';
import { isFinal, type StatusGroup } from './status.js';

/** Who learned an attempt's outcome. A cancel stops a message where it is; the others may fail it over. */
export type OutcomeSource = 'dispatch' | 'callback' | 'expiry' | 'cancel';

/** Everything the failover rule looks at; nothing it needs comes from storage or the clock. */
export interface OutcomeFacts {
  /** The message's executable flow, frozen when it was accepted. */
  flow: readonly FlowStep[];
  /** The step the message is on now. */
  messageStep: number;
  /** The step of the attempt the outcome is about. */
  attemptStep: number;
  /** The attempt's status group before this outcome. */
  attemptGroup: StatusGroup;
  outcome: { group: StatusGroup; source: OutcomeSource };
  now: Date;
  /** The message's delivery window; failover respects it, as every dispatch does. */
  window: DeliveryTimeWindow | null;
}

/**
 * What an outcome means for an attempt and its message:
 * - `ignore`: the attempt is already final; a late or out-of-order report changes nothing.
 * - `attempt-only`: the attempt changes, the message does not (it has moved past this attempt's step).
 * - `progress`: a non-final status; the message shows it.
 * - `next-step`: the step ended in one of its `failoverOn` groups and a step follows: start it.
 * - `final`: the message ends with this outcome.
 */
export type FailoverDecision =
  | { kind: 'ignore' }
  | { kind: 'attempt-only' }
  | { kind: 'progress' }
  | { kind: 'next-step'; stepIndex: number; notBefore: Date; expiresAt: Date }
  | { kind: 'final' };

/**
 * The failover rule, the heart of the product. A step that ends in one of its `failoverOn` groups hands
 * the message to the next step, which may start at once (or at the delivery window's next opening) and
 * is valid for its own validity period from now; any other final outcome, the last step's, or a cancel
 * ends the message. Failover is not held back by a bulk's speed limit: the person is already waiting.
 */
export function decideOutcome(facts: OutcomeFacts): FailoverDecision {
  if (isFinal(facts.attemptGroup)) return { kind: 'ignore' };
  if (facts.messageStep !== facts.attemptStep) return { kind: 'attempt-only' };
  if (!isFinal(facts.outcome.group)) return { kind: 'progress' };
  if (facts.outcome.source === 'cancel') return { kind: 'final' };
  const step = facts.flow[facts.attemptStep];
  const next = facts.flow[facts.attemptStep + 1];
  if (!step || !next || !step.failoverOn.includes(facts.outcome.group)) return { kind: 'final' };
  const { now, window } = facts;
  return {
    kind: 'next-step',
    stepIndex: facts.attemptStep + 1,
    notBefore: window && !isInsideWindow(window, now) ? nextWindowOpening(window, now) : now,
    expiresAt: new Date(now.getTime() + next.validitySeconds * 1000),
  };
}

/** What to do with a send the provider could not take this time: try again later, or give up. */
export type RetryDecision = { kind: 'retry'; at: Date } | { kind: 'give-up' };

/**
 * A transient failure is retried while the step is still valid when the retry would run; a retry that
 * could only happen after the validity ends is pointless, so the attempt expires now and the flow moves
 * on (with the step's `failoverOn`, as any expiry does).
 */
export function decideRetry(facts: { now: Date; delayMs: number; expiresAt: Date | null }): RetryDecision {
  const at = new Date(facts.now.getTime() + facts.delayMs);
  if (facts.expiresAt && at >= facts.expiresAt) return { kind: 'give-up' };
  return { kind: 'retry', at };
}

/** What an expiry job does with one attempt it was given. */
export type ExpiryDecision = { kind: 'expire' } | { kind: 'wait'; until: Date } | { kind: 'nothing' };

/**
 * An expiry ends an attempt whose validity has run out before a final status. A job that woke early
 * (clock rounding, a rescheduled step) waits for the attempt's real end; a final attempt is left alone.
 */
export function decideExpiry(facts: { now: Date; group: StatusGroup; expiresAt: Date | null }): ExpiryDecision {
  if (isFinal(facts.group)) return { kind: 'nothing' };
  if (!facts.expiresAt) return { kind: 'wait', until: new Date(facts.now.getTime() + 1000) };
  if (facts.expiresAt <= facts.now) return { kind: 'expire' };
  return { kind: 'wait', until: facts.expiresAt };
}
