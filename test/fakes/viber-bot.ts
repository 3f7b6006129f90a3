/**
 * Fake Viber REST Bot API (`https://chatapi.viber.com/pa/...`), per docs/providers.md (Viber bot).
 * Point the client at `fake.apiBase` (== `${baseUrl}/pa`).
 */
import { createHmac } from 'node:crypto';
import {
  charLength,
  headerValue,
  isAbsent,
  isHttpUrl,
  isLoopbackUrl,
  isObject,
  jsonReply,
  postJson,
  toRawJson,
} from './fake-server.js';
import type { FakeReply, FieldProblem, Json, PostResult, RecordedRequest } from './fake-server.js';
import { ScriptedFakeServer } from './scripted-server.js';

export const VIBER_STATUS_MESSAGES: Readonly<Record<number, string>> = {
  0: 'ok',
  1: 'invalidUrl',
  2: 'invalidAuthToken',
  3: 'badData',
  4: 'missingData',
  5: 'receiverNotRegistered',
  6: 'receiverNotSubscribed',
  7: 'publicAccountBlocked',
  8: 'publicAccountNotFound',
  9: 'publicAccountSuspended',
  10: 'webhookNotSet',
  11: 'receiverNoSuitableDevice',
  12: 'tooManyRequests',
  13: 'apiVersionNotSupported',
  14: 'incompatibleWithVersion',
  15: 'publicAccountNotAuthorized',
  16: 'inchatReplyMessageNotAllowed',
  17: 'publicAccountIsNotInline',
  18: 'noPublicChat',
  19: 'cannotSendBroadcast',
  20: 'broadcastNotAllowed',
};

export const VIBER_MESSAGE_TYPES = [
  'text',
  'picture',
  'video',
  'file',
  'contact',
  'location',
  'url',
  'sticker',
  'rich_media',
] as const;
export type ViberMessageType = (typeof VIBER_MESSAGE_TYPES)[number];

export const VIBER_EVENT_TYPES = [
  'delivered',
  'seen',
  'failed',
  'subscribed',
  'unsubscribed',
  'conversation_started',
  'message',
] as const;

const DEFAULT_WEBHOOK_EVENT_TYPES = ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'];
const BUTTON_ACTION_TYPES = new Set(['reply', 'open-url', 'location-picker', 'share-phone', 'none']);
const MAX_REQUEST_BYTES = 30 * 1024;

/**
 * What the fake answers for a receiver:
 * - `'accept'`: `{"status":0,"status_message":"ok","message_token":<bare int > 2^53>,...}`
 * - `{ status }`: HTTP 200 with that Viber status (5 receiverNotRegistered, 6 receiverNotSubscribed, 12 tooManyRequests…)
 * - `{ httpStatus }`: that HTTP status with `body` (default empty), e.g. a 503 from the edge
 * - `{ hangMs }`: hold the response, then answer with `then` (default accept); `Infinity` never answers
 */
export type ViberOutcome =
  | 'accept'
  | { status: number; statusMessage?: string }
  | { httpStatus: number; body?: string; headers?: Record<string, string> }
  | { hangMs: number; then?: ViberOutcome };

export interface ViberAccountInfo {
  id: string;
  name: string;
  uri: string;
  icon: string;
  background: string;
  category: string;
  subcategory: string;
  location: { lon: number; lat: number };
  country: string;
  subscribers_count: number;
  members: { id: string; name: string; avatar?: string; role: string }[];
}

export interface FakeViberBotOptions {
  authToken: string;
  account?: Partial<ViberAccountInfo>;
  /** Like the real API, set_webhook first POSTs a signed `webhook` event to the URL and fails with status 1 unless it gets HTTP 200. Only done for loopback URLs. Default true. */
  verifyWebhookOnSet?: boolean;
  /** Treat `rich_media` without `min_api_version >= 2` as badData. Default true. */
  requireRichMediaMinApiVersion?: boolean;
  /** First message_token handed out (increments by one). Default 5_000_000_000_000_000_001n. */
  firstMessageToken?: bigint;
}

/** One message the fake accepted (or attempted, for broadcast failures) — what a test asserts on. */
export interface ViberSentMessage {
  at: number;
  endpoint: 'send_message' | 'broadcast_message';
  receiver: string;
  /** Decimal string; the wire value is a bare integer beyond 2^53. */
  messageToken: string;
  type: string | undefined;
  body: Json;
  requestIndex: number;
}

