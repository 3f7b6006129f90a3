import type { Channel, ProviderType } from '../domain/channel.js';
import { isFinal, type StatusGroup } from '../domain/status.js';
import { Metrics } from './metrics.js';
import { Tracing } from './tracing.js';

export { Metrics } from './metrics.js';
export { Tracing } from './tracing.js';

/** What the services count and trace through: one per app instance, passed in, never global. */
export interface Observability {
  metrics: Metrics;
  tracing: Tracing;
}

/** Metrics that go nowhere and no tracing: for services built outside an app (scripts, unit tests). */
export function detachedObservability(): Observability {
  return { metrics: new Metrics(), tracing: Tracing.off() };
}

/** A status change as the outcome writer reports it after commit (the fields counting needs). */
export interface FinishedChange {
  final?: boolean;
  payload: {
    message: { statusGroup: StatusGroup; sentAt: Date | null; doneAt: Date | null };
    attempt: { channel: Channel; provider: ProviderType } | null;
  };
}

/** Counts the messages a committed batch of status changes made final, with their send → final time. */
export function countFinished(metrics: Metrics, changes: readonly FinishedChange[]): void {
  for (const c of changes) {
    if (!c.final || !c.payload.attempt || !isFinal(c.payload.message.statusGroup)) continue;
    const { message, attempt } = c.payload;
    const seconds = message.sentAt && message.doneAt ? (message.doneAt.getTime() - message.sentAt.getTime()) / 1000 : null;
    metrics.messageFinished(attempt.channel, attempt.provider, message.statusGroup, seconds);
  }
}
