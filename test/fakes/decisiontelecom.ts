/**
 * Fake DecisionTelecom Viber + SMS API (`https://web.it-decision.com/v1/api/...`), per
 * docs/providers.md (DecisionTelecom).
 * Point the client's DecisionTelecom base URL at `fake.baseUrl`.
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

export type DtErrorKind = 'rateLimit' | 'invalidParameter' | 'internal' | 'balance';

/** The documented error bodies. `name`/`message`/`code`/`status` is the framework's (Yii2) error shape. */
export function dtErrorBody(kind: DtErrorKind, param = 'text'): { name: string; message: string; code: number; status: number } {
  switch (kind) {
    case 'rateLimit':
      return { name: 'Too Many Requests', message: 'Rate limit exceeded', code: 0, status: 429 };
    case 'invalidParameter':
      return {
        name: `Invalid Parameter: ${param}`,
        message: 'Empty parameter or parameter validation error',
        code: 1,
        status: 400,
      };
    case 'internal':
      return {
        name: 'Internal server error',
        message: 'The server encountered an unexpected condition which prevented it from fulfilling the request',
        code: 2,
        status: 500,
      };
    case 'balance':
      return { name: 'Topup balance is required', message: 'User balance is empty', code: 3, status: 402 };
  }
}

// Assumption: the docs do not show the auth failure. The error shape above is Yii2's, whose HttpBasicAuth
// filter answers 401 with this body.
export const DT_UNAUTHORIZED_BODY = {
  name: 'Unauthorized',
  message: 'Your request was made with invalid credentials.',
  code: 0,
  status: 401,
} as const;

/** Viber status codes for receive-viber. */
export const DT_VIBER_STATUS = {
  sent: 0,
  delivered: 1,
  error: 2,
  rejected: 3,
  undelivered: 4,
  pending: 5,
  unknown: 20,
} as const;

/** SMS status codes for receive-viber (2/3/5 documented; 0 and 6 seen in the SDKs). */
export const DT_SMS_STATUS = { unknown: 0, delivered: 2, expired: 3, undeliverable: 5, accepted: 6 } as const;

export const DT_MESSAGE_TYPES = [106, 108, 206, 208] as const;

/**
 * Per-destination outcome for send-viber / send-sms:
 * - `'accept'`: `{"message_id":N}`
 * - `{ error }`: one of the documented error bodies (HTTP 200 unless `errorsAsHttpStatus`)
 * - `{ httpStatus, body? }`: a raw HTTP failure (e.g. 503 from the edge)
 * - `{ hangMs, then? }`: hold the response, then answer per `then` (default accept); the message counts as
 *   sent either way. `Infinity` never answers.
 */
export type DtOutcome =
  | 'accept'
  | { error: DtErrorKind; param?: string }
  | { httpStatus: number; body?: string }
  | { hangMs: number; then?: DtOutcome };

export interface DtViberStatus {
  status: number;
  smsMessageId?: number;
  smsMessageStatus?: number;
}

export interface DtSentMessage {
  at: number;
  kind: 'viber' | 'sms';
  messageId: number;
  /** destination_addr as digits, whether the client sent a number or a string. */
  destination: string;
  /** Whether destination_addr arrived as a JSON string (docs: number; SDKs: string). */
  destinationWasString: boolean;
  body: Json;
  requestIndex: number;
}

export interface FakeDecisionTelecomOptions {
  apiKey: string;
  /** Also accept `Basic base64("key:")` (the doc's PHP sample) besides the SDKs' `Basic base64("key")`. */
  acceptKeyColonForm?: boolean;
  /** Answer documented errors with their `status` as the HTTP code instead of HTTP 200. Default false. */
  errorsAsHttpStatus?: boolean;
  /** Enforce "transactional message + SMS – TTL only 40 seconds". Off by default: the doc's own samples send 3600. */
  enforceTransactionalSmsTtl?: boolean;
  firstMessageId?: number;
  firstSmsMessageId?: number;
  /** Headers added to every callback. */
  callbackHeaders?: Record<string, string>;
}

export interface DtCallbackOptions {
  headers?: Record<string, string>;
}

export interface DtCallbackResult extends PostResult {
  url: string;
  rawBody: string;
}

