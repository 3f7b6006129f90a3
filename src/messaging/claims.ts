/** The lease claims are made under (src/jobs/leases.ts): its id, and whether it is still this instance's. */
import type { AttemptRef } from '../domain/ids.js';
export interface ClaimLease {
  readonly owner: string;
  isLive(owner: string): boolean;
}

/**
 * Attempts this process has claimed (SENDING) and is putting on the wire or settling right now. An
 * attempt SENDING under this instance's lease but not held here was left behind by a run that ended
 * without settling it (a failed job): it is in doubt, as one claimed by a dead instance is.
 */
export class Claims {
  /** Counted: two jobs of this process may carry the same attempt (a re-queued one and its old job). */
  private readonly held = new Map<string, number>();

  constructor(private readonly lease: ClaimLease) {}

  /** The lease id new claims are recorded under (attempt.claimed_by). */
  get owner(): string {
    return this.lease.owner;
  }

  /** False once the lease `owner` lapsed: others may have taken its claims over, so nothing may be sent under it. */
  isLive(owner: string): boolean {
    return this.lease.isLive(owner);
  }

  hold(attemptRefs: Iterable<string>): void {
    for (const ref of attemptRefs) this.held.set(ref, (this.held.get(ref) ?? 0) + 1);
  }

  release(attemptRefs: Iterable<string>): void {
    for (const ref of attemptRefs) {
      const n = (this.held.get(ref) ?? 0) - 1;
      if (n > 0) this.held.set(ref, n);
      else this.held.delete(ref);
    }
  }

  isHeld(attemptRef: AttemptRef): boolean {
    return this.held.has(attemptRef);
  }
}

/**
 * Thrown instead of a send whose claim's lease lapsed (others may have taken its claims over). Nothing was
 * sent: the claims still held are given back to the queue for the job's retry; those another instance
 * took over are theirs to settle.
 */
export class LeaseLapsedError extends Error {
  constructor(owner: string, givenBack: number, claimed: number) {
    super(
      `the lease ${owner} lapsed before sending; nothing was sent: ${givenBack} of ${claimed} claims given back to the queue` +
        (givenBack < claimed ? ', the rest taken over by another instance or left in doubt' : ''),
    );
    this.name = 'LeaseLapsedError';
  }
}
