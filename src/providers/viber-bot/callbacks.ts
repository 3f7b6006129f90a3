/**
 * Viber REST Bot API callbacks (docs/providers.md, Viber bot: callbacks) → provider reports.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { InboundContent } from '../../domain/content.js';
import { CallbackAuthError, MalformedCallbackError } from '../types.js';
import type { CallbackParser, ProviderReport, ReportMatch, ViberUser, WebhookRequest } from '../types.js';
import { VIBER_DELIVERED, viberFailed } from './status-map.js';
import { headerValue } from '../callback-headers.js';
import { idString, isRecord, parseExactJson } from '../wire-json.js';

export interface ViberBotCallbacksOptions {
  /** The bot's auth token: Viber signs callbacks with it. */
  authToken: string;
  /** What inbound reports carry as `to` (Viber callbacks do not name the bot). Default ''. */
  botId?: string;
}

type Obj = Record<string, unknown>;

// Our tracking_data is the attemptId, a UUID; anything else (another sender's tracking data, a reply to
// a message sent outside Omnigate) must not be looked up as an attempt id.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export class ViberBotCallbacks implements CallbackParser {
  private readonly authToken: string;
  private readonly botId: string;

  constructor(options: ViberBotCallbacksOptions) {
    this.authToken = options.authToken;
    this.botId = options.botId ?? '';
  }

  parse(request: WebhookRequest): ProviderReport[] {
    this.verify(request);
    const body = parseBody(request.rawBody);
    const event = body.event;
    if (typeof event !== 'string') throw new MalformedCallbackError('Viber callback without an event');

    switch (event) {
      case 'webhook':
        return [{ kind: 'ping' }];
      case 'delivered':
        return [{ kind: 'status', match: matchOf(body), ...VIBER_DELIVERED, doneAt: timestampOf(body) }];
      case 'failed':
        return [{ kind: 'status', match: matchOf(body), ...viberFailed(optionalString(body.desc)), doneAt: timestampOf(body) }];
      case 'seen':
        return [{ kind: 'seen', match: matchOf(body), seenAt: timestampOf(body) }];
      case 'subscribed':
        return [{ kind: 'subscriber', event, user: userOf(body.user, 'user'), subscribed: true, at: timestampOf(body) }];
      case 'conversation_started':
        return [
          {
            kind: 'subscriber',
            event,
            user: userOf(body.user, 'user'),
            subscribed: typeof body.subscribed === 'boolean' ? body.subscribed : null,
            at: timestampOf(body),
          },
        ];
      case 'unsubscribed': {
        const id = body.user_id;
        if (typeof id !== 'string' || id === '') throw new MalformedCallbackError('Viber unsubscribed callback without user_id');
        return [{ kind: 'subscriber', event, user: { id }, subscribed: false, at: timestampOf(body) }];
      }
      case 'message':
        return this.inbound(body);
      default:
        // Viber adds event types over time (client_status, action, …). A 400 would make Viber retry the
        // callback for an hour, so an event we do not use is acknowledged and ignored.
        return [];
    }
  }

  /**
   * The header is authoritative; `?sig=` is honoured only when the header is absent, so a forged query
   * cannot stand in for a wrong header.
   */
  private verify(request: WebhookRequest): void {
    const header = headerValue(request.headers, 'x-viber-content-signature');
    const given = header ?? request.query.get('sig');
    if (given === null) throw new CallbackAuthError('Viber callback without X-Viber-Content-Signature');
    const expected = createHmac('sha256', this.authToken).update(request.rawBody).digest();
    const trimmed = given.trim();
    // timingSafeEqual throws on unequal lengths; a well-formed hex digest has exactly the expected length.
    const ok = HEX_SHA256.test(trimmed) && timingSafeEqual(Buffer.from(trimmed, 'hex'), expected);
    if (!ok) throw new CallbackAuthError('Viber callback signature does not match');
  }

  private inbound(body: Obj): ProviderReport[] {
    const providerMessageId = idString(body.message_token);
    if (providerMessageId === null) throw new MalformedCallbackError('Viber message callback without message_token');
    const sender = userOf(body.sender, 'sender');
    const message = body.message;
    if (!isRecord(message)) throw new MalformedCallbackError('Viber message callback without message');
    const content = inboundContent(message);
    if (content === null) return [];
    const tracking = message.tracking_data;
    const replyTo: ReportMatch | null = typeof tracking === 'string' && UUID.test(tracking) ? { attemptId: tracking.toLowerCase() } : null;
    return [
      {
        kind: 'inbound',
        provider: 'VIBER_BOT',
        channel: 'VIBER',
        providerMessageId,
        from: sender.id,
        to: this.botId,
        receivedAt: timestampOf(body),
        content,
        replyTo,
        viberUser: sender,
      },
    ];
  }
}

