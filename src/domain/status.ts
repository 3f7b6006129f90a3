/**
 * The one status model every provider is mapped to: Infobip's groups and names (see
 * docs/providers.md, Status model). Provider adapters translate their own codes into these
 * entries; nothing else invents statuses.
 */
export const STATUS_GROUPS = ['ACCEPTED', 'PENDING', 'UNDELIVERABLE', 'DELIVERED', 'EXPIRED', 'REJECTED'] as const;
export type StatusGroup = (typeof STATUS_GROUPS)[number];

export const STATUS_GROUP_IDS: Record<StatusGroup, number> = {
  ACCEPTED: 0,
  PENDING: 1,
  UNDELIVERABLE: 2,
  DELIVERED: 3,
  EXPIRED: 4,
  REJECTED: 5,
};

export interface MessageStatus {
  groupId: number;
  groupName: StatusGroup;
  id: number;
  name: string;
  description: string;
}

function status(groupName: StatusGroup, id: number, name: string, description: string): MessageStatus {
  return { groupId: STATUS_GROUP_IDS[groupName], groupName, id, name, description };
}

export const STATUS = {
  MESSAGE_ACCEPTED: status('ACCEPTED', 0, 'MESSAGE_ACCEPTED', 'Message accepted'),
  PENDING_ACCEPTED: status('PENDING', 26, 'PENDING_ACCEPTED', 'Message accepted, waiting to be sent'),
  PENDING_WAITING_DELIVERY: status('PENDING', 3, 'PENDING_WAITING_DELIVERY', 'Message sent, waiting for delivery report'),
  PENDING_ENROUTE: status('PENDING', 7, 'PENDING_ENROUTE', 'Message sent to next instance'),
  UNDELIVERABLE_REJECTED_OPERATOR: status('UNDELIVERABLE', 4, 'UNDELIVERABLE_REJECTED_OPERATOR', 'Message rejected by operator'),
  UNDELIVERABLE_NOT_DELIVERED: status('UNDELIVERABLE', 9, 'UNDELIVERABLE_NOT_DELIVERED', 'Message sent not delivered'),
  DELIVERED_TO_OPERATOR: status('DELIVERED', 2, 'DELIVERED_TO_OPERATOR', 'Message delivered to operator'),
  DELIVERED_TO_HANDSET: status('DELIVERED', 5, 'DELIVERED_TO_HANDSET', 'Message delivered to handset'),
  EXPIRED_EXPIRED: status('EXPIRED', 15, 'EXPIRED_EXPIRED', 'Message expired'),
  EXPIRED_DLR_UNKNOWN: status('EXPIRED', 29, 'EXPIRED_DLR_UNKNOWN', 'Message expired, delivery report unknown'),
  REJECTED_NETWORK: status('REJECTED', 6, 'REJECTED_NETWORK', 'Network is forbidden'),
  REJECTED_PREFIX_MISSING: status('REJECTED', 8, 'REJECTED_PREFIX_MISSING', 'Number prefix missing'),
  REJECTED_DND: status('REJECTED', 10, 'REJECTED_DND', 'Destination on DND list'),
  REJECTED_SOURCE: status('REJECTED', 11, 'REJECTED_SOURCE', 'Invalid source address'),
  REJECTED_NOT_ENOUGH_CREDITS: status('REJECTED', 12, 'REJECTED_NOT_ENOUGH_CREDITS', 'Not enough credits'),
  REJECTED_SENDER: status('REJECTED', 13, 'REJECTED_SENDER', 'Sender is not allowed'),
  REJECTED_DESTINATION: status('REJECTED', 14, 'REJECTED_DESTINATION', 'Destination is not allowed'),
  REJECTED_DESTINATION_NOT_REGISTERED: status('REJECTED', 18, 'REJECTED_DESTINATION_NOT_REGISTERED', 'Destination is not registered on the channel'),
  REJECTED_ROUTE_NOT_AVAILABLE: status('REJECTED', 19, 'REJECTED_ROUTE_NOT_AVAILABLE', 'Route not available'),
  REJECTED_FLOODING_FILTER: status('REJECTED', 20, 'REJECTED_FLOODING_FILTER', 'Rejected by flooding filter'),
  REJECTED_SYSTEM_ERROR: status('REJECTED', 21, 'REJECTED_SYSTEM_ERROR', 'System error'),
  REJECTED_DUPLICATE_MESSAGE_ID: status('REJECTED', 23, 'REJECTED_DUPLICATE_MESSAGE_ID', 'Duplicate message id'),
  REJECTED_MESSAGE_TOO_LONG: status('REJECTED', 25, 'REJECTED_MESSAGE_TOO_LONG', 'Message too long'),
  MISSING_TO: status('REJECTED', 51, 'MISSING_TO', 'Missing destination'),
  REJECTED_INVALID_DESTINATION: status('REJECTED', 52, 'REJECTED_INVALID_DESTINATION', 'Invalid destination address'),
  // Not in Infobip's catalogue: Omnigate's own, for a bulk canceled before this message was sent.
  REJECTED_CANCELED: status('REJECTED', 5001, 'REJECTED_CANCELED', 'Canceled before it was sent'),
} as const satisfies Record<string, MessageStatus>;