/** Scripts are keyed by destination (digits, as the client wrote them without '+'). */
export class FakeDecisionTelecom extends ScriptedFakeServer<DtOutcome, DtSentMessage> {
  readonly apiKey: string;
  private readonly opts: Required<Omit<FakeDecisionTelecomOptions, 'apiKey' | 'callbackHeaders'>>;
  private readonly callbackHeaders: Record<string, string>;
  private nextId: number;
  private nextSmsId: number;
  private statuses = new Map<number, DtViberStatus>();
  private nextToken = 44_444_444_444_444_444_444n;

  constructor(options: FakeDecisionTelecomOptions) {
    super('accept');
    this.apiKey = options.apiKey;
    this.opts = {
      acceptKeyColonForm: options.acceptKeyColonForm ?? false,
      errorsAsHttpStatus: options.errorsAsHttpStatus ?? false,
      enforceTransactionalSmsTtl: options.enforceTransactionalSmsTtl ?? false,
      firstMessageId: options.firstMessageId ?? 429,
      firstSmsMessageId: options.firstSmsMessageId ?? 36478,
    };
    this.callbackHeaders = options.callbackHeaders ?? {};
    this.nextId = this.opts.firstMessageId;
    this.nextSmsId = this.opts.firstSmsMessageId;
  }

  /** What receive-viber reports for `messageId` from now on (default after sending: status 0 "sent"). */
  setViberStatus(messageId: number, status: DtViberStatus): this {
    this.statuses.set(messageId, status);
    return this;
  }

  /** Allocates an SMS id, for scripting a Viber→SMS fallback in setViberStatus. */
  newSmsMessageId(): number {
    return this.nextSmsId++;
  }

  override reset(): void {
    super.reset();
    this.statuses.clear();
  }

  private errorReply(kind: DtErrorKind, param?: string): FakeReply {
    const body = dtErrorBody(kind, param);
    return jsonReply(this.opts.errorsAsHttpStatus ? body.status : 200, body);
  }

  private authorized(header: string | undefined): boolean {
    const m = header ? /^Basic\s+(\S+)$/i.exec(header) : null;
    if (!m) return false;
    const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
    if (decoded === this.apiKey) return true;
    return this.opts.acceptKeyColonForm && decoded === `${this.apiKey}:`;
  }

  protected handle(req: RecordedRequest, index: number): FakeReply {
    const route = ['/v1/api/send-viber', '/v1/api/receive-viber', '/v1/api/send-sms'].includes(req.path)
      ? req.path
      : undefined;
    if (route === undefined) {
      this.violate(index, [{ field: '(request)', problem: `unknown path ${req.method} ${req.path}` }]);
      return jsonReply(404, { name: 'Not Found', message: 'Page not found.', code: 0, status: 404 });
    }
    if (!this.authorized(headerValue(req.headers, 'authorization'))) {
      this.violate(index, [{ field: 'Authorization', problem: 'expected "Basic base64(<access key>)"' }]);
      return jsonReply(401, DT_UNAUTHORIZED_BODY);
    }
    if (req.method !== 'POST') {
      this.violate(index, [{ field: '(request)', problem: `method ${req.method}; the API is POST` }]);
      return jsonReply(405, { name: 'Method Not Allowed', message: 'Method Not Allowed.', code: 0, status: 405 });
    }
    if (!isObject(req.body)) {
      this.violate(index, [{ field: '(body)', problem: req.parseError ? `not JSON: ${req.parseError}` : 'must be a JSON object' }]);
      return this.errorReply('invalidParameter', 'body');
    }
    const body = req.body;
    if (route === '/v1/api/receive-viber') return this.receiveViber(body, index);

    const problems = route === '/v1/api/send-viber' ? this.validateSendViber(body) : validateSendSms(body);
    if (problems.length > 0) {
      this.violate(index, problems);
      // The API names one offending parameter per response.
      return this.errorReply('invalidParameter', (problems[0] as FieldProblem).field);
    }
    const kind = route === '/v1/api/send-viber' ? 'viber' : 'sms';
    const destination = String(body.destination_addr);
    return this.applyOutcome(this.outcomeFor(destination), () => {
      const messageId = kind === 'viber' ? this.nextId++ : this.nextSmsId++;
      this.sent.push({
        at: Date.now(),
        kind,
        messageId,
        destination,
        destinationWasString: typeof body.destination_addr === 'string',
        body,
        requestIndex: index,
      });
      if (kind === 'viber' && !this.statuses.has(messageId)) this.statuses.set(messageId, { status: DT_VIBER_STATUS.sent });
      return jsonReply(200, { message_id: messageId });
    });
  }

