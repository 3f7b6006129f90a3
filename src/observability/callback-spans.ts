import type { Span } from '@opentelemetry/api';
import type { AttemptRef } from '../domain/ids.js';
import { SpanStatusCode } from '@opentelemetry/api';
import type { AttemptRow } from '../db/schema.js';
import type { ProviderReport } from '../providers/types.js';
import type { Tracing } from './tracing.js';

/**
 * One span per provider report that names a traced attempt, parented by the trace its dispatch ran in
 * (the attempt's stored traceparent): the callback that closes a send lands in the send's own trace.
 * Opened when the reports' attempts are locked, closed when their transaction has ended.
 */
export class CallbackSpans {
  private readonly spans: Span[] = [];

  constructor(private readonly tracing: Tracing) {}

  open(groups: ProviderReport[][], targets: Array<Array<AttemptRef | null>>, rows: AttemptRow[]): void {
    if (!this.tracing.enabled) return;
    const byId = new Map(rows.map((r) => [r.id, r]));
    groups.forEach((reports, g) =>
      reports.forEach((report, j) => {
        const target = targets[g]?.[j];
        const attempt = target ? byId.get(target) : undefined;
        if (!attempt || (report.kind !== 'status' && report.kind !== 'seen')) return;
        const span = this.tracing.startFromTraceparent(`provider callback ${report.kind}`, attempt.traceparent, {
          'omnigate.provider': attempt.provider,
          'omnigate.attempt_id': attempt.attemptId,
          ...(report.kind === 'status' ? { 'omnigate.status': report.status.name } : {}),
        });
        if (span) this.spans.push(span);
      }),
    );
  }

  close(err: unknown): void {
    for (const span of this.spans.splice(0)) {
      if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      span.end();
    }
  }
}