export type StatusName = keyof typeof STATUS;

const BY_ID = new Map<number, MessageStatus>(Object.values(STATUS).map((s) => [s.id, s]));

/** The catalogue entry for a provider-reported Infobip status id, if we know it. */
export function statusById(id: number): MessageStatus | undefined {
  return BY_ID.get(id);
}

const FINAL_GROUPS: ReadonlySet<StatusGroup> = new Set(['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED']);

/** A final status never changes again: late or out-of-order reports cannot move it back. */
export function isFinal(group: StatusGroup): boolean {
  return FINAL_GROUPS.has(group);
}

export const ERROR_GROUPS = ['OK', 'HANDSET_ERRORS', 'USER_ERRORS', 'OPERATOR_ERRORS'] as const;
export type ErrorGroup = (typeof ERROR_GROUPS)[number];

export interface MessageError {
  groupId: number;
  groupName: ErrorGroup;
  id: number;
  name: string;
  description: string;
  /** Permanent errors end an attempt at once; the others may be retried while validity lasts. */
  permanent: boolean;
}

/** A catalogue entry for an error; providers define their own codes with it. */
export function messageError(groupName: ErrorGroup, id: number, name: string, description: string, permanent: boolean): MessageError {
  return { groupId: ERROR_GROUPS.indexOf(groupName), groupName, id, name, description, permanent };
}

export const ERROR = {
  NO_ERROR: messageError('OK', 0, 'NO_ERROR', 'No Error', false),
  EC_UNKNOWN_SUBSCRIBER: messageError('HANDSET_ERRORS', 1, 'EC_UNKNOWN_SUBSCRIBER', 'Unknown Subscriber', true),
  EC_ABSENT_SUBSCRIBER_SM: messageError('HANDSET_ERRORS', 6, 'EC_ABSENT_SUBSCRIBER_SM', 'Absent Subscriber', false),
  EC_ABSENT_SUBSCRIBER: messageError('HANDSET_ERRORS', 27, 'EC_ABSENT_SUBSCRIBER', 'Absent Subscriber', false),
  EC_VALIDITYEXPIRED: messageError('OPERATOR_ERRORS', 4101, 'EC_VALIDITYEXPIRED', 'Validity period expired before delivery', true),
  EC_NOT_CHANNEL_USER: messageError('USER_ERRORS', 4102, 'EC_NOT_CHANNEL_USER', 'The destination does not use this channel', true),
  EC_PROVIDER_REJECTED: messageError('OPERATOR_ERRORS', 4103, 'EC_PROVIDER_REJECTED', 'The provider rejected the message', true),
  EC_PROVIDER_UNAVAILABLE: messageError('OPERATOR_ERRORS', 4104, 'EC_PROVIDER_UNAVAILABLE', 'The provider could not be reached while the message was valid', true),
} as const satisfies Record<string, MessageError>;
