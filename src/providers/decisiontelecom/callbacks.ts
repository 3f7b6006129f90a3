import { createHash, timingSafeEqual } from 'node:crypto';
import { isFinal } from '../../domain/status.js';
import {
  CallbackAuthError,
  MalformedCallbackError,
  type CallbackParser,
  type ProviderReport,
  type WebhookRequest,
} from '../types.js';
import { mapSmsStatus, mapViberStatus } from './status-map.js';
import { headerValue } from '../callback-headers.js';
import { idString, isRecord, parseExactJson } from '../wire-json.js';
import { DT_SMS_CALLBACK_SUBPATH, smsProviderMessageId } from './wire.js';

export interface DecisionTelecomCallbacksOptions {
  webhookSecret: string;
  /**
   * Our address on inbound messages. The two-way callback does not say which sender the user answered;
   * the connection's Viber sender name is the best we know. Default ''.
   */
  inboundTo?: string;
}

export const DT_SECRET_QUERY_PARAM = 'secret';
export const DT_SECRET_HEADER = 'x-webhook-secret';

const TRACKING_ID = /^tracking_id:\s*(\d+)$/;

/**
 * DecisionTelecom signs nothing, so a callback proves itself with the secret we put in the `callback_url`
 * we gave it (`?secret=`), or in `X-Webhook-Secret` where the URL is configured on their side and a
 * header can be added instead.
 */
export class DecisionTelecomCallbacks implements CallbackParser {
  private readonly secretDigest: Buffer;
  private readonly inboundTo: string;

  constructor(options: DecisionTelecomCallbacksOptions) {
    // An empty secret would let "?secret=" through.
    if (options.webhookSecret === '') throw new Error('DecisionTelecom webhookSecret must not be empty');
    this.secretDigest = digest(options.webhookSecret);
    this.inboundTo = options.inboundTo ?? '';
  }

  parse(request: WebhookRequest): ProviderReport[] {
    this.authenticate(request);
    const body = parseBody(request.rawBody);
    if ('message_token' in body) return [this.inbound(body)];
    if ('message_id' in body) return statusReports(body, request.subPath === DT_SMS_CALLBACK_SUBPATH);
    throw new MalformedCallbackError('neither a two-way message (message_token) nor a status (message_id)');
  }

  private authenticate(request: WebhookRequest): void {
    const offered = [request.query.get(DT_SECRET_QUERY_PARAM), headerValue(request.headers, DT_SECRET_HEADER)].filter(
      (v): v is string => v !== null && v !== undefined,
    );
    if (offered.length === 0) throw new CallbackAuthError('DecisionTelecom callback without a secret');
    // Every secret offered must match: a wrong one is never excused by a right one beside it.
    for (const candidate of offered) {
      // Comparing digests keeps the comparison constant-time even when the lengths differ.
      if (!timingSafeEqual(digest(candidate), this.secretDigest)) {
        throw new CallbackAuthError('DecisionTelecom callback with a wrong secret');
      }
    }
  }

  private inbound(body: Record<string, unknown>): ProviderReport {
    const token = idString(body.message_token);
    if (token === null) throw new MalformedCallbackError('message_token must be an integer');
    const phone = digitsOf(body.phone_number);
    if (phone === null) throw new MalformedCallbackError('phone_number must be international digits');
    const time = typeof body.time === 'number' ? body.time : typeof body.time === 'string' ? Number(body.time) : NaN;
    const receivedAt = new Date(time * 1000);
    if (!Number.isFinite(time) || Number.isNaN(receivedAt.getTime())) throw new MalformedCallbackError('time must be epoch seconds');
    const message = body.message;
    if (!isRecord(message) || typeof message.text !== 'string') throw new MalformedCallbackError('message.text must be a string');

    // DecisionTelecom fills tracking_data with the id of the message the user answered.
    const tracking = typeof message.tracking_data === 'string' ? TRACKING_ID.exec(message.tracking_data.trim()) : null;
    const repliedTo = tracking?.[1];
    return {
      kind: 'inbound',
      provider: 'DECISIONTELECOM',
      channel: 'VIBER',
      providerMessageId: token,
      from: `+${phone}`,
      to: this.inboundTo,
      receivedAt,
      content: { type: 'TEXT', text: message.text },
      replyTo: repliedTo === undefined ? null : { provider: 'DECISIONTELECOM', providerMessageId: repliedTo },
    };
  }
}

/**
 * Assumed: the status callback body is undocumented; assumed `{message_id, status}` with receive-viber's codes,
 * or the SMS codes on the `/sms` sub-path. Only final statuses are reported: the rest would tell us
 * nothing the dispatcher has not already recorded.
 */
function statusReports(body: Record<string, unknown>, sms: boolean): ProviderReport[] {
  const id = idString(body.message_id);
  if (id === null) throw new MalformedCallbackError('message_id must be an integer');
  const code = typeof body.status === 'number' ? body.status : typeof body.status === 'string' && /^\d+$/.test(body.status) ? Number(body.status) : NaN;
  if (!Number.isInteger(code)) throw new MalformedCallbackError('status must be an integer');
  const mapped = sms ? mapSmsStatus(code) : mapViberStatus(code);
  if (!mapped || !isFinal(mapped.status.groupName)) return [];
  return [
    {
      kind: 'status',
      match: { provider: 'DECISIONTELECOM', providerMessageId: sms ? smsProviderMessageId(id) : id },
      status: mapped.status,
      error: mapped.error,
      doneAt: null,
    },
  ];
}

function parseBody(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseExactJson(raw.toString('utf8'));
  } catch {
    throw new MalformedCallbackError('DecisionTelecom callback body is not JSON');
  }
  if (!isRecord(parsed)) throw new MalformedCallbackError('DecisionTelecom callback body must be a JSON object');
  return parsed;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function digitsOf(value: unknown): string | null {
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof s === 'string' && /^\d{4,20}$/.test(s) ? s : null;
}
