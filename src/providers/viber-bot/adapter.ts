/**
 * Sends through the Viber REST Bot API (docs/providers.md, Viber bot). Viber answers errors as HTTP 200
 * with `status != 0`, so the body decides, not the HTTP code; the HTTP code only tells edge trouble.
 */
import { postToProvider, trimBaseUrl } from '../provider-post.js';
import { parseRetryAfter } from '../../domain/backoff.js';
import type { ProviderType } from '../../domain/channel.js';
import { STATUS } from '../../domain/status.js';
import { SendInDoubtError, TransientProviderError, type InDoubtPolicy } from '../types.js';
import type { OutboundMessage, ProviderAdapter, SendResult } from '../types.js';
import { VIBER_ERROR, mapViberSendStatus } from './status-map.js';
import { idString, parseExactJson } from '../wire-json.js';
import { removeWebhookBody, sendMessageBody, setWebhookBody } from './wire.js';
import type { ViberJson } from './wire.js';

export interface ViberBotAdapterOptions {
  /** API root, e.g. https://chatapi.viber.com/pa (or a fake's apiBase). */
  baseUrl: string;
  authToken: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export type WebhookResult =
  | { ok: true }
  /** `status` is Viber's status code, or null when Viber gave none (network or HTTP error). */
  | { ok: false; status: number | null; message: string };

const DEFAULT_TIMEOUT_MS = 10_000;

interface RawAnswer {
  httpStatus: number;
  retryAfter: string | null;
  text: string;
}

export class ViberBotAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'VIBER_BOT';
  /**
   * The Bot API takes no message id of ours (a repeat is a second message) and has no way to ask about a
   * message without the token its lost answer carried: an attempt in doubt is treated as sent, never sent
   * again; a delivery report cannot name it, so its validity runs out and the flow fails over.
   */
  readonly inDoubt: InDoubtPolicy = 'settle';
  private readonly baseUrl: string;
  private readonly authToken: string;
  private readonly timeoutMs: number;

  constructor(options: ViberBotAdapterOptions) {
    this.baseUrl = trimBaseUrl(options.baseUrl);
    this.authToken = options.authToken;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    if (!('viberUserId' in message.to)) {
      return { kind: 'rejected', status: STATUS.REJECTED_DESTINATION, error: VIBER_ERROR.PHONE_NUMBER_DESTINATION };
    }
    if (message.content.type === 'SMS_TEXT') {
      return { kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: VIBER_ERROR.UNSUPPORTED_CONTENT };
    }
    const body = sendMessageBody({
      receiver: message.to.viberUserId,
      senderName: message.from,
      trackingData: message.attemptId,
      content: message.content,
    });

    const answer = await this.post('send_message', body);
    if (answer.httpStatus === 429 || answer.httpStatus >= 500) {
      throw new TransientProviderError(`Viber answered HTTP ${answer.httpStatus}`, this.retryAfterMs(answer));
    }
    if (answer.httpStatus < 200 || answer.httpStatus >= 300) {
      // Any other HTTP error comes before Viber looked at the message, so it was not taken.
      return {
        kind: 'rejected',
        status: STATUS.REJECTED_SYSTEM_ERROR,
        error: { ...VIBER_ERROR.HTTP_ERROR, description: `${VIBER_ERROR.HTTP_ERROR.description} ${answer.httpStatus}` },
      };
    }

    // A 2xx we cannot read may still mean "accepted": throwing a plain Error leaves the attempt in an
    // unknown state for expiry to settle, rather than risking a second copy on retry.
    const reply = parseReply(answer.text);
    const outcome = mapViberSendStatus(reply.status, reply.statusMessage);
    switch (outcome.kind) {
      case 'ok':
        return { kind: 'accepted', providerMessageId: reply.messageToken, messageCount: 1 };
      case 'transient':
        throw new TransientProviderError(
          `Viber status ${reply.status} (${reply.statusMessage ?? 'tooManyRequests'})`,
          this.retryAfterMs(answer),
        );
      case 'rejected':
        return { kind: 'rejected', status: outcome.status, error: outcome.error };
    }
  }

  /** Viber calls `url` with a signed `webhook` event before answering, so the route must already be live. */
  setWebhook(url: string): Promise<WebhookResult> {
    return this.webhookCall(setWebhookBody(url));
  }

  removeWebhook(): Promise<WebhookResult> {
    return this.webhookCall(removeWebhookBody());
  }

  private async webhookCall(body: ViberJson): Promise<WebhookResult> {
    let answer: RawAnswer;
    try {
      answer = await this.post('set_webhook', body);
    } catch (err) {
      return { ok: false, status: null, message: err instanceof Error ? err.message : String(err) };
    }
    if (answer.httpStatus < 200 || answer.httpStatus >= 300) {
      return { ok: false, status: null, message: `Viber answered HTTP ${answer.httpStatus}` };
    }
    try {
      const reply = parseReply(answer.text);
      if (reply.status === 0) return { ok: true };
      return { ok: false, status: reply.status, message: reply.statusMessage ?? `Viber status ${reply.status}` };
    } catch (err) {
      return { ok: false, status: null, message: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * A failure before the request was written out is transient (it cannot have arrived); one after it (a
   * timeout, a reset while waiting) is in doubt: Viber may have the message, and has no idempotency key.
   */
  private async post(endpoint: string, body: ViberJson): Promise<RawAnswer> {
    const res = await postToProvider(
      `Viber ${endpoint}`,
      `${this.baseUrl}/${endpoint}`,
      { 'content-type': 'application/json', 'X-Viber-Auth-Token': this.authToken },
      JSON.stringify(body),
      this.timeoutMs,
    );
    return { httpStatus: res.status, retryAfter: res.header('retry-after'), text: res.text };
  }

  private retryAfterMs(answer: RawAnswer): number | null {
    return parseRetryAfter(answer.retryAfter, new Date());
  }
}

interface ViberReply {
  status: number;
  statusMessage: string | null;
  messageToken: string | null;
}

function parseReply(text: string): ViberReply {
  let json: unknown;
  try {
    json = parseExactJson(text);
  } catch {
    throw new Error(`Viber answered with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (typeof json !== 'object' || json === null) throw new Error('Viber answered with a body that is not a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.status !== 'number' || !Number.isInteger(o.status)) throw new Error('Viber answered without a numeric status');
  return {
    status: o.status,
    statusMessage: typeof o.status_message === 'string' ? o.status_message : null,
    messageToken: idString(o.message_token),
  };
}
