/**
 * Infobip's status and error objects → ours. Our catalogue *is* Infobip's model (docs/providers.md, Status model), so known
 * status ids map one-to-one; everything Infobip-specific about statuses lives in this file.
 */
import {
  ERROR,
  ERROR_GROUPS,
  STATUS,
  STATUS_GROUPS,
  STATUS_GROUP_IDS,
  statusById,
  type ErrorGroup,
  type MessageError,
  type MessageStatus,
  type StatusGroup,
} from '../../domain/status.js';
import type { SendResult } from '../types.js';
import { isRecord } from '../wire-json.js';

function isStatusGroup(v: unknown): v is StatusGroup {
  return typeof v === 'string' && (STATUS_GROUPS as readonly string[]).includes(v);
}

function isErrorGroup(v: unknown): v is ErrorGroup {
  return typeof v === 'string' && (ERROR_GROUPS as readonly string[]).includes(v);
}

/**
 * A known id gives our catalogue entry. An unknown id is kept as Infobip sent it when its group is one of
 * ours, so a status Infobip adds later is stored rather than refused. `null`: not representable.
 * groupId is derived from groupName so the pair can never contradict itself downstream.
 */
export function toMessageStatus(raw: unknown): MessageStatus | null {
  if (!isRecord(raw) || !Number.isInteger(raw.id)) return null;
  const id = raw.id as number;
  const known = statusById(id);
  if (known) return known;
  if (!isStatusGroup(raw.groupName) || typeof raw.name !== 'string') return null;
  return {
    groupId: STATUS_GROUP_IDS[raw.groupName],
    groupName: raw.groupName,
    id,
    name: raw.name,
    description: typeof raw.description === 'string' ? raw.description : '',
  };
}

/** Infobip's error object, copied field for field; `null` when it is not one we can represent. */
export function toMessageError(raw: unknown): MessageError | null {
  if (!isRecord(raw) || !Number.isInteger(raw.id) || !isErrorGroup(raw.groupName) || typeof raw.name !== 'string') {
    return null;
  }
  return {
    groupId: ERROR_GROUPS.indexOf(raw.groupName),
    groupName: raw.groupName,
    id: raw.id as number,
    name: raw.name,
    description: typeof raw.description === 'string' ? raw.description : '',
    permanent: raw.permanent === true,
  };
}

/** Statuses a send response may carry that still leave the message with Infobip. */
const STILL_GOING: ReadonlySet<StatusGroup> = new Set(['ACCEPTED', 'PENDING', 'DELIVERED']);

/** The send response gives no error object; this is the permanent error a refusal is stored with. */
function refusalError(status: MessageStatus): MessageError {
  // Viber Business Messages answers "not registered" for numbers without Viber: that is the failover case.
  return status.id === STATUS.REJECTED_DESTINATION_NOT_REGISTERED.id ? ERROR.EC_NOT_CHANNEL_USER : ERROR.EC_PROVIDER_REJECTED;
}

/**
 * One `messages[]` entry of a send response → our result, or `null` when its status is unreadable (the
 * caller then cannot tell whether Infobip kept the message).
 */
export function sendResultFromEntry(entry: unknown, fallbackMessageId: string, messageCount?: number): SendResult | null {
  if (!isRecord(entry)) return null;
  const status = toMessageStatus(entry.status);
  if (!status) return null;
  const providerMessageId = typeof entry.messageId === 'string' && entry.messageId !== '' ? entry.messageId : fallbackMessageId;
  const accepted: SendResult = {
    kind: 'accepted',
    providerMessageId,
    ...(messageCount !== undefined ? { messageCount } : {}),
  };
  if (STILL_GOING.has(status.groupName)) return accepted;
  // Our messageId is the attempt id, unique per attempt: a duplicate can only be our own earlier send whose
  // response was lost (timeout, then retry). That one is with Infobip and will report by callback.
  if (status.id === STATUS.REJECTED_DUPLICATE_MESSAGE_ID.id) return accepted;
  const reported = toMessageError(entry.error);
  const error = reported && reported.id !== ERROR.NO_ERROR.id ? reported : refusalError(status);
  return { kind: 'rejected', status, error, providerMessageId };
}

export interface InfobipServiceException {
  messageId?: string;
  text?: string;
  validationErrors?: Record<string, unknown>;
}

/** Reads `requestError.serviceException` from an error body; `{}` when the body has another shape. */
export function serviceExceptionOf(body: unknown): InfobipServiceException {
  if (!isRecord(body) || !isRecord(body.requestError) || !isRecord(body.requestError.serviceException)) return {};
  const se = body.requestError.serviceException;
  return {
    ...(typeof se.messageId === 'string' ? { messageId: se.messageId } : {}),
    ...(typeof se.text === 'string' ? { text: se.text } : {}),
    ...(isRecord(se.validationErrors) ? { validationErrors: se.validationErrors } : {}),
  };
}

/**
 * A 4xx refusal of the whole request. The same request can never succeed, so it ends the attempt (and lets
 * the flow fail over) instead of being retried. The status names the part Infobip objected to where its
 * validation errors say so; otherwise the refusal is on our side (credentials, request shape).
 */
export function httpRefusal(httpStatus: number, se: InfobipServiceException): { status: MessageStatus; error: MessageError } {
  const fields = Object.keys(se.validationErrors ?? {});
  const status = fields.some((f) => /destinations/.test(f))
    ? STATUS.REJECTED_INVALID_DESTINATION
    : fields.some((f) => /\.sender$|\.from$/.test(f))
      ? STATUS.REJECTED_SENDER
      : STATUS.REJECTED_SYSTEM_ERROR;
  const details = fields.length > 0 ? ` (${fields.map((f) => `${f}: ${String(se.validationErrors?.[f])}`).join('; ')})` : '';
  const text = se.text ?? 'no error text';
  return {
    status,
    error: { ...ERROR.EC_PROVIDER_REJECTED, description: `Infobip HTTP ${httpStatus}${se.messageId ? ` ${se.messageId}` : ''}: ${text}${details}` },
  };
}
