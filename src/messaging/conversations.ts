import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { CHANNELS, type Channel, type ProviderType } from '../domain/channel.js';
import { asConversationId, type ConversationId } from '../domain/ids.js';
import type { AddressKind, ConversationRow, Database, InboundMessageRow, MessageRow } from '../db/schema.js';
import type { EventBus } from '../events/bus.js';
import { openResumableStream, type Resumed } from '../events/resumable.js';
import { BUILT_IN_PROVIDER, moduleFor } from '../providers/registry.js';
import type { ProviderReport } from '../providers/types.js';
import { transact } from './transact.js';
import { conversationChanged } from './conversation-changes.js';
import { NotFoundError, ValidationError, parseInput } from './errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageArgs } from './pagination.js';
import type { ReplyContentInput, SendService } from './send.js';

/** One entry of a timeline: a message the person sent us, or one we sent them. */
export type ConversationItem = { kind: 'inbound'; row: InboundMessageRow } | { kind: 'outbound'; row: MessageRow };

/** A conversation change as subscribers receive it. */
export interface ConversationEventPayload {
  conversation: ConversationRow;
  occurredAt: Date;
}

/** Why a reply cannot go out; nothing was sent. */
export type NotReplyableReason = 'VIBER_USER_UNSUBSCRIBED' | 'CONNECTION_REMOVED';

export class ConversationNotReplyableError extends Error {
  constructor(
    readonly conversationId: string,
    readonly reason: NotReplyableReason,
    message: string,
  ) {
    super(message);
    this.name = 'ConversationNotReplyableError';
  }
}

const filterSchema = z
  .object({
    channel: z.enum(CHANNELS).nullish(),
    unreadOnly: z.boolean().nullish(),
    search: z.string().trim().max(200, 'must be at most 200 characters').nullish(),
  })
  .nullish();

export type ConversationFilter = z.input<typeof filterSchema>;

/**
 * Timeline order: newest first; at the same instant a message of ours sorts before the inbound one (rank),
 * then by row id. Timestamps travel in cursors as PostgreSQL's own text, so microseconds survive (a JS
 * Date would cut them to milliseconds and repeat or skip rows at a page boundary).
 */
const RANK = { inbound: 0, outbound: 1 } as const;

function encode(parts: string[]): string {
  return Buffer.from(parts.join('|')).toString('base64url');
}

function decodeCursor(kind: string, after: string, fields: number): string[] {
  const parts = Buffer.from(after, 'base64url').toString().split('|');
  if (parts.length !== fields + 1 || parts[0] !== kind) throw ValidationError.single(['after'], 'is not a cursor of this list');
  const rest = parts.slice(1);
  // The timestamp goes back to PostgreSQL as text: only ever a timestamp it printed.
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(rest[0]!)) {
    throw ValidationError.single(['after'], 'is not a cursor of this list');
  }
  return rest;
}

function pageSize(args: PageArgs): number {
  const check = (name: 'first' | 'last', value: number) => {
    if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) throw ValidationError.single([name], `must be between 1 and ${MAX_PAGE_SIZE}`);
  };
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  check('first', first);
  if (args.last != null) check('last', args.last);
  return first;
}

