/**
 * DecisionTelecom request bodies (docs/providers.md, DecisionTelecom),
 * built from our OutboundMessage. Field order follows the documentation so recorded bodies read like it.
 */
import { toProviderDigits } from '../../domain/phone-number.js';
import type { OutboundMessage } from '../types.js';

export const DT_SEND_VIBER_PATH = '/v1/api/send-viber';
export const DT_RECEIVE_VIBER_PATH = '/v1/api/receive-viber';
/** Assumed: not in DecisionTelecom's documentation; modelled on send-viber (`{source_addr, destination_addr, text}` → `{"message_id":N}`). */
export const DT_SEND_SMS_PATH = '/v1/api/send-sms';

export const DT_MESSAGE_TYPE = { TEXT: 106, RICH: 108, TEXT_TWO_WAY: 206, RICH_TWO_WAY: 208 } as const;
export const DT_SOURCE_TYPE = { PROMOTIONAL: 1, TRANSACTIONAL: 2 } as const;

export const DT_VALIDITY_MIN_SECONDS = 40;
export const DT_VALIDITY_MAX_SECONDS = 21_600;
export const DT_SOURCE_ADDR_MAX = 20;

export type DtAuthForm = 'key' | 'key-colon';

export interface DtSendViberBody {
  source_addr: string;
  destination_addr: string | number;
  message_type: number;
  text: string;
  image?: string;
  button_caption?: string;
  button_action?: string;
  source_type: number;
  callback_url?: string;
  validity_period: number;
}

export interface DtSendSmsBody {
  source_addr: string;
  destination_addr: string | number;
  text: string;
  /** Assumed to work as on send-viber; harmless if ignored, and without it SMS statuses never reach us. */
  callback_url?: string;
}

export interface DtWireOptions {
  twoWay: boolean;
  /** Where DecisionTelecom should report this message's status; omitted from the body when null. */
  callbackUrl: string | null;
  destinationAsNumber: boolean;
}

/**
 * The SDKs send `base64(key)`, the doc's PHP sample sends curl's `base64("key:")` (user, empty password).
 */
export function authorizationHeader(apiKey: string, form: DtAuthForm): string {
  const credentials = form === 'key-colon' ? `${apiKey}:` : apiKey;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/** Validity outside 40–21600 s is refused by DecisionTelecom, so it is clamped rather than passed on. */
export function clampValidity(seconds: number): number {
  const whole = Math.floor(seconds);
  if (!Number.isFinite(whole)) return DT_VALIDITY_MAX_SECONDS;
  return Math.min(DT_VALIDITY_MAX_SECONDS, Math.max(DT_VALIDITY_MIN_SECONDS, whole));
}

export class UnsupportedDtMessageError extends Error {
  override name = 'UnsupportedDtMessageError';
}

function destinationAddr(message: OutboundMessage, asNumber: boolean): string | number {
  if (!('phoneNumber' in message.to)) throw new UnsupportedDtMessageError('DecisionTelecom sends to phone numbers only');
  const digits = toProviderDigits(message.to.phoneNumber);
  // E.164 has at most 15 digits, always exact as a JS number.
  return asNumber ? Number(digits) : digits;
}

export function buildSendViberBody(message: OutboundMessage, opts: DtWireOptions): DtSendViberBody {
  const content = message.content;
  const head = { source_addr: message.from, destination_addr: destinationAddr(message, opts.destinationAsNumber) };
  const tail = {
    source_type: message.viberLabel === 'PROMOTIONAL' ? DT_SOURCE_TYPE.PROMOTIONAL : DT_SOURCE_TYPE.TRANSACTIONAL,
    ...(opts.callbackUrl ? { callback_url: opts.callbackUrl } : {}),
    validity_period: clampValidity(message.validitySeconds),
  };
  // No `text_sms`: SMS failover is our own next step; asking DecisionTelecom for it as well would send the
  // SMS twice (and would cap the validity at 40 s).
  switch (content.type) {
    case 'TEXT':
      return {
        ...head,
        message_type: opts.twoWay ? DT_MESSAGE_TYPE.TEXT_TWO_WAY : DT_MESSAGE_TYPE.TEXT,
        text: content.text,
        ...tail,
      };
    case 'RICH':
      return {
        ...head,
        message_type: opts.twoWay ? DT_MESSAGE_TYPE.RICH_TWO_WAY : DT_MESSAGE_TYPE.RICH,
        text: content.text,
        image: content.imageUrl,
        button_caption: content.button.text,
        button_action: content.button.url,
        ...tail,
      };
    default:
      throw new UnsupportedDtMessageError(`${content.type} messages are not supported by DecisionTelecom Viber`);
  }
}

export function buildSendSmsBody(message: OutboundMessage, opts: Omit<DtWireOptions, 'twoWay'>): DtSendSmsBody {
  if (message.content.type !== 'SMS_TEXT') {
    throw new UnsupportedDtMessageError(`${message.content.type} messages cannot be sent as DecisionTelecom SMS`);
  }
  return {
    source_addr: message.from,
    destination_addr: destinationAddr(message, opts.destinationAsNumber),
    text: message.content.text,
    ...(opts.callbackUrl ? { callback_url: opts.callbackUrl } : {}),
  };
}

/**
 * DecisionTelecom keeps separate id sequences for Viber and SMS messages (receive-viber shows both a
 * `message_id` and an `sms_message_id`), so SMS ids are namespaced: a report for SMS 430 must never
 * match the Viber message 430.
 */
export function smsProviderMessageId(id: string): string {
  return `sms:${id}`;
}

/** SMS status callbacks are told apart from Viber ones by this sub-path of the status webhook URL. */
export const DT_SMS_CALLBACK_SUBPATH = '/sms';

export function smsCallbackUrl(statusWebhookUrl: string): string {
  const url = new URL(statusWebhookUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${DT_SMS_CALLBACK_SUBPATH}`;
  return url.toString();
}
