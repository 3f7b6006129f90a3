import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { OutboundGuard } from '../net/outbound-guard.js';
import type { Clock } from '../domain/clock.js';
import { retryDelayMs } from '../domain/backoff.js';
import type { AttemptRow, Database, MessageRow, ReportDeliveryRow, ReportDeliveryTryRow } from '../db/schema.js';
import { defineTask, enqueue, type TaskDefinition } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import { attemptPrice, messagePrice, type Price } from '../domain/price.js';
import { postWebhook } from './webhook-post.js';
import { detachedObservability, type Observability } from '../observability/index.js';
import { pushFailure } from '../observability/push-failure.js';

export interface ReportPushOptions {
  /** First retry delay; later ones double up to an hour. */
  retryBaseMs: number;
  /** Failed pushes are retried for at least this long (24 h and then some). */
  giveUpAfterMs: number;
  timeoutMs: number;
  /** Checks the webhook's address again when connecting (DNS may have changed); the default allows any. */
  outbound?: OutboundGuard;
}

export const SIGNATURE_HEADER = 'X-Omnigate-Signature';

/** Infobip writes offsets as +0000; clients parsing its reports expect that form. */
function infobipTime(d: Date | null): string | null {
  return d ? d.toISOString().replace('Z', '+0000') : null;
}

/** One message's final report in Infobip's delivery-report shape (a `results` entry). */
export function reportOf(message: MessageRow, attempts: AttemptRow[]): Record<string, unknown> {
  const last = attempts.at(-1);
  return {
    bulkId: message.bulkId,
    messageId: message.messageId,
    to: message.toNumber?.replace(/^\+/, '') ?? message.toViberUserId,
    sender: last?.sender ?? null,
    sentAt: infobipTime(message.sentAt),
    doneAt: infobipTime(message.doneAt),
    seenAt: infobipTime(message.seenAt),
    messageCount: last?.messageCount ?? 1,
    mccMnc: last?.mccMnc ?? null,
    callbackData: message.callbackData,
    price: wirePrice(messagePrice(attempts)),
    status: message.status,
    error: message.error,
    channel: message.channel,
    attempts: attempts.map((a) => ({
      channel: a.channel,
      status: a.status,
      error: a.error,
      sentAt: infobipTime(a.sentAt),
      doneAt: infobipTime(a.doneAt),
      messageCount: a.messageCount,
      mccMnc: a.mccMnc,
      price: wirePrice(attemptPrice(a)),
    })),
  };
}

