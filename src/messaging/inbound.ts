import type { Kysely } from 'kysely';
import { z } from 'zod';
import { CHANNELS } from '../domain/channel.js';
import type { Database, InboundMessageRow, ViberSubscriberRow } from '../db/schema.js';
import { isUuid } from './connections.js';
import { NotFoundError, parseInput } from './errors.js';
import { decodePageArgs, toPage, type Page, type PageArgs } from './pagination.js';

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
  constructor(private readonly db: Kysely<Database>) {}

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
