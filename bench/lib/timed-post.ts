import { performance } from 'node:perf_hooks';

/** Outcome of a request still running when its phase ended: cut off, counted nowhere. */
export const CUT_OFF = 'cut off at the phase end';

/** One GraphQL POST, timed, reduced to its outcome: "<status> <first error code>" or "<status> data". */
export async function timedPost(
  url: string,
  key: string,
  query: string,
  timeoutMs: number,
  phaseEnd?: AbortSignal,
): Promise<{ outcome: string; ms: number }> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `App ${key}` },
      body: JSON.stringify({ query }),
      signal: phaseEnd ? AbortSignal.any([timeout, phaseEnd]) : timeout,
    });
    const body = (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    const code = body.errors?.[0]?.extensions?.code;
    return { outcome: code ? `${res.status} ${code}` : body.data ? `${res.status} data` : `${res.status}`, ms: performance.now() - started };
  } catch (err) {
    const outcome = phaseEnd?.aborted && !timeout.aborted ? CUT_OFF : timeout.aborted ? 'timed out' : `failed: ${(err as Error).message}`;
    return { outcome, ms: performance.now() - started };
  }
}
