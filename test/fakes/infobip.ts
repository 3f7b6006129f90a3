/**
 * Fake Infobip HTTP API: Viber Business Messages (`POST /viber/2/messages`) and SMS
 * (`POST /sms/3/messages`, `POST /sms/2/text/advanced`), per docs/providers.md (Infobip).
 * Point the client's Infobip base URL at `fake.baseUrl`.
 */
import {
  charLength,
  headerValue,
  isAbsent,
  isHttpUrl,
  isObject,
  jsonReply,
  postJson,
  toRawJson,
} from './fake-server.js';
import type { FakeReply, FieldProblem, Json, PostResult, RecordedRequest } from './fake-server.js';
import { ScriptedFakeServer } from './scripted-server.js';

export interface InfobipStatus {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
}

export interface InfobipError {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
  permanent: boolean;
}

const st = (groupId: number, groupName: string, id: number, name: string, description: string): InfobipStatus => ({
  groupId,
  groupName,
  id,
  name,
  description,
});

export const INFOBIP_STATUS = {
  MESSAGE_ACCEPTED: st(0, 'ACCEPTED', 0, 'MESSAGE_ACCEPTED', 'Message accepted'),
  PENDING_ACCEPTED: st(1, 'PENDING', 26, 'PENDING_ACCEPTED', 'Message sent to next instance'),
  PENDING_WAITING_DELIVERY: st(1, 'PENDING', 3, 'PENDING_WAITING_DELIVERY', 'Message sent, waiting for delivery report'),
  PENDING_ENROUTE: st(1, 'PENDING', 7, 'PENDING_ENROUTE', 'Message sent to next instance'),
  UNDELIVERABLE_REJECTED_OPERATOR: st(2, 'UNDELIVERABLE', 4, 'UNDELIVERABLE_REJECTED_OPERATOR', 'Message rejected by operator'),
  UNDELIVERABLE_NOT_DELIVERED: st(2, 'UNDELIVERABLE', 9, 'UNDELIVERABLE_NOT_DELIVERED', 'Message sent not delivered'),
  DELIVERED_TO_OPERATOR: st(3, 'DELIVERED', 2, 'DELIVERED_TO_OPERATOR', 'Message delivered to operator'),
  DELIVERED_TO_HANDSET: st(3, 'DELIVERED', 5, 'DELIVERED_TO_HANDSET', 'Message delivered to handset'),
  EXPIRED_EXPIRED: st(4, 'EXPIRED', 15, 'EXPIRED_EXPIRED', 'Message expired'),
  EXPIRED_DLR_UNKNOWN: st(4, 'EXPIRED', 29, 'EXPIRED_DLR_UNKNOWN', 'Message expired, delivery report unknown'),
  REJECTED_NETWORK: st(5, 'REJECTED', 6, 'REJECTED_NETWORK', 'Network is forbidden'),
  REJECTED_PREFIX_MISSING: st(5, 'REJECTED', 8, 'REJECTED_PREFIX_MISSING', 'Number prefix missing'),
  REJECTED_DND: st(5, 'REJECTED', 10, 'REJECTED_DND', 'Destination on DND list'),
  REJECTED_SOURCE: st(5, 'REJECTED', 11, 'REJECTED_SOURCE', 'Invalid source address'),
  REJECTED_NOT_ENOUGH_CREDITS: st(5, 'REJECTED', 12, 'REJECTED_NOT_ENOUGH_CREDITS', 'Not enough credits'),
  REJECTED_SENDER: st(5, 'REJECTED', 13, 'REJECTED_SENDER', 'Sender is not allowed'),
  REJECTED_DESTINATION: st(5, 'REJECTED', 14, 'REJECTED_DESTINATION', 'Destination is not allowed'),
  REJECTED_DESTINATION_NOT_REGISTERED: st(5, 'REJECTED', 18, 'REJECTED_DESTINATION_NOT_REGISTERED', 'Destination not registered'),
  REJECTED_ROUTE_NOT_AVAILABLE: st(5, 'REJECTED', 19, 'REJECTED_ROUTE_NOT_AVAILABLE', 'Route not available'),
  REJECTED_FLOODING_FILTER: st(5, 'REJECTED', 20, 'REJECTED_FLOODING_FILTER', 'Rejected by flooding filter'),
  REJECTED_SYSTEM_ERROR: st(5, 'REJECTED', 21, 'REJECTED_SYSTEM_ERROR', 'System error'),
  REJECTED_DUPLICATE_MESSAGE_ID: st(5, 'REJECTED', 23, 'REJECTED_DUPLICATE_MESSAGE_ID', 'Duplicate message id'),
  REJECTED_MESSAGE_TOO_LONG: st(5, 'REJECTED', 25, 'REJECTED_MESSAGE_TOO_LONG', 'Message too long'),
  MISSING_TO: st(5, 'REJECTED', 51, 'MISSING_TO', 'Missing destination'),
  REJECTED_INVALID_DESTINATION: st(5, 'REJECTED', 52, 'REJECTED_INVALID_DESTINATION', 'Invalid destination address'),
} as const satisfies Record<string, InfobipStatus>;

