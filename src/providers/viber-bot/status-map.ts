/**
 * Viber REST Bot API outcomes in our status model (docs/providers.md, Viber bot: answers and callbacks).
 *
 * Viber's own errors get their own MessageError entries, numbered 5100 + the Viber status code, so a
 * stored error still tells which Viber status caused it; 5190+ are the adapter's own conditions.
 */
import { ERROR, STATUS, messageError } from '../../domain/status.js';
import type { ErrorGroup, MessageError, MessageStatus } from '../../domain/status.js';

/** Every one of these is final for the attempt (retry-worthy failures are raised as TransientProviderError). */
function viberError(groupName: ErrorGroup, id: number, name: string, description: string): MessageError {
  return messageError(groupName, id, name, description, true);
}

export const VIBER_ERROR = {
  INVALID_URL: viberError('OPERATOR_ERRORS', 5101, 'VIBER_INVALID_URL', 'Viber: invalid URL'),
  INVALID_AUTH_TOKEN: viberError('OPERATOR_ERRORS', 5102, 'VIBER_INVALID_AUTH_TOKEN', 'Viber: invalid bot auth token'),
  BAD_DATA: viberError('OPERATOR_ERRORS', 5103, 'VIBER_BAD_DATA', 'Viber: the request was refused as bad data'),
  MISSING_DATA: viberError('OPERATOR_ERRORS', 5104, 'VIBER_MISSING_DATA', 'Viber: the request misses required data'),
  RECEIVER_NOT_REGISTERED: viberError('USER_ERRORS', 5105, 'VIBER_RECEIVER_NOT_REGISTERED', 'Viber: the receiver is not registered on Viber'),
  RECEIVER_NOT_SUBSCRIBED: viberError('USER_ERRORS', 5106, 'VIBER_RECEIVER_NOT_SUBSCRIBED', 'Viber: the receiver is not subscribed to the bot'),
  ACCOUNT_BLOCKED: viberError('OPERATOR_ERRORS', 5107, 'VIBER_ACCOUNT_BLOCKED', 'Viber: the bot account is blocked'),
  ACCOUNT_NOT_FOUND: viberError('OPERATOR_ERRORS', 5108, 'VIBER_ACCOUNT_NOT_FOUND', 'Viber: the bot account was not found'),
  ACCOUNT_SUSPENDED: viberError('OPERATOR_ERRORS', 5109, 'VIBER_ACCOUNT_SUSPENDED', 'Viber: the bot account is suspended'),
  WEBHOOK_NOT_SET: viberError('OPERATOR_ERRORS', 5110, 'VIBER_WEBHOOK_NOT_SET', 'Viber: no webhook is set for the bot'),
  NO_SUITABLE_DEVICE: viberError('HANDSET_ERRORS', 5111, 'VIBER_RECEIVER_NO_SUITABLE_DEVICE', 'Viber: the receiver has no device able to show the message'),
  API_VERSION_NOT_SUPPORTED: viberError('OPERATOR_ERRORS', 5113, 'VIBER_API_VERSION_NOT_SUPPORTED', 'Viber: API version not supported'),
  INCOMPATIBLE_WITH_VERSION: viberError('OPERATOR_ERRORS', 5114, 'VIBER_INCOMPATIBLE_WITH_VERSION', 'Viber: the message is incompatible with the API version'),
  ACCOUNT_NOT_AUTHORIZED: viberError('OPERATOR_ERRORS', 5115, 'VIBER_ACCOUNT_NOT_AUTHORIZED', 'Viber: the bot account is not authorized'),
  INCHAT_REPLY_NOT_ALLOWED: viberError('OPERATOR_ERRORS', 5116, 'VIBER_INCHAT_REPLY_NOT_ALLOWED', 'Viber: in-chat reply message not allowed'),
  ACCOUNT_NOT_INLINE: viberError('OPERATOR_ERRORS', 5117, 'VIBER_ACCOUNT_NOT_INLINE', 'Viber: the bot account is not inline'),
  NO_PUBLIC_CHAT: viberError('OPERATOR_ERRORS', 5118, 'VIBER_NO_PUBLIC_CHAT', 'Viber: no public chat'),
  CANNOT_SEND_BROADCAST: viberError('OPERATOR_ERRORS', 5119, 'VIBER_CANNOT_SEND_BROADCAST', 'Viber: cannot send broadcast'),
  BROADCAST_NOT_ALLOWED: viberError('OPERATOR_ERRORS', 5120, 'VIBER_BROADCAST_NOT_ALLOWED', 'Viber: broadcast not allowed'),
  HTTP_ERROR: viberError('OPERATOR_ERRORS', 5190, 'VIBER_HTTP_ERROR', 'Viber: the API answered with an HTTP error'),
  DELIVERY_FAILED: viberError('HANDSET_ERRORS', 5191, 'VIBER_DELIVERY_FAILED', 'Viber: delivery failed'),
  PHONE_NUMBER_DESTINATION: viberError(
    'USER_ERRORS',
    5192,
    'VIBER_PHONE_NUMBER_DESTINATION',
    'the Viber Bot API addresses subscribers by Viber user id, not phone number',
  ),
  UNSUPPORTED_CONTENT: viberError('OPERATOR_ERRORS', 5193, 'VIBER_UNSUPPORTED_CONTENT', 'the Viber Bot API carries only VIBER steps'),
  GENERAL_ERROR: viberError('OPERATOR_ERRORS', 5199, 'VIBER_GENERAL_ERROR', 'Viber: general error'),
} as const satisfies Record<string, MessageError>;

