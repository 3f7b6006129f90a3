import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Plugin } from 'graphql-yoga';

/** Why a subscriber was cut off by the server. */
export type SubscriberDropReason = 'fell_behind';

/**
 * How live subscriptions are served: how often an operation is executed for an event, against how many
 * results are written to subscribers. Beside each other they show what sharing saves (executions ≪
 * deliveries when many subscribers share one execution). On the app's own registry, like `Metrics`.
 */
export class SubscriptionMetrics {
  private readonly executions: Counter<never>;
  private readonly deliveries: Counter<never>;
  private readonly groups: Gauge<never>;
  private readonly members: Gauge<never>;
  private readonly dropped: Counter<'reason'>;
  private readonly fanOut: Histogram<never>;

  constructor(registry: Registry) {
    this.executions = new Counter({
      name: 'omnigate_subscription_executions_total',
      help: 'Subscription operations executed for an event (once per shared group, or once per unshared subscriber).',
      registers: [registry],
    });
    this.deliveries = new Counter({
      name: 'omnigate_shared_subscription_deliveries_total',
      help: 'Results of shared subscription executions written to a subscriber socket.',
      registers: [registry],
    });
    this.groups = new Gauge({
      name: 'omnigate_shared_subscription_groups',
      help: 'Shared subscription executions running (one per account, scopes, document and variables).',
      registers: [registry],
    });
    this.members = new Gauge({
      name: 'omnigate_shared_subscription_subscribers',
      help: 'Subscribers served by a shared subscription execution.',
      registers: [registry],
    });
    this.dropped = new Counter({
      name: 'omnigate_subscribers_dropped_total',
      help: 'WebSocket subscribers closed by the server, by reason (fell_behind: more unsent bytes queued than allowed).',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.fanOut = new Histogram({
      name: 'omnigate_shared_subscription_fanout_seconds',
      help: 'From a shared execution\'s result to the last of its members\' socket writes (one event, one group).',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  executed(): void {
    this.executions.inc();
  }

  delivered(count: number, seconds: number): void {
    if (count > 0) this.deliveries.inc(count);
    this.fanOut.observe(seconds);
  }

  groupStarted(): void {
    this.groups.inc();
  }

  groupEnded(): void {
    this.groups.dec();
  }

  memberJoined(): void {
    this.members.inc();
  }

  memberLeft(): void {
    this.members.dec();
  }

  subscriberDropped(reason: SubscriberDropReason): void {
    this.dropped.inc({ reason });
  }
}

/**
 * Counts every execution of a subscription operation for an event, from inside envelop's subscribe: it
 * sees what actually ran, however the results are then fanned out (shared or not), so the count cannot be
 * fooled by the sharing it measures.
 */
export function useSubscriptionExecutionCount(metrics: SubscriptionMetrics): Plugin {
  return {
    onSubscribe: () => ({
      onSubscribeResult: () => ({
        onNext: () => metrics.executed(),
      }),
    }),
  };
}
