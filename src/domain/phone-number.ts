import { parsePhoneNumberWithError, ParseError } from 'libphonenumber-js/max';

export type PhoneNumberResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * Accepts international numbers with or without the leading '+' (Infobip style "41793026727") and
 * returns E.164. Numbers must be valid for their country, not merely well-formed.
 */
export function normalisePhoneNumber(input: string): PhoneNumberResult {
  const trimmed = input.trim().replace(/[\s().-]/g, '');
  if (!/^\+?\d{4,16}$/.test(trimmed)) {
    return { ok: false, reason: 'must be an international phone number, digits with an optional leading +' };
  }
  const withPlus = trimmed.startsWith('+') ? trimmed : `+${trimmed}`;
  try {
    const parsed = parsePhoneNumberWithError(withPlus);
    if (!parsed.isValid()) return { ok: false, reason: 'is not a valid phone number for its country' };
    return { ok: true, e164: parsed.number };
  } catch (e) {
    return { ok: false, reason: e instanceof ParseError ? `is not a phone number (${e.message})` : 'is not a phone number' };
  }
}

/** Provider wire format: international digits without '+'. */
export function toProviderDigits(e164: string): string {
  return e164.replace(/^\+/, '');
}
