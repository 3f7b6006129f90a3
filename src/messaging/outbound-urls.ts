import type { OutboundGuard } from '../net/outbound-guard.js';
import { ValidationError, type FieldError } from './errors.js';

/**
 * Refuses, as one ValidationError naming each field, URLs the service would call that resolve to
 * addresses it may not reach (see src/net/address-policy.ts). Each distinct URL is resolved once.
 */
export async function assertOutboundUrls(guard: OutboundGuard, urls: ReadonlyArray<{ url: string; path: string[] }>): Promise<void> {
  if (!guard.checksAddresses || urls.length === 0) return;
  const checks = new Map<string, Promise<string | null>>();
  const problems: FieldError[] = [];
  for (const { url, path } of urls) {
    let check = checks.get(url);
    if (!check) {
      check = guard.urlProblem(url);
      checks.set(url, check);
    }
    const problem = await check;
    if (problem) problems.push({ path, message: problem });
  }
  if (problems.length > 0) throw new ValidationError(problems);
}
