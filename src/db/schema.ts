import type { AttemptId, AttemptRef } from '../domain/ids.js';
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Channel, ProviderType } from '../domain/channel.js';
import type { AddressKind } from '../domain/conversation.js';
import type { InboundContent, StepContent } from '../domain/content.js';
import type { DeliveryTimeWindow } from '../domain/delivery-window.js';
import type { FlowStep, ScenarioStep } from '../domain/flow.js';
import type { InfobipPlatform, ViberLabel } from '../domain/sending-options.js';
import type { SendingSpeedLimit } from '../domain/speed-limit.js';
import type { MessageError, MessageStatus, StatusGroup } from '../domain/status.js';

/** Database tables as the application sees them (camelCase through Kysely's CamelCasePlugin). */
export interface Database {
  account: AccountTable;
  apiKey: ApiKeyTable;
  scenario: ScenarioTable;
  bulk: BulkTable;
  message: MessageTable;
  attempt: AttemptTable;
  statusEvent: StatusEventTable;
  inboundMessage: InboundMessageTable;
  idempotencyKey: IdempotencyKeyTable;
  reportDelivery: ReportDeliveryTable;
  reportDeliveryTry: ReportDeliveryTryTable;
  providerConnection: ProviderConnectionTable;
  viberSubscriber: ViberSubscriberTable;
  workerLease: WorkerLeaseTable;
  event: EventTable;
  eventHead: EventHeadTable;
  conversation: ConversationTable;
}

type CreatedAt = ColumnType<Date, Date | undefined, Date>;
/** bigserial ids arrive from pg as strings; they stay strings so they never lose precision. */
type BigId = ColumnType<string, never, never>;
type Json<T> = ColumnType<T, string, string>;

export interface AccountTable {
  id: Generated<string>;
  name: string;
  webhookSecret: string;
  deliveryWebhookUrl: string | null;
  createdAt: CreatedAt;
}

