/**
 * A token bucket of query cost per API key, in this process: each key earns `perSecond` cost units a
 * second up to a burst of `capacity`, and every operation spends its cost before it runs. The cost limit
 * bounds one operation and the concurrency slot bounds how many run at once, but a key running its one
 * expensive operation back to back still keeps a core busy; the bucket bounds the share of the machine
 * one key can take over time, so other keys' latency holds under a flood. A refused operation learns
 * when it would fit (`retryAfterSeconds`).
 */
export class KeyCostRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Spends `cost` and returns 0, or spends nothing and returns the seconds until it would fit. */
  trySpend(key: string, cost: number): number {
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((t - bucket.at) / 1000) * this.perSecond);
    bucket.at = t;
    // An operation dearer than the burst would never fit: it waits for a full bucket and takes all of it.
    const due = Math.min(cost, this.capacity);
    if (bucket.tokens >= due) {
      bucket.tokens -= due;
      // A full bucket is the default state: forget it, so idle keys cost no memory.
      if (bucket.tokens >= this.capacity) this.buckets.delete(key);
      else this.buckets.set(key, bucket);
      return 0;
    }
    this.buckets.set(key, bucket);
    return Math.max(1, Math.ceil((due - bucket.tokens) / this.perSecond));
  }
}
