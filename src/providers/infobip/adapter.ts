import { analyzeSms } from '../../domain/sms-encoding.js';
import type { ProviderType } from '../../domain/channel.js';
import { plainText, type SmsContent, type StepContent } from '../../domain/content.js';
import { parseRetryAfter } from '../../domain/backoff.js';
import { toProviderDigits } from '../../domain/phone-number.js';
import { ERROR, STATUS, type MessageError, type MessageStatus } from '../../domain/status.js';
import {
  SendInDoubtError,
  TransientProviderError,
  type InDoubtPolicy,
  type LookupResult,
  type OutboundMessage,
  type ProviderAdapter,
  type SendResult,
} from '../types.js';
import { getJson, type HttpResponse } from '../http-client.js';
import { postToProvider, trimBaseUrl } from '../provider-post.js';
import { isRecord } from '../wire-json.js';
import { httpRefusal, sendResultFromEntry, serviceExceptionOf, toMessageError, toMessageStatus } from './status-map.js';
import { validateInfobipContent } from './validate.js';
import { isViberWireContent, smsRequest, viberRequest, type SmsRequest, type ViberRequest, type WireCommon } from './wire.js';

export interface InfobipAdapterOptions {
  /** e.g. `https://xyz.api.infobip.com`, per account. */
  baseUrl: string;
  apiKey: string;
  /** Where Infobip should post delivery reports for our sends; null leaves the account's configured URL. */
  deliveryWebhookUrl: string | null;
  timeoutMs?: number;
  /**
   * Infobip drops a repeat of a messageId only where idempotency was enabled for the account's channels
   * (on request to Infobip). Then an attempt in doubt is simply sent again; otherwise it is looked up in
   * Infobip's message logs first.
   */
  idempotencyEnabled?: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Infobip's outbound message logs (kept 48 h), by channel; queried by our messageId. */
const LOGS_PATH = { SMS: '/sms/3/logs', VIBER: '/viber/2/logs' } as const;
/** Message ids per log query: Infobip takes several `messageId` parameters per request. */
const LOOKUP_CHUNK = 100;

/** Infobip Viber Business Messages and SMS (v3) by phone number. */
export class InfobipAdapter implements ProviderAdapter {
  readonly type: ProviderType = 'INFOBIP';
  readonly inDoubt: InDoubtPolicy;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: InfobipAdapterOptions) {
    this.baseUrl = trimBaseUrl(options.baseUrl);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.inDoubt = options.idempotencyEnabled ? 'resend' : 'ask';
  }

  /**
   * Asks Infobip's message logs whether it has each message (by our messageId). A message the logs name
   * is with Infobip, at the status they give; one they do not name never reached it. Logs can trail a
   * send by a little, so the caller asks only once the claim is old enough (IN_DOUBT_LOOKUP_DELAY_MS).
   */
  async lookup(messages: OutboundMessage[]): Promise<Array<LookupResult | Error>> {
    const results: Array<LookupResult | Error> = new Array(messages.length);
    const byPath = new Map<string, number[]>();
    messages.forEach((m, i) => {
      const path = LOGS_PATH[m.channel];
      byPath.set(path, [...(byPath.get(path) ?? []), i]);
    });
    const chunks: Array<{ path: string; indexes: number[] }> = [];
    for (const [path, indexes] of byPath) {
      for (let k = 0; k < indexes.length; k += LOOKUP_CHUNK) chunks.push({ path, indexes: indexes.slice(k, k + LOOKUP_CHUNK) });
    }
    await Promise.all(
      chunks.map(async ({ path, indexes }) => {
        const query = new URLSearchParams(indexes.map((i) => ['messageId', messages[i]!.attemptId]));
        query.set('limit', String(indexes.length));
        let found: Map<string, Record<string, unknown>>;
        try {
          const res = await getJson(`${this.baseUrl}${path}?${query}`, { Authorization: `App ${this.options.apiKey}`, Accept: 'application/json' }, this.timeoutMs);
          if (res.status < 200 || res.status >= 300) throw new Error(`Infobip ${path} answered HTTP ${res.status}: ${res.text.slice(0, 200)}`);
          const json = parseJson(res.text);
          if (!isRecord(json) || !Array.isArray(json.results)) throw new Error(`Infobip ${path} answered without results[]: ${res.text.slice(0, 200)}`);
          found = new Map(json.results.flatMap((e) => (isRecord(e) && typeof e.messageId === 'string' ? [[e.messageId, e] as const] : [])));
        } catch (err) {
          for (const i of indexes) results[i] = err instanceof Error ? err : new Error(String(err));
          return;
        }
        for (const i of indexes) {
          const entry = found.get(messages[i]!.attemptId);
          const status = entry ? toMessageStatus(entry.status) : null;
          if (!entry) results[i] = { kind: 'absent' };
          else if (!status) results[i] = new Error(`Infobip ${path} names ${messages[i]!.attemptId} without a readable status`);
          else {
            // A refusal in the logs reads as the send's answer would have (the error that goes with it).
            const answer = sendResultFromEntry(entry, messages[i]!.attemptId);
            const error = answer?.kind === 'rejected' ? answer.error : toMessageError(entry.error);
            results[i] = { kind: 'found', providerMessageId: messages[i]!.attemptId, status, error };
          }
        }
      }),
    );
    return results;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const [result] = await this.sendBatch([message]);
    if (result instanceof Error) throw result;
    return result!;
  }

