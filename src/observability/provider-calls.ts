import type { ProviderType } from '../domain/channel.js';
import { TransientProviderError, type OutboundMessage, type SendResult } from '../providers/types.js';
import type { Observability } from './index.js';
import type { ProviderCallOutcome } from './metrics.js';
import { SpanKind } from './tracing.js';

/**
 * One request's outcome from its per-message results: an unknown failure outweighs a transient one,
 * which outweighs a rejection; a request is `accepted` when any message in it was.
 */
export function providerCallOutcome(results: ReadonlyArray<SendResult | Error>): ProviderCallOutcome {
  if (results.some((r) => r instanceof Error && !(r instanceof TransientProviderError))) return 'error';
  if (results.some((r) => r instanceof TransientProviderError)) return 'transient';
  if (results.some((r) => !(r instanceof Error) && r.kind === 'accepted')) return 'accepted';
  return 'rejected';
}

/** A provider send (one message or one batch) timed into the latency histogram and traced as a client span. */
export async function observeProviderCall<T extends Array<SendResult | Error>>(
  observability: Observability,
  provider: ProviderType,
  messages: OutboundMessage[],
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  return observability.tracing.inSpan(
    `provider send ${provider}`,
    SpanKind.CLIENT,
    {
      'omnigate.provider': provider,
      'omnigate.channel': messages[0]?.channel ?? '',
      'omnigate.message_count': messages.length,
      ...(messages.length === 1 ? { 'omnigate.attempt_id': messages[0]!.attemptId } : {}),
    },
    async (span) => {
      const results = await call();
      const outcome = providerCallOutcome(results);
      observability.metrics.providerCall(provider, outcome, (performance.now() - started) / 1000);
      span?.setAttribute('omnigate.outcome', outcome);
      return results;
    },
  );
}
