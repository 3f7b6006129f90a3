import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { PostgresListener } from './postgres-listener.js';
import type { EventTransport } from './transport.js';

/**
 * One channel per topic (topics are scoped by account), listened to only while this instance has a
 * subscriber for it: PostgreSQL then delivers each event only to the instances that want it, instead of
 * every instance receiving and parsing every status change of every account. Topic names can be longer
 * than a channel name may be, so the channel is a digest of the topic.
 */
const channels = new Map<string, string>();
export function channelOf(topic: string): string {
  let channel = channels.get(topic);
  if (!channel) {
    channel = `og_${createHash('sha256').update(topic).digest('hex').slice(0, 40)}`;
    if (channels.size > 10_000) channels.clear();
    channels.set(topic, channel);
  }
  return channel;
}
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7999;

type Callback = (event: CustomEvent) => void;

/**
 * Cross-instance events over PostgreSQL LISTEN/NOTIFY, for deployments without Redis: every instance
 * already shares the database, so several instances work out of the box. Written here rather than taken
 * from a library because it is the same small contract as @graphql-yoga/redis-event-target (which stays
 * the choice for heavy fan-out): one LISTEN connection (kept alive across faults by PostgresListener), a
 * channel per topic with local subscribers. Events reach this instance's own subscribers through the
 * database too, so ordering is one for all.
 */
export async function createPostgresEventTarget(connectionString: string, logger: Logger): Promise<EventTransport> {
  const callbacksForTopic = new Map<string, Set<Callback>>();
  // A notification needs no durability (subscribers get it live or not at all), so publishes skip the
  // commit's WAL flush. The pool replaces connections that die; a publish that fails costs that event.
  const publisher = new pg.Pool({ connectionString, max: 2, options: '-c synchronous_commit=off' });
  publisher.on('error', (err) => logger.warn({ error: err.message }, 'event publisher connection failed'));
  publisher.on('connect', (client) => client.on('error', (err) => logger.warn({ error: err.message }, 'event publisher connection failed')));
  const listener = new PostgresListener(connectionString, logger, (_channel, raw) => {
    if (!raw) return;
    const { topic, detail } = JSON.parse(raw) as { topic: string; detail: unknown };
    const callbacks = callbacksForTopic.get(topic);
    if (!callbacks) return;
    const event = new CustomEvent(topic, { detail });
    for (const cb of callbacks) cb(event);
  });
  await listener.start();

  // Events published in the same tick go out in one statement (one notification each, in order).
  const pending: Array<{ channel: string; payload: string }> = [];
  const flush = () => {
    const batch = pending.splice(0, pending.length);
    const sent: Array<Promise<unknown>> = [];
    for (let i = 0; i < batch.length; i += 100) {
      const chunk = batch.slice(i, i + 100);
      const calls = chunk.map((_, j) => `pg_notify($${2 * j + 1}, $${2 * j + 2})`).join(', ');
      sent.push(publisher.query(`select ${calls}`, chunk.flatMap((c) => [c.channel, c.payload])).catch((err: unknown) => logger.error({ error: String(err) }, 'event publish failed')));
    }
    return Promise.all(sent);
  };

  const toCallback = (cb: EventListenerOrEventListenerObject | null): Callback | null =>
    cb == null ? null : ((('handleEvent' in cb ? cb.handleEvent.bind(cb) : cb) as unknown) as Callback);

  return {
    addEventListener(topic: string, cbOrOptions: EventListenerOrEventListenerObject | null) {
      const cb = toCallback(cbOrOptions);
      if (!cb) return;
      const set = callbacksForTopic.get(topic) ?? new Set<Callback>();
      if (set.size === 0) listener.listen(channelOf(topic));
      set.add(cb);
      callbacksForTopic.set(topic, set);
    },
    removeEventListener(topic: string, cbOrOptions: EventListenerOrEventListenerObject | null) {
      const cb = toCallback(cbOrOptions);
      const set = callbacksForTopic.get(topic);
      if (!cb || !set) return;
      set.delete(cb);
      if (set.size === 0) {
        callbacksForTopic.delete(topic);
        listener.unlisten(channelOf(topic));
      }
    },
    dispatchEvent(event: CustomEvent) {
      const payload = JSON.stringify({ topic: event.type, detail: event.detail });
      // A UTF-16 unit is at most 3 UTF-8 bytes: most payloads need no byte count at all.
      if (payload.length * 3 > MAX_PAYLOAD_BYTES && Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
        logger.error({ topic: event.type, bytes: Buffer.byteLength(payload) }, 'event too large to publish; dropped');
        return true;
      }
      pending.push({ channel: channelOf(event.type), payload });
      if (pending.length === 1) setImmediate(flush);
      return true;
    },
    problem: () => listener.problem(),
    onReconnect: (callback: () => void) => listener.onReconnect(callback),
    close: async () => {
      // A short-lived publisher (the CLI revoking a key) must not end the pool under its last notification.
      await flush();
      await listener.close();
      await publisher.end().catch(() => undefined);
    },
  } as EventTransport;
}
