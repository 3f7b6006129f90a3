import type { Kysely } from 'kysely';
import { z } from 'zod';
import { CHANNELS } from '../domain/channel.js';
import { normalisePhoneNumber } from '../domain/phone-number.js';
import { STATUS_GROUPS } from '../domain/status.js';
import type { AttemptRow, Database, MessageRow } from '../db/schema.js';
import type { EventBus, MessageStatusPayload } from '../events/bus.js';
import { openResumableStream, type Resumed } from '../events/resumable.js';
import { messageEventMatches } from './events.js';
import { parseInput } from './errors.js';
import { decodePageArgs, toPage, type Page, type PageArgs } from './pagination.js';

const filterSchema = z
  .object({
    bulkId: z.string().nullish(),
    messageId: z.string().nullish(),
    to: z
      .string()
      .transform((value, ctx) => {
        const r = normalisePhoneNumber(value);
        if (!r.ok) {
          ctx.addIssue({ code: 'custom', message: r.reason });
          return z.NEVER;
        }
        return r.e164;
      })
      .nullish(),
    channel: z.enum(CHANNELS).nullish(),
    statusGroup: z.enum(STATUS_GROUPS).nullish(),
    sentSince: z.date().nullish(),
    sentUntil: z.date().nullish(),
  })
  .nullish();

export type MessageFilter = z.input<typeof filterSchema>;

/** Delivery reports: what clients read back about their messages, always within their own account. */
export class ReportService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
  ) {}

  /**
   * Status changes (and seen reports) of the account's messages as they happen, narrowed to a bulk, a
   * message or a destination, each with its cursor; with `after`, first every stored one after that cursor
   * (src/events/resumable.ts: no gap, no repeat at the seam).
   */
  statusChanges(
    accountId: string,
    filter: { bulkId?: string | null; messageId?: string | null; to?: string | null } | null | undefined,
    after?: string | null,
  ): Promise<AsyncIterableIterator<Resumed<MessageStatusPayload>>> {
    return openResumableStream({ db: this.db, bus: this.bus }, {
      accountId,
      after,
      kinds: ['status', 'seen'],
      topic: 'message-status',
      select: (e) =>
        (e.kind === 'status' || e.kind === 'seen') && messageEventMatches(e.message, filter)
          ? { message: e.message, attempt: e.attempt, occurredAt: e.occurredAt, seen: e.kind === 'seen' }
          : null,
    });
  }

  async message(accountId: string, messageId: string): Promise<MessageRow | null> {
    const row = await this.db
      .selectFrom('message')
      .selectAll()
      .where('accountId', '=', accountId)
      .where('messageId', '=', messageId)
      .executeTakeFirst();
    return row ?? null;
  }

  async messages(accountId: string, rawFilter: MessageFilter, args: PageArgs): Promise<Page<MessageRow>> {
    const filter = parseInput(filterSchema, rawFilter, ['filter']) ?? {};
    const { limit, beforeId } = decodePageArgs('message', args);
    let q = this.db.selectFrom('message').selectAll().where('accountId', '=', accountId);
    if (filter.bulkId) {
      const bulkId = filter.bulkId;
      q = q.where('bulkRef', '=', (eb) => eb.selectFrom('bulk').select('id').where('accountId', '=', accountId).where('bulkId', '=', bulkId));
    }
    if (filter.messageId) q = q.where('messageId', '=', filter.messageId);
    if (filter.to) q = q.where('toNumber', '=', filter.to);
    if (filter.channel) q = q.where('channel', '=', filter.channel);
    if (filter.statusGroup) q = q.where('statusGroup', '=', filter.statusGroup);
    if (filter.sentSince) q = q.where('sentAt', '>=', filter.sentSince);
    if (filter.sentUntil) q = q.where('sentAt', '<', filter.sentUntil);
    if (beforeId) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
    return toPage('message', rows, limit);
  }

  /** Attempts of many messages at once (for a dataloader), each list in step order. */
  async attemptsOf(messageRefs: readonly string[]): Promise<AttemptRow[][]> {
    const rows = await this.db
      .selectFrom('attempt')
      .selectAll()
      .where('messageRef', 'in', [...messageRefs])
      .orderBy('stepIndex')
      .execute();
    const byMessage = new Map<string, AttemptRow[]>();
    for (const r of rows) byMessage.set(r.messageRef, [...(byMessage.get(r.messageRef) ?? []), r]);
    return messageRefs.map((ref) => byMessage.get(ref) ?? []);
  }
}
