/**
 * JSON as providers write it. Viber message tokens and DecisionTelecom ids and tokens exceed 2^53, which
 * a plain JSON.parse would round, so their bodies are parsed keeping big integers as decimal strings.
 */
import JSONbig from 'json-bigint';

const exactJson = JSONbig({ storeAsString: true });

/** Parses JSON keeping integers beyond 2^53 exact, as decimal strings. Throws on invalid JSON. */
export function parseExactJson(text: string): unknown {
  return exactJson.parse(text);
}

/**
 * A non-negative integer id as an exact decimal string, whether parseExactJson kept it as a string (big)
 * or a number (small); null for anything else. 40 digits is far beyond any id seen, yet bounded.
 */
export function idString(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d{1,40}$/.test(value)) return value;
  return null;
}

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
