import { createPubSub, filter, map, pipe, type PubSub, type Repeater } from 'graphql-yoga';
import type { AttemptRow, InboundMessageRow, MessageRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { trimForTransport, type AccountEvent, type EventEnvelope, type InboundEventDraft, type MessageEventDraft } from './log.js';
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
  /** A seen report rather than a status change (statuses stay as they were). */
  seen?: boolean;
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
  events: [scope: string, payload: EventEnvelope];
  'api-key-changed': [scope: string, payload: ApiKeyChangedPayload];
};


const DATE_FIELDS = [
  'createdAt', 'updatedAt', 'sentAt', 'doneAt', 'seenAt', 'expiresAt', 'receivedAt', 'occurredAt', 'notBefore', 'claimedAt', 'lastTransientErrorAt',
] as const;

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

function reviveEnvelope(e: EventEnvelope): EventEnvelope {
  const occurredAt = new Date(e.occurredAt);
  switch (e.kind) {
    case 'status':
    case 'seen':
      return { ...e, occurredAt, message: revive(e.message), attempt: revive(e.attempt) };
    case 'inbound':
      return { ...e, occurredAt, inbound: revive(e.inbound) };
    default:
      return { ...e, occurredAt };
  }
}

/** The metric topic an event kind is counted under (kept from before the event log). */
const METRIC_TOPIC: Record<EventEnvelope['kind'], string> = { status: 'message-status', seen: 'message-status', inbound: 'inbound', conversation: 'conversation' };

/**
 * Typed topics scoped by account: a subscriber only ever listens on its own account's channel, so no
 * filter mistake can leak another account's events. Events cross instances through Redis when REDIS_URL
 * is set, else through PostgreSQL LISTEN/NOTIFY on the database all instances share.
 *
 * Every event of an account (status changes, seen reports, inbound messages, conversation changes) goes
 * on that account's one `events` topic with its log position, in position order, so a subscriber can
 * tell from the positions alone whether the transport lost or reordered one (src/events/resumable.ts).
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

  /** Publishes committed events (from `appendEvents`), in position order. */
  publishEvents(events: AccountEvent[]): void {
    for (const { accountId, event } of events) {
      this.pubsub.publish('events', this.scope(accountId), trimForTransport(event));
      this.metrics.eventPublished(METRIC_TOPIC[event.kind]);
    }
  }

  /**
   * Every event of the account as it arrives, to a callback: no queue in between, so a reader that is
   * busy back-filling from the database loses nothing (yoga's repeaters hold at most 1024 pending events).
   * Returns the function that stops listening.
   */
  listen(accountId: string, onEvent: (event: EventEnvelope) => void): () => void {
    const topic = `events:${this.scope(accountId)}`;
    const listener = (event: CustomEvent) => onEvent(reviveEnvelope(event.detail as EventEnvelope));
    this.transport.addEventListener(topic, listener as unknown as EventListener);
    return () => this.transport.removeEventListener(topic, listener as unknown as EventListener);
  }

  /** Calls `callback` each time the transport reconnects: events published meanwhile may have been lost. */
  onReconnect(callback: () => void): () => void {
    return this.transport.onReconnect(callback);
  }

  /** The account's events from now on (no position, no back-fill), for internal readers such as bulk progress. */
  private events(accountId: string): Repeater<EventEnvelope> {
    return this.pubsub.subscribe('events', this.scope(accountId)) as Repeater<EventEnvelope>;
  }

  /**
   * Repeater-based (yoga's operators), not an async generator: `return()` ends it at once, where a
   * generator waiting for its next event would hold the return until another event arrived.
   */
  messageStatus(accountId: string): AsyncIterableIterator<MessageStatusPayload> {
    return countedSubscription(this.metrics, 'message-status', pipe(
      this.events(accountId),
      filter((e: EventEnvelope) => e.kind === 'status' || e.kind === 'seen'),
      map((e: EventEnvelope) => {
        const r = reviveEnvelope(e) as MessageEventDraft;
        return { message: r.message, attempt: r.attempt, occurredAt: r.occurredAt };
      }),
    ) as AsyncIterableIterator<MessageStatusPayload>);
  }

  inbound(accountId: string): AsyncIterableIterator<InboundPayload> {
    return countedSubscription(this.metrics, 'inbound', pipe(
      this.events(accountId),
      filter((e: EventEnvelope) => e.kind === 'inbound'),
      map((e: EventEnvelope) => ({ inbound: revive((e as InboundEventDraft).inbound) })),
    ) as AsyncIterableIterator<InboundPayload>);
  }

  /** A resumable stream of `topic` dropped its live buffer for a read of the log (a slow subscriber). */
  bufferOverflowed(topic: string): void {
    this.metrics.liveBufferOverflowed(topic);
  }

  /** Counts a live stream opened outside this class (a resumable subscription) in the subscriber gauge. */
  counted<T>(topic: string, source: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
    return countedSubscription(this.metrics, topic, source);
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
