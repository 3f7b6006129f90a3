/**
 * Text PostgreSQL can store. It refuses NUL (U+0000) in `text` and `jsonb`, and an unpaired UTF-16
 * surrogate in `jsonb` (as `\ud800` in JSON); in `text` such a surrogate would silently turn into U+FFFD on
 * the way in. Input holding either is refused whole rather than stored altered or failing in SQL.
 */

// Without the `u` flag a regular expression sees UTF-16 code units, which is what finds a lone surrogate.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored, or null when it can. */
export function unstorableTextProblem(text: string): string | null {
  const match = UNSTORABLE.exec(text);
  if (!match) return null;
  const at = match.index;
  if (match[0] === '\u0000') return `must not contain the NUL character (U+0000, at position ${at})`;
  const unit = match[0].charCodeAt(0).toString(16).toUpperCase();
  return `must not contain an unpaired UTF-16 surrogate (U+${unit}, at position ${at})`;
}
