/**
 * Request bodies for Viber Business Messages (`POST /viber/2/messages`) and SMS v3
 * (`POST /sms/3/messages`), as docs/providers.md (Infobip) describes them. Content is assumed valid (see validate.ts); this file only renames.
 */
import type { SmsContent, ViberContent } from '../../domain/content.js';
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS, toValidityPeriod, type ValidityPeriod } from '../../domain/validity.js';

export interface InfobipButton {
  title: string;
  action: string;
}

export type InfobipViberContent =
  | { type: 'TEXT'; text: string }
  | { type: 'IMAGE'; mediaUrl: string; text?: string; button?: InfobipButton }
  | { type: 'VIDEO'; mediaUrl: string; thumbnailUrl: string; mediaDuration: number; text?: string }
  | { type: 'FILE'; mediaUrl: string; fileName: string; filename: string }
  | { type: 'CAROUSEL'; text: string; cards: Array<{ text: string; mediaUrl: string; buttons: InfobipButton[] }> };

export interface InfobipWebhooks {
  delivery?: { url: string };
  callbackData?: string;
}

export interface InfobipDestination {
  to: string;
  messageId: string;
}

export interface ViberRequest {
  messages: Array<{
    sender: string;
    destinations: InfobipDestination[];
    content: InfobipViberContent;
    options: { label: 'TRANSACTIONAL' | 'PROMOTIONAL'; validityPeriod: ValidityPeriod };
    webhooks?: InfobipWebhooks;
  }>;
}

export interface SmsRequest {
  messages: Array<{
    sender: string;
    destinations: InfobipDestination[];
    content: { text: string };
    options: { validityPeriod: ValidityPeriod };
    webhooks?: InfobipWebhooks;
  }>;
}

export interface WireCommon {
  sender: string;
  /** International digits without '+'. */
  to: string;
  /** Our attempt id: Infobip echoes it in the response and every report, so reports find the attempt. */
  messageId: string;
  validitySeconds: number;
  deliveryUrl: string | null;
  callbackData: string | null;
}

export type ViberWireContent = Exclude<ViberContent, { type: 'LOCATION' | 'CONTACT' | 'STICKER' | 'URL' }>;

const NOT_ON_VIBER_2: ReadonlySet<string> = new Set(['LOCATION', 'CONTACT', 'STICKER', 'URL']);

/** Whether /viber/2 has a content type for this content at all. */
export function isViberWireContent(content: ViberContent): content is ViberWireContent {
  return !NOT_ON_VIBER_2.has(content.type);
}

/** Our content → Infobip's. Types Infobip cannot carry never reach here (validate.ts refuses them). */
export function viberContent(content: ViberWireContent): InfobipViberContent {
  switch (content.type) {
    case 'TEXT':
      return { type: 'TEXT', text: content.text };
    case 'RICH':
      // Infobip's documented text+image+button is an IMAGE with text and button (its SDK: "text is required
      // when sending a message with a button and an image"); TEXT content carries no image.
      return {
        type: 'IMAGE',
        mediaUrl: content.imageUrl,
        text: content.text,
        button: { title: content.button.text, action: content.button.url },
      };
    case 'IMAGE':
      return { type: 'IMAGE', mediaUrl: content.url, ...(content.text ? { text: content.text } : {}) };
    case 'VIDEO':
      if (!content.thumbnailUrl || !content.durationSeconds) throw new Error('Infobip video needs thumbnailUrl and durationSeconds');
      return {
        type: 'VIDEO',
        mediaUrl: content.url,
        thumbnailUrl: content.thumbnailUrl,
        mediaDuration: content.durationSeconds,
        ...(content.text ? { text: content.text } : {}),
      };
    case 'FILE':
      // Infobip's SDKs name it `fileName`; the reference fake (and so possibly the deployed API) reads
      // `filename`. Both are sent until one spelling is confirmed against a live account.
      return { type: 'FILE', mediaUrl: content.url, fileName: content.fileName, filename: content.fileName };
    case 'CAROUSEL':
      return {
        type: 'CAROUSEL',
        text: content.altText ?? '',
        cards: content.items.map((item) => ({
          text: item.title,
          mediaUrl: item.imageUrl,
          buttons: [{ title: item.buttonText, action: item.buttonUrl }],
        })),
      };
  }
}

/** Infobip takes at most 48 h; the largest whole unit keeps the request readable in Infobip's logs. */
export function validityPeriod(seconds: number): ValidityPeriod {
  const clamped = Math.min(MAX_VALIDITY_SECONDS, Math.max(MIN_VALIDITY_SECONDS, Math.floor(seconds)));
  return toValidityPeriod(clamped);
}

function webhooks(common: WireCommon): InfobipWebhooks | undefined {
  // Without a URL of ours Infobip reports to the URL configured on the account, so `delivery` is left out.
  const hooks: InfobipWebhooks = {
    ...(common.deliveryUrl ? { delivery: { url: common.deliveryUrl } } : {}),
    ...(common.callbackData !== null ? { callbackData: common.callbackData } : {}),
  };
  return Object.keys(hooks).length > 0 ? hooks : undefined;
}

export function viberRequest(
  common: WireCommon,
  content: ViberWireContent,
  label: 'TRANSACTIONAL' | 'PROMOTIONAL',
): ViberRequest {
  const hooks = webhooks(common);
  return {
    messages: [
      {
        sender: common.sender,
        destinations: [{ to: common.to, messageId: common.messageId }],
        content: viberContent(content),
        options: { label, validityPeriod: validityPeriod(common.validitySeconds) },
        ...(hooks ? { webhooks: hooks } : {}),
      },
    ],
  };
}

export function smsRequest(common: WireCommon, content: SmsContent): SmsRequest {
  const hooks = webhooks(common);
  return {
    messages: [
      {
        sender: common.sender,
        destinations: [{ to: common.to, messageId: common.messageId }],
        content: { text: content.text },
        options: { validityPeriod: validityPeriod(common.validitySeconds) },
        ...(hooks ? { webhooks: hooks } : {}),
      },
    ],
  };
}