export const INFOBIP_ERROR = {
  NO_ERROR: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
  EC_UNKNOWN_SUBSCRIBER: {
    groupId: 1,
    groupName: 'HANDSET_ERRORS',
    id: 1,
    name: 'EC_UNKNOWN_SUBSCRIBER',
    description: 'Unknown Subscriber',
    permanent: true,
  },
  EC_ABSENT_SUBSCRIBER_SM: {
    groupId: 1,
    groupName: 'HANDSET_ERRORS',
    id: 6,
    name: 'EC_ABSENT_SUBSCRIBER_SM',
    description: 'Absent Subscriber',
    permanent: false,
  },
  EC_ABSENT_SUBSCRIBER: {
    groupId: 1,
    groupName: 'HANDSET_ERRORS',
    id: 27,
    name: 'EC_ABSENT_SUBSCRIBER',
    description: 'Absent Subscriber',
    permanent: false,
  },
  EC_VALIDITYEXPIRED: {
    groupId: 2,
    groupName: 'USER_ERRORS',
    id: 4101,
    name: 'EC_VALIDITYEXPIRED',
    description: 'Validity expired',
    permanent: false,
  },
} as const satisfies Record<string, InfobipError>;

/**
 * Per-destination outcome:
 * - `'accept'`: PENDING_ACCEPTED entry
 * - `'reject'` / `{ reject: status }`: HTTP 200, the destination's entry carries a REJECTED status
 * - `{ httpStatus, retryAfter? }`: the whole request fails with that HTTP status and the requestError shape
 *   (`Retry-After: <seconds>` header when given); `body` overrides the raw body
 * - `{ hangMs, then? }`: hold the response, then answer per `then` (default accept); the messages count as
 *   sent either way, like a response lost on the way back. `Infinity` never answers.
 */
export type InfobipOutcome =
  | 'accept'
  | 'reject'
  | { reject: InfobipStatus }
  | { httpStatus: number; retryAfter?: number; body?: string }
  | { hangMs: number; then?: InfobipOutcome }
  /** Takes the message (it counts as sent) and then closes the connection without answering. */
  | { dropAfterMs: number };

export type InfobipApi = 'viber/2' | 'sms/3' | 'sms/2';

export interface InfobipSentMessage {
  at: number;
  api: InfobipApi;
  channel: 'VIBER' | 'SMS';
  bulkId: string;
  messageId: string;
  to: string;
  sender: string | undefined;
  /** Viber: the content object; SMS v3: content; SMS v2: `{ text }`. */
  content: Json;
  callbackData: string | undefined;
  /** webhooks.delivery.url (v3/viber) or notifyUrl (v2), if the client gave one. */
  deliveryUrl: string | undefined;
  status: InfobipStatus;
  /** The request's message entry as parsed. */
  message: Json;
  requestIndex: number;
}

export interface FakeInfobipOptions {
  apiKey: string;
  /** Headers added to every callback (e.g. the `Authorization` configured for the webhook). */
  callbackHeaders?: Record<string, string>;
  /** Field naming the destination in SMS send responses. Infobip documents `to`; default 'to'. */
  smsResponseDestinationField?: 'to' | 'destination';
}

export interface InfobipCallbackOptions {
  /** Replaces the constructor's callbackHeaders for this call. */
  headers?: Record<string, string>;
}

export interface InfobipCallbackResult extends PostResult {
  url: string;
  rawBody: string;
}

export interface DeliveryReportInput {
  messageId: string;
  to: string;
  bulkId?: string;
  sender?: string;
  sentAt?: Date | string;
  doneAt?: Date | string;
  messageCount?: number;
  mccMnc?: string;
  callbackData?: string;
  price?: { pricePerMessage: number; currency: string };
  status?: InfobipStatus;
  error?: InfobipError;
  /** Included when set; Viber reports carry `"channel":"VIBER"`. */
  channel?: string;
  /** `v2` (SMS v2) writes `from`/`smsCount` instead of `sender`/`messageCount`. Default v3. */
  format?: 'v3' | 'v2';
}

export interface InboundSmsInput {
  from: string;
  to: string;
  text: string;
  messageId?: string;
  cleanText?: string;
  keyword?: string;
  receivedAt?: Date | string;
  smsCount?: number;
  price?: { pricePerMessage: number; currency: string };
  callbackData?: string;
}