export interface ViberUser {
  id: string;
  name?: string;
  avatar?: string;
  country?: string;
  language?: string;
  api_version?: number;
}

/** Inbound message bodies use the same field names as send_message. */
export type ViberInboundMessage =
  | { type: 'text'; text: string }
  | { type: 'picture'; media: string; thumbnail?: string; text?: string; file_name?: string; size?: number }
  | { type: 'video'; media: string; thumbnail?: string; size?: number; duration?: number; text?: string }
  | { type: 'file'; media: string; size: number; file_name: string }
  | { type: 'sticker'; sticker_id: number; media?: string }
  | { type: 'contact'; contact: { name: string; phone_number: string; avatar?: string } }
  | { type: 'location'; location: { lat: number; lon: number }; text?: string }
  | { type: 'url'; media: string; text?: string };

export interface ViberCallbackOptions {
  /** `valid` (default): correct header; `wrong`: HMAC with another key; `none`: no signature; `query`: only `?sig=` on the URL. */
  signature?: 'valid' | 'wrong' | 'none' | 'query';
  /** Epoch milliseconds; default Date.now(). */
  timestamp?: number;
  /** Default: a fresh token beyond 2^53. */
  messageToken?: bigint | string;
  headers?: Record<string, string>;
  /** Extra top-level fields appended after the documented ones (e.g. `chat_hostname`), to test tolerance. */
  extra?: Json;
}

export interface ViberCallbackResult extends PostResult {
  url: string;
  rawBody: string;
  /** The signature that was sent (header or query), if any. */
  signature: string | undefined;
  messageToken: string | undefined;
}

const DEFAULT_USER: Omit<ViberUser, 'id'> = {
  name: 'John McClane',
  avatar: 'http://avatar.example.com',
  country: 'UK',
  language: 'en',
  api_version: 1,
};

export function viberSignature(rawBody: string, authToken: string): string {
  return createHmac('sha256', authToken).update(Buffer.from(rawBody, 'utf8')).digest('hex');
}

/** Scripts are keyed by receiver (the subscriber's Viber user id). */
export class FakeViberBot extends ScriptedFakeServer<ViberOutcome, ViberSentMessage> {
  readonly authToken: string;
  /** Webhook state as set through /pa/set_webhook ('' when removed). */
  webhook = '';
  eventTypes: string[] = [...DEFAULT_WEBHOOK_EVENT_TYPES];
  private readonly options: Required<Omit<FakeViberBotOptions, 'account' | 'firstMessageToken'>>;
  private readonly account: ViberAccountInfo;
  private nextToken: bigint;

  constructor(options: FakeViberBotOptions) {
    super('accept');
    this.authToken = options.authToken;
    this.options = {
      authToken: options.authToken,
      verifyWebhookOnSet: options.verifyWebhookOnSet ?? true,
      requireRichMediaMinApiVersion: options.requireRichMediaMinApiVersion ?? true,
    };
    this.nextToken = options.firstMessageToken ?? 5_000_000_000_000_000_001n;
    this.account = {
      id: 'pa:75346594275468546724',
      name: 'Fake Bot',
      uri: 'fakebot',
      icon: 'http://example.com/icon.png',
      background: 'http://example.com/bg.png',
      category: 'category',
      subcategory: 'sub category',
      location: { lon: 0.1, lat: 0.2 },
      country: 'UK',
      subscribers_count: 35,
      members: [{ id: '01234567890A=', name: 'my name', avatar: 'http://example.com', role: 'admin' }],
      ...options.account,
    };
  }

  /** Base URL to configure as the Viber API root (`…/pa`). */
  get apiBase(): string {
    return `${this.baseUrl}/pa`;
  }

  /** Next token the fake will hand out (bigint) — also used for callbacks without an explicit token. */
  newMessageToken(): bigint {
    const t = this.nextToken;
    this.nextToken += 1n;
    return t;
  }

