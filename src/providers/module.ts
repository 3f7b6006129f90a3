import type { Config } from '../config.js';
import type { ProviderConnectionRow } from '../db/schema.js';
import type { Channel, ProviderType } from '../domain/channel.js';
import type { StepContent } from '../domain/content.js';
import type { CallbackParser, ProviderAdapter, ReportSink } from './types.js';

/**
 * Everything the rest of the service knows about one provider. Each provider folder exports exactly one
 * of these, and src/providers/registry.ts lists them: code outside a provider's folder asks its module
 * instead of testing the provider's name, so adding a provider means adding a folder and a registry line.
 */
export interface ProviderModule {
  readonly type: ProviderType;
  /** The channels a connection of this provider may carry at all. */
  readonly channels: readonly Channel[];
  /** Where the provider lives in production; a connection may override it (tests, self-hosted gateways). */
  readonly defaultBaseUrl: string;
  /** The credential a connection cannot work without; null when it needs none. */
  readonly requiredCredential: CredentialName | null;
  /** How the provider addresses a person: by phone number, or by its own per-bot Viber user id. */
  readonly addressing: Addressing;

  /** The adapter that puts a connection's attempts on the wire. */
  createAdapter(connection: ProviderConnectionRow, context: AdapterContext): ProviderAdapter;
  /** Callbacks this provider posts to us; null when it posts none. */
  readonly webhooks: ProviderWebhooks | null;

  /** What the provider would refuse in a step's content, checked when a message is accepted. */
  contentProblems(content: StepContent): ContentProblem[];
  /** What the provider would refuse in a step's sender; paths are relative to the sender field. */
  senderProblems(from: string): ContentProblem[];

  /** Present when statuses must be asked for (the adapter implements `poll`), on these channels only. */
  readonly statusPolling?: { readonly channels: readonly Channel[] };
  /** Present when the provider is told our webhook URL through its API rather than in its console. */
  readonly webhookRegistration?: WebhookRegistration;
  /**
   * Present when the provider's webhooks must be configured with a header value of ours (it signs
   * nothing): the value to show, so its callbacks can prove themselves.
   */
  callbackAuthorization?(connection: ProviderConnectionRow): string;
}

export type CredentialName = keyof ProviderConnectionRow['credentials'];

/** The field of a Destination (and of a send's `to` input) that this provider needs. */
export type Addressing = 'phoneNumber' | 'viberUserId';

/** A problem with a step for one provider; the path is relative to the content (or sender) checked. */
export interface ContentProblem {
  path: string[];
  message: string;
}

export interface AdapterContext {
  /**
   * `<public URL>/webhooks/<slug>/<connection id>`, for providers told per send where to report; null
   * when the provider posts no callbacks.
   */
  webhookBase: string | null;
}

export interface WebhookUrl {
  /** What the provider posts there, e.g. DELIVERY_REPORTS; shown beside the URL. */
  purpose: string;
  url: string;
}

export interface ProviderWebhooks {
  /** The path segment after /webhooks/ that routes a callback to this provider's parser. */
  readonly slug: string;
  /** The URLs to paste into the provider's console, built on the connection's webhook base. */
  urls(base: string, connection: ProviderConnectionRow): WebhookUrl[];
  /** Verifies and parses one connection's callbacks. */
  createParser(connection: ProviderConnectionRow): CallbackParser;
}

export interface WebhookRegistration {
  /** Registers `base` as the connection's webhook; resolves to the provider's refusal, or null when set. */
  register(connection: ProviderConnectionRow, base: string): Promise<string | null>;
}

/** What the service lends a provider that reports on its own (the built-in simulator). */
export interface ProviderHost {
  config: Config;
  reports: ReportSink;
  /** A report made on the provider's own initiative could not be stored. */
  onReportError(err: unknown): void;
}