export type InfobipInboundViberMessage =
  | { type: 'TEXT'; text: string; trackingData?: string }
  | { type: 'IMAGE' | 'VIDEO' | 'AUDIO' | 'STICKER'; url: string; caption?: string; thumbnailUrl?: string }
  | { type: 'FILE'; url: string; fileName: string }
  | { type: 'LOCATION'; latitude: number; longitude: number }
  | { type: 'CONTACT'; name: string; phoneNumber: string };

export interface InboundViberInput {
  sender: string;
  to: string;
  message: InfobipInboundViberMessage;
  messageId?: string;
  pairedMessageId?: string;
  callbackData?: string;
  receivedAt?: Date | string;
  price?: { pricePerMessage: number; currency: string };
}

export interface SeenReportInput {
  messageId: string;
  from: string;
  to: string;
  sentAt?: Date | string;
  seenAt?: Date | string;
}

/** Infobip timestamps: `2019-11-09T16:00:00.000+0000` (numeric offset, not `Z`). */
export function infobipTime(d: Date | string = new Date()): string {
  if (typeof d === 'string') return d;
  return d.toISOString().replace('Z', '+0000');
}

export function infobipErrorBody(messageId: string, text: string, validationErrors?: Record<string, string[]>): Json {
  return {
    requestError: {
      serviceException: validationErrors ? { messageId, text, validationErrors } : { messageId, text },
    },
  };
}

export function deliveryReport(input: DeliveryReportInput): Json {
  const v2 = input.format === 'v2';
  return {
    bulkId: input.bulkId,
    messageId: input.messageId,
    to: input.to,
    [v2 ? 'from' : 'sender']: input.sender,
    sentAt: infobipTime(input.sentAt),
    doneAt: infobipTime(input.doneAt),
    [v2 ? 'smsCount' : 'messageCount']: input.messageCount ?? 1,
    mccMnc: input.mccMnc ?? '22801',
    callbackData: input.callbackData,
    price: input.price ?? { pricePerMessage: 0.01, currency: 'EUR' },
    status: input.status ?? INFOBIP_STATUS.DELIVERED_TO_HANDSET,
    error: input.error ?? INFOBIP_ERROR.NO_ERROR,
    channel: input.channel,
  };
}

const VIBER_CONTENT_TYPES = new Set(['TEXT', 'IMAGE', 'VIDEO', 'FILE', 'LIST', 'CAROUSEL', 'OTP_TEMPLATE']);
const VALIDITY_UNITS: Record<string, number> = { SECONDS: 1, MINUTES: 60, HOURS: 3600 };
const SPEED_UNITS = new Set(['MINUTE', 'HOUR', 'DAY']);
const MAX_VALIDITY_SECONDS = 48 * 3600;
// International format without '+': country code never starts with 0.
const TO_RE = /^[1-9]\d{5,14}$/;

/** Scripts are keyed by destination `to` (international digits without '+'). */
export class FakeInfobip extends ScriptedFakeServer<InfobipOutcome, InfobipSentMessage> {
  readonly apiKey: string;
  private readonly callbackHeaders: Record<string, string>;
  private readonly smsDestinationField: 'to' | 'destination';
  private seq = 0;

  constructor(options: FakeInfobipOptions) {
    super('accept');
    this.apiKey = options.apiKey;
    this.callbackHeaders = options.callbackHeaders ?? {};
    this.smsDestinationField = options.smsResponseDestinationField ?? 'to';
  }

  private newId(prefix: string): string {
    this.seq += 1;
    return `${prefix}-${Date.now().toString(36)}-${this.seq}`;
  }

  /** While set, log queries answer this HTTP status instead of the logs (a provider that cannot be asked). */
  logsFailWith: number | null = null;

  /**
   * Outbound message logs, `GET /sms/3/logs` and `GET /viber/2/logs` (kept 48 h by Infobip), filtered by
   * one or more `messageId` parameters: one entry per message this fake accepted on that channel.
   */
  private logs(req: RecordedRequest, channel: 'SMS' | 'VIBER'): FakeReply {
    if (this.logsFailWith !== null) return jsonReply(this.logsFailWith, infobipErrorBody('GENERAL_ERROR', 'Something went wrong.'));
    const wanted = req.query.messageId;
    const ids = new Set(wanted === undefined ? [] : Array.isArray(wanted) ? wanted : [wanted]);
    const results = this.sent
      .filter((m) => m.channel === channel && (ids.size === 0 || ids.has(m.messageId)))
      .map((m) => ({
        sender: m.sender,
        destination: m.to,
        bulkId: m.bulkId,
        messageId: m.messageId,
        sentAt: infobipTime(new Date(m.at)),
        doneAt: infobipTime(new Date(m.at)),
        messageCount: 1,
        status: m.status,
        error: INFOBIP_ERROR.NO_ERROR,
        ...(channel === 'VIBER' ? { channel: 'VIBER' } : {}),
      }));
    return jsonReply(200, { results });
  }

