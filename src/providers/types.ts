import type { Channel, ProviderType } from '../domain/channel.js';
import type { InboundContent, StepContent } from '../domain/content.js';
import type { Price } from '../domain/price.js';
import type { InfobipPlatform } from '../domain/sending-options.js';
import type { MessageError, MessageStatus } from '../domain/status.js';

/** Where a message goes: a phone number (E.164), or a Viber bot subscriber id (Viber REST Bot API only). */
export type Destination = { phoneNumber: string } | { viberUserId: string };

/** One attempt as an adapter sees it: everything needed to put it on the wire, nothing of our storage. */
export interface OutboundMessage {
  /** Our id for this attempt; adapters send it as the provider's message id where the protocol allows. */
  attemptId: string;
  messageId: string;
  channel: Channel;
  from: string;
  to: Destination;
  content: StepContent;
  validitySeconds: number;
  callbackData: string | null;
  /** Viber business messages are labelled; providers price and route the two differently. */
  viberLabel: 'TRANSACTIONAL' | 'PROMOTIONAL';
  /** Infobip's CPaaS X application/entity; other adapters ignore it. */
  platform?: InfobipPlatform | null;
}

export type SendResult =
  /** The provider took the message; its final status arrives later by callback (or polling). */
  | { kind: 'accepted'; providerMessageId: string | null; messageCount?: number }
  /** The provider refused it outright; the attempt ends with this status. */
  | { kind: 'rejected'; status: MessageStatus; error: MessageError; providerMessageId?: string | null };

/**
 * The provider could not take the message this time (connection error, timeout, 5xx, 429, "too many
 * requests"): sending again later is safe because it never accepted this one.
 */
export class TransientProviderError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'TransientProviderError';
  }
}

/**
 * The request may have reached the provider, but no answer came back (a timeout, a connection lost after
 * the request was written): sending it again could deliver it twice. The attempt is in doubt, and its
 * adapter's `inDoubt` rule settles it.
 */
export class SendInDoubtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SendInDoubtError';
  }
}

/**
 * What to do with an attempt that may or may not be with its provider (claimed, then the process died
 * or the answer was lost):
 * - `resend`: send it again as it was; the provider drops a repeat of our message id.
 * - `ask`: ask the provider (`lookup`); resend only what it says it does not have.
 * - `settle`: the provider can neither deduplicate nor tell; treat it as sent, so it is never sent twice
 *   on this step, and let reports or the step's validity (then failover) decide.
 */
export type InDoubtPolicy = 'resend' | 'ask' | 'settle';

/** What a provider knows of one of our messages, asked by our message id. */
export type LookupResult =
  | { kind: 'found'; providerMessageId: string | null; status: MessageStatus; error: MessageError | null }
  | { kind: 'absent' };

/** Identifies which attempt a provider report is about. */
export type ReportMatch = { attemptId: string } | { provider: ProviderType; providerMessageId: string };

export interface ViberUser {
  id: string;
  name?: string | null;
  avatar?: string | null;
  country?: string | null;
  language?: string | null;
  apiVersion?: number | null;
}

/** What a status report says the send cost and where it went, where the provider tells (Infobip does). */
export interface ReportDetails {
  price?: Price | null;
  /** The destination network's MCC + MNC, e.g. "22801". */
  mccMnc?: string | null;
  /** Parts the message was charged as (Infobip `messageCount`, v2 `smsCount`). */
  messageCount?: number | null;
}

export type ProviderReport =
  | {
      kind: 'status';
      match: ReportMatch;
      status: MessageStatus;
      error: MessageError | null;
      doneAt: Date | null;
      /** Absent when the report carries none of them. */
      details?: ReportDetails;
    }
  | { kind: 'seen'; match: ReportMatch; seenAt: Date }
  | {
      kind: 'inbound';
      provider: ProviderType;
      channel: Channel;
      /** The provider's id of the inbound message; with the provider, the key that makes storing it idempotent. */
      providerMessageId: string;
      /** E.164 phone number, or a Viber user id for the Viber REST Bot API. */
      from: string;
      to: string;
      receivedAt: Date;
      content: InboundContent;
      /** Our attempt this message answers, when the provider tells us (pairedMessageId, tracking_data). */
      replyTo: ReportMatch | null;
      /** Viber bot: the sender's profile, kept in the subscriber registry. */
      viberUser?: ViberUser | null;
    }
  | {
      kind: 'subscriber';
      event: 'subscribed' | 'unsubscribed' | 'conversation_started';
      user: ViberUser;
      /** conversation_started says whether the user is already subscribed. */
      subscribed: boolean | null;
      at: Date;
    }
  /** A callback that needs an answer but carries nothing to store (Viber's `webhook` check). */
  | { kind: 'ping' };

export interface ProviderAdapter {
  readonly type: ProviderType;
  /** How an attempt in doubt is settled with this provider (see InDoubtPolicy). */
  readonly inDoubt: InDoubtPolicy;
  /**
   * For `ask`: what the provider knows of each message, in order, by our message id; an Error where it
   * could not be asked this time (the attempt stays in doubt and is asked again later).
   */
  lookup?(messages: OutboundMessage[]): Promise<Array<LookupResult | Error>>;
  send(message: OutboundMessage): Promise<SendResult>;
  /**
   * For providers that take many messages per request: one outcome per message, in order. An item is a
   * TransientProviderError when sending it again later is safe, any other Error when its fate is unknown.
   */
  sendBatch?(messages: OutboundMessage[]): Promise<Array<SendResult | Error>>;
  /**
   * For providers whose status must be asked for (DecisionTelecom `receive-viber`): the attempt's current
   * status as reports, or [] while nothing new is known. Absent for providers that only call back.
   */
  poll?(attempt: { attemptId: string; providerMessageId: string; channel: Channel }): Promise<ProviderReport[]>;
}

/** Where adapters that report on their own (the simulator, pollers) hand their reports. */
export type ReportSink = (report: ProviderReport) => Promise<void>;

/** A provider callback as it reached us: the raw bytes are kept because signatures are over them. */
export interface WebhookRequest {
  /** What follows /webhooks/<provider>/<connectionId>, e.g. "/delivery" or "" */
  subPath: string;
  headers: Record<string, string | undefined>;
  query: URLSearchParams;
  rawBody: Buffer;
}

/** The callback failed authentication: answer 401 and store nothing. */
export class CallbackAuthError extends Error {
  override name = 'CallbackAuthError';
}

/** The callback's body is not what the provider documents: answer 400 and store nothing. */
export class MalformedCallbackError extends Error {
  override name = 'MalformedCallbackError';
}

/** Verifies and parses one provider's callbacks into reports; never touches storage. */
export interface CallbackParser {
  /** Throws CallbackAuthError or MalformedCallbackError. */
  parse(request: WebhookRequest): ProviderReport[];
}
