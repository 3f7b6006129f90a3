import { createPubSub, map, pipe, type PubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { Redis } from 'ioredis';
import type { AttemptRow, InboundMessageRow, MessageRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { createPostgresEventTarget } from './postgres-event-target.js';

/** A status change of one message, as subscribers receive it. */
export interface MessageStatusPayload {
  message: MessageRow;
  /** The attempt whose status changed (on failover: the one that failed; the message has moved on). */
  attempt: AttemptRow | null;
  occurredAt: Date;
}

export interface InboundPayload {
  inbound: InboundMessageRow;
}

/** An API key was revoked, rotated or reached the end of its grace period (`ended`: it no longer works). */
export interface ApiKeyChangedPayload {
  accountId: string;
  keyId: string;
  ended: boolean;
}

type Topics = {
  'message-status': [scope: string, payload: MessageStatusPayload];
  inbound: [scope: string, payload: InboundPayload];
  'api-key-changed': [scope: string, payload: ApiKeyChangedPayload];
};

const DATE_FIELDS = ['createdAt', 'updatedAt', 'sentAt', 'doneAt', 'seenAt', 'expiresAt', 'receivedAt', 'occurredAt'] as const;

/**
 * Events cross Redis as JSON, which turns dates into strings; this puts them back so resolvers see one
 * shape whether the event came from this process or another.
 */
function revive<T>(value: T): T {
  if (!value || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const field of DATE_FIELDS) {
    const v = copy[field];
    if (typeof v === 'string') copy[field] = new Date(v);
  }
  return copy as T;
}

/**
 * Typed topics scoped by account: a subscriber only ever listens on its own account's channel, so no
 * filter mistake can leak another account's events. Events cross instances through Redis when REDIS_URL
 * is set, else through PostgreSQL LISTEN/NOTIFY on the database all instances share.
 */
export class EventBus {
  private constructor(
    private readonly prefix: string,
    private readonly pubsub: PubSub<Topics>,
    private readonly closeTransport: () => Promise<void>,
  ) {}

  static async create(options: { prefix: string; redisUrl?: string; databaseUrl: string; logger: Logger }): Promise<EventBus> {
    if (options.redisUrl) {
      const publishClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
      const subscribeClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
      await Promise.all([publishClient, subscribeClient].map((c) => new Promise((r) => c.once('ready', r))));
      // The event target fires publishes without catching them; a Redis blip must cost an event, not the process.
      const guardedPublisher = {
        publish: (channel: string, message: string) =>
          publishClient.publish(channel, message).catch((err: unknown) => {
            options.logger.error({ error: err instanceof Error ? err.message : String(err), channel }, 'event publish failed');
            return 0;
          }),
      } as unknown as Redis;
      const eventTarget = createRedisEventTarget({ publishClient: guardedPublisher, subscribeClient }) as TypedEventTarget<CustomEvent>;
      return new EventBus(options.prefix, createPubSub<Topics>({ eventTarget }), async () => {
        await Promise.all([publishClient, subscribeClient].map((c) => c.quit().catch(() => c.disconnect())));
      });
    }
    const eventTarget = await createPostgresEventTarget(options.databaseUrl, options.logger);
    return new EventBus(options.prefix, createPubSub<Topics>({ eventTarget }), () => eventTarget.close());
  }

  private scope(accountId: string): string {
    return `${this.prefix}:${accountId}`;
  }

  publishMessageStatus(accountId: string, payload: MessageStatusPayload): void {
    // Contents stay out of events: subscribers are shown statuses, and transports limit payload size.
    const message = { ...payload.message, flow: [] };
    const attempt = payload.attempt ? { ...payload.attempt, content: { type: 'TEXT' as const, text: '' } } : null;
    this.pubsub.publish('message-status', this.scope(accountId), { ...payload, message, attempt });
  }

  /**
   * Repeater-based (yoga's operators), not an async generator: `return()` ends it at once, where a
   * generator waiting for its next event would hold the return until another event arrived.
   */
  messageStatus(accountId: string): AsyncIterableIterator<MessageStatusPayload> {
    return pipe(
      this.pubsub.subscribe('message-status', this.scope(accountId)),
      map((p) => ({ message: revive(p.message), attempt: revive(p.attempt), occurredAt: new Date(p.occurredAt) })),
    ) as AsyncIterableIterator<MessageStatusPayload>;
  }

  publishInbound(accountId: string, payload: InboundPayload): void {
    this.pubsub.publish('inbound', this.scope(accountId), payload);
  }

  inbound(accountId: string): AsyncIterableIterator<InboundPayload> {
    return pipe(
      this.pubsub.subscribe('inbound', this.scope(accountId)),
      map((p) => ({ inbound: revive(p.inbound) })),
    ) as AsyncIterableIterator<InboundPayload>;
  }

  /** Every instance listens to every account's key changes (each clears its key cache, closes ended keys' sockets). */
  publishApiKeyChanged(payload: ApiKeyChangedPayload): void {
    this.pubsub.publish('api-key-changed', `${this.prefix}:api-keys`, payload);
  }

  apiKeyChanges(): AsyncIterableIterator<ApiKeyChangedPayload> {
    return this.pubsub.subscribe('api-key-changed', `${this.prefix}:api-keys`) as AsyncIterableIterator<ApiKeyChangedPayload>;
  }

  async close(): Promise<void> {
    await this.closeTransport();
  }
}