  protected handle(req: RecordedRequest, index: number): FakeReply {
    if (req.method === 'GET' && (req.path === '/sms/3/logs' || req.path === '/viber/2/logs')) {
      const auth = headerValue(req.headers, 'authorization');
      if (auth !== `App ${this.apiKey}`) return jsonReply(401, infobipErrorBody('UNAUTHORIZED', 'Invalid login details'));
      return this.logs(req, req.path === '/sms/3/logs' ? 'SMS' : 'VIBER');
    }
    const api: InfobipApi | undefined =
      req.path === '/viber/2/messages'
        ? 'viber/2'
        : req.path === '/sms/3/messages'
          ? 'sms/3'
          : req.path === '/sms/2/text/advanced'
            ? 'sms/2'
            : undefined;
    if (api === undefined) {
      this.violate(index, [{ field: '(request)', problem: `unknown path ${req.method} ${req.path}` }]);
      return jsonReply(404, infobipErrorBody('NOT_FOUND', 'Requested URL not found.'));
    }
    const auth = headerValue(req.headers, 'authorization');
    const m = auth ? /^App\s+(.+)$/i.exec(auth) : null;
    if (!m || m[1] !== this.apiKey) {
      this.violate(index, [{ field: 'Authorization', problem: auth ? 'wrong API key or scheme (expected "App <apiKey>")' : 'header missing' }]);
      return jsonReply(401, infobipErrorBody('UNAUTHORIZED', 'Invalid login details'));
    }
    if (req.method !== 'POST') {
      this.violate(index, [{ field: '(request)', problem: `method ${req.method}; sending is POST` }]);
      return jsonReply(405, infobipErrorBody('METHOD_NOT_ALLOWED', 'Method not allowed'));
    }
    const contentType = headerValue(req.headers, 'content-type') ?? '';
    const problems: FieldProblem[] = [];
    if (!/application\/json/i.test(contentType))
      problems.push({ field: '(request)', problem: `Content-Type ${JSON.stringify(contentType)}; expected application/json` });
    if (!isObject(req.body)) {
      problems.push({ field: '(body)', problem: req.parseError ? `not JSON: ${req.parseError}` : 'must be a JSON object' });
    } else if (api === 'viber/2') {
      problems.push(...validateViberBody(req.body));
    } else if (api === 'sms/3') {
      problems.push(...validateSmsV3Body(req.body));
    } else {
      problems.push(...validateSmsV2Body(req.body));
    }
    if (problems.length > 0) {
      this.violate(index, problems);
      const validationErrors: Record<string, string[]> = {};
      for (const p of problems) (validationErrors[p.field] ??= []).push(p.problem);
      return jsonReply(400, infobipErrorBody('BAD_REQUEST', 'Bad request', validationErrors));
    }
    return this.accept(api, req.body as Json, index);
  }

  private accept(api: InfobipApi, body: Json, index: number): FakeReply {
    const messages = body.messages as Json[];
    const bulkId =
      (api === 'sms/2' ? (body.bulkId as string | undefined) : undefined) ??
      ((isObject(body.options) && isObject(body.options.schedule) ? body.options.schedule.bulkId : undefined) as
        | string
        | undefined) ??
      this.newId('BULK');

    const planned: { msg: Json; dest: Json; outcome: InfobipOutcome }[] = [];
    for (const msg of messages) {
      for (const dest of msg.destinations as Json[]) {
        planned.push({ msg, dest, outcome: this.outcomeFor(dest.to as string) });
      }
    }
    const requestLevel = planned.find(
      (p) => typeof p.outcome === 'object' && ('httpStatus' in p.outcome || 'hangMs' in p.outcome || 'dropAfterMs' in p.outcome),
    )?.outcome;

    const succeed = (): FakeReply => {
      const entries: Json[] = [];
      for (const { msg, dest, outcome } of planned) {
        const rejectWith =
          outcome === 'reject'
            ? api === 'viber/2'
              ? INFOBIP_STATUS.REJECTED_DESTINATION_NOT_REGISTERED
              : INFOBIP_STATUS.REJECTED_DESTINATION
            : typeof outcome === 'object' && 'reject' in outcome
              ? outcome.reject
              : undefined;
        const status = rejectWith ?? INFOBIP_STATUS.PENDING_ACCEPTED;
        const messageId = (dest.messageId as string | undefined) ?? this.newId('MSG');
        const to = dest.to as string;
        const webhooks = isObject(msg.webhooks) ? msg.webhooks : undefined;
        const content: Json =
          api === 'sms/2' ? { text: msg.text } : ((msg.content as Json | undefined) ?? {});
        this.sent.push({
          at: Date.now(),
          api,
          channel: api === 'viber/2' ? 'VIBER' : 'SMS',
          bulkId,
          messageId,
          to,
          sender: (api === 'sms/2' ? msg.from : msg.sender) as string | undefined,
          content,
          callbackData: (api === 'sms/2' ? msg.callbackData : webhooks?.callbackData) as string | undefined,
          deliveryUrl: (api === 'sms/2'
            ? msg.notifyUrl
            : isObject(webhooks?.delivery)
              ? webhooks.delivery.url
              : undefined) as string | undefined,
          status,
          message: msg,
          requestIndex: index,
        });
        if (api === 'viber/2') entries.push({ messageId, status, destination: to });
        else if (api === 'sms/2') entries.push({ to, status, messageId });
        else if (this.smsDestinationField === 'to') entries.push({ to, messageId, status });
        else entries.push({ messageId, status, destination: to });
      }
      return jsonReply(200, { bulkId, messages: entries });
    };
    return requestLevel ? this.applyRequestOutcome(requestLevel, succeed) : succeed();
  }

