import { describe, expect, it } from 'vitest';
import { decideExpiry, decideOutcome, decideRetry, type OutcomeFacts, type OutcomeSource } from '../../src/domain/failover.js';
import type { DeliveryTimeWindow } from '../../src/domain/delivery-window.js';
import type { FlowStep } from '../../src/domain/flow.js';
import { STATUS_GROUPS, isFinal, type StatusGroup } from '../../src/domain/status.js';

const NOW = new Date('2026-11-30T10:00:00Z'); // a Monday
const FINAL_GROUPS: StatusGroup[] = ['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'];
const SOURCES: OutcomeSource[] = ['dispatch', 'callback', 'expiry', 'cancel'];

function step(channel: 'VIBER' | 'SMS', validitySeconds: number, failoverOn: StatusGroup[]): FlowStep {
  return { channel, from: 'Shop', provider: 'SIMULATOR', connectionId: null, validitySeconds, failoverOn, content: { type: 'TEXT', text: 'hi' } };
}

function facts(over: Partial<OutcomeFacts> & { group: StatusGroup; source?: OutcomeSource }): OutcomeFacts {
  const { group, source, ...rest } = over;
  return {
    flow: [step('VIBER', 3600, ['REJECTED', 'UNDELIVERABLE', 'EXPIRED']), step('SMS', 7200, ['REJECTED'])],
    messageStep: 0,
    attemptStep: 0,
    attemptGroup: 'PENDING',
    outcome: { group, source: source ?? 'callback' },
    now: NOW,
    window: null,
    ...rest,
  };
}

/** Every subset of the final groups: the values `failoverOn` can take. */
function subsets<T>(items: T[]): T[][] {
  return items.reduce<T[][]>((all, item) => all.concat(all.map((s) => [...s, item])), [[]]);
}

const OFFICE_HOURS: DeliveryTimeWindow = {
  days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'],
  from: { hour: 9, minute: 0 },
  to: { hour: 17, minute: 0 },
};
const NIGHT_ONLY: DeliveryTimeWindow = { days: ['MONDAY'], from: { hour: 20, minute: 0 }, to: { hour: 22, minute: 0 } };

describe('decideOutcome: the failover rule', () => {
  it('moves a Viber rejection on to SMS at once, valid for the SMS step’s own period', () => {
    expect(decideOutcome(facts({ group: 'REJECTED' }))).toEqual({
      kind: 'next-step',
      stepIndex: 1,
      notBefore: NOW,
      expiresAt: new Date(NOW.getTime() + 7200_000),
    });
  });

  it('ends the message when the outcome is not in the step’s failoverOn', () => {
    const flow = [step('VIBER', 3600, ['EXPIRED']), step('SMS', 7200, [])];
    expect(decideOutcome(facts({ flow, group: 'REJECTED' }))).toEqual({ kind: 'final' });
    expect(decideOutcome(facts({ flow, group: 'EXPIRED' })).kind).toBe('next-step');
  });

  it('ends the message on the last step, whatever its failoverOn says', () => {
    expect(decideOutcome(facts({ messageStep: 1, attemptStep: 1, group: 'REJECTED' }))).toEqual({ kind: 'final' });
  });

  it('moves a delivered message on only when its step asks for it; never a canceled one', () => {
    const flow = [step('VIBER', 3600, FINAL_GROUPS), step('SMS', 7200, [])];
    expect(decideOutcome(facts({ flow, group: 'DELIVERED' }))).toEqual({ kind: 'next-step', stepIndex: 1, notBefore: NOW, expiresAt: new Date(NOW.getTime() + 7200_000) });
    expect(decideOutcome(facts({ group: 'DELIVERED' }))).toEqual({ kind: 'final' });
    expect(decideOutcome(facts({ group: 'REJECTED', source: 'cancel' }))).toEqual({ kind: 'final' });
  });

  it('lets a non-final status show on the message without deciding anything', () => {
    expect(decideOutcome(facts({ group: 'PENDING' }))).toEqual({ kind: 'progress' });
    expect(decideOutcome(facts({ group: 'ACCEPTED', source: 'dispatch' }))).toEqual({ kind: 'progress' });
  });

  it('ignores any report on an attempt that is already final', () => {
    for (const attemptGroup of FINAL_GROUPS) {
      expect(decideOutcome(facts({ attemptGroup, group: 'DELIVERED' }))).toEqual({ kind: 'ignore' });
      expect(decideOutcome(facts({ attemptGroup, group: 'PENDING' }))).toEqual({ kind: 'ignore' });
    }
  });

  it('changes only the attempt when the message has moved past its step', () => {
    expect(decideOutcome(facts({ messageStep: 1, attemptStep: 0, group: 'DELIVERED' }))).toEqual({ kind: 'attempt-only' });
    expect(decideOutcome(facts({ messageStep: 1, attemptStep: 0, group: 'REJECTED' }))).toEqual({ kind: 'attempt-only' });
  });

  it('starts the next step at the delivery window’s next opening when the window is closed', () => {
    const closed = decideOutcome(facts({ group: 'REJECTED', window: NIGHT_ONLY }));
    expect(closed).toEqual({
      kind: 'next-step',
      stepIndex: 1,
      notBefore: new Date('2026-11-30T20:00:00Z'),
      // Validity counts in real time from the failover, not from the opening.
      expiresAt: new Date(NOW.getTime() + 7200_000),
    });
    expect(decideOutcome(facts({ group: 'REJECTED', window: OFFICE_HOURS }))).toMatchObject({ kind: 'next-step', notBefore: NOW });
  });

  // The exhaustive table: every outcome × source × failoverOn × position in the flow × prior attempt state
  // × window. The expectation is the rule written as plainly as it can be said.
  it('holds for every combination', () => {
    const positions = [
      { name: 'only step', steps: 1, messageStep: 0, attemptStep: 0 },
      { name: 'first of two', steps: 2, messageStep: 0, attemptStep: 0 },
      { name: 'middle of three', steps: 3, messageStep: 1, attemptStep: 1 },
      { name: 'last of three', steps: 3, messageStep: 2, attemptStep: 2 },
      { name: 'a step the message has left', steps: 3, messageStep: 2, attemptStep: 1 },
    ];
    let cases = 0;
    for (const failoverOn of subsets(FINAL_GROUPS)) {
      for (const p of positions) {
        const flow = Array.from({ length: p.steps }, (_, i) => step(i === 0 ? 'VIBER' : 'SMS', 60 * (i + 1), failoverOn));
        for (const group of STATUS_GROUPS) {
          for (const source of SOURCES) {
            for (const attemptGroup of ['PENDING', 'ACCEPTED', 'DELIVERED', 'REJECTED'] as StatusGroup[]) {
              for (const window of [null, OFFICE_HOURS, NIGHT_ONLY]) {
                const f = facts({ flow, messageStep: p.messageStep, attemptStep: p.attemptStep, attemptGroup, group, source, window });
                const got = decideOutcome(f);
                const label = `${p.name}, failoverOn [${failoverOn}], ${attemptGroup} → ${group} by ${source}, window ${window ? 'set' : 'none'}`;
                cases += 1;
                if (isFinal(attemptGroup)) expect(got, label).toEqual({ kind: 'ignore' });
                else if (p.messageStep !== p.attemptStep) expect(got, label).toEqual({ kind: 'attempt-only' });
                else if (!isFinal(group)) expect(got, label).toEqual({ kind: 'progress' });
                else if (source !== 'cancel' && failoverOn.includes(group) && p.attemptStep + 1 < p.steps) {
                  expect(got, label).toEqual({
                    kind: 'next-step',
                    stepIndex: p.attemptStep + 1,
                    notBefore: window === NIGHT_ONLY ? new Date('2026-11-30T20:00:00Z') : NOW,
                    expiresAt: new Date(NOW.getTime() + 60_000 * (p.attemptStep + 2)),
                  });
                } else expect(got, label).toEqual({ kind: 'final' });
              }
            }
          }
        }
      }
    }
    expect(cases).toBe(16 * 5 * 6 * 4 * 4 * 3);
  });
});

