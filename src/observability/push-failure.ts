/**
 * What a failed report push log line says: the webhook's host (never its path or query, which may carry a
 * client's token), and the HTTP status or the network error's code. `fetch` reports network failures as
 * "TypeError: fetch failed" with the real reason (ECONNREFUSED, ENOTFOUND, UND_ERR_CONNECT_TIMEOUT…) in
 * `err.cause.code`; a timeout is an AbortSignal's TimeoutError.
 */
export function pushFailure(url: string, statusCode: number | null, err: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    host = '(invalid url)';
  }
  if (statusCode !== null) return { ...extra, host, statusCode };
  return { ...extra, host, code: networkErrorCode(err) };
}

export function networkErrorCode(err: unknown): string {
  if (!(err instanceof Error)) return 'UNKNOWN';
  const cause = (err as { cause?: unknown }).cause;
  const causeCode = cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
  if (typeof causeCode === 'string') return causeCode;
  const ownCode = (err as { code?: unknown }).code;
  if (typeof ownCode === 'string') return ownCode;
  return err.name === 'TimeoutError' || err.name === 'AbortError' ? 'TIMEOUT' : err.name;
}