  protected async handle(req: RecordedRequest, index: number): Promise<FakeReply> {
    const endpoint = req.path.startsWith('/pa/') ? req.path.slice('/pa/'.length) : undefined;
    if (endpoint === undefined) {
      this.violate(index, [{ field: '(request)', problem: `unknown path ${req.path}; Viber endpoints live under /pa/` }]);
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
    }
    const token = headerValue(req.headers, 'x-viber-auth-token');
    if (req.method !== 'POST') {
      this.violate(index, [{ field: '(request)', problem: `method ${req.method}; every Viber call is POST` }]);
      return statusReply(2);
    }
    if (token !== this.authToken) {
      this.violate(index, [
        { field: 'X-Viber-Auth-Token', problem: token === undefined ? 'header missing' : 'does not match the bot token' },
      ]);
      return statusReply(2);
    }
    if (Buffer.byteLength(req.rawBody) > MAX_REQUEST_BYTES) {
      this.violate(index, [{ field: '(request)', problem: `body is ${Buffer.byteLength(req.rawBody)} bytes; max 30 KB` }]);
      return statusReply(3);
    }
    if (!isObject(req.body)) {
      this.violate(index, [{ field: '(body)', problem: req.parseError ? `not JSON: ${req.parseError}` : 'must be a JSON object' }]);
      return statusReply(3);
    }
    const body = req.body;
    switch (endpoint) {
      case 'send_message':
        return this.sendMessage(body, index);
      case 'broadcast_message':
        return this.broadcast(body, index);
      case 'set_webhook':
        return this.setWebhook(body, index);
      case 'get_account_info':
        return jsonReply(200, {
          status: 0,
          status_message: 'ok',
          ...this.account,
          webhook: this.webhook,
          event_types: this.eventTypes,
        });
      default:
        this.violate(index, [{ field: '(request)', problem: `endpoint /pa/${endpoint} is not implemented by the fake` }]);
        return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
    }
  }

  private async sendMessage(body: Json, index: number): Promise<FakeReply> {
    const problems = validateViberMessage(body, {
      recipient: 'receiver',
      requireRichMediaMinApiVersion: this.options.requireRichMediaMinApiVersion,
    });
    if (problems.length > 0) {
      this.violate(index, problems);
      return statusReply(3);
    }
    const receiver = body.receiver as string;
    return this.applyOutcome(this.outcomeFor(receiver), () => {
      const token = this.newMessageToken();
      this.sent.push({
        at: Date.now(),
        endpoint: 'send_message',
        receiver,
        messageToken: token.toString(),
        type: typeof body.type === 'string' ? body.type : undefined,
        body,
        requestIndex: index,
      });
      return jsonReply(200, {
        status: 0,
        status_message: 'ok',
        message_token: token,
        chat_hostname: 'SN-CHAT-05_',
        billing_status: 1,
      });
    });
  }

  private async broadcast(body: Json, index: number): Promise<FakeReply> {
    const problems = validateViberMessage(body, {
      recipient: 'broadcast_list',
      requireRichMediaMinApiVersion: this.options.requireRichMediaMinApiVersion,
    });
    if (problems.length > 0) {
      this.violate(index, problems);
      return statusReply(3);
    }
    const receivers = body.broadcast_list as string[];
    const outcomes = receivers.map((r) => [r, this.outcomeFor(r)] as const);
    // A request-level outcome (HTTP error, hang) on any receiver affects the whole call.
    const requestLevel = outcomes.find(([, o]) => typeof o === 'object' && !('status' in o));
    const run = (): FakeReply => {
      const token = this.newMessageToken();
      const failed: Json[] = [];
      for (const [receiver, o] of outcomes) {
        const st = typeof o === 'object' && 'status' in o ? o : undefined;
        if (st && st.status !== 0) {
          failed.push({
            receiver,
            status: st.status,
            status_message: st.statusMessage ?? VIBER_STATUS_MESSAGES[st.status] ?? 'generalError',
          });
        } else {
          this.sent.push({
            at: Date.now(),
            endpoint: 'broadcast_message',
            receiver,
            messageToken: token.toString(),
            type: typeof body.type === 'string' ? body.type : undefined,
            body,
            requestIndex: index,
          });
        }
      }
      return jsonReply(200, { message_token: token, status: 0, status_message: 'ok', failed_list: failed });
    };
    return requestLevel ? this.applyOutcome(requestLevel[1], run) : run();
  }

