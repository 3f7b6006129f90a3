import type { Channel, ProviderType } from '../../domain/channel.js';
import { postToProvider, trimBaseUrl } from '../provider-post.js';
import { idString, isRecord, parseExactJson } from '../wire-json.js';
import { parseRetryAfter } from '../../domain/backoff.js';
import { analyzeSms } from '../../domain/sms-encoding.js';
import { ERROR, STATUS, isFinal } from '../../domain/status.js';
import {
  SendInDoubtError,
  TransientProviderError,
  type InDoubtPolicy,
  type OutboundMessage,
  type ProviderAdapter,
  type ProviderReport,
  type SendResult,
} from '../types.js';
import { DT_ERROR, classifyErrorBody, isDtErrorBody, isTransientHttpStatus, mapViberStatus } from './status-map.js';
import {
  DT_RECEIVE_VIBER_PATH,
  DT_SEND_SMS_PATH,
  DT_SEND_VIBER_PATH,
  UnsupportedDtMessageError,
  authorizationHeader,
  buildSendSmsBody,
  buildSendViberBody,
  smsCallbackUrl,
  smsProviderMessageId,
  type DtAuthForm,
} from './wire.js';

export interface DecisionTelecomAdapterOptions {
  /** `https://web.it-decision.com` in production. */
  baseUrl: string;
  apiKey: string;
  /** `key` (default, as the SDKs) sends base64(key); `key-colon` sends base64("key:") as the doc's PHP sample. */
  authForm?: DtAuthForm;
  /** Sends 206/208 instead of 106/108, so user replies come back through the two-way callback. */
  twoWay?: boolean;
  /**
   * This connection's status webhook, secret included (`…/webhooks/decisiontelecom/<id>?secret=…`).
   * Viber sends use it as `callback_url`; SMS sends use it with `/sms` appended to the path.
   */
  statusWebhookUrl?: string | null;
  /** The SMS endpoint is assumed (not in DecisionTelecom's documentation); kept configurable until confirmed. */
  smsPath?: string;
  timeoutMs?: number;
  /** The docs show `destination_addr` as a JSON number, the SDKs as a string (the default). */
  destinationAsNumber?: boolean;
  /** For Retry-After dates; injectable for tests. */
  now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 15_000;

interface DtResponse {
  httpStatus: number;
  retryAfter: string | null;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  json: unknown;
  text: string;
}

/**
 * DecisionTelecom Viber + SMS. Viber statuses are fetched with `poll` (receive-viber) and may also arrive
 * at `callback_url`; SMS statuses can only arrive by callback, there being no documented SMS status query.
 */
export class DecisionTelecomAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'DECISIONTELECOM';
  /**
   * send-viber takes no message id of ours, so a repeat is a second message; receive-viber answers only
   * by DecisionTelecom's own message_id, which an attempt in doubt never got (it came in the lost answer).
   * So an attempt in doubt is treated as sent, never sent again; its validity then decides (failover).
   */
  readonly inDoubt: InDoubtPolicy = 'settle';
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly twoWay: boolean;
  private readonly viberCallbackUrl: string | null;
  private readonly smsCallbackUrl: string | null;
  private readonly smsPath: string;
  private readonly timeoutMs: number;
  private readonly destinationAsNumber: boolean;
  private readonly now: () => Date;

