import type { Kysely } from 'kysely';
import { z } from 'zod';
import { CHANNELS } from '../domain/channel.js';
import type { Database, InboundMessageRow, ViberSubscriberRow } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';
import { openResumableStream, type Resumed } from '../events/resumable.js';
import type { ProviderReport } from '../providers/types.js';
import { findAttemptId, type ReportOrigin } from './attempt-lookup.js';
import { isUuid } from './connections.js';
import { NotFoundError, parseInput } from './errors.js';
import { decodePageArgs, toPage, type Page, type PageArgs } from './pagination.js';
import { recordSubscriber } from './viber-subscribers.js';

const filterSchema = z
  .object({
    channel: z.enum(CHANNELS).nullish(),
    from: z.string().nullish(),
    receivedSince: z.date().nullish(),
    receivedUntil: z.date().nullish(),
  })
  .nullish();

export type InboundFilter = z.input<typeof filterSchema>;

/** Phone numbers arrive in E.164; a filter written without '+' still matches them. */
function fromVariants(from: string): string[] {
  return /^\+?\d+$/.test(from) ? [from.startsWith('+') ? from : `+${from}`] : [from];
}

export class InboundService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
  ) {}

  /** Inbound messages as they arrive, narrowed by channel and sender, each with its cursor; resumable with `after`. */
  received(
    accountId: string,
    filter: { channel?: string | null; from?: string | null } | null | undefined,
    after?: string | null,
  ): Promise<AsyncIterableIterator<Resumed<InboundMessageRow>>> {
    return openResumableStream({ db: this.db, bus: this.bus }, {
      accountId,
      after,
      kinds: ['inbound'],
      topic: 'inbound',
      select: (e) => (e.kind === 'inbound' && this.matches(e.inbound, filter ?? {}) ? e.inbound : null),
    });
  }

  async list(accountId: string, rawFilter: InboundFilter, args: PageArgs): Promise<Page<InboundMessageRow>> {
    const filter = parseInput(filterSchema, rawFilter, ['filter']) ?? {};
    const { limit, beforeId } = decodePageArgs('inbound', args);
    let q = this.db.selectFrom('inboundMessage').selectAll().where('accountId', '=', accountId);
    if (filter.channel) q = q.where('channel', '=', filter.channel);
    if (filter.from) q = q.where('fromAddress', 'in', fromVariants(filter.from));
    if (filter.receivedSince) q = q.where('receivedAt', '>=', filter.receivedSince);
    if (filter.receivedUntil) q = q.where('receivedAt', '<', filter.receivedUntil);
    if (beforeId) q = q.where('id', '<', beforeId);
    return toPage('inbound', await q.orderBy('id', 'desc').limit(limit + 1).execute(), limit);
  }

  matches(row: InboundMessageRow, filter: { channel?: string | null; from?: string | null }): boolean {
    return (!filter.channel || row.channel === filter.channel) && (!filter.from || fromVariants(filter.from).includes(row.fromAddress));
  }

  async messageIdOf(messageRef: string | null): Promise<string | null> {
    if (!messageRef) return null;
    const row = await this.db.selectFrom('message').select('messageId').where('id', '=', messageRef).executeTakeFirst();
    return row?.messageId ?? null;
  }

  async subscribers(accountId: string, connectionId: string, subscribed: boolean | null | undefined): Promise<ViberSubscriberRow[]> {
    // Connection ids are UUIDs; anything else names no connection (and PostgreSQL would refuse it as a uuid).
    if (!isUuid(connectionId)) throw new NotFoundError('ProviderConnection', connectionId);
    const connection = await this.db
      .selectFrom('providerConnection')
      .select('id')
      .where('accountId', '=', accountId)
      .where('id', '=', connectionId)
      .executeTakeFirst();
    if (!connection) throw new NotFoundError('ProviderConnection', connectionId);
    let q = this.db.selectFrom('viberSubscriber').selectAll().where('connectionId', '=', connectionId);
    if (subscribed != null) q = q.where('subscribed', '=', subscribed);
    return q.orderBy('lastSeenAt', 'desc').limit(10_000).execute();
  }
}

/**
 * Stores an inbound message inside the caller's transaction, which then threads what was stored into
 * conversations (`threadInbound`, all of a transaction's messages at once, in a fixed order): in the account of the connection that
 * received it, or of the message it answers. Returns the stored row; undefined when it was stored before
 * (providers retry callbacks, and the same message is stored and published once); null when no account
 * can be told which it belongs to.
 */
export async function recordInbound(
  trx: Kysely<Database>,
  report: Extract<ProviderReport, { kind: 'inbound' }>,
  origin: ReportOrigin,
): Promise<InboundMessageRow | undefined | null> {
  const pairedRef = report.replyTo ? await findAttemptId(trx, report.replyTo, origin) : null;
  const paired = pairedRef
    ? await trx.selectFrom('attempt').select(['accountId', 'messageRef']).where('id', '=', pairedRef).executeTakeFirst()
    : undefined;
  const accountId = origin.connection?.accountId ?? paired?.accountId;
  if (!accountId) return null;
  if (origin.connection && report.viberUser) await recordSubscriber(trx, origin.connection.id, report.viberUser, null, report.receivedAt, true, false);
  const stored = await trx
    .insertInto('inboundMessage')
    .values({
      accountId,
      provider: report.provider,
      channel: report.channel,
      providerMessageId: report.providerMessageId,
      fromAddress: report.from,
      toAddress: report.to,
      content: JSON.stringify(report.content),
      pairedMessageRef: paired && paired.accountId === accountId ? paired.messageRef : null,
      connectionId: origin.connection?.id ?? null,
      receivedAt: report.receivedAt,
    })
    .onConflict((oc) => oc.columns(['accountId', 'provider', 'providerMessageId']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return stored;
}