  private applyOutcome(outcome: ViberOutcome, accept: () => FakeReply): FakeReply {
    if (outcome === 'accept') return accept();
    if ('hangMs' in outcome) {
      const then = this.applyOutcome(outcome.then ?? 'accept', accept);
      return { ...then, delayMs: outcome.hangMs };
    }
    if ('httpStatus' in outcome) {
      return { status: outcome.httpStatus, headers: outcome.headers ?? {}, body: outcome.body ?? '' };
    }
    if (outcome.status === 0) return accept();
    return statusReply(outcome.status, outcome.statusMessage);
  }

  private async setWebhook(body: Json, index: number): Promise<FakeReply> {
    const problems: FieldProblem[] = [];
    if (typeof body.url !== 'string') problems.push({ field: 'url', problem: 'required string' });
    else if (body.url !== '' && !isHttpUrl(body.url)) problems.push({ field: 'url', problem: 'not an http(s) URL' });
    if (!isAbsent(body.event_types)) {
      if (!Array.isArray(body.event_types)) problems.push({ field: 'event_types', problem: 'must be an array' });
      else
        body.event_types.forEach((e, i) => {
          if (!(VIBER_EVENT_TYPES as readonly unknown[]).includes(e))
            problems.push({ field: `event_types[${i}]`, problem: `unknown event type ${JSON.stringify(e)}` });
        });
    }
    for (const f of ['send_name', 'send_photo'] as const) {
      if (!isAbsent(body[f]) && typeof body[f] !== 'boolean') problems.push({ field: f, problem: 'must be boolean' });
    }
    if (problems.length > 0) {
      this.violate(index, problems);
      return statusReply(3);
    }
    const url = body.url as string;
    if (url === '') {
      this.webhook = '';
      return jsonReply(200, { status: 0, status_message: 'ok' });
    }
    // Real Viber also insists on https with a valid certificate; tests run plain http on loopback.
    if (this.options.verifyWebhookOnSet && isLoopbackUrl(url)) {
      try {
        const res = await this.callbackWebhook(url);
        if (res.status !== 200) return statusReply(1);
      } catch {
        return statusReply(1);
      }
    }
    this.webhook = url;
    this.eventTypes = Array.isArray(body.event_types)
      ? (body.event_types as string[])
      : [...DEFAULT_WEBHOOK_EVENT_TYPES];
    return jsonReply(200, { status: 0, status_message: 'ok', chat_hostname: 'SN-CHAT-05_', event_types: this.eventTypes });
  }

  // -------------------------------------------------------------------------------------------------
  // Callbacks (Viber → webhook). Field order follows the documented examples.

  /** POSTs an already-built event object (bigint values become bare integers) and signs the raw bytes. */
  async postEvent(url: string, event: Json, opts: ViberCallbackOptions = {}): Promise<ViberCallbackResult> {
    const rawBody = toRawJson(opts.extra ? { ...event, ...opts.extra } : event);
    const mode = opts.signature ?? 'valid';
    const key = mode === 'wrong' ? `wrong-${this.authToken}` : this.authToken;
    const signature = mode === 'none' ? undefined : viberSignature(rawBody, key);
    const headers: Record<string, string> = { ...opts.headers };
    let target = url;
    if (mode === 'query' && signature) {
      const u = new URL(url);
      u.searchParams.set('sig', signature);
      target = u.toString();
    } else if (signature) {
      headers['X-Viber-Content-Signature'] = signature;
    }
    const res = await postJson(target, rawBody, headers);
    const mt = event.message_token;
    return {
      ...res,
      url: target,
      rawBody,
      signature,
      messageToken: mt === undefined ? undefined : String(mt),
    };
  }

  private tokenOf(opts: ViberCallbackOptions): bigint {
    return opts.messageToken === undefined ? this.newMessageToken() : BigInt(opts.messageToken);
  }

  callbackMessage(
    url: string,
    input: { user: ViberUser; message: ViberInboundMessage; trackingData?: string; silent?: boolean },
    opts: ViberCallbackOptions = {},
  ): Promise<ViberCallbackResult> {
    return this.postEvent(
      url,
      {
        event: 'message',
        timestamp: opts.timestamp ?? Date.now(),
        message_token: this.tokenOf(opts),
        sender: userObject(input.user),
        message: { ...input.message, tracking_data: input.trackingData },
        silent: input.silent ?? false,
      },
      opts,
    );
  }

