import { v7 as uuidv7 } from 'uuid';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Channel, ProviderType } from '../domain/channel.js';
import type { Clock } from '../domain/clock.js';
import { SMS_TEXT_MAX, plainText, type SmsContent, type StepContent, type ViberContent } from '../domain/content.js';
import type { DeliveryTimeWindow } from '../domain/delivery-window.js';
import { scheduleDispatches } from '../domain/dispatch-schedule.js';
import { DEFAULT_FAILOVER_ON, type FlowStep, type ScenarioStep } from '../domain/flow.js';
import { normalisePhoneNumber } from '../domain/phone-number.js';
import { VIBER_LABELS } from '../domain/sending-options.js';
import { STATUS, type MessageStatus } from '../domain/status.js';
import { DEFAULT_VALIDITY_SECONDS } from '../domain/validity.js';
import type { Database, MessageOptions, MessageRow, ProviderConnectionRow } from '../db/schema.js';
import { contentProblems, senderProblems } from '../providers/content-rules.js';
import { BUILT_IN_PROVIDER, moduleFor } from '../providers/registry.js';
import type { ConnectionService } from './connections.js';
import { viberContentSchema } from './content-input.js';
import { createAttempts, type AttemptSeed } from './attempts.js';
import { ValidationError, parseInput } from './errors.js';
import { IdempotencyKeys } from './idempotency.js';
import { infobipPlatformSchema } from './platform-input.js';
import { assertOutboundUrls } from './outbound-urls.js';
import type { OutboundGuard } from '../net/outbound-guard.js';
import {
  MAX_SCHEDULE_AHEAD_MS,
  deliveryTimeWindowSchema,
  sendingSpeedLimitSchema,
  validityPeriodSchema,
  webhookUrlSchema,
} from './rules.js';
import type { ScenarioService } from './scenarios.js';
import { detachedObservability, type Observability } from '../observability/index.js';
import type { EventBus } from '../events/bus.js';
import { transact } from './transact.js';
import { conversationChanged } from './conversation-changes.js';
import { threadOutbound, type OutboundContact } from './conversations.js';
import { conversationAddress } from '../domain/conversation.js';

export const MAX_DESTINATIONS = 10_000;
export const MAX_BULK_ENTRIES = 100;

const idSchema = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

const phoneNumberSchema = z.string().transform((value, ctx) => {
  const result = normalisePhoneNumber(value);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: result.reason });
    return z.NEVER;
  }
  return result.e164;
});

const destinationSchema = z.object({
  to: z
    .object({ phoneNumber: phoneNumberSchema.nullish(), viberUserId: z.string().trim().min(1, 'must not be empty').max(100).nullish() })
    .refine((to) => to.phoneNumber || to.viberUserId, 'must have a phoneNumber or a viberUserId'),
  messageId: idSchema.nullish(),
});

const smsTextSchema = z.string().min(1, 'must not be empty').max(SMS_TEXT_MAX, `must be at most ${SMS_TEXT_MAX} characters`);

/** One message entry: its destinations, content, scenario and per-message options. */
const entryShape = {
  scenarioKey: z.string().trim().nullish(),
  from: z.string().trim().min(1, 'must not be empty').max(28, 'must be at most 28 characters').nullish(),
  destinations: z
    .array(destinationSchema)
    .min(1, 'must have at least 1 destination')
    .max(MAX_DESTINATIONS, `must have at most ${MAX_DESTINATIONS} destinations`),
  viber: viberContentSchema.nullish(),
  sms: z.object({ text: smsTextSchema }).nullish(),
  validityPeriod: validityPeriodSchema.nullish(),
  smsFailover: z
    .object({
      from: z.string().trim().min(1, 'must not be empty').max(15, 'must be at most 15 characters'),
      text: smsTextSchema,
      validityPeriod: validityPeriodSchema.nullish(),
    })
    .nullish(),
  callbackData: z.string().max(4000, 'must be at most 4000 characters').nullish(),
  deliveryTimeWindow: deliveryTimeWindowSchema.nullish(),
  webhooks: z.object({ delivery: z.object({ url: webhookUrlSchema }).nullish() }).nullish(),
  label: z.enum(VIBER_LABELS).nullish(),
  platform: infobipPlatformSchema.nullish(),
};

