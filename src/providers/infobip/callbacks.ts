/**
 * Infobip webhooks (docs/providers.md, Infobip: callbacks): delivery reports, seen reports, inbound SMS and inbound Viber, all
 * shaped `{"results":[…]}`. Infobip signs nothing; it sends whatever header the webhook was configured
 * with, so each connection has a secret that must come back in one of the accepted headers.
 */
import { timingSafeEqual } from 'node:crypto';
import type { InboundContent } from '../../domain/content.js';
import type { MessageError } from '../../domain/status.js';
import {
  CallbackAuthError,
  MalformedCallbackError,
  type CallbackParser,
  type ProviderReport,
  type ReportMatch,
  type WebhookRequest,
} from '../types.js';
import { headerValue } from '../callback-headers.js';
import { isRecord } from '../wire-json.js';
import { toMessageError, toMessageStatus } from './status-map.js';

export interface InfobipCallbacksOptions {
  webhookSecret: string;
}

type Json = Record<string, unknown>;
type Kind = 'delivery' | 'seen' | 'inbound';

const ROUTES: Record<string, Kind> = { '/delivery': 'delivery', '/seen': 'seen', '/inbound': 'inbound' };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class InfobipCallbacks implements CallbackParser {
  private readonly secret: Buffer;

  constructor(options: InfobipCallbacksOptions) {
    // An empty secret would make an empty header authenticate.
    if (options.webhookSecret === '') throw new Error('InfobipCallbacks needs a non-empty webhookSecret');
    this.secret = Buffer.from(options.webhookSecret, 'utf8');
  }

  parse(request: WebhookRequest): ProviderReport[] {
    this.authenticate(request.headers);
    const subPath = request.subPath.replace(/\/+$/, '');
    const route = subPath === '' ? undefined : ROUTES[subPath];
    if (subPath !== '' && !route) throw new MalformedCallbackError(`unknown Infobip webhook path ${JSON.stringify(request.subPath)}`);

    let body: unknown;
    try {
      body = JSON.parse(request.rawBody.toString('utf8'));
    } catch {
      throw new MalformedCallbackError('body is not JSON');
    }
    if (!isRecord(body) || !Array.isArray(body.results)) throw new MalformedCallbackError('body must be an object with a results array');

    return body.results.map((entry, i) => {
      const at = `results[${i}]`;
      if (!isRecord(entry)) throw new MalformedCallbackError(`${at} must be an object`);
      switch (route ?? detect(entry, at)) {
        case 'delivery':
          return deliveryReport(entry, at);
        case 'seen':
          return seenReport(entry, at);
        case 'inbound':
          return inboundReport(entry, at);
      }
    });
  }

  private authenticate(headers: WebhookRequest['headers']): void {
    const candidates: string[] = [];
    const authorization = headerValue(headers, 'authorization');
    const scheme = authorization ? /^(?:App|Bearer)\s+(.+?)\s*$/i.exec(authorization) : null;
    if (scheme?.[1]) candidates.push(scheme[1]);
    const explicit = headerValue(headers, 'x-webhook-secret');
    if (explicit) candidates.push(explicit.trim());
    // Every candidate is compared, so which header held the secret does not show in the timing.
    let ok = false;
    for (const c of candidates) ok = this.matches(c) || ok;
    if (!ok) throw new CallbackAuthError(candidates.length === 0 ? 'webhook secret missing' : 'webhook secret does not match');
  }

  private matches(candidate: string): boolean {
    const given = Buffer.from(candidate, 'utf8');
    return given.length === this.secret.length && timingSafeEqual(given, this.secret);
  }
}

/** For a webhook URL without a path: the three report kinds have distinct required fields. */
function detect(entry: Json, at: string): Kind {
  if ('status' in entry) return 'delivery';
  if ('seenAt' in entry) return 'seen';
  if ('receivedAt' in entry) return 'inbound';
  throw new MalformedCallbackError(`${at} is neither a delivery report, a seen report nor an inbound message`);
}

/** Our attempt ids are UUIDs and go out as Infobip's messageId; anything else is an id Infobip chose. */
function matchFor(messageId: string): ReportMatch {
  return UUID_RE.test(messageId) ? { attemptId: messageId } : { provider: 'INFOBIP', providerMessageId: messageId };
}

function deliveryReport(entry: Json, at: string): ProviderReport {
  const messageId = requiredString(entry, 'messageId', at);
  const status = toMessageStatus(entry.status);
  if (!status) throw new MalformedCallbackError(`${at}.status is not an Infobip status we know or can keep`);
  let error: MessageError | null = null;
  if (entry.error !== undefined && entry.error !== null) {
    error = toMessageError(entry.error);
    if (!error) throw new MalformedCallbackError(`${at}.error is not an Infobip error object`);
  }
  const doneAt = entry.doneAt === undefined || entry.doneAt === null ? null : requiredTime(entry, 'doneAt', at);
  return { kind: 'status', match: matchFor(messageId), status, error, doneAt };
}

