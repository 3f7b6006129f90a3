import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { AccountRow, Database } from '../db/schema.js';
import { SCOPES } from '../domain/scopes.js';
import { issueKey, type ApiKeyService, type ApiKeyView, type AuthenticatedAccount } from './api-keys.js';
import { OutboundGuard } from '../net/outbound-guard.js';
import { parseInput } from './errors.js';
import { assertOutboundUrls } from './outbound-urls.js';
import { webhookUrlSchema } from './rules.js';

export type Account = Pick<AccountRow, 'id' | 'name'>;

export class AccountService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly keys: ApiKeyService,
    /** Checks the default webhook URL; without one given, only public addresses are allowed. */
    private readonly urls: OutboundGuard = OutboundGuard.strict(),
  ) {}

  /** The caller's account and key, or null for a missing, unknown, revoked or expired key. */
  authenticate(authorization: string | null | undefined): Promise<AuthenticatedAccount | null> {
    return this.keys.authenticate(authorization);
  }

  async settings(accountId: string): Promise<{ name: string; deliveryWebhookUrl: string | null; webhookSecret: string }> {
    return this.db.selectFrom('account').select(['name', 'deliveryWebhookUrl', 'webhookSecret']).where('id', '=', accountId).executeTakeFirstOrThrow();
  }

  async updateSettings(accountId: string, raw: { deliveryWebhookUrl?: string | null }): Promise<void> {
    const input = parseInput(z.object({ deliveryWebhookUrl: webhookUrlSchema.nullish() }), raw, ['input']);
    if (input.deliveryWebhookUrl === undefined) return;
    if (input.deliveryWebhookUrl) await assertOutboundUrls(this.urls, [{ url: input.deliveryWebhookUrl, path: ['input', 'deliveryWebhookUrl'] }]);
    await this.db.updateTable('account').set({ deliveryWebhookUrl: input.deliveryWebhookUrl }).where('id', '=', accountId).execute();
  }

  /** A new signing secret for report pushes; the old one stops working at once. */
  async rotateWebhookSecret(accountId: string): Promise<string> {
    const secret = randomBytes(32).toString('hex');
    await this.db.updateTable('account').set({ webhookSecret: secret }).where('id', '=', accountId).execute();
    return secret;
  }

  /**
   * Creates a key for the named account (creating the account if it is new). Returns the plaintext key:
   * it is shown once and only its hash is stored. Without scopes the key is `admin`.
   */
  async createApiKey(
    accountName: string,
    options: { name?: string; scopes?: readonly string[]; requestsPerMinute?: number; destinationsPerMinute?: number } = {},
  ): Promise<{ account: Account; apiKey: string; key: ApiKeyView }> {
    const perMinute = z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000').optional();
    const input = parseInput(
      z.object({
        name: z.string().trim().min(1).max(100).optional(),
        scopes: z.array(z.enum(SCOPES)).min(1, 'must name at least one scope').optional(),
        requestsPerMinute: perMinute,
        destinationsPerMinute: perMinute,
      }),
      options,
      [],
    );
    return this.db.transaction().execute(async (trx) => {
      const account = await findOrCreateAccount(trx, accountName);
      const issued = await issueKey(trx, account.id, {
        name: input.name ?? 'cli',
        scopes: input.scopes ?? ['admin'],
        rateLimits: { requestsPerMinute: input.requestsPerMinute ?? null, destinationsPerMinute: input.destinationsPerMinute ?? null },
      });
      return { account, apiKey: issued.secret, key: issued.apiKey };
    });
  }

  /** The account's id by name, for the CLI. */
  async findByName(name: string): Promise<Account | null> {
    return (await this.db.selectFrom('account').select(['id', 'name']).where('name', '=', name).executeTakeFirst()) ?? null;
  }

  /**
   * On an empty database, creates the default account and its first key. Two instances starting at once
   * serialise on an advisory lock, so exactly one of them creates (and prints) the key.
   */
  async bootstrap(defaultAccountName: string): Promise<{ account: Account; apiKey: string } | null> {
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext('omnigate:bootstrap'))`.execute(trx);
      const any = await trx.selectFrom('account').select('id').limit(1).executeTakeFirst();
      if (any) return null;
      const account = await findOrCreateAccount(trx, defaultAccountName);
      return { account, apiKey: (await issueKey(trx, account.id, { name: 'bootstrap', scopes: ['admin'] })).secret };
    });
  }
}

async function findOrCreateAccount(db: Kysely<Database>, name: string): Promise<Account> {
  const inserted = await db
    .insertInto('account')
    .values({ name, webhookSecret: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning(['id', 'name'])
    .executeTakeFirst();
  if (inserted) return inserted;
  return db.selectFrom('account').select(['id', 'name']).where('name', '=', name).executeTakeFirstOrThrow();
}