  private applyRequestOutcome(outcome: InfobipOutcome, succeed: () => FakeReply): FakeReply {
    if (typeof outcome !== 'object' || 'reject' in outcome) return succeed();
    if ('dropAfterMs' in outcome) {
      succeed();
      return { status: 0, delayMs: outcome.dropAfterMs, drop: true };
    }
    if ('hangMs' in outcome) {
      const then = outcome.then === undefined ? succeed() : this.applyRequestOutcome(outcome.then, succeed);
      return { ...then, delayMs: outcome.hangMs };
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (outcome.retryAfter !== undefined) headers['retry-after'] = String(outcome.retryAfter);
    if (outcome.body !== undefined) return { status: outcome.httpStatus, headers, body: outcome.body };
    const [id, text] = httpErrorText(outcome.httpStatus);
    return jsonReply(outcome.httpStatus, infobipErrorBody(id, text), headers);
  }

  // -------------------------------------------------------------------------------------------------
  // Callbacks (Infobip → client webhooks)

  private post(url: string, value: Json, opts: InfobipCallbackOptions): Promise<InfobipCallbackResult> {
    return postRaw(url, value, opts.headers ?? this.callbackHeaders);
  }

  /** POST `{"results":[...]}` with fully built report entries (see `deliveryReport`, `deliveryReportFor`). */
  postDeliveryReports(url: string, results: Json[], opts: InfobipCallbackOptions = {}): Promise<InfobipCallbackResult> {
    return this.post(url, { results }, opts);
  }

  /** Report entry for a message this fake accepted, filling ids, sender, callbackData and channel from it. */
  deliveryReportFor(sent: InfobipSentMessage, overrides: Partial<DeliveryReportInput> = {}): Json {
    return deliveryReport({
      bulkId: sent.bulkId,
      messageId: sent.messageId,
      to: sent.to,
      sender: sent.sender,
      callbackData: sent.callbackData,
      ...(sent.channel === 'VIBER' ? { channel: 'VIBER' } : {}),
      ...(sent.api === 'sms/2' ? { format: 'v2' as const } : {}),
      ...overrides,
    });
  }

  /**
   * POSTs a delivery report for one accepted message to `url`, or to the delivery URL from its request.
   * Default status DELIVERED_TO_HANDSET with NO_ERROR.
   */
  deliver(
    sent: InfobipSentMessage,
    overrides: Partial<DeliveryReportInput> & { url?: string } = {},
    opts: InfobipCallbackOptions = {},
  ): Promise<InfobipCallbackResult> {
    const { url, ...rest } = overrides;
    const target = url ?? sent.deliveryUrl;
    if (!target) throw new Error(`no delivery URL for message ${sent.messageId}; pass overrides.url`);
    return this.postDeliveryReports(target, [this.deliveryReportFor(sent, rest)], opts);
  }

  postInboundSms(url: string, messages: InboundSmsInput[], opts: InfobipCallbackOptions = {}): Promise<InfobipCallbackResult> {
    const results = messages.map((m) => ({
      messageId: m.messageId ?? this.newId('MO'),
      from: m.from,
      to: m.to,
      text: m.text,
      cleanText: m.cleanText ?? m.text,
      keyword: m.keyword ?? '',
      receivedAt: infobipTime(m.receivedAt),
      smsCount: m.smsCount ?? 1,
      price: m.price ?? { pricePerMessage: 0, currency: 'EUR' },
      callbackData: m.callbackData,
    }));
    return this.post(url, { results, messageCount: results.length, pendingMessageCount: 0 }, opts);
  }

  postInboundViber(url: string, messages: InboundViberInput[], opts: InfobipCallbackOptions = {}): Promise<InfobipCallbackResult> {
    const results = messages.map((m) => ({
      sender: m.sender,
      to: m.to,
      integrationType: 'VIBER',
      receivedAt: infobipTime(m.receivedAt),
      messageId: m.messageId ?? this.newId('MO'),
      pairedMessageId: m.pairedMessageId,
      callbackData: m.callbackData,
      message: m.message,
      price: m.price ?? { pricePerMessage: 0, currency: 'EUR' },
    }));
    return this.post(url, { results }, opts);
  }

  postSeenReports(url: string, reports: SeenReportInput[], opts: InfobipCallbackOptions = {}): Promise<InfobipCallbackResult> {
    const results = reports.map((r) => ({
      messageId: r.messageId,
      from: r.from,
      to: r.to,
      sentAt: infobipTime(r.sentAt),
      seenAt: infobipTime(r.seenAt),
    }));
    return this.post(url, { results }, opts);
  }
}

async function postRaw(url: string, value: Json, headers: Record<string, string>): Promise<InfobipCallbackResult> {
  const rawBody = toRawJson(value);
  const res = await postJson(url, rawBody, headers);
  return { ...res, url, rawBody };
}

function httpErrorText(status: number): [string, string] {
  if (status === 429) return ['TOO_MANY_REQUESTS', 'Too many requests'];
  if (status === 401) return ['UNAUTHORIZED', 'Invalid login details'];
  if (status === 403) return ['FORBIDDEN', 'Forbidden'];
  if (status === 400) return ['BAD_REQUEST', 'Bad request'];
  if (status === 404) return ['NOT_FOUND', 'Requested URL not found.'];
  return ['GENERAL_ERROR', 'Something went wrong. Please contact support.'];
}

// ---------------------------------------------------------------------------------------------------
// Request validation (docs/providers.md, Infobip: request body)

type Add = (field: string, problem: string) => void;

function collector(): [FieldProblem[], Add] {
  const p: FieldProblem[] = [];
  return [p, (field, problem) => p.push({ field, problem })];
}

function checkMessagesArray(body: Json, add: Add): Json[] | undefined {
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    add('messages', 'required non-empty array');
    return undefined;
  }
  const out: Json[] = [];
  body.messages.forEach((m, i) => {
    if (!isObject(m)) add(`messages[${i}]`, 'must be an object');
    else out.push(m);
  });
  return out.length === body.messages.length ? out : undefined;
}

