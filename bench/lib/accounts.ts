import pg from 'pg';
import { createKysely } from '../../src/db/connect.js';
import { systemClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import { AccountService } from '../../src/messaging/accounts.js';
import { ApiKeyService } from '../../src/messaging/api-keys.js';
import { gql } from './graphql.js';

/** A key of its own account, written straight into the bench database (as `api-key create` would). */
export async function createBenchKey(databaseUrl: string, account: string, requestsPerMinute?: number): Promise<string> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const db = createKysely(pool);
  try {
    const keys = new ApiKeyService(db, systemClock, createLogger('warn'), null);
    return (await new AccountService(db, keys).createApiKey(account, { requestsPerMinute })).apiKey;
  } finally {
    await db.destroy();
  }
}

/** `count` messages of the key's account, scheduled an hour ahead: rows to read, nothing dispatched. */
export async function seedScheduledMessages(url: string, key: string, count: number): Promise<void> {
  let n = 0;
  const destinations = Array.from({ length: count }, () => ({ to: { phoneNumber: `+38067${String(++n).padStart(7, '0')}` } }));
  await gql(url, key, 'mutation($input: SendMessagesInput!) { sendMessages(input: $input) { __typename } }', {
    input: { sendAt: new Date(Date.now() + 3600_000).toISOString(), messages: [{ from: 'Bench', viber: { text: { text: 'seed' } }, destinations }] },
  });
}
