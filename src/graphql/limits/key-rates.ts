import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../logger.js';
import type { KeyRateLimits } from '../../messaging/api-keys.js';

/** What one key may do per minute: requests (HTTP requests, WebSocket operations) and destinations sent to. */
export type RateKind = 'requests' | 'destinations';

export interface RateDefaults {
  requestsPerMinute: number;
  destinationsPerMinute: number;
}

/** A request or send over its key's limit: the limit that was hit and when to try again. */
export interface RateRefusal {
  kind: RateKind;
  limit: number;
  /** The window whose limit was hit: the minute's, or (requests only) the second's burst cap. */
  per: 'minute' | 'second';
  retryAfterSeconds: number;
  /** The first refusal of its window (later ones are refused from memory, and logged at debug only). */
  first: boolean;
}

const WINDOW_SECONDS = 60;

/**
 * Requests are also capped per second at twice the minute's average rate (at least 10): a key cannot
 * spend its whole minute in one burst (3,000 a minute at once would take every other client's latency
 * with it), yet a client that is quiet and then busy is not refused for a moment's peak.
 */
export function burstPerSecond(perMinute: number): number {
  return Math.max(10, Math.ceil((perMinute * 2) / WINDOW_SECONDS));
}

/**
 * Per-key rate limits, counted in fixed one-minute windows by rate-limiter-flexible: in Redis when a
 * client is given (every instance counts against the same number), else in this process's memory (each
 * instance counts on its own: N instances admit N times the limit).
 *
 * A key whose requests already passed the limit is refused from memory until its window ends (the
 * library's in-memory block), so a flood costs one Redis round trip per window, not one per request.
 * Should Redis fail, counting continues in memory (the library's insurance limiter) rather than
 * refusing or admitting everything.
 *
 * A key with its own limit counts in a window of its own (the limit is part of the counter's name), so
 * changing a key's limit starts it afresh.
 */
export class KeyRates {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly defaults: RateDefaults,
    private readonly store: { redis: Redis; prefix: string } | null,
  ) {}

  /** The limit that applies to this key (its own, or the default). */
  limitOf(kind: RateKind, own: KeyRateLimits | null | undefined): number {
    const mine = kind === 'requests' ? own?.requestsPerMinute : own?.destinationsPerMinute;
    return mine ?? (kind === 'requests' ? this.defaults.requestsPerMinute : this.defaults.destinationsPerMinute);
  }

  /**
   * Counts `points` against the key; null when within its limit, else when it may try again. A refused
   * send's destinations are given back (a send is refused whole, so nothing of it was sent); refused
   * requests stay counted (a client that keeps hammering stays refused).
   */
  async consume(kind: RateKind, subject: string, own: KeyRateLimits | null | undefined, points = 1): Promise<RateRefusal | null> {
    const limit = this.limitOf(kind, own);
    if (points <= 0) return null;
    if (points > limit) return { kind, limit, per: 'minute', retryAfterSeconds: WINDOW_SECONDS, first: true };
    const minute = this.limiter(kind, limit, WINDOW_SECONDS, limit);
    // Destinations come in sends of up to 10,000 at once: only the minute counts for them.
    const second = kind === 'requests' ? this.limiter(kind, limit, 1, burstPerSecond(limit)) : null;
    const [byMinute, bySecond] = await Promise.allSettled([minute.consume(subject, points), second?.consume(subject, points)]);
    for (const outcome of [byMinute, bySecond]) {
      if (outcome.status === 'rejected' && !(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
    }
    const wait = (o: PromiseSettledResult<unknown>) => (o.status === 'rejected' ? Math.max(1, Math.ceil((o.reason as RateLimiterRes).msBeforeNext / 1000)) : 0);
    // A refusal from the in-memory block reports 0 points consumed; a counted one, how far past the limit.
    const first = (o: PromiseSettledResult<unknown>, cap: number) => {
      const consumed = o.status === 'rejected' ? (o.reason as RateLimiterRes).consumedPoints : 0;
      return consumed > 0 && consumed - points <= cap;
    };
    if (byMinute.status === 'rejected') {
      if (kind === 'destinations') await minute.reward(subject, points).catch(() => undefined);
      return { kind, limit, per: 'minute', retryAfterSeconds: wait(byMinute), first: first(byMinute, limit) };
    }
    if (bySecond.status === 'rejected') {
      const cap = burstPerSecond(limit);
      return { kind, limit: cap, per: 'second', retryAfterSeconds: wait(bySecond), first: first(bySecond, cap) };
    }
    return null;
  }

  private limiter(kind: RateKind, limit: number, durationSeconds: number, points: number): RateLimiterAbstract {
    const name = `${kind}:${limit}:${durationSeconds}s`;
    let limiter = this.limiters.get(name);
    if (limiter) return limiter;
    const options = { points, duration: durationSeconds, keyPrefix: `rl:${name}` };
    if (!this.store) {
      limiter = new RateLimiterMemory(options);
    } else {
      limiter = new RateLimiterRedis({
        ...options,
        keyPrefix: `${this.store.prefix}:rl:${name}`,
        storeClient: this.store.redis,
        // Requests past the limit are refused from memory until the window ends: no Redis call each.
        ...(kind === 'requests' ? { inMemoryBlockOnConsumed: points + 1 } : {}),
        insuranceLimiter: new RateLimiterMemory(options),
      });
    }
    this.limiters.set(name, limiter);
    return limiter;
  }
}

/**
 * The Redis connection the limits share (rate counters, WebSocket slots). Commands fail at once while
 * Redis is away (no offline queue), so the limits fall back instead of making requests wait.
 */
export function limitsRedis(url: string, prefix: string, logger: Logger): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: `${prefix}:limits` });
  redis.on('error', (err: Error) => logger.warn({ error: err.message }, 'limits (Redis) connection error'));
  return redis;
}
