import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { EventTransport } from './transport.js';

/**
 * Events over Redis pub/sub (@graphql-yoga/redis-event-target), made to survive Redis restarts and
 * killed connections. ioredis reconnects by itself and re-subscribes the channels it had subscribed;
 * what the library leaves to us:
 * - the event target fires SUBSCRIBE/PUBLISH without catching them, so a command that fails while Redis
 *   is away would be an unhandled rejection (a process crash): both are caught and logged here;
 * - a SUBSCRIBE issued during an outage must wait for the connection rather than fail after a few
 *   retries (it would then never be re-subscribed): the subscriber has no per-request retry limit;
 * - /readyz must know when the subscriber is down: `problem()`.
 */
export async function createRedisEventTransport(redisUrl: string, logger: Logger, prefix: string): Promise<EventTransport> {
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3, connectionName: `${prefix}:publish` });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: `${prefix}:subscribe` });
  publishClient.on('error', (err: Error) => logger.warn({ error: err.message }, 'event publisher (Redis) connection error'));

  let downSince: Date | null = null;
  let lastError: string | null = null;
  let closing = false;
  const reconnected = new Set<() => void>();
  subscribeClient.on('error', (err: Error) => {
    lastError = err.message;
    logger.warn({ error: err.message }, 'event subscriber (Redis) connection error');
  });
  subscribeClient.on('close', () => {
    if (closing) return;
    if (!downSince) logger.error('event subscriber (Redis) connection lost; reconnecting');
    downSince ??= new Date();
  });
  subscribeClient.on('ready', () => {
    const wasDown = downSince !== null;
    if (downSince) logger.info({ downMs: Date.now() - downSince.getTime() }, 'event subscriber (Redis) reconnected');
    downSince = null;
    lastError = null;
    // ioredis re-subscribes its channels as part of getting ready, so readers may look for what they missed now.
    if (wasDown) for (const callback of [...reconnected]) callback();
  });
  await Promise.all([publishClient, subscribeClient].map((c) => new Promise((r) => c.once('ready', r))));

  const failed = (what: string, channel: string) => (err: unknown) => {
    logger.error({ error: err instanceof Error ? err.message : String(err), channel }, `event ${what} failed`);
    return 0;
  };
  const guardedPublisher = {
    publish: (channel: string, message: string) => publishClient.publish(channel, message).catch(failed('publish', channel)),
  } as unknown as Redis;
  const guardedSubscriber = {
    on: (event: string, listener: (...args: unknown[]) => void) => subscribeClient.on(event, listener),
    subscribe: (channel: string) => subscribeClient.subscribe(channel).catch(failed('subscribe', channel)),
    unsubscribe: (channel: string) => subscribeClient.unsubscribe(channel).catch(failed('unsubscribe', channel)),
  } as unknown as Redis;
  const target = createRedisEventTarget({ publishClient: guardedPublisher, subscribeClient: guardedSubscriber }) as TypedEventTarget<CustomEvent>;

  return Object.assign(target, {
    onReconnect: (callback: () => void) => {
      reconnected.add(callback);
      return () => void reconnected.delete(callback);
    },
    problem: () => {
      if (subscribeClient.status === 'ready') return null;
      const since = downSince ? ` since ${downSince.toISOString()}` : '';
      return `Redis event subscriber ${subscribeClient.status}${since}${lastError ? ` (${lastError})` : ''}`;
    },
    close: async () => {
      closing = true;
      await Promise.all([publishClient, subscribeClient].map((c) => c.quit().catch(() => c.disconnect())));
    },
  });
}