export interface ApiKeyTable {
  id: Generated<string>;
  accountId: string;
  keyHash: string;
  keyPrefix: string;
  name: string;
  /** Scope names (src/domain/scopes.ts); `admin` implies every other. */
  scopes: string[];
  createdAt: CreatedAt;
  revokedAt: Date | null;
  /** Written at most once a minute per key. */
  lastUsedAt: Date | null;
  /** Set when the key was rotated: it works until then (its grace period), then stops. */
  expiresAt: Date | null;
  /** The key that replaced this one on rotation. */
  replacedBy: string | null;
  /** This key's own rate limits; null: the configured default. */
  requestsPerMinute: ColumnType<number | null, number | null | undefined, number | null>;
  destinationsPerMinute: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ScenarioTable {
  id: BigId;
  accountId: string;
  key: string;
  name: string;
  isDefault: boolean;
  flow: Json<ScenarioStep[]>;
  createdAt: CreatedAt;
  updatedAt: CreatedAt;
}

export type BulkStatus = 'PENDING' | 'PAUSED' | 'PROCESSING' | 'FINISHED' | 'CANCELED';

export interface BulkOptions {
  sendingSpeedLimit?: SendingSpeedLimit | null;
}

export interface BulkTable {
  id: BigId;
  accountId: string;
  bulkId: string;
  status: BulkStatus;
  sendAt: Date | null;
  options: Json<BulkOptions>;
  createdAt: CreatedAt;
  updatedAt: CreatedAt;
}

export interface MessageTable {
  id: BigId;
  accountId: string;
  bulkRef: string;
  messageId: string;
  bulkId: string;
  /** E.164; null for a message addressed only to a Viber bot subscriber. */
  toNumber: string | null;
  toViberUserId: string | null;
  scenarioKey: string | null;
  flow: Json<FlowStep[]>;
  callbackData: string | null;
  currentStep: number;
  channel: Channel;
  status: Json<MessageStatus>;
  statusGroup: StatusGroup;
  error: Json<MessageError | null>;
  sentAt: Date | null;
  doneAt: Date | null;
  seenAt: Date | null;
  options: Json<MessageOptions>;
  /** The conversation this message belongs to (null for messages sent before conversations existed). */
  conversationRef: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: CreatedAt;
}

/** Per-message delivery options that apply to every step. */
export interface MessageOptions {
  deliveryTimeWindow?: DeliveryTimeWindow | null;
  /** Where final delivery reports are pushed; falls back to the account's default. */
  deliveryWebhookUrl?: string | null;
  /** The client's label for its Viber steps; absent: derived from the content (see defaultViberLabel). */
  viberLabel?: ViberLabel | null;
  /** Sent with every Infobip step; other providers ignore it. */
  platform?: InfobipPlatform | null;
}

/**
 * Where an attempt is in its own dispatch, apart from what the provider reports:
 * QUEUED (waiting for a dispatch job) → SENDING (claimed; the provider may or may not have it) →
 * SENT (the provider answered) → DONE (final status known).
 */
export type DispatchState = 'QUEUED' | 'SENDING' | 'SENT' | 'DONE';

export interface AttemptTable {
  id: ColumnType<AttemptRef, never, never>;
  attemptId: Generated<AttemptId>;
  messageRef: string;
  bulkRef: string;
  notBefore: Date;
  accountId: string;
  stepIndex: number;
  channel: Channel;
  sender: string;
  provider: ProviderType;
  /** Null: the built-in simulator. */
  connectionId: string | null;
  content: Json<StepContent>;
  validitySeconds: number;
  dispatchState: DispatchState;
  tries: Generated<number>;
  status: Json<MessageStatus>;
  statusGroup: StatusGroup;
  error: Json<MessageError | null>;
  providerMessageId: string | null;
  messageCount: number | null;
  /** numeric: pg hands it over as a decimal string, exact. Null until the provider reports a price. */
  pricePerMessage: string | null;
  priceCurrency: string | null;
  /** The destination's network (MCC + MNC) as the provider reported it. */
  mccMnc: string | null;
  /** The last failure the dispatcher retried after (connection error, 5xx, 429), and when. */
  lastTransientError: string | null;
  lastTransientErrorAt: Date | null;
  sentAt: Date | null;
  expiresAt: Date | null;
  doneAt: Date | null;
  seenAt: Date | null;
  /** W3C trace context of the dispatch that sent it (set only while tracing): callbacks continue that trace. */
  traceparent: string | null;
  createdAt: CreatedAt;
  updatedAt: CreatedAt;
  /** The instance lease that claimed it (SENDING); null while queued, or once released as in doubt. */
  claimedBy: ColumnType<string | null, string | null | undefined, string | null>;
  claimedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface StatusEventTable {
  id: BigId;
  messageRef: string;
  attemptRef: string | null;
  channel: Channel;
  status: Json<MessageStatus>;
  error: Json<MessageError | null>;
  source: string;
  occurredAt: CreatedAt;
}

/** What an event records (src/events/log.ts). */
export type EventKind = 'status' | 'seen' | 'inbound' | 'conversation';

/** One entry of an account's event log; `position` orders the account's events. bigint positions arrive as strings. */
export interface EventTable {
  accountId: string;
  position: ColumnType<string, string | number, never>;
  kind: EventKind;
  occurredAt: Date;
  recordedAt: CreatedAt;
  messageRef: string | null;
  attemptRef: string | null;
  inboundRef: string | null;
  conversationId: string | null;
  data: Json<unknown>;
}

export interface EventHeadTable {
  accountId: string;
  lastPosition: ColumnType<string, string | number, string | number>;
  firstPosition: ColumnType<string, string | number | undefined, string | number>;
}

export type AccountRow = Selectable<AccountTable>;
export type ScenarioRow = Selectable<ScenarioTable>;
export type BulkRow = Selectable<BulkTable>;
export type MessageRow = Selectable<MessageTable>;
export type AttemptRow = Selectable<AttemptTable>;
export type NewAttempt = Insertable<AttemptTable>;

export interface InboundMessageTable {
  id: BigId;
  accountId: string;
  provider: ProviderType;
  channel: Channel;
  providerMessageId: string;
  fromAddress: string;
  toAddress: string;
  content: Json<InboundContent>;
  pairedMessageRef: string | null;
  connectionId: string | null;
  receivedAt: Date;
  /** The conversation this message belongs to (null for messages received before conversations existed). */
  conversationRef: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
}

export type InboundMessageRow = Selectable<InboundMessageTable>;

export interface IdempotencyKeyTable {
  accountId: string;
  key: string;
  requestHash: string;
  response: Json<unknown>;
  createdAt: CreatedAt;
}

export type ReportDeliveryState = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface ReportDeliveryTable {
  id: BigId;
  accountId: string;
  messageRef: string;
  url: string;
  body: string;
  state: ReportDeliveryState;
  tries: Generated<number>;
  nextTryAt: Date | null;
  deliveredAt: Date | null;
  createdAt: CreatedAt;
}

export interface ReportDeliveryTryTable {
  id: BigId;
  deliveryRef: string;
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  /** A network failure's code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…); null when an HTTP status came back. */
  errorCode: string | null;
  durationMs: number;
}

export type ReportDeliveryRow = Selectable<ReportDeliveryTable>;
export type ReportDeliveryTryRow = Selectable<ReportDeliveryTryTable>;

export interface ProviderConnectionOptions {
  /** DecisionTelecom: Basic base64(key) (SDKs) or base64("key:") (the doc's PHP sample). */
  authForm?: 'key' | 'key-colon';
  /** DecisionTelecom: two-way message types (206/208) so replies come back. */
  twoWay?: boolean;
}

export interface ProviderConnectionTable {
  id: Generated<string>;
  accountId: string;
  name: string;
  type: ProviderType;
  baseUrl: string;
  credentials: Json<{ apiKey?: string; authToken?: string }>;
  channels: Json<Channel[]>;
  options: Json<ProviderConnectionOptions>;
  callbackSecret: string;
  createdAt: CreatedAt;
  updatedAt: CreatedAt;
}

export type ProviderConnectionRow = Selectable<ProviderConnectionTable>;

export interface ViberSubscriberTable {
  connectionId: string;
  userId: string;
  name: string | null;
  avatar: string | null;
  country: string | null;
  language: string | null;
  apiVersion: number | null;
  subscribed: boolean;
  subscribedAt: Date | null;
  unsubscribedAt: Date | null;
  lastSeenAt: Date;
  createdAt: CreatedAt;
}

export type ViberSubscriberRow = Selectable<ViberSubscriberTable>;

/** One running instance: its job-lock owners (graphile-worker pool ids) and its last sign of life. */
export interface WorkerLeaseTable {
  instanceId: string;
  poolIds: ColumnType<string[], string[] | undefined, string[]>;
  host: string;
  pid: number;
  ttlMs: number;
  startedAt: ColumnType<Date, Date | undefined, Date>;
  heartbeatAt: ColumnType<Date, Date | undefined, Date>;
}

export type { AddressKind } from '../domain/conversation.js';

/** One person of one account, and where a reply to them goes (see migrations/2026-12-01T05-conversations.ts). */
export interface ConversationTable {
  id: Generated<string>;
  accountId: string;
  address: string;
  addressKind: AddressKind;
  name: string | null;
  replyChannel: Channel;
  replyProvider: ProviderType;
  replyConnectionId: string | null;
  /** Our address the person last wrote to (the sender a reply goes from). */
  replyFrom: string | null;
  lastInboundAt: Date | null;
  lastActivityAt: Date;
  unreadCount: ColumnType<number, number | undefined, number>;
  readAt: Date | null;
  createdAt: CreatedAt;
}

export type ConversationRow = Selectable<ConversationTable>;
