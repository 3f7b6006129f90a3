/**
 * DecisionTelecom's status and error codes translated into our catalogue (docs/providers.md, DecisionTelecom).
 * Only the catalogue in domain/status.ts is used for statuses; the errors below exist because no
 * catalogue error says what DecisionTelecom told us precisely enough.
 */
import { ERROR, STATUS, messageError, type ErrorGroup, type MessageError, type MessageStatus } from '../../domain/status.js';
import { isRecord } from '../wire-json.js';

/** Every one of these is final for the attempt (retry-worthy failures are raised as TransientProviderError). */
function dtError(groupName: ErrorGroup, id: number, name: string, description: string): MessageError {
  return messageError(groupName, id, name, description, true);
}

export const DT_ERROR = {
  EC_DT_VIBER_FAILED: dtError('OPERATOR_ERRORS', 6000, 'EC_DT_VIBER_FAILED', 'DecisionTelecom reported the Viber message as failed (status 2 "error")'),
  EC_DT_VIBER_UNDELIVERED: dtError('HANDSET_ERRORS', 6001, 'EC_DT_VIBER_UNDELIVERED', 'Viber did not deliver the message to the handset (DecisionTelecom status 4 "undelivered")'),
  EC_DT_SMS_UNDELIVERABLE: dtError('HANDSET_ERRORS', 6002, 'EC_DT_SMS_UNDELIVERABLE', 'The SMS could not be delivered (DecisionTelecom SMS status 5 "undeliverable")'),
  EC_DT_INVALID_PARAMETER: dtError('OPERATOR_ERRORS', 6003, 'EC_DT_INVALID_PARAMETER', 'DecisionTelecom refused a request parameter (error code 1)'),
  EC_DT_BALANCE_EMPTY: dtError('OPERATOR_ERRORS', 6004, 'EC_DT_BALANCE_EMPTY', 'The DecisionTelecom account balance is empty (error code 3)'),
  EC_DT_UNAUTHORIZED: dtError('OPERATOR_ERRORS', 6005, 'EC_DT_UNAUTHORIZED', 'DecisionTelecom refused the access key'),
  EC_DT_PHONE_NUMBER_REQUIRED: dtError('USER_ERRORS', 6006, 'EC_DT_PHONE_NUMBER_REQUIRED', 'DecisionTelecom sends to phone numbers only, not to Viber user ids'),
  EC_DT_UNSUPPORTED_CONTENT: dtError('OPERATOR_ERRORS', 6007, 'EC_DT_UNSUPPORTED_CONTENT', 'DecisionTelecom cannot carry this content type'),
} as const satisfies Record<string, MessageError>;

export interface DtStatusMapping {
  status: MessageStatus;
  error: MessageError | null;
}

/** receive-viber `status` (and, we assume, the status callback's). */
export const DT_VIBER_STATUS = { SENT: 0, DELIVERED: 1, ERROR: 2, REJECTED: 3, UNDELIVERED: 4, PENDING: 5, UNKNOWN: 20 } as const;

/** SMS statuses: 2/3/5 documented; 0 and 6 only seen in the SDKs. */
export const DT_SMS_STATUS = { UNKNOWN: 0, DELIVERED: 2, EXPIRED: 3, UNDELIVERABLE: 5, ACCEPTED: 6 } as const;

const VIBER: ReadonlyMap<number, DtStatusMapping> = new Map([
  [DT_VIBER_STATUS.SENT, { status: STATUS.PENDING_WAITING_DELIVERY, error: null }],
  [DT_VIBER_STATUS.DELIVERED, { status: STATUS.DELIVERED_TO_HANDSET, error: ERROR.NO_ERROR }],
  [DT_VIBER_STATUS.ERROR, { status: STATUS.UNDELIVERABLE_NOT_DELIVERED, error: DT_ERROR.EC_DT_VIBER_FAILED }],
  // Refused after it was accepted (by Viber or the network), hence UNDELIVERABLE rather than REJECTED.
  [DT_VIBER_STATUS.REJECTED, { status: STATUS.UNDELIVERABLE_REJECTED_OPERATOR, error: ERROR.EC_PROVIDER_REJECTED }],
  [DT_VIBER_STATUS.UNDELIVERED, { status: STATUS.UNDELIVERABLE_NOT_DELIVERED, error: DT_ERROR.EC_DT_VIBER_UNDELIVERED }],
  [DT_VIBER_STATUS.PENDING, { status: STATUS.PENDING_ACCEPTED, error: null }],
  // "unknown" means no delivery report yet, not a failure: our expiry settles it if nothing follows.
  [DT_VIBER_STATUS.UNKNOWN, { status: STATUS.PENDING_WAITING_DELIVERY, error: null }],
]);