/** Incoming media use the send-side field names. null: a type we cannot represent, ignored. */
function inboundContent(m: Obj): InboundContent | null {
  const type = m.type;
  if (typeof type !== 'string') throw new MalformedCallbackError('Viber message without a type');
  const text = optionalString(m.text);
  switch (type) {
    case 'text':
      if (typeof m.text !== 'string') throw new MalformedCallbackError('Viber text message without text');
      return { type: 'TEXT', text: m.text };
    case 'picture':
      return { type: 'IMAGE', url: media(m, type), text };
    case 'video':
      return { type: 'VIDEO', url: media(m, type), sizeBytes: optionalNumber(m.size), durationSeconds: optionalNumber(m.duration) };
    case 'file':
      return { type: 'FILE', url: media(m, type), fileName: optionalString(m.file_name), sizeBytes: optionalNumber(m.size) };
    case 'audio':
      return { type: 'AUDIO', url: media(m, type), durationSeconds: optionalNumber(m.duration) };
    case 'sticker':
      return { type: 'STICKER', stickerId: optionalNumber(m.sticker_id), url: optionalString(m.media) };
    case 'contact': {
      const c = m.contact;
      if (!isRecord(c) || typeof c.name !== 'string') throw new MalformedCallbackError('Viber contact message without contact.name');
      return { type: 'CONTACT', name: c.name, phoneNumber: optionalString(c.phone_number) };
    }
    case 'location': {
      const l: Obj = isRecord(m.location) ? m.location : {};
      const latitude = optionalNumber(l.lat);
      const longitude = optionalNumber(l.lon);
      if (latitude === null || longitude === null) throw new MalformedCallbackError('Viber location message without lat/lon');
      return { type: 'LOCATION', latitude, longitude, address: optionalString(l.address) ?? text };
    }
    case 'url':
      // A shared link is read as text: what the user wrote with it if anything, else the link itself.
      return { type: 'TEXT', text: text ?? media(m, type) };
    default:
      // A type Viber added later: keep what the user wrote when there is text, else there is nothing to store.
      return text === null ? null : { type: 'TEXT', text };
  }
}

function parseBody(raw: Buffer): Obj {
  let json: unknown;
  try {
    json = parseExactJson(raw.toString('utf8'));
  } catch {
    throw new MalformedCallbackError('Viber callback body is not valid JSON');
  }
  if (!isRecord(json)) throw new MalformedCallbackError('Viber callback body is not a JSON object');
  return json;
}

function matchOf(body: Obj): ReportMatch {
  const token = idString(body.message_token);
  if (token === null) throw new MalformedCallbackError(`Viber ${String(body.event)} callback without message_token`);
  return { provider: 'VIBER_BOT', providerMessageId: token };
}

function timestampOf(body: Obj): Date {
  const ms = optionalNumber(body.timestamp);
  if (ms === null) throw new MalformedCallbackError(`Viber ${String(body.event)} callback without timestamp`);
  const at = new Date(ms);
  if (Number.isNaN(at.getTime())) throw new MalformedCallbackError(`Viber ${String(body.event)} callback with an impossible timestamp`);
  return at;
}

function userOf(value: unknown, field: string): ViberUser {
  if (!isRecord(value) || typeof value.id !== 'string' || value.id === '') {
    throw new MalformedCallbackError(`Viber callback without ${field}.id`);
  }
  return {
    id: value.id,
    name: optionalString(value.name),
    avatar: optionalString(value.avatar),
    country: optionalString(value.country),
    language: optionalString(value.language),
    apiVersion: optionalNumber(value.api_version),
  };
}

function media(m: Obj, type: string): string {
  if (typeof m.media !== 'string' || m.media === '') throw new MalformedCallbackError(`Viber ${type} message without media`);
  return m.media;
}

function optionalString(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** json-bigint keeps any number literal of 16+ characters as a string, long decimals included. */
function optionalNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return Number(v);
  return null;
}