function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Conversations: one person of one account, their messages and ours interleaved, unread counting, and the
 * reply that goes back the way the person last wrote. Rows are kept by the transactions that change them
 * (recordInbound, the send's accept, markRead); this service reads them and makes replies and reads.
 */
export class ConversationService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly send: SendService,
  ) {}

  async list(accountId: string, rawFilter: ConversationFilter, args: PageArgs): Promise<Page<ConversationRow & { cursorAt: string }>> {
    const filter = parseInput(filterSchema, rawFilter, ['filter']) ?? {};
    const limit = pageSize(args);
    let q = this.db
      .selectFrom('conversation')
      .selectAll()
      .select(sql<string>`last_activity_at::text`.as('cursorAt'))
      .where('accountId', '=', accountId);
    if (filter.channel) q = q.where('replyChannel', '=', filter.channel);
    if (filter.unreadOnly) q = q.where('unreadCount', '>', 0);
    if (filter.search) {
      const pattern = likePattern(filter.search);
      q = q.where((eb) => eb.or([eb('address', 'ilike', pattern), eb('name', 'ilike', pattern)]));
    }
    if (args.after) {
      const [at, id] = decodeCursor('conversations', args.after, 2);
      if (!asConversationId(id!)) throw ValidationError.single(['after'], 'is not a cursor of this list');
      q = q.where(sql<boolean>`(last_activity_at, id) < (${at}::timestamptz, ${id}::uuid)`);
    }
    const rows = await q.orderBy('lastActivityAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    return {
      items: rows.slice(0, limit),
      hasNextPage: rows.length > limit,
      cursorOf: (c) => encode(['conversations', c.cursorAt, c.id]),
    };
  }

  /** The conversation, or null when the id names none of this account's (a malformed id is a ValidationError). */
  async get(accountId: string, id: string, path: string[] = ['id']): Promise<ConversationRow | null> {
    const conversationId = asConversationId(id);
    if (!conversationId) throw ValidationError.single(path, 'is not a conversation id');
    return (await this.db.selectFrom('conversation').selectAll().where('accountId', '=', accountId).where('id', '=', conversationId).executeTakeFirst()) ?? null;
  }

  /** Both directions interleaved, newest first. */
  /** The account's conversations among `ids` (ids that are not conversation ids, or another account's, are left out). */
  async byIds(accountId: string, ids: readonly string[]): Promise<ConversationRow[]> {
    const valid = [...new Set(ids)].filter((id) => asConversationId(id));
    if (valid.length === 0) return [];
    return this.db.selectFrom('conversation').selectAll().where('accountId', '=', accountId).where('id', 'in', valid).execute();
  }

  async timeline(conversation: ConversationRow, args: PageArgs): Promise<Page<ConversationItem & { cursorAt: string }>> {
    const limit = pageSize(args);
    let before = sql<boolean>`true`;
    let beforeOut = sql<boolean>`true`;
    if (args.after) {
      const [at, rank, ref, convId] = decodeCursor('timeline', args.after, 4);
      if (convId !== conversation.id || !/^[01]$/.test(rank!) || !/^\d{1,18}$/.test(ref!)) throw ValidationError.single(['after'], 'is not a cursor of this list');
      before = sql<boolean>`(received_at, ${RANK.inbound}, id) < (${at}::timestamptz, ${Number(rank)}, ${ref}::bigint)`;
      beforeOut = sql<boolean>`(created_at, ${RANK.outbound}, id) < (${at}::timestamptz, ${Number(rank)}, ${ref}::bigint)`;
    }
    // Each side reads at most limit + 1 rows from its own index; the merge sorts at most twice that.
    const merged = await sql<{ kind: 'inbound' | 'outbound'; ref: string; at: string; rank: number }>`
      select kind, ref, at::text as at, rank from (
        (select 'inbound' as kind, id as ref, received_at as at, ${RANK.inbound} as rank from inbound_message
          where conversation_ref = ${conversation.id}::uuid and account_id = ${conversation.accountId}::uuid and ${before}
          order by received_at desc, id desc limit ${limit + 1})
        union all
        (select 'outbound', id, created_at, ${RANK.outbound} from message
          where conversation_ref = ${conversation.id}::uuid and account_id = ${conversation.accountId}::uuid and ${beforeOut}
          order by created_at desc, id desc limit ${limit + 1})
      ) t
      order by t.at desc, t.rank desc, t.ref desc
      limit ${limit + 1}`.execute(this.db);
    const inboundRefs = merged.rows.filter((r) => r.kind === 'inbound').map((r) => r.ref);
    const outboundRefs = merged.rows.filter((r) => r.kind === 'outbound').map((r) => r.ref);
    const [inbound, outbound] = await Promise.all([
      inboundRefs.length ? this.db.selectFrom('inboundMessage').selectAll().where('id', 'in', inboundRefs).execute() : [],
      outboundRefs.length ? this.db.selectFrom('message').selectAll().where('id', 'in', outboundRefs).execute() : [],
    ]);
    const inboundById = new Map(inbound.map((r) => [r.id, r]));
    const outboundById = new Map(outbound.map((r) => [r.id, r]));
    // A row deleted by retention between the two reads is simply left out.
    const items = merged.rows.flatMap((r): Array<ConversationItem & { cursorAt: string; rank: number }> => {
      if (r.kind === 'inbound') {
        const row = inboundById.get(r.ref);
        return row ? [{ kind: 'inbound', row, cursorAt: r.at, rank: r.rank }] : [];
      }
      const row = outboundById.get(r.ref);
      return row ? [{ kind: 'outbound', row, cursorAt: r.at, rank: r.rank }] : [];
    });
    return {
      items: items.slice(0, limit),
      hasNextPage: merged.rows.length > limit,
      cursorOf: (item) => encode(['timeline', item.cursorAt, String(RANK[item.kind]), item.row.id, conversation.id]),
    };
  }

  async lastMessage(conversation: ConversationRow): Promise<ConversationItem | null> {
    return (await this.timeline(conversation, { first: 1 })).items[0] ?? null;
  }

  /** Zeroes the unread count. Reading a conversation with nothing unread changes nothing and publishes nothing. */
  async markRead(accountId: string, id: string): Promise<ConversationRow> {
    await this.get(accountId, id, ['conversationId']);
    const row = await transact(this.db, this.bus, async (trx) => {
      const before = await trx
        .selectFrom('conversation')
        .select('unreadCount')
        .where('accountId', '=', accountId)
        .where('id', '=', id.toLowerCase())
        .forUpdate()
        .executeTakeFirst();
      if (!before) return undefined;
      const updated = await trx
        .updateTable('conversation')
        .set({ unreadCount: 0, readAt: new Date() })
        .where('id', '=', id.toLowerCase())
        .returningAll()
        .executeTakeFirstOrThrow();
      if (before.unreadCount > 0) conversationChanged(trx, accountId, [updated.id as ConversationId]);
      return updated;
    });
    if (!row) throw new NotFoundError('Conversation', id);
    return row;
  }

  /**
   * Sends `content` to the person on the channel, provider and connection they last wrote on, through the
   * ordinary send path (statuses, reports, webhooks as for any message). A route the provider cannot carry
   * any more is refused with a typed error before anything is stored.
   */
  async reply(accountId: string, id: string, content: ReplyContentInput): Promise<MessageRow> {
    const conversation = await this.get(accountId, id, ['conversationId']);
    if (!conversation) throw new NotFoundError('Conversation', id);
    const provider = conversation.replyProvider;
    const connection = conversation.replyConnectionId
      ? await this.db
          .selectFrom('providerConnection')
          .select(['channels'])
          .where('accountId', '=', accountId)
          .where('id', '=', conversation.replyConnectionId)
          .executeTakeFirst()
      : undefined;
    // Deleted (the reference was set null), or changed so it no longer carries the channel. (The built-in
    // simulator needs no connection.)
    if ((provider !== BUILT_IN_PROVIDER && !connection) || (connection && !connection.channels.includes(conversation.replyChannel))) {
      throw new ConversationNotReplyableError(
        conversation.id,
        'CONNECTION_REMOVED',
        `the ${provider} connection this person last wrote on was removed or no longer carries ${conversation.replyChannel}; send with sendMessage instead`,
      );
    }
    if (moduleFor(provider).addressing === 'viberUserId' && conversation.replyConnectionId) {
      // A bot refuses messages to a user who unsubscribed (the subscriber registry follows its callbacks).
      const subscriber = await this.db
        .selectFrom('viberSubscriber')
        .select('subscribed')
        .where('connectionId', '=', conversation.replyConnectionId)
        .where('userId', '=', conversation.address)
        .executeTakeFirst();
      if (subscriber && !subscriber.subscribed) {
        throw new ConversationNotReplyableError(conversation.id, 'VIBER_USER_UNSUBSCRIBED', 'the Viber user unsubscribed from the bot; Viber refuses bot messages to them until they subscribe again');
      }
    }
    const to = conversation.addressKind === 'VIBER_USER_ID' ? { viberUserId: conversation.address } : { phoneNumber: conversation.address };
    return this.send.sendReply(accountId, {
      to,
      channel: conversation.replyChannel,
      provider,
      connectionId: conversation.replyConnectionId,
      from: conversation.replyFrom,
      content,
    });
  }

  /**
   * Conversations as they change, from the account's event log: resumable from a cursor like every other
   * stream (src/events/resumable.ts). Each is read when delivered, so a subscriber sees the state after
   * the change (a conversation deleted since is skipped).
   */
  updates(accountId: string, after?: string | null): Promise<AsyncIterableIterator<Resumed<ConversationEventPayload>>> {
    return openResumableStream({ db: this.db, bus: this.bus }, {
      accountId,
      after,
      kinds: ['conversation'],
      topic: 'conversation',
      select: async (e) => {
        if (e.kind !== 'conversation' || !asConversationId(e.conversationId)) return null;
        const conversation = await this.db
          .selectFrom('conversation')
          .selectAll()
          .where('accountId', '=', accountId)
          .where('id', '=', e.conversationId)
          .executeTakeFirst();
        return conversation ? { conversation, occurredAt: e.occurredAt } : null;
      },
    });
  }
}