  private applyOutcome(outcome: DtOutcome, accept: () => FakeReply): FakeReply {
    if (outcome === 'accept') return accept();
    if ('hangMs' in outcome) return { ...this.applyOutcome(outcome.then ?? 'accept', accept), delayMs: outcome.hangMs };
    if ('httpStatus' in outcome) return { status: outcome.httpStatus, headers: { 'content-type': 'text/html' }, body: outcome.body ?? '' };
    return this.errorReply(outcome.error, outcome.param);
  }

  private receiveViber(body: Json, index: number): FakeReply {
    const id = body.message_id;
    if (!Number.isInteger(id)) {
      this.violate(index, [{ field: 'message_id', problem: 'required integer' }]);
      return this.errorReply('invalidParameter', 'message_id');
    }
    const s = this.statuses.get(id as number);
    if (!s) return this.errorReply('invalidParameter', 'message_id');
    const out: Json = { message_id: id, status: s.status };
    if (s.smsMessageId !== undefined) out.sms_message_id = s.smsMessageId;
    if (s.smsMessageStatus !== undefined) out.sms_message_status = s.smsMessageStatus;
    return jsonReply(200, out);
  }

  private validateSendViber(b: Json): FieldProblem[] {
    const p: FieldProblem[] = [];
    const add = (field: string, problem: string) => p.push({ field, problem });

    if (typeof b.source_addr !== 'string' || b.source_addr === '') add('source_addr', 'required non-empty string');
    else if (charLength(b.source_addr) > 20) add('source_addr', `${charLength(b.source_addr)} chars; max 20`);

    checkDestination(b.destination_addr, add);

    const type = b.message_type;
    if (!(DT_MESSAGE_TYPES as readonly unknown[]).includes(type))
      add('message_type', `must be the number 106, 108, 206 or 208, got ${JSON.stringify(type)}`);

    if (typeof b.text !== 'string' || b.text === '') add('text', 'required non-empty string');
    else if (charLength(b.text) > 1000) add('text', `${charLength(b.text)} chars; max 1000`);

    const withButton = type === 108 || type === 208;
    if (withButton) {
      if (isAbsent(b.image) || b.image === '') add('image', 'required for message_type 108/208');
      if (isAbsent(b.button_caption) || b.button_caption === '') add('button_caption', 'required for message_type 108/208');
      if (isAbsent(b.button_action) || b.button_action === '') add('button_action', 'required for message_type 108/208');
    }
    if (!isAbsent(b.image) && b.image !== '' && !isHttpUrl(b.image)) add('image', 'must be an http(s) URL');
    if (!isAbsent(b.button_caption)) {
      if (typeof b.button_caption !== 'string') add('button_caption', 'must be a string');
      else if (charLength(b.button_caption) > 30) add('button_caption', `${charLength(b.button_caption)} chars; max 30`);
    }
    if (!isAbsent(b.button_action) && b.button_action !== '' && !isHttpUrl(b.button_action))
      add('button_action', 'must be an http(s) URL');

    if (b.source_type !== 1 && b.source_type !== 2)
      add('source_type', `must be 1 (promotional) or 2 (transactional), got ${JSON.stringify(b.source_type)}`);

    if (!isAbsent(b.text_sms)) {
      if (typeof b.text_sms !== 'string' || b.text_sms === '') add('text_sms', 'must be a non-empty string');
      else {
        if (b.source_type !== 2) add('text_sms', 'SMS fallback is only for transactional messages (source_type 2)');
        const problem = smsLengthProblem(b.text_sms);
        if (problem) add('text_sms', problem);
      }
    }

    if (!isAbsent(b.callback_url) && !isHttpUrl(b.callback_url)) add('callback_url', 'must be an http(s) URL');

    if (!isAbsent(b.validity_period)) {
      const v = b.validity_period;
      if (!Number.isInteger(v) || (v as number) < 40 || (v as number) > 21600)
        add('validity_period', `must be an integer 40..21600 seconds, got ${JSON.stringify(v)}`);
      else if (this.opts.enforceTransactionalSmsTtl && b.source_type === 2 && !isAbsent(b.text_sms) && v !== 40)
        add('validity_period', 'transactional message + SMS: TTL only 40 seconds');
    }
    return p;
  }

