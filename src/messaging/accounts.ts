import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { AccountRow, Database } from '../db/schema.js';
import { OutboundGuard } from '../net/outbound-guard.js';
import { parseInput } from './errors.js';
import { assertOutboundUrls } from './outbound-urls.js';
import { webhookUrlSchema } from './rules.js';

export type Account = Pick<AccountRow, 'id' | 'name'>;

const KEY_PREFIX = 'og_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Accepts `App <key>` (Infobip style) or `Bearer <key>`. */
export function apiKeyFromAuthorization(header: string | null | undefined): string | null {
  const match = /^(?:App|Bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

export class AccountService {
  /** Keys are looked up on every request; a short cache spares the database without outliving a revoke by much. */
  private readonly cache = new Map<string, { account: Account | null; until: number }>();
  private static readonly CACHE_MS = 10_000;

  constructor(
    private readonly db: Kysely<Database>,
    /** Checks the default webhook URL; without one given, only public addresses are allowed. */
    private readonly urls: OutboundGuard = OutboundGuard.strict(),
  ) {}

  async authenticate(authorization: string | null | undefined): Promise<Account | null> {
    const key = apiKeyFromAuthorization(authorization);
    if (!key) return null;
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.account;
    const row = await this.db
      .selectFrom('apiKey')
      .innerJoin('account', 'account.id', 'apiKey.accountId')
      .select(['account.id', 'account.name'])
      .where('apiKey.keyHash', '=', hash)
      .where('apiKey.revokedAt', 'is', null)
      .executeTakeFirst();
    const account = row ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { account, until: Date.now() + AccountService.CACHE_MS });
    return account;
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

  /** Returns the plaintext key: it is shown once and only its hash is stored. */
  async createApiKey(accountName: string, label: string | null = null): Promise<{ account: Account; apiKey: string }> {
    return this.db.transaction().execute(async (trx) => {
      const account = await findOrCreateAccount(trx, accountName);
      return { account, apiKey: await issueKey(trx, account.id, label) };
    });
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
      return { account, apiKey: await issueKey(trx, account.id, 'bootstrap') };
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

async function issueKey(db: Kysely<Database>, accountId: string, label: string | null): Promise<string> {
  const apiKey = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  await db
    .insertInto('apiKey')
    .values({ accountId, keyHash: hashApiKey(apiKey), keyPrefix: apiKey.slice(0, 8), label })
    .execute();
  return apiKey;
}
