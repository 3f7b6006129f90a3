/**
 * What Infobip accepts, checked before anything goes on the wire so a refusal names our field and the limit
 * instead of surfacing later as an HTTP 400. Limits: Infobip's API reference, the official Infobip SDK
 * models (ViberOutbound*Content, ViberCarouselCard/Button) and the platform's Viber carousel rules (assumed:
 * not in the API reference, confirm against the account before relying on them; docs/providers.md).
 */
import { codePointLength, isHttpUrl } from '../../domain/text.js';
import { SMS_TEXT_MAX, VIBER_TEXT_MAX, type StepContent } from '../../domain/content.js';

export interface ContentProblem {
  path: string[];
  message: string;
}

const BUTTON_TEXT_MAX = 20;
const URL_MAX = 1000;
const VIDEO_DURATION_MAX_SECONDS = 600;
const VIDEO_SIZE_MAX_BYTES = 200 * 1024 * 1024;
const CAROUSEL_MIN_ITEMS = 2;
const CAROUSEL_MAX_ITEMS = 5;
const CAROUSEL_TITLE_MAX = 38;
// Infobip's limit for a card's first button; a card here has only one.
const CAROUSEL_BUTTON_TEXT_MAX = 10;
// The SDK's pattern for Viber file names (case-insensitive here: "REPORT.PDF" is the same file type).
const FILE_NAME_RE = /\.(docx?|dotx?|xlsx?|f?ods|f?odt|rtf|odf|txt|info|pdf|xps|pdax|eps|csv|xlsm|xltx)$/i;

const UNSUPPORTED = new Set(['LOCATION', 'CONTACT', 'STICKER', 'URL']);

class Problems {
  readonly list: ContentProblem[] = [];

  add(path: string[], message: string): void {
    this.list.push({ path, message });
  }

  text(path: string[], value: string | null | undefined, max: number, what = '', required = true): void {
    if (value === null || value === undefined || value === '') {
      if (required) this.add(path, `${what}is required by Infobip`);
      return;
    }
    if (codePointLength(value) > max) this.add(path, `${what}must be at most ${max} characters for Infobip`);
  }

  url(path: string[], value: string | null | undefined, what = ''): void {
    if (value === null || value === undefined || value === '') {
      this.add(path, `${what}is required by Infobip`);
      return;
    }
    if (!isHttpUrl(value)) this.add(path, `${what}must be an http(s) URL for Infobip`);
    else if (value.length > URL_MAX) this.add(path, `${what}must be at most ${URL_MAX} characters for Infobip`);
  }
}

/** Problems with sending `content` through Infobip; paths are relative to the content object. */
export function validateInfobipContent(content: StepContent): ContentProblem[] {
  const p = new Problems();
  if (UNSUPPORTED.has(content.type)) {
    p.add([], `${content.type} messages are not supported by Infobip Viber Business Messages`);
    return p.list;
  }
  switch (content.type) {
    case 'TEXT':
      p.text(['text'], content.text, VIBER_TEXT_MAX);
      break;
    case 'RICH':
      p.text(['text'], content.text, VIBER_TEXT_MAX);
      p.url(['imageUrl'], content.imageUrl, 'image URL ');
      p.text(['button', 'text'], content.button.text, BUTTON_TEXT_MAX, 'button text ');
      p.url(['button', 'url'], content.button.url, 'button URL ');
      break;
    case 'IMAGE':
      p.url(['url'], content.url, 'image URL ');
      p.text(['text'], content.text, VIBER_TEXT_MAX, '', false);
      break;
    case 'VIDEO':
      p.url(['url'], content.url, 'video URL ');
      // Infobip requires both for a video, though our content type allows leaving them out.
      p.url(['thumbnailUrl'], content.thumbnailUrl, 'thumbnail URL ');
      if (content.durationSeconds === null || content.durationSeconds === undefined) {
        p.add(['durationSeconds'], 'is required by Infobip for a video');
      } else if (!Number.isInteger(content.durationSeconds) || content.durationSeconds < 1 || content.durationSeconds > VIDEO_DURATION_MAX_SECONDS) {
        p.add(['durationSeconds'], `must be a whole number of seconds from 1 to ${VIDEO_DURATION_MAX_SECONDS} for Infobip`);
      }
      if (content.sizeBytes > VIDEO_SIZE_MAX_BYTES) p.add(['sizeBytes'], 'video must be at most 200 MB for Infobip');
      p.text(['text'], content.text, VIBER_TEXT_MAX, '', false);
      break;
    case 'FILE':
      p.url(['url'], content.url, 'file URL ');
      if (!content.fileName) p.add(['fileName'], 'is required by Infobip');
      else if (!FILE_NAME_RE.test(content.fileName)) {
        p.add(['fileName'], 'must end in a document extension Infobip accepts (.pdf, .doc(x), .xls(x), .txt, .csv, .rtf, .odt, …)');
      }
      break;
    case 'CAROUSEL': {
      p.text(['altText'], content.altText, VIBER_TEXT_MAX, 'carousel text ');
      const n = content.items.length;
      if (n < CAROUSEL_MIN_ITEMS || n > CAROUSEL_MAX_ITEMS) {
        p.add(['items'], `must have from ${CAROUSEL_MIN_ITEMS} to ${CAROUSEL_MAX_ITEMS} items for Infobip`);
      }
      content.items.forEach((item, i) => {
        const at = (field: string) => ['items', String(i), field];
        p.text(at('title'), item.title, CAROUSEL_TITLE_MAX, 'title ');
        p.url(at('imageUrl'), item.imageUrl, 'image URL ');
        p.text(at('buttonText'), item.buttonText, CAROUSEL_BUTTON_TEXT_MAX, 'button text ');
        p.url(at('buttonUrl'), item.buttonUrl, 'button URL ');
      });
      break;
    }
    case 'SMS_TEXT':
      // Infobip splits long texts itself and documents no lower cap for /sms/3, so the app-wide limit
      // applies, counted as the API layer counts it (UTF-16 units). The segment count that analyzeSms
      // gives is what a text costs, not whether it may be sent; the adapter reports it as messageCount.
      if (content.text === '') p.add(['text'], 'is required by Infobip');
      else if (content.text.length > SMS_TEXT_MAX) p.add(['text'], `must be at most ${SMS_TEXT_MAX} characters for Infobip`);
      break;
  }
  return p.list;
}