function checkDestinations(msg: Json, path: string, add: Add): void {
  const d = msg.destinations;
  if (!Array.isArray(d) || d.length === 0) {
    add(`${path}.destinations`, 'required non-empty array');
    return;
  }
  d.forEach((dest, j) => {
    const dp = `${path}.destinations[${j}]`;
    if (!isObject(dest)) {
      add(dp, 'must be an object');
      return;
    }
    if (typeof dest.to !== 'string' || dest.to === '') add(`${dp}.to`, 'required string');
    else if (!TO_RE.test(dest.to))
      add(`${dp}.to`, `${JSON.stringify(dest.to)} is not an international number without '+' (digits only)`);
    if (!isAbsent(dest.messageId) && (typeof dest.messageId !== 'string' || dest.messageId === ''))
      add(`${dp}.messageId`, 'must be a non-empty string');
  });
}

function checkValidityPeriod(v: unknown, path: string, add: Add): void {
  if (isAbsent(v)) return;
  if (!isObject(v)) {
    add(path, 'must be an object {amount, timeUnit}');
    return;
  }
  if (!Number.isInteger(v.amount) || (v.amount as number) <= 0) add(`${path}.amount`, 'must be a positive integer');
  const unit = v.timeUnit ?? 'MINUTES';
  const secs = typeof unit === 'string' ? VALIDITY_UNITS[unit] : undefined;
  if (secs === undefined) add(`${path}.timeUnit`, `must be SECONDS, MINUTES or HOURS, got ${JSON.stringify(v.timeUnit)}`);
  else if (Number.isInteger(v.amount) && (v.amount as number) * secs > MAX_VALIDITY_SECONDS)
    add(path, 'longer than the 48 hour maximum');
}

function checkOptionalString(v: unknown, path: string, add: Add, max?: number): void {
  if (isAbsent(v)) return;
  if (typeof v !== 'string') add(path, 'must be a string');
  else if (max !== undefined && charLength(v) > max) add(path, `${charLength(v)} chars; max ${max}`);
}

