export type SmsEncoding = 'GSM7' | 'UCS2';

export interface SmsAnalysis {
  encoding: SmsEncoding;
  /**
   * Length as billed: septets for GSM-7 (an extension character counts 2), UTF-16 code units for
   * UCS-2 (an emoji counts 2). Deliberately equal to `units`: this is the number a "123/160"
   * counter must show, and counting code points instead would make the counter disagree with
   * the segment count.
   */
  characters: number;
  /** Septets for GSM7, UTF-16 code units for UCS2. */
  units: number;
  segments: number;
  /** The text as it is cut into segments; `parts.join('') === text`. */
  parts: string[];
  /** Capacity of each segment: 160/70 for a single-part message, 153/67 once it is concatenated. */
  unitsPerSegment: number;
  remainingInLastSegment: number;
}

/** 3GPP TS 23.038 default alphabet, without the ESC (0x1B) that introduces the extension table. */
export const GSM7_BASIC_CHARS =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Reached through ESC, so each one costs two septets. */
export const GSM7_EXTENSION_CHARS = '\f^{}\\[~]|€';

const GSM7_BASIC = new Set(GSM7_BASIC_CHARS);
const GSM7_EXTENSION = new Set(GSM7_EXTENSION_CHARS);

export const GSM7_SINGLE_SEGMENT = 160;
// 7 septets of each part go to the concatenation header (UDH).
export const GSM7_MULTI_SEGMENT = 153;
export const UCS2_SINGLE_SEGMENT = 70;
export const UCS2_MULTI_SEGMENT = 67;

export function isGsm7Char(ch: string): boolean {
  return GSM7_BASIC.has(ch) || GSM7_EXTENSION.has(ch);
}

export function analyzeSms(text: string): SmsAnalysis {
  // Iterating by code point keeps surrogate pairs together; a lone surrogate comes out on its own
  // and, not being GSM-7, forces UCS-2 like any other foreign character.
  const chars = Array.from(text);
  const encoding: SmsEncoding = chars.every(isGsm7Char) ? 'GSM7' : 'UCS2';
  const cost =
    encoding === 'GSM7'
      ? (ch: string) => (GSM7_EXTENSION.has(ch) ? 2 : 1)
      : (ch: string) => ch.length;

  let units = 0;
  for (const ch of chars) units += cost(ch);

  const single = encoding === 'GSM7' ? GSM7_SINGLE_SEGMENT : UCS2_SINGLE_SEGMENT;
  if (units <= single) {
    // Empty text is reported as 0 characters in 1 segment: a send is still one billed message, and
    // a counter showing "0/160" is what an empty compose box should read.
    return {
      encoding,
      characters: units,
      units,
      segments: 1,
      parts: [text],
      unitsPerSegment: single,
      remainingInLastSegment: single - units,
    };
  }

  const perPart = encoding === 'GSM7' ? GSM7_MULTI_SEGMENT : UCS2_MULTI_SEGMENT;
  const parts: string[] = [];
  let current = '';
  let currentUnits = 0;
  for (const ch of chars) {
    const c = cost(ch);
    // A two-unit character that does not fit moves whole to the next part: an escape pair or a
    // surrogate pair cut in half is garbage on the handset. The part is left one unit short.
    if (currentUnits + c > perPart) {
      parts.push(current);
      current = '';
      currentUnits = 0;
    }
    current += ch;
    currentUnits += c;
  }
  parts.push(current);

  return {
    encoding,
    characters: units,
    units,
    segments: parts.length,
    parts,
    unitsPerSegment: perPart,
    remainingInLastSegment: perPart - currentUnits,
  };
}