/** Options of the request as a whole. */
const bulkShape = {
  bulkId: idSchema.nullish(),
  idempotencyKey: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').nullish(),
  sendAt: z.date().nullish(),
  sendingSpeedLimit: sendingSpeedLimitSchema.nullish(),
};

const entrySchema = z.object(entryShape);
const sendMessageSchema = z.object({ ...entryShape, ...bulkShape });
const sendMessagesSchema = z
  .object({
    ...bulkShape,
    messages: z
      .array(entrySchema)
      .min(1, 'must have at least 1 message')
      .max(MAX_BULK_ENTRIES, `must have at most ${MAX_BULK_ENTRIES} messages`),
  })
  .superRefine((input, ctx) => {
    const total = input.messages.reduce((n, m) => n + m.destinations.length, 0);
    if (total > MAX_DESTINATIONS) {
      ctx.addIssue({ code: 'custom', path: ['messages'], message: `must have at most ${MAX_DESTINATIONS} destinations in all (has ${total})` });
    }
  });

/** What a reply to a conversation carries: content for the channel it goes out on (the other is ignored). */
const replyContentSchema = z.object({ viber: viberContentSchema.nullish(), sms: z.object({ text: smsTextSchema }).nullish() });
export type ReplyContentInput = z.input<typeof replyContentSchema>;

/** A reply to one person on a route chosen by their conversation (see ConversationService.reply). */
export interface ReplyRequest {
  to: { phoneNumber: string } | { viberUserId: string };
  channel: Channel;
  provider: ProviderType;
  connectionId: string | null;
  /** Our address the person wrote to; null: the account's default sender for the channel. */
  from: string | null;
  content: ReplyContentInput;
}

export type SendMessageInput = z.input<typeof sendMessageSchema>;
export type SendMessagesInput = z.input<typeof sendMessagesSchema>;
type Entry = z.output<typeof entrySchema>;
type BulkOptions = z.output<z.ZodObject<typeof bulkShape>>;

export interface AcceptedMessage {
  messageId: string;
  to: string;
  status: MessageStatus;
}

export interface SendOutcome {
  bulkId: string;
  messages: AcceptedMessage[];
}

const FALLBACK_VIBER_SENDER = 'Omnigate';

interface PreparedEntry {
  entry: Entry;
  /** Where this entry's fields sit in the request, for error paths. */
  path: string[];
  flow: FlowStep[];
  messageIds: string[];
}

