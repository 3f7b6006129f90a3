import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, EventKind, InboundMessageRow, MessageRow } from '../db/schema.js';
import { decodeEventCursor, encodeEventCursor, eventPosition } from '../domain/event-cursor.js';
import { BadCursorError, CursorExpiredError } from '../events/errors.js';
import { readEvents, readHead, type EventEnvelope } from '../events/log.js';
import { parseInput } from './errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination.js';
import { ValidationError } from './errors.js';

/** The kinds clients can ask for by name. */
export const LISTED_EVENT_KINDS = ['MESSAGE_STATUS', 'INBOUND_MESSAGE', 'CONVERSATION'] as const;
export type ListedEventKind = (typeof LISTED_EVENT_KINDS)[number];
const KINDS_OF: Record<ListedEventKind, EventKind[]> = { MESSAGE_STATUS: ['status', 'seen'], INBOUND_MESSAGE: ['inbound'], CONVERSATION: ['conversation'] };

const filterSchema = z
  .object({
    kinds: z.array(z.enum(LISTED_EVENT_KINDS)).min(1, 'must name at least one kind').nullish(),
    bulkId: z.string().nullish(),
    messageId: z.string().nullish(),
  })
  .nullish();
export type EventFilter = z.input<typeof filterSchema>;

/** An event with its cursor, as listed or streamed. */
export type CursoredEvent = EventEnvelope & { cursor: string };

export interface EventPage {
  events: CursoredEvent[];
  hasNextPage: boolean;
  /** Cursor of the last position this page looked at (it may be past the last event shown, when a filter left events out). */
  endCursor: string | null;
}

/** Rows of the log one page may look at before answering with what it found (a narrow filter over a long log). */
const MAX_SCANNED_PER_PAGE = 20_000;

/** A status event shown to a status subscriber or listed: the message's bulk, id and destination narrow it. */
export function messageEventMatches(message: MessageRow, filter: { bulkId?: string | null; messageId?: string | null; to?: string | null } | null | undefined): boolean {
  const to = filter?.to ? `+${filter.to.replace(/^\+/, '')}` : null;
  return (
    (!filter?.bulkId || message.bulkId === filter.bulkId) &&
    (!filter?.messageId || message.messageId === filter.messageId) &&
    (!to || message.toNumber === to || message.toViberUserId === filter?.to)
  );
}

/** The event log read back by query: what a client that lost its place (or its stream) pages through. */
export class EventService {
  constructor(private readonly db: Kysely<Database>) {}

  async list(accountId: string, args: { after?: string | null; first?: number | null; filter?: EventFilter }): Promise<EventPage> {
    const filter = parseInput(filterSchema, args.filter, ['filter']) ?? {};
    const first = args.first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw ValidationError.single(['first'], `must be between 1 and ${MAX_PAGE_SIZE}`);
    const head = await readHead(this.db, accountId);
    let after: number;
    if (args.after != null) {
      const decoded = decodeEventCursor(accountId, args.after);
      if (!decoded.ok || decoded.position > head.lastPosition) throw new BadCursorError('after');
      if (decoded.position + 1 < head.firstPosition) throw new CursorExpiredError('after');
      after = decoded.position;
    } else {
      after = head.firstPosition - 1;
    }
    const kinds = (filter.kinds ?? LISTED_EVENT_KINDS).flatMap((k) => KINDS_OF[k]);
    const events: CursoredEvent[] = [];
    let scannedTo = after;
    let lastPosition = head.lastPosition as number;
    while (events.length <= first && scannedTo < lastPosition && scannedTo - after < MAX_SCANNED_PER_PAGE) {
      const read = await readEvents(this.db, accountId, scannedTo, { limit: Math.min(1000, MAX_SCANNED_PER_PAGE), kinds });
      if (scannedTo + 1 < read.firstPosition) throw new CursorExpiredError('after');
      lastPosition = read.lastPosition;
      let stoppedAt: number | null = null;
      for (const e of read.events) {
        if (filter.bulkId || filter.messageId) {
          if (e.kind !== 'status' && e.kind !== 'seen') continue;
          if (!messageEventMatches(e.message, filter)) continue;
        }
        if (events.length === first) {
          stoppedAt = e.position;
          break;
        }
        events.push({ ...e, cursor: encodeEventCursor(accountId, e.position) });
      }
      if (stoppedAt !== null) {
        // One more match exists: the page ends at the last one shown.
        return { events, hasNextPage: true, endCursor: events.at(-1)?.cursor ?? null };
      }
      scannedTo = Math.min(read.lastPosition, scannedTo + 1000);
      if (!read.more) break;
    }
    const hasNextPage = scannedTo < lastPosition;
    const endCursor = scannedTo > after ? encodeEventCursor(accountId, eventPosition(scannedTo)) : (args.after ?? null);
    return { events, hasNextPage, endCursor };
  }

  /** The cursors of the events that recorded these inbound messages' arrival (null where none is kept). */
  async inboundCursors(inbound: readonly InboundMessageRow[]): Promise<Array<string | null>> {
    if (inbound.length === 0) return [];
    const rows = await this.db
      .selectFrom('event')
      .select(['accountId', 'position', 'inboundRef'])
      .where('inboundRef', 'in', inbound.map((i) => i.id))
      .where('kind', '=', 'inbound')
      .execute();
    const byRef = new Map(rows.map((r) => [r.inboundRef!, r]));
    return inbound.map((i) => {
      const r = byRef.get(i.id);
      return r && r.accountId === i.accountId ? encodeEventCursor(r.accountId, eventPosition(r.position)) : null;
    });
  }
}