  /**
   * Infobip takes many messages per request (`messages[]`), and each one's verdict comes back in its own
   * entry, matched by our messageId: one request per endpoint for the whole batch instead of one per
   * message. A request-level failure (5xx, 429, a lost answer) is every message's failure.
   */
  async sendBatch(messages: OutboundMessage[]): Promise<Array<SendResult | Error>> {
    const results: Array<SendResult | Error> = new Array(messages.length);
    const byPath = new Map<InfobipPath, WireItem[]>();
    messages.forEach((message, index) => {
      const prepared = this.prepare(message);
      if ('kind' in prepared) {
        results[index] = prepared;
        return;
      }
      const items = byPath.get(prepared.path) ?? [];
      items.push({ ...prepared.item, index });
      byPath.set(prepared.path, items);
    });
    await Promise.all(
      [...byPath].map(async ([path, items]) => {
        const outcomes = await this.post(path, items);
        items.forEach((item, k) => (results[item.index] = outcomes[k]!));
      }),
    );
    return results;
  }

  /** The message's wire entry and endpoint, or the refusal when it cannot go to Infobip at all. */
  private prepare(message: OutboundMessage): SendResult | { path: InfobipPath; item: Omit<WireItem, 'index'> } {
    if (!('phoneNumber' in message.to)) {
      return refused(STATUS.REJECTED_INVALID_DESTINATION, 'Infobip sends to phone numbers only; a Viber user id needs the Viber bot provider');
    }
    const common: WireCommon = {
      sender: message.from,
      to: toProviderDigits(message.to.phoneNumber),
      messageId: message.attemptId,
      validitySeconds: message.validitySeconds,
      deliveryUrl: this.options.deliveryWebhookUrl,
      callbackData: message.callbackData,
      platform: message.platform ?? null,
    };

    if (message.channel === 'SMS') {
      const sms = smsContent(message.content);
      if (!sms) return refused(STATUS.REJECTED_SYSTEM_ERROR, `${message.content.type} content carries no text to send as SMS`);
      const problem = firstProblem(sms);
      if (problem) return refused(STATUS.REJECTED_SYSTEM_ERROR, problem);
      const entry = smsRequest(common, sms).messages[0]!;
      return { path: '/sms/3/messages', item: { entry, attemptId: message.attemptId, segments: analyzeSms(sms.text).segments } };
    }

    const content = message.content;
    if (content.type === 'SMS_TEXT') return refused(STATUS.REJECTED_SYSTEM_ERROR, 'SMS_TEXT content cannot be sent on the VIBER channel');
    const problem = firstProblem(content);
    if (problem || !isViberWireContent(content)) return refused(STATUS.REJECTED_SYSTEM_ERROR, problem ?? `${content.type} is not sendable`);
    const entry = viberRequest(common, content, message.viberLabel).messages[0]!;
    return { path: '/viber/2/messages', item: { entry, attemptId: message.attemptId } };
  }

