/**
 * The Viber REST Bot API's JSON in both directions (docs/providers.md, Viber bot). Request
 * builders are pure functions, so the exact wire shape is testable without a server and validate.ts can
 * measure the real body size.
 */
import type { CarouselItem, ViberContent } from '../../domain/content.js';

export type ViberJson = Record<string, unknown>;

export interface SendMessageInput {
  /** The subscriber's per-bot Viber user id. */
  receiver: string;
  /** Shown as the message's author; Viber allows at most 28 characters (validated with the sender). */
  senderName: string;
  /** Echoed back in the user's reply (`message.tracking_data`), which is how a reply finds its attempt. */
  trackingData: string;
  content: ViberContent;
}

export function sendMessageBody(input: SendMessageInput): ViberJson {
  return {
    receiver: input.receiver,
    sender: { name: input.senderName },
    tracking_data: input.trackingData,
    ...contentFields(input.content),
  };
}

export const WEBHOOK_EVENT_TYPES = [
  'delivered',
  'seen',
  'failed',
  'subscribed',
  'unsubscribed',
  'conversation_started',
  'message',
] as const;

export function setWebhookBody(url: string): ViberJson {
  // Names and photos come with subscriber callbacks only when asked for; the subscriber registry wants them.
  return { url, event_types: [...WEBHOOK_EVENT_TYPES], send_name: true, send_photo: true };
}

/** Viber has no "delete webhook": setting an empty URL removes it. */
export function removeWebhookBody(): ViberJson {
  return { url: '' };
}

// A carousel card is one 6×7 button group: image on top, title below, a one-row action button at the bottom.
const CARD_COLUMNS = 6;
const CARD_IMAGE_ROWS = 4;
const CARD_TITLE_ROWS = 2;
const CARD_ACTION_ROWS = 1;
export const CARD_ROWS = CARD_IMAGE_ROWS + CARD_TITLE_ROWS + CARD_ACTION_ROWS;
/** Rich media (carousels) appeared in Viber API version 2; older clients show `alt_text` instead. */
export const RICH_MEDIA_MIN_API_VERSION = 2;

function contentFields(content: ViberContent): ViberJson {
  switch (content.type) {
    case 'TEXT':
      return { type: 'text', text: content.text };
    case 'IMAGE':
      return {
        type: 'picture',
        media: content.url,
        // Viber documents picture `text` as required (an empty string when there is no caption).
        text: content.text ?? '',
        ...optional('thumbnail', content.thumbnailUrl),
      };
    case 'VIDEO':
      return {
        type: 'video',
        media: content.url,
        size: content.sizeBytes,
        ...optional('duration', content.durationSeconds),
        ...optional('thumbnail', content.thumbnailUrl),
        ...optional('text', content.text),
      };
    case 'FILE':
      return { type: 'file', media: content.url, size: content.sizeBytes, file_name: content.fileName };
    case 'CONTACT':
      return {
        type: 'contact',
        contact: { name: content.name, phone_number: content.phoneNumber, ...optional('avatar', content.avatarUrl) },
      };
    case 'LOCATION':
      return { type: 'location', location: { lat: content.latitude, lon: content.longitude } };
    case 'URL':
      return { type: 'url', media: content.url };
    case 'STICKER':
      return { type: 'sticker', sticker_id: content.stickerId };
    case 'CAROUSEL':
      return {
        type: 'rich_media',
        min_api_version: RICH_MEDIA_MIN_API_VERSION,
        rich_media: {
          Type: 'rich_media',
          ButtonsGroupColumns: CARD_COLUMNS,
          ButtonsGroupRows: CARD_ROWS,
          Buttons: content.items.flatMap(carouselCard),
        },
        // Clients below API version 2 show only this, so without one they would get an empty bubble.
        alt_text: content.altText ?? content.items.map((i) => `${i.title}: ${i.buttonUrl}`).join('\n'),
      };
    case 'RICH':
      // A picture with its caption plus a one-button keyboard rather than a rich_media card: a card cell
      // shows only a few lines (Viber caps button Text at 250 characters, and clips what does not fit its
      // rows), while a picture caption carries up to 768 characters in full and needs no min_api_version.
      // The price is that the button lives in the chat's keyboard, replaced by the next message's keyboard.
      return {
        type: 'picture',
        media: content.imageUrl,
        text: content.text,
        keyboard: {
          Type: 'keyboard',
          DefaultHeight: false,
          Buttons: [
            { Columns: CARD_COLUMNS, Rows: 1, ActionType: 'open-url', ActionBody: content.button.url, Text: content.button.text },
          ],
        },
      };
  }
}

function carouselCard(item: CarouselItem): ViberJson[] {
  // Every cell opens the item's URL, so a tap anywhere on the card does what its button says.
  return [
    { Columns: CARD_COLUMNS, Rows: CARD_IMAGE_ROWS, ActionType: 'open-url', ActionBody: item.buttonUrl, Image: item.imageUrl },
    {
      Columns: CARD_COLUMNS,
      Rows: CARD_TITLE_ROWS,
      ActionType: 'open-url',
      ActionBody: item.buttonUrl,
      Text: item.title,
      TextSize: 'regular',
      TextVAlign: 'middle',
      TextHAlign: 'left',
    },
    {
      Columns: CARD_COLUMNS,
      Rows: CARD_ACTION_ROWS,
      ActionType: 'open-url',
      ActionBody: item.buttonUrl,
      Text: item.buttonText,
      TextSize: 'large',
      TextVAlign: 'middle',
      TextHAlign: 'middle',
    },
  ];
}

/** Viber refuses `null` for optional fields in places (tracking_data); leaving them out is always safe. */
function optional<K extends string, V>(key: K, value: V | null | undefined): Partial<Record<K, V>> {
  return value === null || value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