export class SendService {
  private readonly idempotency: IdempotencyKeys;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly scenarios: ScenarioService,
    private readonly connections: ConnectionService,
    private readonly clock: Clock,
    private readonly urls: OutboundGuard,
    private readonly observability: Observability = detachedObservability(),
    idempotencyTtlMs?: number,
  ) {
    this.idempotency = new IdempotencyKeys(db, clock, idempotencyTtlMs);
  }

  /** One message entry (to one or many destinations) as its own bulk. */
  async sendMessage(accountId: string, raw: SendMessageInput): Promise<SendOutcome> {
    const replay = await this.idempotency.replay<SendOutcome>(accountId, raw);
    if (replay) return replay;
    const input = parseInput(sendMessageSchema, raw, ['input']);
    await assertOutboundUrls(this.urls, webhookUrls([input], () => ['input']));
    const connections = await this.connections.list(accountId);
    const prepared = [await this.prepare(accountId, input, ['input'], connections)];
    return this.accept(accountId, raw, input, prepared);
  }

  /** Up to 100 entries, each with its own destinations, content, scenario and options, as one bulk. */
  async sendMessages(accountId: string, raw: SendMessagesInput): Promise<SendOutcome> {
    const replay = await this.idempotency.replay<SendOutcome>(accountId, raw);
    if (replay) return replay;
    const input = parseInput(sendMessagesSchema, raw, ['input']);
    await assertOutboundUrls(this.urls, webhookUrls(input.messages, (i) => ['input', 'messages', String(i)]));
    const connections = await this.connections.list(accountId);
    const prepared: PreparedEntry[] = [];
    for (const [i, entry] of input.messages.entries()) {
      prepared.push(await this.prepare(accountId, entry, ['input', 'messages', String(i)], connections));
    }
    return this.accept(accountId, raw, input, prepared);
  }

  /**
   * One message on one fixed step (channel, provider, connection): the reply to a conversation. It goes
   * through the same accept as any send, so dispatch, statuses, reports and webhooks are the ordinary ones.
   * Content errors name `content.…`.
   */
  async sendReply(accountId: string, reply: ReplyRequest): Promise<MessageRow> {
    const given = parseInput(replyContentSchema, reply.content, ['content']);
    if (!given.viber && !given.sms) throw ValidationError.single(['content'], 'must have viber or sms content');
    // Plain text carries over between channels: a console can answer with `sms: {text}` whichever way the person wrote.
    const viber = reply.content.viber ?? (reply.channel === 'VIBER' && given.sms ? { text: { text: given.sms.text } } : null);
    const entry = parseInput(entrySchema, { destinations: [{ to: reply.to }], viber, sms: reply.content.sms }, ['content']);
    const base = await this.scenarios.getDefault(accountId);
    const scenarioFrom = base?.flow.find((s) => s.channel === reply.channel)?.from;
    // A bot (it addresses people by its own user ids) is "our address" itself; the name shown as sender is
    // the business's (the default scenario's). Elsewhere the person wrote to a number or sender, and the
    // answer comes from it.
    const isBot = moduleFor(reply.provider).addressing === 'viberUserId';
    const from = (isBot ? (scenarioFrom ?? reply.from) : (reply.from ?? scenarioFrom)) ?? FALLBACK_VIBER_SENDER;
    const path = ['content'];
    const { content: stepContent, contentPath } = contentFor(reply.channel, 0, entry, path);
    const problems = [
      ...contentProblems(reply.provider, stepContent).map((p) => ({ path: [...contentPath, ...p.path], message: p.message })),
      ...senderProblems(reply.provider, from).map((p) => ({ path, message: `cannot go from ${from}: ${p.message}` })),
    ];
    if (problems.length > 0) throw new ValidationError(problems);
    const flow: FlowStep[] = [
      {
        channel: reply.channel,
        from,
        provider: reply.provider,
        connectionId: reply.connectionId,
        validitySeconds: DEFAULT_VALIDITY_SECONDS[reply.channel],
        failoverOn: [],
        content: stepContent,
      },
    ];
    assertAddressable(flow, entry, path);
    const messageId = uuidv7();
    await this.accept(accountId, null, {}, [{ entry, path, flow, messageIds: [messageId] }]);
    return this.db.selectFrom('message').selectAll().where('accountId', '=', accountId).where('messageId', '=', messageId).executeTakeFirstOrThrow();
  }

  /**
   * Writes the bulk, its messages, their first attempts and the jobs that will dispatch and expire them
   * in one transaction: either all of it is stored or none.
   */
  private async accept(accountId: string, raw: unknown, options: BulkOptions, entries: PreparedEntry[]): Promise<SendOutcome> {
    assertUniqueMessageIds(entries);
    const now = this.clock.now();
    if (options.sendAt && options.sendAt.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS) {
      throw ValidationError.single(['input', 'sendAt'], 'must be at most 180 days ahead');
    }
    // A sendAt in the past means now, as with Infobip.
    const start = options.sendAt && options.sendAt > now ? options.sendAt : now;
    const bulkId = options.bulkId ?? uuidv7();

    let replayed = false;
    const outcome = await transact(this.db, this.bus, async (trx) => {
      if (options.idempotencyKey) {
        const earlier = await this.idempotency.claim<SendOutcome>(trx, accountId, options.idempotencyKey, raw);
        replayed = earlier !== null;
        if (earlier) return earlier;
      }
      const bulk = await trx
        .insertInto('bulk')
        .values({
          accountId,
          bulkId,
          status: start > now ? 'PENDING' : 'PROCESSING',
          sendAt: options.sendAt ?? null,
          options: JSON.stringify({ sendingSpeedLimit: options.sendingSpeedLimit ?? null }),
        })
        .onConflict((oc) => oc.columns(['accountId', 'bulkId']).doNothing())
        .returning(['id'])
        .executeTakeFirst();
      if (!bulk) throw ValidationError.single(['input', 'bulkId'], 'is already used by an earlier request');
      await this.assertMessageIdsFree(trx, accountId, entries);

      const windows: Array<DeliveryTimeWindow | null> = entries.flatMap((e) => e.entry.destinations.map(() => e.entry.deliveryTimeWindow ?? null));
      const slots = scheduleDispatches(start, windows.length, options.sendingSpeedLimit ?? null, (i) => windows[i] ?? null);
      const status = STATUS.PENDING_ACCEPTED;
      const accepted: AcceptedMessage[] = [];
      const messageIds: string[] = [];
      const toNumbers: Array<string | null> = [];
      const toViberUserIds: Array<string | null> = [];
      const entryOf: number[] = [];
      for (const [e, { entry, messageIds: ids }] of entries.entries()) {
        entry.destinations.forEach((d, j) => {
          messageIds.push(ids[j]!);
          toNumbers.push(d.to.phoneNumber ?? null);
          toViberUserIds.push(d.to.viberUserId ?? null);
          entryOf.push(e);
          accepted.push({ messageId: ids[j]!, to: d.to.phoneNumber ?? d.to.viberUserId ?? '', status });
        });
      }
      // Per-entry values (flow, options, callbackData) travel once per entry, per-destination ones as arrays:
      // the database parses a handful of JSON objects instead of one per destination.
      const perEntry = entries.map(({ entry, flow }, index) => ({
        entry: index,
        flow,
        channel: flow[0]!.channel,
        scenario_key: entry.scenarioKey ?? null,
        callback_data: entry.callbackData ?? null,
        options: {
          deliveryTimeWindow: entry.deliveryTimeWindow ?? null,
          deliveryWebhookUrl: entry.webhooks?.delivery?.url ?? null,
          // Stored only when given, so messages sent without them keep the options they always had.
          ...(entry.label ? { viberLabel: entry.label } : {}),
          ...(entry.platform ? { platform: entry.platform } : {}),
        } satisfies MessageOptions,
      }));
      const contacts: OutboundContact[] = entryOf.map((e, i) => {
        const step = entries[e]!.flow[0]!;
        // assertAddressable (prepare) already refused a destination without the address its steps need.
        const { address, kind } = conversationAddress(moduleFor(step.provider).addressing, { phoneNumber: toNumbers[i], viberUserId: toViberUserIds[i] })!;
        return {
          address,
          kind,
          channel: step.channel,
          provider: step.provider,
          connectionId: step.connectionId ?? null,
          from: step.from,
        };
      });
      const conversationOf = await threadOutbound(trx, accountId, contacts, now);
      const conversationRefs = contacts.map((c) => conversationOf.get(c.address)!);
      const inserted = await sql<{ id: string; messageId: string }>`
        insert into message (account_id, bulk_ref, message_id, bulk_id, to_number, to_viber_user_id, scenario_key, flow,
                             callback_data, current_step, channel, status, status_group, error, options, conversation_ref)
        select ${accountId}::uuid, ${bulk.id}::bigint, x.message_id, ${bulkId}, x.to_number, x.to_viber_user_id, e.scenario_key,
               e.flow, e.callback_data, 0, e.channel, ${JSON.stringify(status)}::jsonb, ${status.groupName}, 'null'::jsonb, e.options,
               x.conversation_ref
        from unnest(${messageIds}::text[], ${toNumbers}::text[], ${toViberUserIds}::text[], ${entryOf}::integer[], ${conversationRefs}::uuid[])
               with ordinality as x(message_id, to_number, to_viber_user_id, entry, conversation_ref, n)
        join json_to_recordset(${JSON.stringify(perEntry)}::json)
               as e(entry integer, flow jsonb, channel text, scenario_key text, callback_data text, options jsonb)
          on e.entry = x.entry
        order by x.n
        returning id, message_id`.execute(trx);
      const refByMessageId = new Map(inserted.rows.map((r) => [r.messageId, r.id]));
      const seeds: AttemptSeed[] = accepted.map((m, i) => {
        const first = entries[entryOf[i]!]!.flow[0]!;
        const notBefore = slots[i]!;
        return {
          messageRef: refByMessageId.get(m.messageId)!,
          bulkRef: bulk.id,
          accountId,
          stepIndex: 0,
          step: first,
          notBefore,
          expiresAt: new Date(notBefore.getTime() + first.validitySeconds * 1000),
        };
      });
      await createAttempts(trx, seeds, this.clock);
      conversationChanged(trx, accountId, [...conversationOf.values()]);
      const outcome: SendOutcome = { bulkId, messages: accepted };
      if (options.idempotencyKey) await this.idempotency.complete(trx, accountId, options.idempotencyKey, outcome);
      return outcome;
    });
    if (!replayed) {
      for (const { flow, entry } of entries) this.observability.metrics.messagesAccepted(flow[0]!.channel, flow[0]!.provider, entry.destinations.length);
    }
    return outcome;
  }

  private async prepare(accountId: string, entry: Entry, path: string[], connections: ProviderConnectionRow[]): Promise<PreparedEntry> {
    const flow = await this.resolveFlow(accountId, entry, path, connections);
    assertAddressable(flow, entry, path);
    return { entry, path, flow, messageIds: entry.destinations.map((d) => d.messageId ?? uuidv7()) };
  }

  private async assertMessageIdsFree(trx: Kysely<Database>, accountId: string, entries: PreparedEntry[]): Promise<void> {
    const chosen = entries.flatMap((e) =>
      e.entry.destinations.flatMap((d, j) => (d.messageId ? [{ id: d.messageId, path: [...e.path, 'destinations', String(j), 'messageId'] }] : [])),
    );
    if (chosen.length === 0) return;
    const taken = await trx
      .selectFrom('message')
      .select('messageId')
      .where('accountId', '=', accountId)
      .where('messageId', 'in', chosen.map((c) => c.id))
      .limit(1)
      .executeTakeFirst();
    if (taken) throw ValidationError.single(chosen.find((c) => c.id === taken.messageId)!.path, 'is already used by an earlier message');
  }

  /**
   * Which steps a message will take: an explicit scenario; else an inline `smsFailover` after Viber; else
   * the account's default scenario; else a single step on the channel the content implies.
   */
  private async resolveFlow(accountId: string, input: Entry, path: string[], connections: ProviderConnectionRow[]): Promise<FlowStep[]> {
    let steps: ScenarioStep[];
    if (input.scenarioKey) {
      const scenario = await this.scenarios.get(accountId, input.scenarioKey);
      if (!scenario) throw ValidationError.single([...path, 'scenarioKey'], 'does not name a scenario of this account');
      steps = scenario.flow;
    } else if (input.smsFailover) {
      const base = await this.scenarios.getDefault(accountId);
      const viberFrom = input.from ?? base?.flow.find((s) => s.channel === 'VIBER')?.from ?? FALLBACK_VIBER_SENDER;
      steps = [
        { channel: 'VIBER', from: viberFrom, validitySeconds: null, failoverOn: DEFAULT_FAILOVER_ON },
        { channel: 'SMS', from: input.smsFailover.from, validitySeconds: input.smsFailover.validityPeriod ?? null, failoverOn: [] },
      ];
    } else {
      const base = await this.scenarios.getDefault(accountId);
      if (base) {
        steps = base.flow;
      } else {
        const channel: Channel | null = input.viber ? 'VIBER' : input.sms ? 'SMS' : null;
        if (!channel || !input.from) {
          throw ValidationError.single(
            [...path, 'scenarioKey'],
            'is required: the account has no default scenario (create one, or pass `from` with `viber` or `sms` content)',
          );
        }
        steps = [{ channel, from: input.from, validitySeconds: null, failoverOn: [] }];
      }
    }

    // The send's own validity governs the channel of its first step, as Infobip's `options.validityPeriod`
    // governs the Viber message while `smsFailover.validityPeriod` governs the SMS.
    const primary = steps[0]!.channel;
    return steps.map((step, index) => {
      const override =
        step.channel === primary ? input.validityPeriod : step.channel === 'SMS' ? input.smsFailover?.validityPeriod : null;
      const connection = connectionFor(step, index, connections, path);
      const provider: ProviderType = connection?.type ?? BUILT_IN_PROVIDER;
      const from = step.channel === 'VIBER' && input.from ? input.from : step.from;
      const { content, contentPath } = contentFor(step.channel, index, input, path);
      const problems = [
        ...contentProblems(provider, content).map((p) => ({ path: [...contentPath, ...p.path], message: p.message })),
        ...senderProblems(provider, from).map((p) => ({ path: [...path, input.from ? 'from' : 'scenarioKey'], message: p.message })),
      ];
      if (problems.length > 0) throw new ValidationError(problems);
      return {
        channel: step.channel,
        from,
        provider,
        connectionId: connection?.id ?? null,
        validitySeconds: override ?? step.validitySeconds ?? DEFAULT_VALIDITY_SECONDS[step.channel],
        failoverOn: step.failoverOn,
        content,
      };
    });
  }
}