  // -------------------------------------------------------------------------------------------------
  // Callbacks

  private async post(url: string, value: Json, opts: DtCallbackOptions): Promise<DtCallbackResult> {
    const rawBody = toRawJson(value);
    const res = await postJson(url, rawBody, opts.headers ?? this.callbackHeaders);
    return { ...res, url, rawBody };
  }

  /**
   * Two-way (206/208) user reply, exactly as documented: `message_token` is a bare integer (may exceed
   * 2^53), `time` is epoch seconds, `tracking_data` echoes the last message's tracking data.
   */
  postTwoWayInbound(
    url: string,
    input: { phoneNumber: string; text: string; trackingData?: string; messageToken?: bigint | string; time?: number },
    opts: DtCallbackOptions = {},
  ): Promise<DtCallbackResult> {
    const token = input.messageToken === undefined ? this.nextToken++ : BigInt(input.messageToken);
    return this.post(
      url,
      {
        message_token: token,
        phone_number: input.phoneNumber,
        time: input.time ?? Math.floor(Date.now() / 1000),
        message: { text: input.text, tracking_data: input.trackingData },
      },
      opts,
    );
  }

  /**
   * Assumption: the docs never show the callback_url status body; we send `{"message_id","status"}`
   * with the receive-viber status codes, plus any `extra` fields (e.g. sms_message_id) after them.
   */
  postStatusCallback(
    url: string,
    input: { messageId: number; status: number; extra?: Json },
    opts: DtCallbackOptions = {},
  ): Promise<DtCallbackResult> {
    return this.post(url, { message_id: input.messageId, status: input.status, ...input.extra }, opts);
  }
}

function checkDestination(v: unknown, add: (field: string, problem: string) => void): void {
  // Docs show a JSON number, the SDKs send a string; both are accepted. Numbers beyond 2^53 reach us as
  // digit strings through json-bigint, which is fine for a digits check.
  if (isAbsent(v) || v === '') add('destination_addr', 'required');
  else if (typeof v !== 'number' && typeof v !== 'string') add('destination_addr', 'must be a number or digit string');
  else if (!/^\d{1,20}$/.test(String(v))) add('destination_addr', `${JSON.stringify(v)} must be up to 20 digits (no '+')`);
}

// Assumption: DecisionTelecom documents no plain-SMS endpoint. We model `POST /v1/api/send-sms` with
// `{source_addr, destination_addr, text}` → `{"message_id":N}`, reusing the send-viber conventions.
function validateSendSms(b: Json): FieldProblem[] {
  const p: FieldProblem[] = [];
  const add = (field: string, problem: string) => p.push({ field, problem });
  if (typeof b.source_addr !== 'string' || b.source_addr === '') add('source_addr', 'required non-empty string');
  else if (charLength(b.source_addr) > 20) add('source_addr', `${charLength(b.source_addr)} chars; max 20`);
  checkDestination(b.destination_addr, add);
  if (typeof b.text !== 'string' || b.text === '') add('text', 'required non-empty string');
  return p;
}

// GSM 03.38 (as src/domain/sms-encoding.ts counts it): text_sms is limited to one SMS — 160 GSM-7 septets or 70 UCS-2 code units.
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

function smsLengthProblem(text: string): string | undefined {
  let septets = 0;
  for (const ch of text) {
    if (GSM_BASIC.has(ch)) septets += 1;
    else if (GSM_EXTENSION.has(ch)) septets += 2;
    else {
      return text.length > 70 ? `${text.length} UCS-2 units; max 70 for non-GSM text` : undefined;
    }
  }
  return septets > 160 ? `${septets} GSM-7 septets; max 160` : undefined;
}