  constructor(options: DecisionTelecomAdapterOptions) {
    if (options.apiKey === '') throw new Error('DecisionTelecom apiKey must not be empty');
    this.baseUrl = trimBaseUrl(options.baseUrl);
    this.authorization = authorizationHeader(options.apiKey, options.authForm ?? 'key');
    this.twoWay = options.twoWay ?? false;
    this.viberCallbackUrl = options.statusWebhookUrl ?? null;
    this.smsCallbackUrl = options.statusWebhookUrl ? smsCallbackUrl(options.statusWebhookUrl) : null;
    this.smsPath = options.smsPath ?? DT_SEND_SMS_PATH;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.destinationAsNumber = options.destinationAsNumber ?? false;
    this.now = options.now ?? (() => new Date());
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    if (!('phoneNumber' in message.to)) {
      return { kind: 'rejected', status: STATUS.REJECTED_INVALID_DESTINATION, error: DT_ERROR.EC_DT_PHONE_NUMBER_REQUIRED };
    }
    const isSms = message.channel === 'SMS';
    let body: object;
    try {
      body = isSms
        ? buildSendSmsBody(message, { callbackUrl: this.smsCallbackUrl, destinationAsNumber: this.destinationAsNumber })
        : buildSendViberBody(message, {
            twoWay: this.twoWay,
            callbackUrl: this.viberCallbackUrl,
            destinationAsNumber: this.destinationAsNumber,
          });
    } catch (err) {
      // Validation should have stopped this at send time; reaching here means a scenario changed under it.
      if (err instanceof UnsupportedDtMessageError) {
        return { kind: 'rejected', status: STATUS.REJECTED_ROUTE_NOT_AVAILABLE, error: DT_ERROR.EC_DT_UNSUPPORTED_CONTENT };
      }
      throw err;
    }

    const res = await this.post(isSms ? this.smsPath : DT_SEND_VIBER_PATH, JSON.stringify(body));
    const ok = res.httpStatus >= 200 && res.httpStatus < 300;

    if (ok) {
      const id = isRecord(res.json) ? idString(res.json.message_id) : null;
      if (id !== null) {
        const segments = message.content.type === 'SMS_TEXT' ? analyzeSms(message.content.text).segments : 1;
        return { kind: 'accepted', providerMessageId: isSms ? smsProviderMessageId(id) : id, messageCount: segments };
      }
    }
    if (!ok && isTransientHttpStatus(res.httpStatus)) {
      throw this.transient(`DecisionTelecom answered HTTP ${res.httpStatus}`, res);
    }
    if (isDtErrorBody(res.json)) {
      const outcome = classifyErrorBody(res.json);
      if (outcome.kind === 'transient') throw this.transient(outcome.reason, res);
      return { kind: 'rejected', status: outcome.status, error: outcome.error };
    }
    if (ok) {
      // Neither an id nor an error: DecisionTelecom may or may not have the message. A plain Error leaves
      // the attempt for expiry to settle, where a retry could send it twice.
      throw new Error(`DecisionTelecom answered HTTP ${res.httpStatus} without message_id: ${res.text.slice(0, 200)}`);
    }
    if (res.httpStatus === 401 || res.httpStatus === 403) {
      return { kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: DT_ERROR.EC_DT_UNAUTHORIZED };
    }
    return { kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: ERROR.EC_PROVIDER_REJECTED };
  }

  /**
   * Viber only. An SMS sent through send-sms has no documented status query (receive-viber knows only the
   * SMS it sent itself as a Viber fallback, which we never ask for), so SMS attempts answer [] without a
   * request and rely on the status callback, or on expiry when none comes.
   */
  async poll(attempt: { attemptId: string; providerMessageId: string; channel: Channel }): Promise<ProviderReport[]> {
    if (attempt.channel === 'SMS') return [];
    const id = idString(attempt.providerMessageId);
    if (id === null) throw new Error(`not a DecisionTelecom Viber message id: ${attempt.providerMessageId}`);

    // Written by hand so an id beyond 2^53 goes out exactly as it came in.
    const res = await this.post(DT_RECEIVE_VIBER_PATH, `{"message_id":${id}}`);
    const ok = res.httpStatus >= 200 && res.httpStatus < 300;

    if (!ok && isTransientHttpStatus(res.httpStatus)) throw this.transient(`DecisionTelecom answered HTTP ${res.httpStatus}`, res);
    // Before the status: an error body has a `status` field too (its HTTP-like code).
    if (isDtErrorBody(res.json)) {
      const outcome = classifyErrorBody(res.json);
      if (outcome.kind === 'transient') throw this.transient(outcome.reason, res);
      // "Invalid Parameter: message_id": unknown to them, or older than their 5-day window. Nothing new
      // can be learned; expiry settles the attempt.
      if (outcome.error === DT_ERROR.EC_DT_INVALID_PARAMETER) return [];
      throw new Error(outcome.reason);
    }
    if (ok && isRecord(res.json) && typeof res.json.status === 'number') {
      const echoed = idString(res.json.message_id);
      if (echoed !== null && echoed !== id) throw new Error(`receive-viber for ${id} answered about ${echoed}`);
      const mapped = mapViberStatus(res.json.status);
      if (!mapped || !isFinal(mapped.status.groupName)) return [];
      const match = { provider: this.type, providerMessageId: attempt.providerMessageId };
      return [{ kind: 'status', match, status: mapped.status, error: mapped.error, doneAt: null }];
    }
    throw new Error(`DecisionTelecom receive-viber answered HTTP ${res.httpStatus}: ${res.text.slice(0, 200)}`);
  }

  private async post(path: string, rawBody: string): Promise<DtResponse> {
    const res = await postToProvider(
      `DecisionTelecom ${path}`,
      `${this.baseUrl}${path}`,
      { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' },
      rawBody,
      this.timeoutMs,
    );
    const text = res.text;
    let json: unknown;
    try {
      json = text.trim() === '' ? undefined : parseExactJson(text);
    } catch {
      json = undefined;
    }
    return { httpStatus: res.status, retryAfter: res.header('retry-after'), json, text };
  }

  private transient(reason: string, res: DtResponse): TransientProviderError {
    return new TransientProviderError(reason, parseRetryAfter(res.retryAfter, this.now()));
  }
}
