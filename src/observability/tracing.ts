import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Task } from 'graphile-worker';

/** Trace context crosses the job queue and the attempt row as a W3C `traceparent` string. */
const propagator = new W3CTraceContextPropagator();

/** The active span's `traceparent`, or undefined when nothing is being traced (tracing off costs this lookup). */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span || !span.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagator.inject(context.active(), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** The remote parent a stored `traceparent` names (the root context when there is none). */
export function contextOfTraceparent(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

let contextManagerInstalled = false;

/**
 * Async context (which span is current) is process-wide by nature of AsyncLocalStorage; it is installed
 * once, the first time any app turns tracing on. Tracer providers stay per app.
 */
function installContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

export interface TracingOptions {
  /** OTLP/HTTP collector base URL (OTEL_EXPORTER_OTLP_ENDPOINT); traces go to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
  serviceName: string;
  /** Tests: spans go here (exported at once) instead of OTLP. */
  spanExporter?: SpanExporter;
}

/**
 * OpenTelemetry for one app instance: a tracer provider of its own (never registered globally, so two apps
 * in one process keep their spans apart), or nothing at all when no exporter is configured — then every
 * method below runs the given function directly and no span object is made.
 */
export class Tracing {
  private constructor(
    private readonly provider: BasicTracerProvider | null,
    private readonly tracer: Tracer | null,
  ) {}

  static create(options: TracingOptions): Tracing {
    const exporter = options.spanExporter ?? (options.otlpEndpoint ? new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }) : null);
    if (!exporter) return new Tracing(null, null);
    installContextManager();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      // Tests read spans as soon as they end; a collector gets them in batches.
      spanProcessors: [options.spanExporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
    });
    return new Tracing(provider, provider.getTracer('omnigate'));
  }

  static off(): Tracing {
    return new Tracing(null, null);
  }

  get enabled(): boolean {
    return this.tracer !== null;
  }

  /** For the GraphQL plugin. */
  get tracerProvider(): TracerProvider | null {
    return this.provider;
  }

  /** Runs `fn` inside a new span, child of the current one; the span ends when `fn` settles. */
  async inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, fn: (span: Span | null) => Promise<T>, parent?: Context): Promise<T> {
    if (!this.tracer) return fn(null);
    const span = this.tracer.startSpan(name, { kind, attributes }, parent ?? context.active());
    try {
      return await context.with(trace.setSpan(parent ?? context.active(), span), () => fn(span));
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  }

  /**
   * A worker task run as a span whose parent is the trace that enqueued the job (the `traceparent` the
   * queue put in its payload), so a send, its dispatch job and whatever that job does are one trace.
   */
  wrapTask(name: string, task: Task): Task {
    if (!this.tracer) return task;
    return (payload, helpers) => {
      const traceparent = (payload as { traceparent?: unknown } | null)?.traceparent;
      const parent = contextOfTraceparent(typeof traceparent === 'string' ? traceparent : null);
      return this.inSpan(`job ${name}`, SpanKind.CONSUMER, { 'omnigate.job.task': name, 'omnigate.job.id': helpers.job.id }, async () => {
        await task(payload, helpers);
      }, parent);
    };
  }

  /** A span parented by a stored `traceparent` (a callback closing an attempt); the caller ends it. */
  startFromTraceparent(name: string, traceparent: string | null, attributes: Attributes): Span | null {
    if (!this.tracer || !traceparent) return null;
    // The request that brought the callback, if traced, is linked: it may carry reports of many traces.
    const current = trace.getActiveSpan()?.spanContext();
    return this.tracer.startSpan(
      name,
      { kind: SpanKind.INTERNAL, attributes, links: current ? [{ context: current }] : [] },
      contextOfTraceparent(traceparent),
    );
  }

  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

export { SpanKind };