/**
 * The connection that carries a step: the one the scenario names, else the account's first connection
 * for the step's channel, else none (the built-in simulator).
 */
function connectionFor(step: ScenarioStep, index: number, connections: ProviderConnectionRow[], path: string[]): ProviderConnectionRow | null {
  if (step.connectionId) {
    const named = connections.find((c) => c.id === step.connectionId);
    if (!named || !named.channels.includes(step.channel)) {
      throw ValidationError.single([...path, 'scenarioKey'], `step ${index + 1} names a provider connection that does not exist or does not carry ${step.channel}`);
    }
    return named;
  }
  return connections.find((c) => c.channels.includes(step.channel)) ?? null;
}

const VIBER_INPUT_KEY: Record<ViberContent['type'], string> = {
  TEXT: 'text', IMAGE: 'image', VIDEO: 'video', FILE: 'file', CAROUSEL: 'carousel',
  LOCATION: 'location', CONTACT: 'contact', STICKER: 'sticker', URL: 'url', RICH: 'rich',
};

function contentFor(channel: Channel, stepIndex: number, input: Entry, path: string[]): { content: StepContent; contentPath: string[] } {
  if (channel === 'VIBER') {
    if (input.viber) return { content: input.viber.content, contentPath: [...path, 'viber', VIBER_INPUT_KEY[input.viber.content.type]] };
    throw ValidationError.single([...path, 'viber'], `is required: step ${stepIndex + 1} of the flow sends on VIBER`);
  }
  const sms: SmsContent | null = input.sms
    ? { type: 'SMS_TEXT', text: input.sms.text }
    : input.smsFailover
      ? { type: 'SMS_TEXT', text: input.smsFailover.text }
      : null;
  if (sms) return { content: sms, contentPath: [...path, input.sms ? 'sms' : 'smsFailover'] };
  const fallback = input.viber ? plainText(input.viber.content) : null;
  if (!fallback) throw ValidationError.single([...path, 'sms', 'text'], `is required: step ${stepIndex + 1} of the flow sends on SMS`);
  return { content: { type: 'SMS_TEXT', text: fallback.slice(0, SMS_TEXT_MAX) }, contentPath: [...path, 'sms'] };
}