const SMS: ReadonlyMap<number, DtStatusMapping> = new Map([
  [DT_SMS_STATUS.UNKNOWN, { status: STATUS.PENDING_WAITING_DELIVERY, error: null }],
  [DT_SMS_STATUS.DELIVERED, { status: STATUS.DELIVERED_TO_HANDSET, error: ERROR.NO_ERROR }],
  [DT_SMS_STATUS.EXPIRED, { status: STATUS.EXPIRED_EXPIRED, error: ERROR.EC_VALIDITYEXPIRED }],
  [DT_SMS_STATUS.UNDELIVERABLE, { status: STATUS.UNDELIVERABLE_NOT_DELIVERED, error: DT_ERROR.EC_DT_SMS_UNDELIVERABLE }],
  [DT_SMS_STATUS.ACCEPTED, { status: STATUS.PENDING_ENROUTE, error: null }],
]);

/** Undefined for codes DecisionTelecom does not document: callers treat them as "nothing new". */
export function mapViberStatus(code: number): DtStatusMapping | undefined {
  return VIBER.get(code);
}

export function mapSmsStatus(code: number): DtStatusMapping | undefined {
  return SMS.get(code);
}

/** The Yii2-style error body DecisionTelecom answers with, often over HTTP 200. */
export interface DtErrorBody {
  name: string;
  message?: string;
  code?: number;
  status?: number;
}

export function isDtErrorBody(value: unknown): value is DtErrorBody {
  return isRecord(value) && typeof value.name === 'string' && (typeof value.status === 'number' || typeof value.code === 'number');
}

export type DtErrorOutcome =
  | { kind: 'transient'; reason: string }
  | { kind: 'rejected'; status: MessageStatus; error: MessageError; reason: string };

/**
 * `status` decides, not `code`: the framework gives code 0 to every HTTP exception it raises itself
 * (401, 404, 405...), so code 0 only means "rate limit" when `status` is 429 or missing.
 */
export function classifyErrorBody(body: DtErrorBody): DtErrorOutcome {
  const reason = `DecisionTelecom: ${body.name}${body.message ? ` (${body.message})` : ''}`;
  const httpLike = body.status ?? CODE_TO_STATUS[body.code ?? -1];
  switch (httpLike) {
    case 400:
      return { kind: 'rejected', status: statusForInvalidParameter(body.name), error: DT_ERROR.EC_DT_INVALID_PARAMETER, reason };
    case 402:
      return { kind: 'rejected', status: STATUS.REJECTED_NOT_ENOUGH_CREDITS, error: DT_ERROR.EC_DT_BALANCE_EMPTY, reason };
    case 401:
    case 403:
      return { kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: DT_ERROR.EC_DT_UNAUTHORIZED, reason };
    case undefined:
      return { kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: ERROR.EC_PROVIDER_REJECTED, reason };
    default:
      if (isTransientHttpStatus(httpLike)) return { kind: 'transient', reason };
      return { kind: 'rejected', status: STATUS.REJECTED_SYSTEM_ERROR, error: ERROR.EC_PROVIDER_REJECTED, reason };
  }
}

const CODE_TO_STATUS: Record<number, number> = { 0: 429, 1: 400, 2: 500, 3: 402 };

/** HTTP statuses after which the provider did not take the message and asking again later may work. */
export function isTransientHttpStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

// The error names the parameter ("Invalid Parameter: destination_addr"), which is enough to tell the
// caller whether the sender or the number was at fault.
function statusForInvalidParameter(name: string): MessageStatus {
  const param = /^Invalid Parameter:\s*(\S+)/i.exec(name)?.[1];
  if (param === 'source_addr') return STATUS.REJECTED_SOURCE;
  if (param === 'destination_addr') return STATUS.REJECTED_INVALID_DESTINATION;
  return STATUS.REJECTED_SYSTEM_ERROR;
}