/** An inbound message just stored, with the report it came from (its sender's profile). */
export interface StoredInbound {
  stored: InboundMessageRow;
  report: Extract<ProviderReport, { kind: 'inbound' }>;
}

/**
 * Threads the inbound messages a transaction stored into their senders' conversations (same transaction
 * as recordInbound): each counts unread, becomes the last activity and — unless an older message arrived
 * late — makes its channel, provider, connection and our address the route replies take. A repeated
 * callback stores nothing, so it never reaches here: no unread, no publish.
 *
 * Rows are taken in (account, address) order, the order a send takes them in (threadOutbound): a report
 * batch and a send sharing people lock their rows alike and cannot deadlock each other.
 */
export async function threadInbound(trx: Kysely<Database>, items: StoredInbound[]): Promise<void> {
  const ordered = [...items].sort((a, b) => compare(a.stored.accountId, b.stored.accountId) || compare(a.stored.fromAddress, b.stored.fromAddress));
  const changed = new Map<string, ConversationId[]>();
  for (const { stored, report } of ordered) {
    const id = await threadOne(trx, stored, report);
    changed.set(stored.accountId, [...(changed.get(stored.accountId) ?? []), id]);
  }
  for (const [accountId, ids] of changed) conversationChanged(trx, accountId, ids);
}

