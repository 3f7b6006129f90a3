import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';

/** Releases a slot; calling it again does nothing. */
export type Release = () => void;

/**
 * Things a key may hold only so many of at once (open WebSockets, active subscriptions). A key at its
 * cap is refused at once, never queued.
 */
export interface KeySlots {
  /** A release function when the key holds fewer than `cap`, else null. */
  tryAcquire(keyId: string, cap: number): Promise<Release | null>;
  /** Gives back every slot this instance holds (its sockets are closed by then). */
  close(): Promise<void>;
}

function once(fn: () => void): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** Counted in this process: each instance allows `cap` per key. */
export class MemoryKeySlots implements KeySlots {
  private readonly held = new Map<string, number>();

  tryAcquire(keyId: string, cap: number): Promise<Release | null> {
    const now = this.held.get(keyId) ?? 0;
    if (now >= cap) return Promise.resolve(null);
    this.held.set(keyId, now + 1);
    return Promise.resolve(
      once(() => {
        const left = (this.held.get(keyId) ?? 1) - 1;
        if (left <= 0) this.held.delete(keyId);
        else this.held.set(keyId, left);
      }),
    );
  }

  close(): Promise<void> {
    this.held.clear();
    return Promise.resolve();
  }
}

/**
 * Drops entries past their expiry, counts the rest and adds one when under the cap: atomically, so two
 * instances admitting at the same moment cannot both take the last slot.
 * KEYS[1] the key's set; ARGV: now (ms), cap, this entry's expiry (ms), this entry, the set's own TTL (ms).
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * Counted in Redis, so the cap holds across instances: one sorted set per key, one entry per slot, scored
 * by when it expires. Each instance renews its own entries every `renewMs`; an entry not renewed for
 * three times that (its instance died without releasing) stops counting and is dropped by the next
 * acquire. A slot is released by removing its entry.
 *
 * Should Redis be unreachable, a slot is granted (and logged): a Redis outage must not shut every
 * client out, and the per-key request rate limit still bounds what a key can open.
 */
export class RedisKeySlots implements KeySlots {
  private readonly mine = new Map<string, Set<string>>();
  private readonly instance = randomUUID();
  private sequence = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly renewMs: number,
    private readonly logger: Logger,
  ) {
    this.ttlMs = renewMs * 3;
    this.timer = setInterval(() => void this.renew(), renewMs);
    this.timer.unref();
  }

  async tryAcquire(keyId: string, cap: number): Promise<Release | null> {
    const set = `${this.prefix}:${keyId}`;
    const entry = `${this.instance}:${++this.sequence}`;
    const now = Date.now();
    try {
      const granted = await this.redis.eval(ACQUIRE, 1, set, now, cap, now + this.ttlMs, entry, this.ttlMs * 2);
      if (granted !== 1) return null;
    } catch (err) {
      this.logger.warn({ error: err instanceof Error ? err.message : String(err), keyId }, 'WebSocket slot not counted: Redis unreachable');
      return once(() => undefined);
    }
    let entries = this.mine.get(set);
    if (!entries) this.mine.set(set, (entries = new Set()));
    entries.add(entry);
    return once(() => {
      const held = this.mine.get(set);
      held?.delete(entry);
      if (held?.size === 0) this.mine.delete(set);
      if (this.closed) return; // close() removed it already
      this.redis.zrem(set, entry).catch((err: unknown) => {
        // Left behind, it stops counting when it expires (it is no longer renewed).
        this.logger.warn({ error: err instanceof Error ? err.message : String(err), keyId }, 'WebSocket slot release failed');
      });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closed = true;
    if (this.mine.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [set, entries] of this.mine) pipeline.zrem(set, ...entries);
    this.mine.clear();
    // Whatever is not removed now stops counting when it expires.
    await pipeline.exec().catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (this.mine.size === 0) return;
    const expiry = Date.now() + this.ttlMs;
    const pipeline = this.redis.pipeline();
    for (const [set, entries] of this.mine) {
      // XX: renew only what is still there (a release may have removed it meanwhile).
      for (const entry of entries) pipeline.zadd(set, 'XX', expiry, entry);
      pipeline.pexpire(set, this.ttlMs * 2);
    }
    try {
      await pipeline.exec();
    } catch (err) {
      this.logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'WebSocket slot renewal failed');
    }
  }
}
