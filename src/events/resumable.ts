import type { Kysely } from 'kysely';
import type { Database, EventKind } from '../db/schema.js';
import { decodeEventCursor, encodeEventCursor, eventPosition, type EventPosition } from '../domain/event-cursor.js';
import type { EventBus } from './bus.js';
import { BadCursorError, CursorExpiredError } from './errors.js';
import { readEvents, readHead, type EventEnvelope, type LogRead } from './log.js';

/** Positions read from the log per statement while back-filling. */
const BACKFILL_PAGE = 1000;
/** A stream that heard nothing for this long asks the log whether it missed something (a lost publish). */
const IDLE_RESYNC_MS = 5_000;
/**
 * Live events a stream holds for a subscriber that has not taken them yet (a slow socket: graphql-ws waits
 * for each write to drain before it asks for the next). Past this the stream drops what it holds and reads
 * the same range from the log when the subscriber catches up, so a slow subscriber costs bounded memory
 * and still loses nothing.
 */
export const MAX_BUFFERED_LIVE_EVENTS = 1000;

/** What a resumable stream yields: the subscriber's value and the cursor to resume after it. */
export interface Resumed<T> {
  value: T;
  cursor: string;
}

export interface ResumableSpec<T> {
  accountId: string;
  /** The client's cursor, as given: checked here (BAD_CURSOR, CURSOR_EXPIRED name `argument`). */
  after: string | null | undefined;
  argument?: string;
  /** Kinds this stream shows; the others only advance its position. */
  kinds: readonly EventKind[];
  /** The value to send for an event of those kinds, or null when the subscriber's filter leaves it out. */
  select(event: EventEnvelope): T | null | Promise<T | null>;
  /** Metric topic of the live-subscriber gauge. */
  topic: string;
  /** Overrides MAX_BUFFERED_LIVE_EVENTS (tests). */
  maxBuffered?: number;
  /** Told each time the live buffer overflowed and was dropped for a read of the log (also counted in metrics). */
  onOverflow?: () => void;
}

/** Where a resumable stream reads: the live bus and the event log. */
export interface EventSources {
  db: Kysely<Database>;
  bus: EventBus;
}

/**
 * A live stream of an account's events that never skips one and never repeats one, resumable from a
 * cursor. Generic over what it yields, so every subscription over the event log (status changes,
 * inbound messages, conversations) is made resumable the same way.
 *
 * How: it listens live FIRST and buffers, then reads the log's head (and, with `after`, checks the
 * cursor against what is kept), then sends the stored events after the cursor, then the buffer, skipping
 * every position already sent. From then on it tracks the next position it expects: a live event beyond
 * it (the transport lost or reordered one) makes it read the missing range from the log first; a
 * transport reconnect, or quiet for IDLE_RESYNC_MS, makes it read whatever the log holds beyond it. The
 * log's ordering guarantee (src/events/log.ts) makes "everything below a seen position is readable" true,
 * so the read range is always complete.
 *
 * Resolves once the cursor is checked and live listening has begun, so a bad cursor is the subscription's
 * error, not a broken stream.
 */
