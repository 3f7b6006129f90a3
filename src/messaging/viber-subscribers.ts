import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ProviderReport, ViberUser } from '../providers/types.js';

/** The Viber bot subscriber registry: Viber has no API to list subscribers, so we keep our own. */
export async function recordSubscriber(
  trx: Kysely<Database>,
  connectionId: string,
  user: ViberUser,
  subscribed: boolean | null,
  at: Date,
  seen: boolean,
  unsubscribing: boolean,
): Promise<void> {
  const profile = {
    ...(user.name != null ? { name: user.name } : {}),
    ...(user.avatar != null ? { avatar: user.avatar } : {}),
    ...(user.country != null ? { country: user.country } : {}),
    ...(user.language != null ? { language: user.language } : {}),
    ...(user.apiVersion != null ? { apiVersion: user.apiVersion } : {}),
  };
  await trx
    .insertInto('viberSubscriber')
    .values({
      connectionId,
      userId: user.id,
      ...profile,
      // A first message subscribes a user without a `subscribed` callback (Viber's docs).
      subscribed: subscribed ?? true,
      subscribedAt: subscribed === false ? null : at,
      // Only an `unsubscribed` event dates an unsubscription; a new user who has not subscribed never did.
      unsubscribedAt: unsubscribing ? at : null,
      lastSeenAt: at,
    })
    .onConflict((oc) =>
      oc.columns(['connectionId', 'userId']).doUpdateSet({
        ...profile,
        ...(subscribed === true ? { subscribed: true, subscribedAt: at, unsubscribedAt: null } : {}),
        ...(subscribed === false ? { subscribed: false, ...(unsubscribing ? { unsubscribedAt: at } : {}) } : {}),
        ...(seen ? { lastSeenAt: sql`greatest(viber_subscriber.last_seen_at, ${at})` } : {}),
      }),
    )
    .execute();
}

/** A subscribed / unsubscribed / conversation_started callback, as the registry records it. */
export async function recordSubscriberEvent(
  trx: Kysely<Database>,
  connectionId: string,
  report: Extract<ProviderReport, { kind: 'subscriber' }>,
): Promise<void> {
  const subscribed = report.event === 'subscribed' ? true : report.event === 'unsubscribed' ? false : report.subscribed;
  await recordSubscriber(trx, connectionId, report.user, subscribed, report.at, report.event !== 'unsubscribed', report.event === 'unsubscribed');
}