function seenReport(entry: Json, at: string): ProviderReport {
  const messageId = requiredString(entry, 'messageId', at);
  return { kind: 'seen', match: matchFor(messageId), seenAt: requiredTime(entry, 'seenAt', at) };
}

function inboundReport(entry: Json, at: string): ProviderReport {
  const viber = isRecord(entry.message) || entry.integrationType === 'VIBER';
  // Viber inbound names the user `sender`; inbound SMS names it `from`.
  const fromField = viber && entry.sender !== undefined ? 'sender' : 'from';
  const paired = entry.pairedMessageId;
  return {
    kind: 'inbound',
    provider: 'INFOBIP',
    channel: viber ? 'VIBER' : 'SMS',
    providerMessageId: requiredString(entry, 'messageId', at),
    from: toE164(requiredString(entry, fromField, at), `${at}.${fromField}`),
    // Our own sender as Infobip knows it (a number or a Viber sender name), kept as it came.
    to: requiredString(entry, 'to', at),
    receivedAt: requiredTime(entry, 'receivedAt', at),
    content: viber ? viberContent(entry.message, `${at}.message`) : { type: 'TEXT', text: requiredText(entry, 'text', at) },
    replyTo: typeof paired === 'string' && paired !== '' ? matchFor(paired) : null,
  };
}

function viberContent(raw: unknown, at: string): InboundContent {
  if (!isRecord(raw)) throw new MalformedCallbackError(`${at} must be an object`);
  const optionalText = (k: string): string | null => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : null);
  switch (raw.type) {
    case 'TEXT':
      return { type: 'TEXT', text: requiredText(raw, 'text', at) };
    case 'IMAGE':
      return { type: 'IMAGE', url: requiredString(raw, 'url', at), text: optionalText('caption') ?? optionalText('text') };
    case 'VIDEO':
      return { type: 'VIDEO', url: requiredString(raw, 'url', at) };
    case 'AUDIO':
      return { type: 'AUDIO', url: requiredString(raw, 'url', at) };
    case 'FILE':
      return { type: 'FILE', url: requiredString(raw, 'url', at), fileName: optionalText('fileName') };
    case 'STICKER':
      return {
        type: 'STICKER',
        url: optionalText('url'),
        stickerId: Number.isInteger(raw.stickerId) ? (raw.stickerId as number) : null,
      };
    case 'LOCATION':
      return { type: 'LOCATION', latitude: requiredNumber(raw, 'latitude', at), longitude: requiredNumber(raw, 'longitude', at) };
    case 'CONTACT':
      return { type: 'CONTACT', name: requiredString(raw, 'name', at), phoneNumber: optionalText('phoneNumber') };
    default:
      throw new MalformedCallbackError(`${at}.type ${JSON.stringify(raw.type)} is not an Infobip Viber message type`);
  }
}

/** Infobip writes numbers as international digits without '+'; we store E.164. */
function toE164(value: string, at: string): string {
  const digits = value.replace(/[\s().-]/g, '');
  if (!/^\+?[1-9]\d{3,14}$/.test(digits)) throw new MalformedCallbackError(`${at} is not an international phone number`);
  return digits.startsWith('+') ? digits : `+${digits}`;
}

const INFOBIP_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Infobip's `2019-11-09T16:00:00.000+0000`: the offset has no colon, which Date.parse does not reliably
 * accept, so the instant is computed from the fields. Impossible dates (30 Feb) are refused.
 */
export function parseInfobipTime(value: string): Date | null {
  const m = INFOBIP_TIME_RE.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const zone = m[8] ?? 'Z';
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return null;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000);
}

function requiredString(o: Json, key: string, at: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new MalformedCallbackError(`${at}.${key} must be a non-empty string`);
  return v;
}

/** Message text may legitimately be empty (an SMS with only a keyword); it must still be a string. */
function requiredText(o: Json, key: string, at: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new MalformedCallbackError(`${at}.${key} must be a string`);
  return v;
}

function requiredNumber(o: Json, key: string, at: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MalformedCallbackError(`${at}.${key} must be a number`);
  return v;
}

function requiredTime(o: Json, key: string, at: string): Date {
  const v = o[key];
  const d = typeof v === 'string' ? parseInfobipTime(v) : null;
  if (!d) throw new MalformedCallbackError(`${at}.${key} must be an Infobip timestamp like 2019-11-09T16:00:00.000+0000`);
  return d;
}
