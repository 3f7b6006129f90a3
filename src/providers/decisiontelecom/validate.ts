/**
 * What DecisionTelecom can carry, checked before a message is accepted so that a send fails with a
 * clear input error instead of an "Invalid Parameter" from the provider later.
 */
import { codePointLength, parseHttpUrl } from '../../domain/text.js';
import type { StepContent } from '../../domain/content.js';
import { DT_SOURCE_ADDR_MAX } from './wire.js';

export interface DtContentProblem {
  /** Relative to the content (or, for the sender, to the sender field itself). */
  path: string[];
  message: string;
}

export const DT_TEXT_MAX = 1000;
export const DT_BUTTON_TEXT_MAX = 30;

const PROVIDER = 'DecisionTelecom';

// The provider states limits in characters; code points are what a person counts (an emoji is one).
function checkText(text: string, path: string[], out: DtContentProblem[]): void {
  if (text.trim() === '') out.push({ path, message: `must not be empty for ${PROVIDER}` });
  else if (codePointLength(text) > DT_TEXT_MAX) out.push({ path, message: `must be at most ${DT_TEXT_MAX} characters for ${PROVIDER}` });
}

export function validateDecisionTelecomContent(content: StepContent): DtContentProblem[] {
  const out: DtContentProblem[] = [];
  // send-viber has no keyboard field; its only button is the one of a 108/208 message.
  if (content.type !== 'SMS_TEXT' && content.keyboard) {
    out.push({ path: ['keyboard'], message: `is not carried by ${PROVIDER}: keyboards exist only in the Viber Bot API` });
  }
  switch (content.type) {
    case 'TEXT':
      checkText(content.text, ['text'], out);
      return out;
    case 'RICH': {
      checkText(content.text, ['text'], out);
      // Only the extension can be checked here; the 400×400 pixel limit needs the image itself.
      const image = parseHttpUrl(content.imageUrl);
      if (!image || !/\.(jpe?g|png)$/i.test(image.pathname)) {
        out.push({ path: ['imageUrl'], message: `must be an http(s) URL of a .jpg, .jpeg or .png image for ${PROVIDER}` });
      }
      const caption = content.button.text;
      if (caption.trim() === '') out.push({ path: ['button', 'text'], message: `button text must not be empty for ${PROVIDER}` });
      else if (codePointLength(caption) > DT_BUTTON_TEXT_MAX) {
        out.push({ path: ['button', 'text'], message: `button text must be at most ${DT_BUTTON_TEXT_MAX} characters for ${PROVIDER}` });
      }
      if (!parseHttpUrl(content.button.url)) out.push({ path: ['button', 'url'], message: `button URL must be an http(s) URL for ${PROVIDER}` });
      return out;
    }
    case 'SMS_TEXT':
      // send-sms documents no limit of its own; the generic SMS limits apply elsewhere.
      if (content.text.trim() === '') out.push({ path: ['text'], message: `must not be empty for ${PROVIDER}` });
      return out;
    case 'IMAGE':
    case 'VIDEO':
    case 'FILE':
    case 'CAROUSEL':
    case 'LOCATION':
    case 'CONTACT':
    case 'STICKER':
    case 'URL':
      return [{ path: [], message: `${content.type} messages are not supported by ${PROVIDER}` }];
  }
}

/** `source_addr` is at most 20 characters. */
export function validateDecisionTelecomSender(from: string): DtContentProblem[] {
  if (from.trim() === '') return [{ path: [], message: `sender must not be empty for ${PROVIDER}` }];
  if (codePointLength(from) > DT_SOURCE_ADDR_MAX) {
    return [{ path: [], message: `sender must be at most ${DT_SOURCE_ADDR_MAX} characters for ${PROVIDER}` }];
  }
  return [];
}