export async function openResumableStream<T>(sources: EventSources, spec: ResumableSpec<T>): Promise<AsyncIterableIterator<Resumed<T>>> {
  const argument = spec.argument ?? 'after';
  let start: EventPosition | null = null;
  if (spec.after != null) {
    const decoded = decodeEventCursor(spec.accountId, spec.after);
    if (!decoded.ok) throw new BadCursorError(argument);
    start = decoded.position;
  }

  const inbox: EventEnvelope[] = [];
  let resync = false;
  let closed = false;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const maxBuffered = spec.maxBuffered ?? MAX_BUFFERED_LIVE_EVENTS;
  const stopListening = sources.bus.listen(spec.accountId, (event) => {
    if (inbox.length >= maxBuffered) {
      // Everything dropped is in the log: the resync reads it from the position the stream expects next.
      inbox.length = 0;
      resync = true;
      sources.bus.bufferOverflowed(spec.topic);
      spec.onOverflow?.();
    }
    inbox.push(event);
    poke();
  });
  const stopReconnect = sources.bus.onReconnect(() => {
    resync = true;
    poke();
  });
  const close = () => {
    if (closed) return;
    closed = true;
    stopListening();
    stopReconnect();
    poke();
  };

  let expected: number;
  try {
    const head = await readHead(sources.db, spec.accountId);
    if (start === null) {
      expected = head.lastPosition + 1;
    } else {
      if (start > head.lastPosition) throw new BadCursorError(argument);
      if (start + 1 < head.firstPosition) throw new CursorExpiredError(argument);
      expected = start + 1;
      resync = true;
    }
  } catch (err) {
    close();
    throw err;
  }

  const kinds = new Set(spec.kinds);
  const cursorOf = (position: number) => encodeEventCursor(spec.accountId, eventPosition(position));

  /**
   * A read of the log that waits out a database fault (a restart, terminated connections) instead of
   * ending the stream: live subscribers keep their place and carry on once it is back. Null once closed.
   */
  async function untilRead<R>(read: () => Promise<R>): Promise<R | null> {
    for (let attempt = 1; !closed; attempt += 1) {
      try {
        return await read();
      } catch (err) {
        if (err instanceof CursorExpiredError || err instanceof BadCursorError) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * attempt)));
      }
    }
    return null;
  }

  async function* run(): AsyncGenerator<Resumed<T>> {
    try {
      yield* follow();
    } finally {
      close();
    }
  }

  async function* follow(): AsyncGenerator<Resumed<T>> {
    /** Events from the log after `expected - 1`, up to `upTo` (or the head): yields the selected ones. */
    async function* backfill(upTo?: number): AsyncGenerator<Resumed<T>> {
      for (;;) {
        if (closed) return;
        const from = expected - 1;
        const read: LogRead | null = await untilRead(() =>
          readEvents(sources.db, spec.accountId, from, { limit: BACKFILL_PAGE, kinds: spec.kinds, ...(upTo !== undefined ? { upTo } : {}) }),
        );
        if (!read) return;
        // Fell so far behind that retention deleted what it had not sent yet: say so rather than skip.
        if (expected < read.firstPosition) throw new CursorExpiredError(argument);
        for (const event of read.events) {
          if (event.position < expected) continue;
          expected = event.position + 1;
          const value = await spec.select(event);
          if (value !== null) yield { value, cursor: cursorOf(event.position) };
        }
        // The range read is complete (kinds left out and deleted messages included): move past all of it.
        const reached = Math.min(upTo ?? read.lastPosition, read.lastPosition, from + BACKFILL_PAGE);
        expected = Math.max(expected, reached + 1);
        if (!read.more) return;
      }
    }

    while (!closed) {
      if (resync) {
        resync = false;
        // One indexed row read in the common case (nothing missed), before any snapshot transaction.
        const head = await untilRead(() => readHead(sources.db, spec.accountId));
        if (head && (head.lastPosition >= expected || expected < head.firstPosition)) yield* backfill();
        continue;
      }
      const event = inbox.shift();
      if (!event) {
        const idle = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), IDLE_RESYNC_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        if (idle) resync = true;
        continue;
      }
      if (event.position < expected) continue;
      if (event.position > expected) yield* backfill(event.position - 1);
      if (closed || event.position < expected) continue;
      expected = event.position + 1;
      if (!kinds.has(event.kind)) continue;
      const value = await spec.select(event);
      if (value !== null) yield { value, cursor: cursorOf(event.position) };
    }
  }

  const generator = run();
  const stream: AsyncIterableIterator<Resumed<T>> = {
    next: () => generator.next(),
    // The generator may be waiting for an event: closing wakes it so the return is not held until one arrives.
    return: async (value?: unknown) => {
      close();
      await generator.return(undefined);
      return { done: true, value: value as Resumed<T> };
    },
    throw: async (err?: unknown) => {
      close();
      return generator.throw(err);
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return sources.bus.counted(spec.topic, stream);
}
