import type { ProviderType } from '../../domain/channel.js';
import { plainText } from '../../domain/content.js';
import { analyzeSms } from '../../domain/sms-encoding.js';
import { ERROR, STATUS } from '../../domain/status.js';
import {
  TransientProviderError,
  type InDoubtPolicy,
  type OutboundMessage,
  type ProviderAdapter,
  type ReportSink,
  type SendResult,
} from '../types.js';

export interface SimulatorTiming {
  deliveryDelayMs: number;
  seenDelayMs: number;
  replyDelayMs: number;
}

/** How many times a destination ending in 3 fails before it goes through. */
const TRANSIENT_FAILURES = 2;

/**
 * A provider that needs no network, deterministic by the destination's last digit (see the README's
 * simulator table). It reports back through the same sink real providers' callbacks reach, so the whole
 * flow (failover, expiry, seen, replies) runs offline exactly as it would in production.
 */
export class SimulatorProvider implements ProviderAdapter {
  readonly type: ProviderType = 'SIMULATOR';
  /**
   * The simulator lives in this process and keeps no record of what it took: after a crash the only way
   * for an attempt in doubt to get its reports is to be sent again, and nobody receives a message twice.
   */
  readonly inDoubt: InDoubtPolicy = 'resend';
  private readonly failuresSoFar = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly timing: SimulatorTiming,
    private readonly sink: ReportSink,
    private readonly onSinkError: (err: unknown) => void,
  ) {}

  async send(message: OutboundMessage): Promise<SendResult> {
    const address = 'phoneNumber' in message.to ? message.to.phoneNumber : message.to.viberUserId;
    const digit = address.at(-1);
    const providerMessageId = `sim-${message.attemptId}`;
    const match = { attemptId: message.attemptId };

    if (message.channel === 'VIBER') {
      if (digit === '0' || digit === '2') {
        return {
          kind: 'rejected',
          status: STATUS.REJECTED_DESTINATION_NOT_REGISTERED,
          error: ERROR.EC_NOT_CHANNEL_USER,
          providerMessageId,
        };
      }
      if (digit === '3') {
        const failures = this.failuresSoFar.get(message.attemptId) ?? 0;
        if (failures < TRANSIENT_FAILURES) {
          this.failuresSoFar.set(message.attemptId, failures + 1);
          throw new TransientProviderError('simulated HTTP 503 Service Unavailable');
        }
        this.failuresSoFar.delete(message.attemptId);
      }
      // Accepted, and then nothing: the attempt can only end by its validity running out.
      if (digit === '1') return { kind: 'accepted', providerMessageId, messageCount: 1 };
    }

    const undeliverable = message.channel === 'SMS' && digit === '2';
    this.later(this.timing.deliveryDelayMs, () =>
      this.sink({
        kind: 'status',
        match,
        status: undeliverable ? STATUS.UNDELIVERABLE_NOT_DELIVERED : STATUS.DELIVERED_TO_HANDSET,
        error: undeliverable ? ERROR.EC_UNKNOWN_SUBSCRIBER : ERROR.NO_ERROR,
        doneAt: new Date(),
      }),
    );
    if (message.channel === 'VIBER' && digit === '9') {
      const seenAfter = this.timing.deliveryDelayMs + this.timing.seenDelayMs;
      this.later(seenAfter, () => this.sink({ kind: 'seen', match, seenAt: new Date() }));
      this.later(seenAfter + this.timing.replyDelayMs, () =>
        this.sink({
          kind: 'inbound',
          provider: 'SIMULATOR',
          channel: 'VIBER',
          providerMessageId: `sim-reply-${message.attemptId}`,
          from: address,
          to: message.from,
          receivedAt: new Date(),
          content: { type: 'TEXT', text: `Thanks! (re: ${(plainText(message.content) ?? '').slice(0, 60)})` },
          replyTo: match,
        }),
      );
    }
    // An SMS is billed per segment, as real providers report it.
    const messageCount = message.content.type === 'SMS_TEXT' ? analyzeSms(message.content.text).segments : 1;
    return { kind: 'accepted', providerMessageId, messageCount };
  }

  /** Drops reports not yet made: after shutdown there is nobody to receive them. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, report: () => Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      report().catch(this.onSinkError);
    }, ms);
    this.timers.add(timer);
  }
}
