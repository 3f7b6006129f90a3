/** Characters as a person counts them (code points: an emoji is one), which is how providers state limits. */
export function codePointLength(s: string): number {
  return [...s].length;
}

/** The parsed URL when `s` is an absolute http(s) URL, else null. */
export function parseHttpUrl(s: string): URL | null {
  try {
    const url = new URL(s);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

export function isHttpUrl(s: string): boolean {
  return parseHttpUrl(s) !== null;
}