  callbackConversationStarted(
    url: string,
    input: { user: ViberUser; type?: 'open'; context?: string; subscribed?: boolean },
    opts: ViberCallbackOptions = {},
  ): Promise<ViberCallbackResult> {
    return this.postEvent(
      url,
      {
        event: 'conversation_started',
        timestamp: opts.timestamp ?? Date.now(),
        message_token: this.tokenOf(opts),
        type: input.type ?? 'open',
        context: input.context,
        user: userObject(input.user),
        subscribed: input.subscribed ?? false,
      },
      opts,
    );
  }

  callbackSubscribed(url: string, input: { user: ViberUser }, opts: ViberCallbackOptions = {}): Promise<ViberCallbackResult> {
    return this.postEvent(
      url,
      {
        event: 'subscribed',
        timestamp: opts.timestamp ?? Date.now(),
        user: userObject(input.user),
        message_token: this.tokenOf(opts),
      },
      opts,
    );
  }

  callbackUnsubscribed(url: string, input: { userId: string }, opts: ViberCallbackOptions = {}): Promise<ViberCallbackResult> {
    return this.postEvent(
      url,
      {
        event: 'unsubscribed',
        timestamp: opts.timestamp ?? Date.now(),
        user_id: input.userId,
        message_token: this.tokenOf(opts),
      },
      opts,
    );
  }

  /** `messageToken` is the token returned by send_message (decimal string or bigint). */
  callbackDelivered(
    url: string,
    input: { messageToken: bigint | string; userId: string },
    opts: ViberCallbackOptions = {},
  ): Promise<ViberCallbackResult> {
    return this.postEvent(
      url,
      {
        event: 'delivered',
        timestamp: opts.timestamp ?? Date.now(),
        message_token: BigInt(input.messageToken),
        user_id: input.userId,
      },
      opts,
    );
  }

  callbackSeen(
    url: string,
    input: { messageToken: bigint | string; userId: string },
    opts: ViberCallbackOptions = {},
  ): Promise<ViberCallbackResult> {
    return this.postEvent(
      url,
      {
        event: 'seen',
        timestamp: opts.timestamp ?? Date.now(),
        message_token: BigInt(input.messageToken),
        user_id: input.userId,
      },
      opts,
    );
  }

  callbackFailed(
    url: string,
    input: { messageToken: bigint | string; userId: string; desc?: string },
    opts: ViberCallbackOptions = {},
  ): Promise<ViberCallbackResult> {
    return this.postEvent(
      url,
      {
        event: 'failed',
        timestamp: opts.timestamp ?? Date.now(),
        message_token: BigInt(input.messageToken),
        user_id: input.userId,
        desc: input.desc ?? 'failure description',
      },
      opts,
    );
  }

  /** The check Viber sends right after set_webhook; the receiver must answer HTTP 200. */
  callbackWebhook(url: string, opts: ViberCallbackOptions = {}): Promise<ViberCallbackResult> {
    return this.postEvent(
      url,
      { event: 'webhook', timestamp: opts.timestamp ?? Date.now(), message_token: this.tokenOf(opts) },
      opts,
    );
  }
}

function statusReply(status: number, statusMessage?: string): FakeReply {
  return jsonReply(200, { status, status_message: statusMessage ?? VIBER_STATUS_MESSAGES[status] ?? 'generalError' });
}

function userObject(user: ViberUser): Json {
  const u = { ...DEFAULT_USER, ...user };
  return {
    id: u.id,
    name: u.name,
    avatar: u.avatar,
    country: u.country,
    language: u.language,
    api_version: u.api_version,
  };
}

// ---------------------------------------------------------------------------------------------------
// send_message / broadcast_message validation (docs/providers.md, Viber bot: send body).

