import { postJson, type HttpResponse } from './http-client.js';
import { TransientProviderError } from './types.js';

/** A connection's base URL without trailing slashes, so an endpoint path can follow it. */
export function trimBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * POSTs to a provider. Not getting an answer at all (refused, reset, timed out) is a
 * TransientProviderError: the provider may never have seen the request, so asking again later is the
 * default, and an adapter whose provider cannot tell a repeat says so where it calls this. Any answer,
 * whatever its HTTP status, is returned for the adapter to judge.
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
    throw new TransientProviderError(`${label}: ${networkErrorText(err)}`);
  }
}

/** Node puts the useful part (ECONNREFUSED 127.0.0.1:9) in the cause of a fetch-style error. */
function networkErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
}