function checkWebhooks(w: unknown, path: string, add: Add): void {
  if (isAbsent(w)) return;
  if (!isObject(w)) {
    add(path, 'must be an object');
    return;
  }
  for (const k of ['delivery', 'seen'] as const) {
    const hook = w[k];
    if (isAbsent(hook)) continue;
    if (!isObject(hook)) add(`${path}.${k}`, 'must be an object {url}');
    else if (!isAbsent(hook.url) && !isHttpUrl(hook.url)) add(`${path}.${k}.url`, 'must be an http(s) URL');
  }
  checkOptionalString(w.callbackData, `${path}.callbackData`, add, 4000);
}

function checkSchedule(options: unknown, add: Add): void {
  if (isAbsent(options)) return;
  if (!isObject(options)) {
    add('options', 'must be an object');
    return;
  }
  const s = options.schedule;
  if (isAbsent(s)) return;
  if (!isObject(s)) {
    add('options.schedule', 'must be an object');
    return;
  }
  checkOptionalString(s.bulkId, 'options.schedule.bulkId', add);
  checkSpeedLimit(s.sendingSpeedLimit, 'options.schedule.sendingSpeedLimit', add);
}

function checkSpeedLimit(l: unknown, path: string, add: Add): void {
  if (isAbsent(l)) return;
  if (!isObject(l)) {
    add(path, 'must be an object {amount, timeUnit}');
    return;
  }
  if (!Number.isInteger(l.amount) || (l.amount as number) <= 0) add(`${path}.amount`, 'must be a positive integer');
  if (!isAbsent(l.timeUnit) && !(typeof l.timeUnit === 'string' && SPEED_UNITS.has(l.timeUnit)))
    add(`${path}.timeUnit`, 'must be MINUTE, HOUR or DAY');
}

/** `options.platform` (CPaaS X): an object of optional string ids. */
function checkPlatform(v: unknown, path: string, add: Add): void {
  if (isAbsent(v)) return;
  if (!isObject(v)) {
    add(path, 'must be an object {entityId, applicationId}');
    return;
  }
  checkOptionalString(v.entityId, `${path}.entityId`, add);
  checkOptionalString(v.applicationId, `${path}.applicationId`, add);
}

function checkButton(b: unknown, path: string, add: Add): void {
  if (isAbsent(b)) return;
  if (!isObject(b)) {
    add(path, 'must be an object {title, action}');
    return;
  }
  if (typeof b.title !== 'string' || b.title === '') add(`${path}.title`, 'required non-empty string');
  else if (charLength(b.title) > 20) add(`${path}.title`, `${charLength(b.title)} chars; max 20`);
  if (typeof b.action !== 'string' || b.action === '') add(`${path}.action`, 'required');
  else if (!isHttpUrl(b.action)) add(`${path}.action`, 'must be an http(s) URL');
}

export function validateViberBody(body: Json): FieldProblem[] {
  const [p, add] = collector();
  const messages = checkMessagesArray(body, add);
  checkSchedule(body.options, add);
  messages?.forEach((m, i) => {
    const mp = `messages[${i}]`;
    if (typeof m.sender !== 'string' || m.sender === '') add(`${mp}.sender`, 'required non-empty string');
    checkDestinations(m, mp, add);
    const c = m.content;
    if (!isObject(c)) add(`${mp}.content`, 'required object');
    else {
      const cp = `${mp}.content`;
      if (typeof c.type !== 'string' || !VIBER_CONTENT_TYPES.has(c.type))
        add(`${cp}.type`, `must be one of ${[...VIBER_CONTENT_TYPES].join('|')}, got ${JSON.stringify(c.type)}`);
      else {
        const reqUrl = (k: string) => {
          if (isAbsent(c[k]) || c[k] === '') add(`${cp}.${k}`, 'required');
          else if (!isHttpUrl(c[k])) add(`${cp}.${k}`, 'must be an http(s) URL');
        };
        switch (c.type) {
          case 'TEXT':
            if (typeof c.text !== 'string' || c.text === '') add(`${cp}.text`, 'required non-empty string');
            else if (charLength(c.text) > 1000) add(`${cp}.text`, `${charLength(c.text)} chars; max 1000`);
            checkButton(c.button, `${cp}.button`, add);
            break;
          case 'IMAGE':
            reqUrl('mediaUrl');
            checkOptionalString(c.text, `${cp}.text`, add, 1000);
            checkButton(c.button, `${cp}.button`, add);
            break;
          case 'VIDEO':
            reqUrl('mediaUrl');
            reqUrl('thumbnailUrl');
            if (!Number.isInteger(c.mediaDuration) || (c.mediaDuration as number) < 1 || (c.mediaDuration as number) > 600)
              add(`${cp}.mediaDuration`, 'required integer 1..600 (seconds)');
            checkOptionalString(c.text, `${cp}.text`, add, 1000);
            checkOptionalString(c.buttonTitle, `${cp}.buttonTitle`, add, 20);
            break;
          case 'FILE':
            reqUrl('mediaUrl');
            if (typeof c.filename !== 'string' || c.filename === '') add(`${cp}.filename`, 'required non-empty string');
            break;
          default:
            checkOptionalString(c.text, `${cp}.text`, add, 1000);
        }
      }
    }
    const o = m.options;
    if (!isAbsent(o)) {
      if (!isObject(o)) add(`${mp}.options`, 'must be an object');
      else {
        checkValidityPeriod(o.validityPeriod, `${mp}.options.validityPeriod`, add);
        checkPlatform(o.platform, `${mp}.options.platform`, add);
        if (!isAbsent(o.label) && o.label !== 'PROMOTIONAL' && o.label !== 'TRANSACTIONAL')
          add(`${mp}.options.label`, 'must be PROMOTIONAL or TRANSACTIONAL');
        const f = o.smsFailover;
        if (!isAbsent(f)) {
          if (!isObject(f)) add(`${mp}.options.smsFailover`, 'must be an object');
          else {
            if (typeof f.sender !== 'string' || f.sender === '') add(`${mp}.options.smsFailover.sender`, 'required non-empty string');
            if (typeof f.text !== 'string' || f.text === '') add(`${mp}.options.smsFailover.text`, 'required non-empty string');
            checkValidityPeriod(f.validityPeriod, `${mp}.options.smsFailover.validityPeriod`, add);
          }
        }
      }
    }
    checkWebhooks(m.webhooks, `${mp}.webhooks`, add);
  });
  return p;
}

