/**
 * A counting semaphore per key (here: per provider connection) whose waits are bounded: `acquire` either
 * gets a slot of every key it names within `waitMs`, or gives up and holds nothing. Written here because
 * the usual libraries (p-limit, p-queue) queue work without bound, and the point of this one is the
 * opposite: a caller that cannot get a slot soon goes and does something else.
 */
export class KeyedSlots {
  private readonly inUse = new Map<string, number>();
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be an integer >= 1');
  }

  /** Slots taken for `key` right now. */
  used(key: string): number {
    return this.inUse.get(key) ?? 0;
  }

  /**
   * A slot of each distinct key, taken in a fixed order (so two callers cannot each hold what the other
   * waits for beyond the bound); resolves with the function that gives them back, or null.
   */
  async acquire(keys: string[], waitMs: number): Promise<(() => void) | null> {
    const deadline = Date.now() + waitMs;
    const held: string[] = [];
    for (const key of [...new Set(keys)].sort()) {
      if (!(await this.take(key, Math.max(0, deadline - Date.now())))) {
        for (const k of held) this.give(k);
        return null;
      }
      held.push(key);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of held) this.give(k);
    };
  }

  private take(key: string, waitMs: number): Promise<boolean> | boolean {
    const used = this.used(key);
    if (used < this.capacity) {
      this.inUse.set(key, used + 1);
      return true;
    }
    if (waitMs <= 0) return false;
    return new Promise((resolve) => {
      const queue = this.waiters.get(key) ?? [];
      this.waiters.set(key, queue);
      const timer = setTimeout(() => {
        const i = queue.indexOf(handOver);
        if (i >= 0) queue.splice(i, 1);
        if (queue.length === 0) this.waiters.delete(key);
        resolve(false);
      }, waitMs);
      // A released slot passes straight to the longest waiter, so the count never dips for a newcomer to grab.
      const handOver = () => {
        clearTimeout(timer);
        resolve(true);
      };
      queue.push(handOver);
    });
  }

  private give(key: string): void {
    const queue = this.waiters.get(key);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.waiters.delete(key);
    if (next) {
      next();
      return;
    }
    const used = this.used(key) - 1;
    if (used <= 0) this.inUse.delete(key);
    else this.inUse.set(key, used);
  }
}
