import { mayHaveReachedProvider, postJson, type HttpResponse } from './http-client.js';
import { SendInDoubtError, TransientProviderError } from './types.js';

/** A connection's base URL without trailing slashes, so an endpoint path can follow it. */
export function trimBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * POSTs to a provider. No answer at all splits two ways: refused or reset before the request was written
 * out is a TransientProviderError (the provider never saw it; sending again later is safe); a timeout or
 * a reset after it was written is a SendInDoubtError (the provider may have it, so it is never blindly
 * sent again: the adapter's `inDoubt` rule settles it). Any answer, whatever its HTTP status, is returned
 * for the adapter to judge.
 */
export async function postToProvider(
  /** Names the call in the error, e.g. "Infobip /sms/3/messages". */
  label: string,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<HttpResponse> {
  try {
    return await postJson(url, headers, body, timeoutMs);
  } catch (err) {
    const what = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkErrorText(err);
    if (mayHaveReachedProvider(err)) throw new SendInDoubtError(`${label}: ${what}`);
    throw new TransientProviderError(`${label}: ${what}`);
  }
}

/** Node puts the useful part (ECONNREFUSED 127.0.0.1:9) in the cause of a fetch-style error. */
function networkErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
}
