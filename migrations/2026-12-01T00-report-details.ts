import type { Kysely } from 'kysely';

/**
 * What users pay for and what a send went through, per attempt: the provider's price and network
 * (mcc+mnc) from its delivery report, and the last transient failure the dispatcher retried after. A
 * report push try keeps the network error's code apart from its text.
 *
 * All columns are nullable and added without defaults, so the migration rewrites no rows and the hot
 * attempt updates stay in place (no indexed column among them).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('attempt')
    // numeric, not float: prices are summed across attempts and must not drift (0.0104 + 0.01).
    .addColumn('price_per_message', 'numeric')
    .addColumn('price_currency', 'text')
    .addColumn('mcc_mnc', 'text')
    .addColumn('last_transient_error', 'text')
    .addColumn('last_transient_error_at', 'timestamptz')
    .execute();
  await db.schema.alterTable('report_delivery_try').addColumn('error_code', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('report_delivery_try').dropColumn('error_code').execute();
  await db.schema
    .alterTable('attempt')
    .dropColumn('last_transient_error_at')
    .dropColumn('last_transient_error')
    .dropColumn('mcc_mnc')
    .dropColumn('price_currency')
    .dropColumn('price_per_message')
    .execute();
}