export function validateViberMessage(
  body: Json,
  opts: { recipient: 'receiver' | 'broadcast_list'; requireRichMediaMinApiVersion: boolean },
): FieldProblem[] {
  const p: FieldProblem[] = [];
  const add = (field: string, problem: string) => p.push({ field, problem });

  if (opts.recipient === 'receiver') {
    if (typeof body.receiver !== 'string' || body.receiver === '') add('receiver', 'required non-empty string (a per-bot user id)');
  } else {
    const list = body.broadcast_list;
    if (!Array.isArray(list) || list.length === 0) add('broadcast_list', 'required non-empty array');
    else {
      if (list.length > 300) add('broadcast_list', `${list.length} receivers; max 300`);
      list.forEach((r, i) => {
        if (typeof r !== 'string' || r === '') add(`broadcast_list[${i}]`, 'must be a non-empty string');
      });
    }
  }

  if (!isObject(body.sender)) add('sender', 'required object with name');
  else {
    const name = body.sender.name;
    if (typeof name !== 'string' || name === '') add('sender.name', 'required non-empty string');
    else if (charLength(name) > 28) add('sender.name', `${charLength(name)} chars; max 28`);
    if (!isAbsent(body.sender.avatar) && typeof body.sender.avatar !== 'string') add('sender.avatar', 'must be a string URL');
  }

  // The official node SDK notes that null tracking_data is refused in production; it sends "" instead.
  if (body.tracking_data !== undefined) {
    if (typeof body.tracking_data !== 'string') add('tracking_data', 'must be a string (null is refused)');
    else if (charLength(body.tracking_data) > 4000) add('tracking_data', `${charLength(body.tracking_data)} chars; max 4000`);
  }

  const minApi = body.min_api_version;
  if (!isAbsent(minApi) && !(Number.isInteger(minApi) && (minApi as number) >= 1))
    add('min_api_version', 'must be an integer >= 1');

  if (!isAbsent(body.keyboard)) validateKeyboard(body.keyboard, 'keyboard', add);

  const type = body.type;
  if (isAbsent(type)) {
    // A keyboard may be sent on its own, without message content.
    if (isAbsent(body.keyboard)) add('type', 'required');
    return p;
  }
  if (typeof type !== 'string' || !(VIBER_MESSAGE_TYPES as readonly string[]).includes(type)) {
    add('type', `unknown message type ${JSON.stringify(type)}`);
    return p;
  }

  const requireUrl = (field: string, maxLen?: number) => {
    const v = body[field];
    if (isAbsent(v) || v === '') add(field, 'required');
    else if (!isHttpUrl(v)) add(field, 'must be an http(s) URL');
    else if (maxLen !== undefined && (v as string).length > maxLen) add(field, `${(v as string).length} chars; max ${maxLen}`);
  };
  const optionalUrl = (field: string) => {
    if (!isAbsent(body[field]) && !isHttpUrl(body[field])) add(field, 'must be an http(s) URL');
  };
  const optionalString = (field: string, max?: number) => {
    const v = body[field];
    if (isAbsent(v)) return;
    if (typeof v !== 'string') add(field, 'must be a string');
    else if (max !== undefined && charLength(v) > max) add(field, `${charLength(v)} chars; max ${max}`);
  };
  const requireInteger = (field: string) => {
    const v = body[field];
    if (isAbsent(v)) add(field, 'required');
    else if (!Number.isInteger(v) || (v as number) < 0) add(field, 'must be a non-negative integer');
  };

  switch (type as ViberMessageType) {
    case 'text':
      if (typeof body.text !== 'string' || body.text === '') add('text', 'required non-empty string');
      else if (charLength(body.text) > 7000) add('text', `${charLength(body.text)} chars; max 7000`);
      break;
    case 'picture':
      requireUrl('media');
      optionalString('text', 768);
      optionalUrl('thumbnail');
      break;
    case 'video':
      requireUrl('media');
      requireInteger('size');
      if (!isAbsent(body.duration) && !Number.isInteger(body.duration)) add('duration', 'must be an integer (seconds)');
      optionalUrl('thumbnail');
      optionalString('text', 7000);
      break;
    case 'file':
      requireUrl('media');
      requireInteger('size');
      if (typeof body.file_name !== 'string' || body.file_name === '') add('file_name', 'required non-empty string');
      else if (charLength(body.file_name) > 256) add('file_name', `${charLength(body.file_name)} chars; max 256`);
      break;
    case 'contact': {
      const c = body.contact;
      if (!isObject(c)) add('contact', 'required object {name, phone_number}');
      else {
        if (typeof c.name !== 'string' || c.name === '') add('contact.name', 'required non-empty string');
        if (typeof c.phone_number !== 'string' || c.phone_number === '') add('contact.phone_number', 'required non-empty string');
      }
      break;
    }
    case 'location': {
      const l = body.location;
      if (!isObject(l)) add('location', 'required object {lat, lon}');
      else {
        const lat = Number(l.lat);
        const lon = Number(l.lon);
        if (isAbsent(l.lat) || !Number.isFinite(lat) || Math.abs(lat) > 90) add('location.lat', 'required latitude -90..90');
        if (isAbsent(l.lon) || !Number.isFinite(lon) || Math.abs(lon) > 180) add('location.lon', 'required longitude -180..180');
      }
      break;
    }
    case 'url':
      requireUrl('media', 2000);
      break;
    case 'sticker':
      if (!Number.isInteger(body.sticker_id)) add('sticker_id', 'required integer');
      break;
    case 'rich_media':
      validateRichMedia(body.rich_media, add);
      optionalString('alt_text');
      if (opts.requireRichMediaMinApiVersion && !(Number.isInteger(minApi) && (minApi as number) >= 2))
        add('min_api_version', 'rich_media needs min_api_version >= 2');
      break;
  }
  return p;
}

