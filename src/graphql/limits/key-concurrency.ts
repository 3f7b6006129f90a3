/**
 * How many expensive operations each API key has running, in this process. A key at its cap is refused
 * at once rather than queued: a queue would only move the starvation from the CPU into the queue.
 * (Per instance: N instances admit N × cap per key, which still bounds what one key costs each of them.)
 */
export class KeyConcurrency {
  private readonly running = new Map<string, number>();

  constructor(private readonly cap: number) {}

  /** A release function when a slot was free, else null. Releasing twice frees one slot only. */
  tryAcquire(key: string): (() => void) | null {
    const now = this.running.get(key) ?? 0;
    if (now >= this.cap) return null;
    this.running.set(key, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(key) ?? 1) - 1;
      if (left <= 0) this.running.delete(key);
      else this.running.set(key, left);
    };
  }

  inFlight(key: string): number {
    return this.running.get(key) ?? 0;
  }
}