describe('decideRetry: validity left for a transient failure', () => {
  const expiresAt = new Date(NOW.getTime() + 10_000);

  it('retries after the delay while the step is still valid then', () => {
    expect(decideRetry({ now: NOW, delayMs: 9_999, expiresAt })).toEqual({ kind: 'retry', at: new Date(NOW.getTime() + 9_999) });
  });

  it('gives up when the retry could only run at or after the end of validity', () => {
    expect(decideRetry({ now: NOW, delayMs: 10_000, expiresAt })).toEqual({ kind: 'give-up' });
    expect(decideRetry({ now: NOW, delayMs: 60_000, expiresAt })).toEqual({ kind: 'give-up' });
    expect(decideRetry({ now: new Date(expiresAt.getTime() + 1), delayMs: 0, expiresAt })).toEqual({ kind: 'give-up' });
  });

  it('always retries a step with no end of validity', () => {
    expect(decideRetry({ now: NOW, delayMs: 86_400_000, expiresAt: null })).toEqual({ kind: 'retry', at: new Date(NOW.getTime() + 86_400_000) });
  });
});

describe('decideExpiry: the validity timer', () => {
  it('expires an open attempt whose validity has run out, to the millisecond', () => {
    for (const group of ['ACCEPTED', 'PENDING'] as StatusGroup[]) {
      expect(decideExpiry({ now: NOW, group, expiresAt: NOW })).toEqual({ kind: 'expire' });
      expect(decideExpiry({ now: NOW, group, expiresAt: new Date(NOW.getTime() - 1) })).toEqual({ kind: 'expire' });
    }
  });

  it('waits for the real end when the job woke early', () => {
    const later = new Date(NOW.getTime() + 1);
    expect(decideExpiry({ now: NOW, group: 'PENDING', expiresAt: later })).toEqual({ kind: 'wait', until: later });
    expect(decideExpiry({ now: NOW, group: 'PENDING', expiresAt: null })).toEqual({ kind: 'wait', until: new Date(NOW.getTime() + 1000) });
  });

  it('leaves a final attempt alone, expired or not', () => {
    for (const group of FINAL_GROUPS) {
      expect(decideExpiry({ now: NOW, group, expiresAt: new Date(NOW.getTime() - 1) })).toEqual({ kind: 'nothing' });
      expect(decideExpiry({ now: NOW, group, expiresAt: new Date(NOW.getTime() + 1) })).toEqual({ kind: 'nothing' });
    }
  });
});
