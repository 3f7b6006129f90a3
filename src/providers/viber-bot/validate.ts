/**
 * What the Viber REST Bot API would refuse in a step's content (docs/providers.md, Viber bot: send body),
 * checked before a message is accepted so the caller hears of it at once instead of as a later REJECTED.
 * The sender name is validated with the sender, not here.
 */
import { codePointLength, isHttpUrl } from '../../domain/text.js';
import type { StepContent, ViberContent } from '../../domain/content.js';
import { sendMessageBody } from './wire.js';

export interface ContentProblem {
  /** Relative to the content, e.g. ['items', '0', 'buttonText']. */
  path: string[];
  message: string;
}

export interface ViberBotValidationOptions {
  /**
   * Require image URLs to end in .jpg/.jpeg/.png/.gif. The picture format rule is assumed (third-party
   * material, docs/providers.md), and a CDN URL without an extension may well serve a JPEG: set false
   * to allow those. Default true.
   */
  requireImageExtension?: boolean;
}

const API = 'the Viber Bot API';

export const VIBER_BOT_LIMITS = {
  text: 7000,
  /** Viber documents a picture caption as at most 768 characters. */
  pictureText: 768,
  url: 2000,
  fileName: 256,
  videoBytes: 26 * 1024 * 1024,
  fileBytes: 50 * 1024 * 1024,
  carouselItems: 6,
  /** Viber caps any button Text at 250 characters. */
  buttonTextMax: 250,
  /** A one-row action button shows about this much on a handset; longer labels are clipped. */
  actionButtonText: 30,
  requestBytes: 30 * 1024,
} as const;

// Room in the 30 KB request for what validation cannot see: receiver id, sender name, tracking_data.
const ENVELOPE_ALLOWANCE_BYTES = 512;
const IMAGE_EXTENSION = /\.(jpe?g|png|gif)$/i;

export function validateViberBotContent(content: StepContent, options: ViberBotValidationOptions = {}): ContentProblem[] {
  if (content.type === 'SMS_TEXT') return [{ path: ['type'], message: `${API} carries only VIBER steps` }];
  const v = new Collector(options.requireImageExtension ?? true);
  checkContent(content, v);
  if (v.problems.length === 0) checkSize(content, v);
  return v.problems;
}

class Collector {
  readonly problems: ContentProblem[] = [];
  constructor(private readonly requireImageExtension: boolean) {}

  add(path: string[], message: string): void {
    this.problems.push({ path, message: `${message} for ${API}` });
  }

  required(path: string[], value: string | null | undefined): void {
    if (value === null || value === undefined || value === '') this.add(path, 'must not be empty');
  }

  text(path: string[], value: string | null | undefined, max: number, required: boolean): void {
    if (value === null || value === undefined || value === '') {
      if (required) this.add(path, 'must not be empty');
      return;
    }
    if (codePointLength(value) > max) this.add(path, `must be at most ${max} characters`);
  }

  url(path: string[], value: string | null | undefined, required: boolean, max?: number): void {
    if (value === null || value === undefined || value === '') {
      if (required) this.add(path, 'must not be empty');
      return;
    }
    if (!isHttpUrl(value)) this.add(path, 'must be an http(s) URL');
    else if (max !== undefined && value.length > max) this.add(path, `must be at most ${max} characters`);
  }

  imageUrl(path: string[], value: string): void {
    const before = this.problems.length;
    this.url(path, value, true);
    if (this.problems.length > before || !this.requireImageExtension) return;
    // Assumed (docs/providers.md): Viber takes JPEG, PNG and non-animated GIF; the URL's extension is our only clue.
    if (!IMAGE_EXTENSION.test(new URL(value).pathname)) this.add(path, 'must be a .jpg, .jpeg, .png or .gif image URL');
  }

  bytes(path: string[], value: number, max: number, maxLabel: string): void {
    if (!Number.isInteger(value) || value <= 0) this.add(path, 'must be a positive whole number of bytes');
    else if (value > max) this.add(path, `must be at most ${maxLabel} (${max} bytes)`);
  }
}

function checkContent(c: ViberContent, v: Collector): void {
  const L = VIBER_BOT_LIMITS;
  switch (c.type) {
    case 'TEXT':
      v.text(['text'], c.text, L.text, true);
      return;
    case 'IMAGE':
      v.imageUrl(['url'], c.url);
      v.text(['text'], c.text, L.pictureText, false);
      v.url(['thumbnailUrl'], c.thumbnailUrl, false);
      return;
    case 'VIDEO':
      v.url(['url'], c.url, true);
      // Assumed (docs/providers.md): Viber requires the size and takes videos up to 26 MB.
      v.bytes(['sizeBytes'], c.sizeBytes, L.videoBytes, '26 MB');
      if (c.durationSeconds !== null && c.durationSeconds !== undefined && !(Number.isInteger(c.durationSeconds) && c.durationSeconds >= 0))
        v.add(['durationSeconds'], 'must be a whole number of seconds');
      v.url(['thumbnailUrl'], c.thumbnailUrl, false);
      v.text(['text'], c.text, L.text, false);
      return;
    case 'FILE':
      v.url(['url'], c.url, true);
      // Assumed (docs/providers.md): files up to 50 MB.
      v.bytes(['sizeBytes'], c.sizeBytes, L.fileBytes, '50 MB');
      v.text(['fileName'], c.fileName, L.fileName, true);
      return;
    case 'CONTACT':
      v.required(['name'], c.name);
      v.required(['phoneNumber'], c.phoneNumber);
      v.url(['avatarUrl'], c.avatarUrl, false);
      return;
    case 'LOCATION':
      if (!(Number.isFinite(c.latitude) && Math.abs(c.latitude) <= 90)) v.add(['latitude'], 'must be between -90 and 90');
      if (!(Number.isFinite(c.longitude) && Math.abs(c.longitude) <= 180)) v.add(['longitude'], 'must be between -180 and 180');
      return;
    case 'URL':
      v.url(['url'], c.url, true, L.url);
      return;
    case 'STICKER':
      if (!(Number.isInteger(c.stickerId) && c.stickerId > 0)) v.add(['stickerId'], 'must be a positive integer sticker id');
      return;
    case 'CAROUSEL':
      if (c.items.length < 1 || c.items.length > L.carouselItems) v.add(['items'], `must have 1 to ${L.carouselItems} items`);
      c.items.forEach((item, i) => {
        const at = (field: string) => ['items', String(i), field];
        v.text(at('title'), item.title, L.buttonTextMax, true);
        v.imageUrl(at('imageUrl'), item.imageUrl);
        v.text(at('buttonText'), item.buttonText, L.actionButtonText, true);
        v.url(at('buttonUrl'), item.buttonUrl, true, L.url);
      });
      return;
    case 'RICH':
      // Sent as a captioned picture with a keyboard button (see wire.ts), so the caption limit applies.
      v.text(['text'], c.text, L.pictureText, true);
      v.imageUrl(['imageUrl'], c.imageUrl);
      v.text(['button', 'text'], c.button.text, L.actionButtonText, true);
      v.url(['button', 'url'], c.button.url, true, L.url);
      return;
  }
}

function checkSize(c: ViberContent, v: Collector): void {
  const body = sendMessageBody({ receiver: '', senderName: '', trackingData: '', content: c });
  const bytes = Buffer.byteLength(JSON.stringify(body)) + ENVELOPE_ALLOWANCE_BYTES;
  if (bytes > VIBER_BOT_LIMITS.requestBytes) v.add([], `must fit in a request of at most 30 KB (it needs about ${bytes} bytes)`);
}