type Add = (field: string, problem: string) => void;

function intInRange(v: unknown, lo: number, hi: number): boolean {
  return Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
}

function validateButtons(buttons: unknown, path: string, maxRows: number, add: Add): void {
  if (!Array.isArray(buttons) || buttons.length === 0) {
    add(`${path}.Buttons`, 'required non-empty array');
    return;
  }
  buttons.forEach((b, i) => {
    const bp = `${path}.Buttons[${i}]`;
    if (!isObject(b)) {
      add(bp, 'must be an object');
      return;
    }
    if (!isAbsent(b.Columns) && !intInRange(b.Columns, 1, 6)) add(`${bp}.Columns`, 'must be an integer 1..6');
    if (!isAbsent(b.Rows) && !intInRange(b.Rows, 1, maxRows)) add(`${bp}.Rows`, `must be an integer 1..${maxRows}`);
    const actionType = b.ActionType ?? 'reply';
    if (typeof actionType !== 'string' || !BUTTON_ACTION_TYPES.has(actionType))
      add(`${bp}.ActionType`, `unknown ActionType ${JSON.stringify(b.ActionType)}`);
    if (actionType !== 'none' && (typeof b.ActionBody !== 'string' || b.ActionBody === ''))
      add(`${bp}.ActionBody`, 'required non-empty string');
    if (actionType === 'open-url' && typeof b.ActionBody === 'string' && !isHttpUrl(b.ActionBody))
      add(`${bp}.ActionBody`, 'open-url needs an http(s) URL');
    if (!isAbsent(b.Image) && !isHttpUrl(b.Image)) add(`${bp}.Image`, 'must be an http(s) URL');
    if (!isAbsent(b.Text) && typeof b.Text !== 'string') add(`${bp}.Text`, 'must be a string');
  });
}

function validateKeyboard(kb: unknown, path: string, add: Add): void {
  if (!isObject(kb)) {
    add(path, 'must be an object');
    return;
  }
  if (kb.Type !== 'keyboard') add(`${path}.Type`, 'must be "keyboard"');
  if (!isAbsent(kb.DefaultHeight) && typeof kb.DefaultHeight !== 'boolean') add(`${path}.DefaultHeight`, 'must be boolean');
  validateButtons(kb.Buttons, path, 2, add);
}

function validateRichMedia(rm: unknown, add: Add): void {
  if (!isObject(rm)) {
    add('rich_media', 'required object');
    return;
  }
  if (rm.Type !== 'rich_media') add('rich_media.Type', 'must be "rich_media"');
  if (!isAbsent(rm.ButtonsGroupColumns) && !intInRange(rm.ButtonsGroupColumns, 1, 6))
    add('rich_media.ButtonsGroupColumns', 'must be an integer 1..6');
  if (!isAbsent(rm.ButtonsGroupRows) && !intInRange(rm.ButtonsGroupRows, 1, 7))
    add('rich_media.ButtonsGroupRows', 'must be an integer 1..7');
  validateButtons(rm.Buttons, 'rich_media', 7, add);
}
