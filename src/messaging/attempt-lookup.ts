import type { Kysely } from 'kysely';
import type { AttemptRow, Database, ProviderConnectionRow } from '../db/schema.js';
import type { ReportMatch } from '../providers/types.js';
import { asAttemptId, type AttemptRef } from '../domain/ids.js';

export interface ReportOrigin {
  /** The connection whose webhook received the reports; absent for the simulator. */
  connection?: ProviderConnectionRow;
}

/** Attempts are matched by our id, or by the provider's id within the reporting connection's account. */
export async function findAttemptId(trx: Kysely<Database>, match: ReportMatch, origin: ReportOrigin): Promise<AttemptRef | null> {
  let q = trx.selectFrom('attempt').select('id');
  if ('attemptId' in match) {
    const attemptId = asAttemptId(match.attemptId);
    if (!attemptId) return null; // not one of ours: never compared with a uuid column
    q = q.where('attemptId', '=', attemptId);
    if (origin.connection) q = q.where('accountId', '=', origin.connection.accountId);
  } else {
    // Provider ids are only unique per provider account: two connections may both have a message 5000.
    q = q.where('provider', '=', match.provider).where('providerMessageId', '=', match.providerMessageId);
    q = origin.connection ? q.where('connectionId', '=', origin.connection.id) : q.where('connectionId', 'is', null);
  }
  return (await q.executeTakeFirst())?.id ?? null;
}

/**
 * The attempts many reports name, found and locked (FOR UPDATE, in id order like every status change) in
 * one statement however many reports there are, then checked against each report's origin exactly as
 * findAttemptId would. Returns, per report, the attempt's id or null, and the locked rows.
 */
export async function lockReportedAttempts(
  trx: Kysely<Database>,
  groups: Array<Array<{ match: ReportMatch; origin: ReportOrigin } | null>>,
): Promise<{ targets: Array<Array<AttemptRef | null>>; rows: AttemptRow[] }> {
  const all = groups.flat().filter((x): x is { match: ReportMatch; origin: ReportOrigin } => x !== null);
  const ours = [...new Set(all.flatMap((x) => ('attemptId' in x.match ? [asAttemptId(x.match.attemptId) ?? []].flat() : [])))];
  const theirs = [...new Set(all.flatMap((x) => ('providerMessageId' in x.match ? [x.match.providerMessageId] : [])))];
  const rows =
    ours.length || theirs.length
      ? await trx
          .selectFrom('attempt')
          .selectAll()
          .where((eb) =>
            eb.or([
              ...(ours.length ? [eb('attemptId', 'in', ours)] : []),
              ...(theirs.length ? [eb('providerMessageId', 'in', theirs)] : []),
            ]),
          )
          .orderBy('id')
          .forUpdate()
          .execute()
      : [];
  const byOurs = new Map(rows.map((r) => [r.attemptId, r]));
  const targets = groups.map((g) =>
    g.map((x) => {
      if (!x) return null;
      const { match, origin } = x;
      if ('attemptId' in match) {
        const attemptId = asAttemptId(match.attemptId);
        const row = attemptId ? byOurs.get(attemptId) : undefined;
        return row && (!origin.connection || row.accountId === origin.connection.accountId) ? row.id : null;
      }
      // Provider ids are only unique per provider account: two connections may both have a message 5000.
      const row = rows.find(
        (r) =>
          r.provider === match.provider &&
          r.providerMessageId === match.providerMessageId &&
          r.connectionId === (origin.connection?.id ?? null),
      );
      return row?.id ?? null;
    }),
  );
  return { targets, rows };
}