  /** One request carrying `items`; returns each item's outcome, in order. */
  private async post(path: InfobipPath, items: WireItem[]): Promise<Array<SendResult | Error>> {
    const every = (outcome: SendResult | Error): Array<SendResult | Error> => items.map(() => outcome);
    let res: HttpResponse;
    try {
      res = await postToProvider(
        `Infobip ${path}`,
        `${this.baseUrl}${path}`,
        { Authorization: `App ${this.options.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        JSON.stringify({ messages: items.map((i) => i.entry) }),
        this.timeoutMs,
      );
    } catch (err) {
      // Infobip drops a repeated messageId only where idempotency is enabled on the account: a request
      // that may have arrived (a timeout, a reset after it was written) is in doubt, not retried blindly.
      if (err instanceof SendInDoubtError || err instanceof TransientProviderError) return every(err);
      return every(new TransientProviderError(`Infobip ${path} failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    const text = res.text;

    const json = parseJson(text);
    if (res.status === 429 || res.status === 408 || res.status >= 500) {
      const retryAfterMs = parseRetryAfter(res.header('retry-after'), new Date());
      const se = serviceExceptionOf(json);
      return every(new TransientProviderError(`Infobip HTTP ${res.status}${se.text ? `: ${se.text}` : ''}`, retryAfterMs));
    }
    if (res.status === 400 && items.length > 1) {
      // Infobip refuses a whole request over one bad message: ask again one by one, so each message gets
      // its own verdict and one bad destination does not sink its neighbours.
      return (await Promise.all(items.map((item) => this.post(path, [item])))).flat();
    }
    if (res.status >= 400) {
      return every({ kind: 'rejected', ...httpRefusal(res.status, serviceExceptionOf(json)) });
    }
    if (res.status < 200 || res.status >= 300) {
      return every(new TransientProviderError(`Infobip HTTP ${res.status}`));
    }

    const entries = isRecord(json) && Array.isArray(json.messages) ? json.messages : [];
    const byMessageId = new Map(entries.flatMap((e) => (isRecord(e) && typeof e.messageId === 'string' ? [[e.messageId, e] as const] : [])));
    return items.map((item) => {
      const entry = byMessageId.get(item.attemptId) ?? (items.length === 1 ? entries[0] : undefined);
      const result = sendResultFromEntry(entry, item.attemptId, messageCountOf(entry) ?? item.segments);
      // A 2xx we cannot read may still mean Infobip has the message: a plain Error (not Transient) tells the
      // dispatcher not to send again, and the attempt's expiry settles it if no report ever comes.
      return result ?? new Error(`Infobip ${path} answered HTTP ${res.status} without a readable entry for ${item.attemptId}: ${text.slice(0, 500)}`);
    });
  }
}

type InfobipPath = '/viber/2/messages' | '/sms/3/messages';

/** One message's entry in a request's `messages[]`, and where its outcome goes. */
interface WireItem {
  entry: ViberRequest['messages'][number] | SmsRequest['messages'][number];
  attemptId: string;
  segments?: number;
  index: number;
}

function refused(status: MessageStatus, description: string): SendResult {
  const error: MessageError = { ...ERROR.EC_PROVIDER_REJECTED, description };
  return { kind: 'rejected', status, error };
}

function firstProblem(content: StepContent): string | null {
  const problems = validateInfobipContent(content);
  if (problems.length === 0) return null;
  return problems.map((p) => (p.path.length > 0 ? `${p.path.join('.')} ${p.message}` : p.message)).join('; ');
}

/** An SMS step normally carries SMS_TEXT; other content falls back to its text, as elsewhere in the app. */
function smsContent(content: StepContent): SmsContent | null {
  if (content.type === 'SMS_TEXT') return content;
  const text = plainText(content);
  return text ? { type: 'SMS_TEXT', text } : null;
}

function messageCountOf(entry: unknown): number | undefined {
  if (!isRecord(entry)) return undefined;
  const n = entry.messageCount ?? entry.smsCount;
  return Number.isInteger(n) && (n as number) > 0 ? (n as number) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
