/** What is known of a SENDING attempt's claim when it is looked at again. */
export interface ClaimView {
  /** When it was claimed (or last taken over). */
  claimedAt: Date;
  /** Claimed under this instance's current lease. */
  mine: boolean;
  /** A dispatch in this process holds it right now (on the wire, or a job that found it left over). */
  heldHere: boolean;
  /** Claimed under another instance's lease that is still alive. */
  ownerAlive: boolean;
}

export interface InDoubtTiming {
  /** A claim held this long by a live instance is in doubt: longer than any provider timeout. */
  claimLeaseMs: number;
  /** A provider whose rule is `ask` is asked no sooner than this after the claim (its records may trail). */
  lookupDelayMs: number;
}

export type ClaimVerdict = { kind: 'in-doubt' } | { kind: 'later'; at: Date };

/**
 * Whether a SENDING attempt is in doubt now, or when to look at it again. It is not while someone may
 * still be sending it: a dispatch in this process, or a live instance within its claim lease. Otherwise it
 * is, except that a provider that will be asked is asked only once its records can have caught up.
 */
export function judgeClaim(claim: ClaimView, asksProvider: boolean, now: Date, timing: InDoubtTiming): ClaimVerdict {
  const claimLapsesAt = new Date(claim.claimedAt.getTime() + timing.claimLeaseMs);
  if ((claim.mine && claim.heldHere) || (!claim.mine && claim.ownerAlive)) {
    if (claimLapsesAt > now) return { kind: 'later', at: claimLapsesAt };
  }
  if (claim.mine && claim.heldHere) return { kind: 'later', at: new Date(now.getTime() + timing.claimLeaseMs) };
  const askableAt = new Date(claim.claimedAt.getTime() + timing.lookupDelayMs);
  if (asksProvider && askableAt > now) return { kind: 'later', at: askableAt };
  return { kind: 'in-doubt' };
}
