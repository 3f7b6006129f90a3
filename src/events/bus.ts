import { createPubSub, map, pipe, type PubSub } from 'graphql-yoga';
import type { AttemptRow, InboundMessageRow, MessageRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { createPostgresEventTarget } from './postgres-event-target.js';
import { createRedisEventTransport } from './redis-event-transport.js';
import type { EventTransport } from './transport.js';
import { Metrics } from '../observability/metrics.js';
import { countedSubscription } from '../observability/subscriptions.js';

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

/**
 * Conversations that changed in one committed transaction (an inbound message, a send, a read). Ids only:
 * subscribers read the conversation as it is when they deliver it, and a 10,000-destination send is
 * published in chunks small enough for a PostgreSQL NOTIFY.
 */
export interface ConversationChangedPayload {
  conversationIds: string[];
  occurredAt: Date;
}

type Topics = {
  'message-status': [scope: string, payload: MessageStatusPayload];
  inbound: [scope: string, payload: InboundPayload];
  'api-key-changed': [scope: string, payload: ApiKeyChangedPayload];
  conversation: [scope: string, payload: ConversationChangedPayload];
};

/** 100 uuids with their JSON quoting stay well under PostgreSQL's 8000-byte NOTIFY limit. */
const CONVERSATION_IDS_PER_EVENT = 100;

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
    private readonly transport: EventTransport,
    private readonly metrics: Metrics,
  ) {}

  static async create(options: { prefix: string; redisUrl?: string; databaseUrl: string; logger: Logger; metrics?: Metrics }): Promise<EventBus> {
    const transport = options.redisUrl
      ? await createRedisEventTransport(options.redisUrl, options.logger, options.prefix)
      : await createPostgresEventTarget(options.databaseUrl, options.logger);
    return new EventBus(options.prefix, createPubSub<Topics>({ eventTarget: transport }), transport, options.metrics ?? new Metrics());
  }

  /** Why events may not reach subscribers right now (the transport is reconnecting), or null. */
  problem(): string | null {
    return this.transport.problem();
  }

  private scope(accountId: string): string {
    return `${this.prefix}:${accountId}`;
  }

  publishMessageStatus(accountId: string, payload: MessageStatusPayload): void {
    // Contents stay out of events: subscribers are shown statuses, and transports limit payload size.
    const message = { ...payload.message, flow: [] };
    const attempt = payload.attempt ? { ...payload.attempt, content: { type: 'TEXT' as const, text: '' } } : null;
    this.pubsub.publish('message-status', this.scope(accountId), { ...payload, message, attempt });
    this.metrics.eventPublished('message-status');
  }

  /**
   * Repeater-based (yoga's operators), not an async generator: `return()` ends it at once, where a
   * generator waiting for its next event would hold the return until another event arrived.
   */
  messageStatus(accountId: string): AsyncIterableIterator<MessageStatusPayload> {
    return countedSubscription(this.metrics, 'message-status', pipe(
      this.pubsub.subscribe('message-status', this.scope(accountId)),
      map((p) => ({ message: revive(p.message), attempt: revive(p.attempt), occurredAt: new Date(p.occurredAt) })),
    ) as AsyncIterableIterator<MessageStatusPayload>);
  }

  publishInbound(accountId: string, payload: InboundPayload): void {
    this.pubsub.publish('inbound', this.scope(accountId), payload);
    this.metrics.eventPublished('inbound');
  }

  inbound(accountId: string): AsyncIterableIterator<InboundPayload> {
    return countedSubscription(this.metrics, 'inbound', pipe(
      this.pubsub.subscribe('inbound', this.scope(accountId)),
      map((p) => ({ inbound: revive(p.inbound) })),
    ) as AsyncIterableIterator<InboundPayload>);
  }

  publishConversationChanged(accountId: string, payload: ConversationChangedPayload): void {
    for (let i = 0; i < payload.conversationIds.length; i += CONVERSATION_IDS_PER_EVENT) {
      const chunk = payload.conversationIds.slice(i, i + CONVERSATION_IDS_PER_EVENT);
      this.pubsub.publish('conversation', this.scope(accountId), { conversationIds: chunk, occurredAt: payload.occurredAt });
      this.metrics.eventPublished('conversation');
    }
  }

  conversationChanges(accountId: string): AsyncIterableIterator<ConversationChangedPayload> {
    return countedSubscription(this.metrics, 'conversation', pipe(
      this.pubsub.subscribe('conversation', this.scope(accountId)),
      map((p) => ({ conversationIds: p.conversationIds, occurredAt: new Date(p.occurredAt) })),
    ) as AsyncIterableIterator<ConversationChangedPayload>);
  }

  /** Every instance listens to every account's key changes (each clears its key cache, closes ended keys' sockets). */
  publishApiKeyChanged(payload: ApiKeyChangedPayload): void {
    this.pubsub.publish('api-key-changed', `${this.prefix}:api-keys`, payload);
  }

  apiKeyChanges(): AsyncIterableIterator<ApiKeyChangedPayload> {
    return this.pubsub.subscribe('api-key-changed', `${this.prefix}:api-keys`) as AsyncIterableIterator<ApiKeyChangedPayload>;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