export function validateSmsV3Body(body: Json): FieldProblem[] {
  const [p, add] = collector();
  const messages = checkMessagesArray(body, add);
  checkSchedule(body.options, add);
  for (const legacy of ['bulkId', 'sendingSpeedLimit'] as const) {
    if (body[legacy] !== undefined) add(legacy, `v2 field; v3 uses options.schedule.${legacy}`);
  }
  messages?.forEach((m, i) => {
    const mp = `messages[${i}]`;
    // v3 renamed these; a client mixing versions would silently lose them.
    const renamed: Record<string, string> = {
      from: 'sender',
      text: 'content.text',
      validityPeriod: 'options.validityPeriod{amount,timeUnit}',
      notifyUrl: 'webhooks.delivery.url',
      callbackData: 'webhooks.callbackData',
    };
    for (const [old, now] of Object.entries(renamed)) {
      if (m[old] !== undefined) add(`${mp}.${old}`, `v2 field; v3 uses ${now}`);
    }
    checkOptionalString(m.sender, `${mp}.sender`, add);
    checkDestinations(m, mp, add);
    const c = m.content;
    if (!isObject(c)) add(`${mp}.content`, 'required object {text}');
    else if (typeof c.text !== 'string' || c.text === '') add(`${mp}.content.text`, 'required non-empty string');
    const o = m.options;
    if (!isAbsent(o)) {
      if (!isObject(o)) add(`${mp}.options`, 'must be an object');
      else {
        checkValidityPeriod(o.validityPeriod, `${mp}.options.validityPeriod`, add);
        checkPlatform(o.platform, `${mp}.options.platform`, add);
      }
    }
    checkWebhooks(m.webhooks, `${mp}.webhooks`, add);
  });
  return p;
}

export function validateSmsV2Body(body: Json): FieldProblem[] {
  const [p, add] = collector();
  const messages = checkMessagesArray(body, add);
  checkOptionalString(body.bulkId, 'bulkId', add);
  checkSpeedLimit(body.sendingSpeedLimit, 'sendingSpeedLimit', add);
  messages?.forEach((m, i) => {
    const mp = `messages[${i}]`;
    checkOptionalString(m.from, `${mp}.from`, add);
    checkDestinations(m, mp, add);
    if (typeof m.text !== 'string' || m.text === '') add(`${mp}.text`, 'required non-empty string');
    if (!isAbsent(m.validityPeriod) && !(Number.isInteger(m.validityPeriod) && (m.validityPeriod as number) >= 1 && (m.validityPeriod as number) <= 2880))
      add(`${mp}.validityPeriod`, 'must be an integer number of minutes, 1..2880');
    if (!isAbsent(m.notifyUrl) && !isHttpUrl(m.notifyUrl)) add(`${mp}.notifyUrl`, 'must be an http(s) URL');
    checkOptionalString(m.callbackData, `${mp}.callbackData`, add, 4000);
  });
  return p;
}