export type ViberSendOutcome =
  | { kind: 'ok' }
  /** Not accepted this time; the same request may be sent again later. */
  | { kind: 'transient' }
  | { kind: 'rejected'; status: MessageStatus; error: MessageError };

const rejected = (status: MessageStatus, error: MessageError): ViberSendOutcome => ({ kind: 'rejected', status, error });

/**
 * Viber `status` of a send_message answer → our outcome. Receiver-side refusals (5, 6, 11) are REJECTED
 * so the flow fails over to SMS; account problems are REJECTED_SOURCE/SENDER (every message will fail
 * the same way until the bot is fixed, which is worth telling apart from a bad message).
 */
export const VIBER_SEND_STATUS: Readonly<Record<number, ViberSendOutcome>> = {
  0: { kind: 'ok' },
  1: rejected(STATUS.REJECTED_SYSTEM_ERROR, VIBER_ERROR.INVALID_URL),
  2: rejected(STATUS.REJECTED_SOURCE, VIBER_ERROR.INVALID_AUTH_TOKEN),
  3: rejected(STATUS.REJECTED_SYSTEM_ERROR, VIBER_ERROR.BAD_DATA),
  4: rejected(STATUS.REJECTED_SYSTEM_ERROR, VIBER_ERROR.MISSING_DATA),
  5: rejected(STATUS.REJECTED_DESTINATION_NOT_REGISTERED, VIBER_ERROR.RECEIVER_NOT_REGISTERED),
  6: rejected(STATUS.REJECTED_DESTINATION_NOT_REGISTERED, VIBER_ERROR.RECEIVER_NOT_SUBSCRIBED),
  7: rejected(STATUS.REJECTED_SENDER, VIBER_ERROR.ACCOUNT_BLOCKED),
  8: rejected(STATUS.REJECTED_SOURCE, VIBER_ERROR.ACCOUNT_NOT_FOUND),
  9: rejected(STATUS.REJECTED_SENDER, VIBER_ERROR.ACCOUNT_SUSPENDED),
  // Viber refuses to send until a webhook is set: a configuration problem of our bot account.
  10: rejected(STATUS.REJECTED_SOURCE, VIBER_ERROR.WEBHOOK_NOT_SET),
  11: rejected(STATUS.REJECTED_DESTINATION, VIBER_ERROR.NO_SUITABLE_DEVICE),
  // ≤100 messages per user per hour without a reply: the same message goes through later.
  12: { kind: 'transient' },
  13: rejected(STATUS.REJECTED_SYSTEM_ERROR, VIBER_ERROR.API_VERSION_NOT_SUPPORTED),
  14: rejected(STATUS.REJECTED_SYSTEM_ERROR, VIBER_ERROR.INCOMPATIBLE_WITH_VERSION),
  15: rejected(STATUS.REJECTED_SOURCE, VIBER_ERROR.ACCOUNT_NOT_AUTHORIZED),
  16: rejected(STATUS.REJECTED_SENDER, VIBER_ERROR.INCHAT_REPLY_NOT_ALLOWED),
  17: rejected(STATUS.REJECTED_SENDER, VIBER_ERROR.ACCOUNT_NOT_INLINE),
  18: rejected(STATUS.REJECTED_SENDER, VIBER_ERROR.NO_PUBLIC_CHAT),
  19: rejected(STATUS.REJECTED_SENDER, VIBER_ERROR.CANNOT_SEND_BROADCAST),
  20: rejected(STATUS.REJECTED_SENDER, VIBER_ERROR.BROADCAST_NOT_ALLOWED),
};

/** Unknown codes are Viber's "general error": refused, and the code is kept in the description. */
export function mapViberSendStatus(code: number, statusMessage?: string | null): ViberSendOutcome {
  const known = Object.hasOwn(VIBER_SEND_STATUS, code) ? VIBER_SEND_STATUS[code] : undefined;
  if (known) return known;
  const detail = statusMessage ? `: ${statusMessage}` : '';
  return rejected(STATUS.REJECTED_SYSTEM_ERROR, {
    ...VIBER_ERROR.GENERAL_ERROR,
    description: `${VIBER_ERROR.GENERAL_ERROR.description} (status ${code}${detail})`,
  });
}

/** Delivery callbacks (docs/providers.md, Viber bot: callbacks). */
export const VIBER_DELIVERED = { status: STATUS.DELIVERED_TO_HANDSET, error: ERROR.NO_ERROR } as const;

export function viberFailed(desc: string | null): { status: MessageStatus; error: MessageError } {
  return {
    status: STATUS.UNDELIVERABLE_NOT_DELIVERED,
    error: desc
      ? { ...VIBER_ERROR.DELIVERY_FAILED, description: `${VIBER_ERROR.DELIVERY_FAILED.description}: ${desc}` }
      : VIBER_ERROR.DELIVERY_FAILED,
  };
}