/** Every step must be able to reach every destination: bots by Viber user id, the rest by phone number. */
function assertAddressable(flow: FlowStep[], entry: Entry, path: string[]): void {
  entry.destinations.forEach((d, j) => {
    for (const [i, step] of flow.entries()) {
      const needs = moduleFor(step.provider).addressing;
      if (!d.to[needs]) {
        throw ValidationError.single([...path, 'destinations', String(j), 'to', needs], `is required: step ${i + 1} (${step.channel} via ${step.provider}) addresses by ${needs}`);
      }
    }
  });
}

/** The webhook URL each entry names, with the path of its field. */
function webhookUrls(entries: Array<Pick<Entry, 'webhooks'>>, pathOf: (index: number) => string[]): Array<{ url: string; path: string[] }> {
  return entries.flatMap((e, i) => {
    const url = e.webhooks?.delivery?.url;
    return url ? [{ url, path: [...pathOf(i), 'webhooks', 'delivery', 'url'] }] : [];
  });
}

function assertUniqueMessageIds(entries: PreparedEntry[]): void {
  const seen = new Set<string>();
  for (const { messageIds, path } of entries) {
    messageIds.forEach((id, j) => {
      if (seen.has(id)) throw ValidationError.single([...path, 'destinations', String(j), 'messageId'], 'repeats an earlier destination\'s messageId');
      seen.add(id);
    });
  }
}
