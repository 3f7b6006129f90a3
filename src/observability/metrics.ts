import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Channel, ProviderType } from '../domain/channel.js';
import type { StatusGroup } from '../domain/status.js';

/** How a provider call ended, as the dispatcher sees it. */
export type ProviderCallOutcome = 'accepted' | 'rejected' | 'transient' | 'error';

/** How one report push try ended. */
export type ReportPushOutcome = 'delivered' | 'http_error' | 'network_error' | 'gave_up';

/** Seconds buckets from a few milliseconds to a day: dispatch lag and send → final span both. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];
const PROVIDER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The product's own metrics, on a registry of their own: each app instance has one, so two apps in one
 * process (tests, a benchmark) never count into each other. Services receive it and count where the
 * thing happens; nothing here reaches for a global registry.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly accepted = new Counter({
    name: 'omnigate_messages_accepted_total',
    help: 'Messages accepted by sendMessage/sendMessages, by the channel and provider of their first step.',
    labelNames: ['channel', 'provider'] as const,
    registers: [this.registry],
  });
  private readonly dispatched = new Counter({
    name: 'omnigate_messages_dispatched_total',
    help: 'Attempts handed to a provider, by channel, provider and how the provider answered.',
    labelNames: ['channel', 'provider', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly finished = new Counter({
    name: 'omnigate_messages_finished_total',
    help: 'Messages that reached a final status, by the channel and provider of their last attempt and the status group.',
    labelNames: ['channel', 'provider', 'status_group'] as const,
    registers: [this.registry],
  });
  private readonly dispatchLag = new Histogram({
    name: 'omnigate_dispatch_lag_seconds',
    help: 'From when an attempt was due to when it was handed to its provider.',
    labelNames: ['channel'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly sendToFinal = new Histogram({
    name: 'omnigate_send_to_final_seconds',
    help: 'From the first hand-over to a provider to the final status of the message.',
    labelNames: ['channel', 'status_group'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly providerDuration = new Histogram({
    name: 'omnigate_provider_request_duration_seconds',
    help: 'Provider send calls (one request, or one batch request), by provider and outcome.',
    labelNames: ['provider', 'outcome'] as const,
    buckets: PROVIDER_BUCKETS,
    registers: [this.registry],
  });
  private readonly providerErrors = new Counter({
    name: 'omnigate_provider_errors_total',
    help: 'Provider sends that failed (transient: retried while the step is valid; error: unknown state).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'omnigate_send_retries_total',
    help: 'Sends re-queued after a transient provider failure.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  private readonly reportPushes = new Counter({
    name: 'omnigate_report_pushes_total',
    help: 'Delivery report push tries to account webhooks, by outcome (gave_up: retries exhausted).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly subscribers = new Gauge({
    name: 'omnigate_live_subscribers',
    help: 'Live subscriptions listening on this instance.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  private readonly published = new Counter({
    name: 'omnigate_events_published_total',
    help: 'Events published by this instance to live subscribers.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  private readonly bufferOverflows = new Counter({
    name: 'omnigate_live_buffer_overflows_total',
    help: 'Times a resumable subscription held more live events than allowed for a subscriber that had not taken them, dropped them and read the same range from the event log instead (nothing is lost; a steady rise means slow consumers).',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  private readonly retentionDeleted = new Counter({
    name: 'omnigate_retention_deleted_total',
    help: 'Rows deleted by data retention, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge whose value is read when scraped (queue depth): `collect` sets its values. */
  gaugeAtScrape<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (set: (labels: Record<L, string>, value: number) => void) => Promise<void>,
  ): void {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        await collect((labels, value) => this.set(labels as never, value));
      },
    });
  }

  messagesAccepted(channel: Channel, provider: ProviderType, count: number): void {
    this.accepted.inc({ channel, provider }, count);
  }

  dispatchedAttempt(channel: Channel, provider: ProviderType, outcome: ProviderCallOutcome, lagSeconds: number | null): void {
    this.dispatched.inc({ channel, provider, outcome });
    if (lagSeconds !== null) this.dispatchLag.observe({ channel }, Math.max(lagSeconds, 0));
  }

  providerCall(provider: ProviderType, outcome: ProviderCallOutcome, seconds: number): void {
    this.providerDuration.observe({ provider, outcome }, seconds);
    if (outcome === 'transient' || outcome === 'error') this.providerErrors.inc({ provider, outcome });
  }

  retry(provider: ProviderType): void {
    this.retries.inc({ provider });
  }

  messageFinished(channel: Channel, provider: ProviderType, statusGroup: StatusGroup, sendToFinalSeconds: number | null): void {
    this.finished.inc({ channel, provider, status_group: statusGroup });
    if (sendToFinalSeconds !== null) this.sendToFinal.observe({ channel, status_group: statusGroup }, Math.max(sendToFinalSeconds, 0));
  }

  reportPush(outcome: ReportPushOutcome): void {
    this.reportPushes.inc({ outcome });
  }

  subscriberJoined(topic: string): void {
    this.subscribers.inc({ topic });
  }

  subscriberLeft(topic: string): void {
    this.subscribers.dec({ topic });
  }

  eventPublished(topic: string): void {
    this.published.inc({ topic });
  }

  liveBufferOverflowed(topic: string): void {
    this.bufferOverflows.inc({ topic });
  }

  retentionDeletedRows(kind: string, count: number): void {
    if (count > 0) this.retentionDeleted.inc({ kind }, count);
  }
}
