/**
 * What a step sends. Stored as JSON in the message's flow snapshot and on each attempt, so a later change
 * to a scenario never alters a message already accepted. Field names are ours; each adapter maps them to
 * its provider's wire names (Viber `picture`/`media`, Infobip `IMAGE`/`mediaUrl`, DecisionTelecom 108…).
 */
export interface ViberButton {
  text: string;
  url: string;
}

export interface CarouselItem {
  title: string;
  imageUrl: string;
  /** Opens this URL when tapped. */
  buttonText: string;
  buttonUrl: string;
}

/**
 * A Viber keyboard: buttons shown under the chat's input field until the next message replaces them. Only
 * the Viber REST Bot API has keyboards; business messages by phone number (Infobip, DecisionTelecom) do
 * not, so their validation refuses one.
 */
export interface ViberKeyboard {
  buttons: ViberKeyboardButton[];
  /** Viber's DefaultHeight: the keyboard takes its full height instead of fitting its buttons. */
  defaultHeight?: boolean | null;
  /** #RRGGBB */
  bgColor?: string | null;
}

export type ViberKeyboardAction = 'REPLY' | 'OPEN_URL';

export interface ViberKeyboardButton {
  /** REPLY sends `actionBody` back to the bot as the user's message; OPEN_URL opens `actionBody`. */
  actionType: ViberKeyboardAction;
  actionBody: string;
  text?: string | null;
  imageUrl?: string | null;
  /** Width in a 6-column grid (default 6) and height in rows (1 or 2, default 1). */
  columns?: number | null;
  rows?: number | null;
  bgColor?: string | null;
}

/** Any Viber content may carry a keyboard; whether its provider can send one is that provider's rule. */
export type ViberContent = ViberContentBody & { keyboard?: ViberKeyboard | null };

type ViberContentBody =
  | { type: 'TEXT'; text: string }
  | { type: 'IMAGE'; url: string; text?: string | null; thumbnailUrl?: string | null }
  | { type: 'VIDEO'; url: string; sizeBytes: number; durationSeconds?: number | null; thumbnailUrl?: string | null; text?: string | null }
  | { type: 'FILE'; url: string; sizeBytes: number; fileName: string }
  | { type: 'CAROUSEL'; altText?: string | null; items: CarouselItem[] }
  | { type: 'LOCATION'; latitude: number; longitude: number }
  | { type: 'CONTACT'; name: string; phoneNumber: string; avatarUrl?: string | null }
  | { type: 'STICKER'; stickerId: number }
  | { type: 'URL'; url: string }
  /** Text + image + button, all three required together (Infobip OMNI "rich", DecisionTelecom 108). */
  | { type: 'RICH'; text: string; imageUrl: string; button: ViberButton };

export type ViberContentType = ViberContent['type'];

export interface SmsContent {
  type: 'SMS_TEXT';
  text: string;
}

export type StepContent = ViberContent | SmsContent;

export const VIBER_TEXT_MAX = 1000;
export const SMS_TEXT_MAX = 1600;

/** The plain text a content carries, used when an SMS step has no text of its own. */
export function plainText(content: StepContent): string | null {
  switch (content.type) {
    case 'TEXT':
    case 'SMS_TEXT':
    case 'RICH':
      return content.text;
    case 'IMAGE':
    case 'VIDEO':
      return content.text ?? null;
    default:
      return null;
  }
}

/** What users send us back (inbound), across every provider. */
export type InboundContent =
  | { type: 'TEXT'; text: string }
  | { type: 'IMAGE'; url: string; text?: string | null }
  | { type: 'VIDEO'; url: string; sizeBytes?: number | null; durationSeconds?: number | null }
  | { type: 'FILE'; url: string; fileName?: string | null; sizeBytes?: number | null }
  | { type: 'AUDIO'; url: string; durationSeconds?: number | null }
  | { type: 'LOCATION'; latitude: number; longitude: number; address?: string | null }
  | { type: 'CONTACT'; name: string; phoneNumber?: string | null }
  | { type: 'STICKER'; stickerId?: number | null; url?: string | null };