/** Infobip writes `pricePerMessage` as a JSON number; clients parsing its reports expect that. */
function wirePrice(price: Price | null): { pricePerMessage: number; currency: string } | null {
  return price ? { pricePerMessage: Number(price.pricePerMessage), currency: price.currency } : null;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp is signed so a capture cannot be replayed later. */
export function signReport(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * Pushes each message's final report to the URL the send named (or the account's default), signed with
 * the account's webhook secret, retried with backoff for at least 24 hours. Every try is stored and
 * visible in the API.
 */
export class ReportPush {
  /** Every final message asks for its account's default URL; it changes rarely. */
  private readonly defaultUrls = new Map<string, { url: string | null; until: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: ReportPushOptions,
    private readonly observability: Observability = detachedObservability(),
  ) {}

  /** Called inside the transaction that made the message final, so the push exists exactly when it does. */
  async onMessageFinal(trx: Kysely<Database>, message: MessageRow): Promise<void> {
    const url = message.options.deliveryWebhookUrl ?? (await this.defaultUrl(trx, message.accountId));
    if (!url) return;
    const attempts = await trx.selectFrom('attempt').selectAll().where('messageRef', '=', message.id).orderBy('stepIndex').execute();
    const delivery = await trx
      .insertInto('reportDelivery')
      .values({
        accountId: message.accountId,
        messageRef: message.id,
        url,
        body: JSON.stringify({ results: [reportOf(message, attempts)] }),
        state: 'PENDING',
        nextTryAt: this.clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await enqueue(trx, [{ task: 'push-report', payload: { deliveryRef: delivery.id } }]);
  }

  private async defaultUrl(trx: Kysely<Database>, accountId: string): Promise<string | null> {
    const cached = this.defaultUrls.get(accountId);
    if (cached && cached.until > Date.now()) return cached.url;
    const account = await trx.selectFrom('account').select('deliveryWebhookUrl').where('id', '=', accountId).executeTakeFirst();
    const url = account?.deliveryWebhookUrl ?? null;
    this.defaultUrls.set(accountId, { url, until: Date.now() + 2_000 });
    return url;
  }

  /** Forget a cached default at once (the account changed it through this process). */
  forgetDefaultUrl(accountId: string): void {
    this.defaultUrls.delete(accountId);
  }

  /** One try. The row stays locked during the POST so two workers never push the same report at once. */
  async deliver(deliveryRef: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const delivery = await trx
        .selectFrom('reportDelivery')
        .innerJoin('account', 'account.id', 'reportDelivery.accountId')
        .selectAll('reportDelivery')
        .select('account.webhookSecret')
        .where('reportDelivery.id', '=', deliveryRef)
        .where('reportDelivery.state', '=', 'PENDING')
        .forUpdate('reportDelivery')
        .skipLocked()
        .executeTakeFirst();
      if (!delivery) return;

      const attemptedAt = this.clock.now();
      const started = performance.now();
      const result = await postWebhook(
        delivery.url,
        { 'content-type': 'application/json', [SIGNATURE_HEADER]: signReport(delivery.webhookSecret, delivery.body, attemptedAt) },
        delivery.body,
        this.options.timeoutMs,
        this.options.outbound,
      );
      const statusCode = result.kind === 'answered' ? result.status : null;
      const errorCode = result.kind === 'failed' ? result.code : null;
      const error = result.kind === 'failed' ? result.error : result.status >= 200 && result.status < 300 ? null : `HTTP ${result.status}`;
      const durationMs = Math.round(performance.now() - started);
      await trx.insertInto('reportDeliveryTry').values({ deliveryRef, attemptedAt, statusCode, error, errorCode, durationMs }).execute();

      const tries = delivery.tries + 1;
      this.observability.metrics.reportPush(!error ? 'delivered' : statusCode !== null ? 'http_error' : 'network_error');
      const failure = errorCode ? Object.assign(new Error(error ?? errorCode), { code: errorCode }) : null;
      if (error) this.logger.warn(pushFailure(delivery.url, statusCode, failure, { deliveryRef, tries }), 'delivery report push failed');
      if (!error) {
        await trx.updateTable('reportDelivery').set({ state: 'DELIVERED', tries, deliveredAt: attemptedAt, nextTryAt: null }).where('id', '=', deliveryRef).execute();
        return;
      }
      const next = new Date(attemptedAt.getTime() + retryDelayMs(tries, { baseMs: this.options.retryBaseMs, maxMs: 3600_000 }));
      if (next.getTime() - delivery.createdAt.getTime() > this.options.giveUpAfterMs) {
        this.logger.warn(pushFailure(delivery.url, statusCode, failure, { deliveryRef, tries }), 'giving up on a delivery report push');
        this.observability.metrics.reportPush('gave_up');
        await trx.updateTable('reportDelivery').set({ state: 'FAILED', tries, nextTryAt: null }).where('id', '=', deliveryRef).execute();
        return;
      }
      await trx.updateTable('reportDelivery').set({ tries, nextTryAt: next }).where('id', '=', deliveryRef).execute();
      await enqueue(trx, [{ task: 'push-report', payload: { deliveryRef }, runAt: this.clock.toReal(next) }]);
    });
  }

  async deliveriesOf(messageRefs: readonly string[]): Promise<ReportDeliveryRow[][]> {
    const rows = await this.db.selectFrom('reportDelivery').selectAll().where('messageRef', 'in', [...messageRefs]).orderBy('id').execute();
    return messageRefs.map((ref) => rows.filter((r) => r.messageRef === ref));
  }

  async triesOf(deliveryRefs: readonly string[]): Promise<ReportDeliveryTryRow[][]> {
    const rows = await this.db.selectFrom('reportDeliveryTry').selectAll().where('deliveryRef', 'in', [...deliveryRefs]).orderBy('id').execute();
    return deliveryRefs.map((ref) => rows.filter((r) => r.deliveryRef === ref));
  }
}

/** The job that pushes one delivery report to the account's webhook. */
export function pushReportTask(reportPush: ReportPush): TaskDefinition {
  return defineTask('push-report', (p) => reportPush.deliver(p.deliveryRef));
}
