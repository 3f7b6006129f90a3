import type { FakeInfobip, InfobipSentMessage } from '../../fakes/infobip.js';
import { sleep, waitFor } from './support.js';

/**
 * Plays Infobip's delivery-report side: every message the fake accepted is reported DELIVERED to the
 * service's webhook (wherever it currently listens), as sends arrive. A post that fails (the service is
 * down, or answers 503 for a report that overtook our record of the send) is retried on the next round.
 */
export class DeliveryReporter {
  target: string | null = null;
  failedPosts = 0;
  /** Answers other than 200 and 503 (e.g. 500 on a database deadlock). */
  readonly serverErrors: string[] = [];
  private cursor = 0;
  private backlog: InfobipSentMessage[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly fake: FakeInfobip,
    private readonly authorization: string,
  ) {}

  /** A report the service refused outright (not a retryable failure): the test fails with it. */
  error: Error | null = null;

  start(): void {
    this.running = (async () => {
      while (!this.stopped) {
        try {
          await this.round();
        } catch (err) {
          this.error = err instanceof Error ? err : new Error(String(err));
          return;
        }
        await sleep(100);
      }
    })();
  }

  assertHealthy(): void {
    if (this.error) throw this.error;
  }

  /** Waits until every accepted message has been reported successfully. */
  async drain(timeoutMs = 10_000): Promise<void> {
    await waitFor(
      () => {
        this.assertHealthy();
        return this.fake.sent.length - this.cursor + this.backlog.length;
      },
      (left) => left === 0,
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async round(): Promise<void> {
    this.backlog.push(...this.fake.sent.slice(this.cursor));
    this.cursor = this.fake.sent.length;
    const target = this.target;
    if (!target || this.backlog.length === 0) return;
    const batch = this.backlog.splice(0, this.backlog.length);
    const chunks: InfobipSentMessage[][] = [];
    for (let i = 0; i < batch.length; i += 100) chunks.push(batch.slice(i, i + 100));
    // A few callbacks at a time, like a provider's webhook sender.
    for (let i = 0; i < chunks.length; i += 4) {
      await Promise.all(
        chunks.slice(i, i + 4).map(async (chunk) => {
          try {
            const res = await this.fake.postDeliveryReports(
              target,
              chunk.map((s) => this.fake.deliveryReportFor(s)),
              { headers: { Authorization: this.authorization } },
            );
            if (res.status === 200) return;
            // 503: a report that overtook our record of the send. Other 5xx are retried too, as a provider
            // would, but recorded: the service should not fail on a well-formed report.
            if (res.status < 500) throw new Error(`delivery report refused (${res.status}): ${res.text}`);
            if (res.status !== 503) this.serverErrors.push(`${res.status} ${res.text}`);
          } catch (err) {
            if (err instanceof Error && err.message.startsWith('delivery report refused')) throw err;
            // connection refused while the service is down: retry later
          }
          this.failedPosts += 1;
          this.backlog.push(...chunk);
        }),
      );
    }
  }
}