/** Byte order, as PostgreSQL's "C" collation and the send's `order by address` on ASCII addresses. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function threadOne(trx: Kysely<Database>, stored: InboundMessageRow, report: StoredInbound['report']): Promise<ConversationId> {
  const kind: AddressKind = report.viberUser ? 'VIBER_USER_ID' : 'PHONE_NUMBER';
  const { id } = await sql<{ id: string }>`
    insert into conversation as c (account_id, address, address_kind, name, reply_channel, reply_provider, reply_connection_id,
                                   reply_from, last_inbound_at, last_activity_at, unread_count)
    values (${stored.accountId}::uuid, ${stored.fromAddress}, ${kind}, ${report.viberUser?.name ?? null}, ${stored.channel},
            ${stored.provider}, ${stored.connectionId}::uuid, ${stored.toAddress}, ${stored.receivedAt}, ${stored.receivedAt}, 1)
    on conflict (account_id, address) do update set
      unread_count = c.unread_count + 1,
      name = coalesce(excluded.name, c.name),
      last_activity_at = greatest(c.last_activity_at, excluded.last_activity_at),
      last_inbound_at = greatest(c.last_inbound_at, excluded.last_inbound_at),
      reply_channel = case when c.last_inbound_at is null or excluded.last_inbound_at >= c.last_inbound_at then excluded.reply_channel else c.reply_channel end,
      reply_provider = case when c.last_inbound_at is null or excluded.last_inbound_at >= c.last_inbound_at then excluded.reply_provider else c.reply_provider end,
      reply_connection_id = case when c.last_inbound_at is null or excluded.last_inbound_at >= c.last_inbound_at then excluded.reply_connection_id else c.reply_connection_id end,
      reply_from = case when c.last_inbound_at is null or excluded.last_inbound_at >= c.last_inbound_at then excluded.reply_from else c.reply_from end
    returning id`
    .execute(trx)
    .then((r) => r.rows[0]!);
  await trx.updateTable('inboundMessage').set({ conversationRef: id }).where('id', '=', stored.id).execute();
  stored.conversationRef = id;
  return id as ConversationId;
}

/** One destination of an accepted send, as its conversation sees it. */
export interface OutboundContact {
  address: string;
  kind: AddressKind;
  channel: Channel;
  provider: ProviderType;
  connectionId: string | null;
  from: string;
}

/**
 * Conversations of a send's destinations, created or touched in ONE statement inside the send's
 * transaction (a 10,000-destination bulk is one upsert, not 10,000). A repeated address is folded first
 * (an upsert may not touch a row twice); rows are taken in address order, so two sends sharing addresses
 * lock them in the same order. A new conversation takes the route of our first message to the person;
 * an existing one keeps the route the person last wrote on. Returns address → conversation id.
 */
export async function threadOutbound(trx: Kysely<Database>, accountId: string, contacts: OutboundContact[], at: Date): Promise<Map<string, ConversationId>> {
  if (contacts.length === 0) return new Map();
  const rows = await sql<{ id: string; address: string }>`
    insert into conversation as c (account_id, address, address_kind, reply_channel, reply_provider, reply_connection_id, reply_from, last_activity_at)
    select distinct on (x.address collate "C") ${accountId}::uuid, x.address, x.kind, x.channel, x.provider, x.connection_id, x.sender, ${at}::timestamptz
    from unnest(${contacts.map((c) => c.address)}::text[], ${contacts.map((c) => c.kind)}::text[], ${contacts.map((c) => c.channel)}::text[],
                ${contacts.map((c) => c.provider)}::text[], ${contacts.map((c) => c.connectionId)}::uuid[], ${contacts.map((c) => c.from)}::text[])
           as x(address, kind, channel, provider, connection_id, sender)
    order by x.address collate "C"
    on conflict (account_id, address) do update set last_activity_at = greatest(c.last_activity_at, excluded.last_activity_at)
    returning id, address`.execute(trx);
  return new Map(rows.rows.map((r) => [r.address, r.id as ConversationId]));
}
