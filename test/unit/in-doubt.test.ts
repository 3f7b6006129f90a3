import { describe, expect, it } from 'vitest';
import { judgeClaim, type ClaimView } from '../../src/domain/in-doubt.js';

const timing = { claimLeaseMs: 60_000, lookupDelayMs: 30_000 };
const now = new Date('2026-12-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const claim = (over: Partial<ClaimView>): ClaimView => ({ claimedAt: ago(1_000), mine: false, heldHere: false, ownerAlive: false, ...over });

describe('judgeClaim: is a SENDING attempt in doubt?', () => {
  it('a claim by a dead instance is in doubt at once (resend / settle)', () => {
    expect(judgeClaim(claim({}), false, now, timing)).toEqual({ kind: 'in-doubt' });
  });

  it('a claim a live instance holds is left to it until its claim lease lapses, then in doubt', () => {
    expect(judgeClaim(claim({ ownerAlive: true, claimedAt: ago(10_000) }), false, now, timing)).toEqual({ kind: 'later', at: new Date(ago(10_000).getTime() + 60_000) });
    expect(judgeClaim(claim({ ownerAlive: true, claimedAt: ago(61_000) }), false, now, timing)).toEqual({ kind: 'in-doubt' });
  });

  it('one a dispatch of this process holds is never taken over, however old', () => {
    expect(judgeClaim(claim({ mine: true, heldHere: true }), false, now, timing).kind).toBe('later');
    expect(judgeClaim(claim({ mine: true, heldHere: true, claimedAt: ago(120_000) }), false, now, timing).kind).toBe('later');
  });

  it('one claimed under this lease but held by nothing here was left behind: in doubt', () => {
    expect(judgeClaim(claim({ mine: true }), false, now, timing)).toEqual({ kind: 'in-doubt' });
  });

  it('a provider that is asked is asked only once its records can have caught up with the claim', () => {
    expect(judgeClaim(claim({ claimedAt: ago(5_000) }), true, now, timing)).toEqual({ kind: 'later', at: new Date(ago(5_000).getTime() + 30_000) });
    expect(judgeClaim(claim({ claimedAt: ago(30_000) }), true, now, timing)).toEqual({ kind: 'in-doubt' });
  });
});
