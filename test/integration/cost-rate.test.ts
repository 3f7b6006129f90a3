import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { rawPost } from './helpers.js';

/**
 * The per-key query cost budget (QUERY_COST_PER_SECOND_PER_KEY): a key that keeps running expensive
 * reads is refused with COST_RATE_EXCEEDED and a retry delay, while another key's reads are served. Set
 * small here (1,000 a second, a burst of MAX_QUERY_COST = 8,000) so one 7,001-cost page empties it.
 */
describe('query cost budget per key', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let otherKey: string;
  const EXPENSIVE = `query { messages(first: 1000) { edges { node { messageId to channel sentAt doneAt } } } }`;
  const CHEAP = `query { account { name } }`;

  beforeAll(async () => {
    app = await startTestApp({ WORKER_ENABLED: 'false', QUERY_COST_PER_SECOND_PER_KEY: '1000', MAX_QUERY_COST: '8000' });
    otherKey = (await app.services.accounts.createApiKey('second-account')).apiKey;
  });

  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  const post = (query: string, key: string) => rawPost(app.graphqlUrl, { query }, { authorization: `App ${key}` });

  it('refuses the second expensive page at once with COST_RATE_EXCEEDED and when to retry; cheap reads and other keys go on', async () => {
    const first = await post(EXPENSIVE, app.apiKey);
    expect(first.json.errors).toBeUndefined();

    const second = await post(EXPENSIVE, app.apiKey);
    expect(second.status).toBe(429);
    expect(second.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['COST_RATE_EXCEEDED']);
    expect(second.json.errors[0].extensions).toMatchObject({ limit: 1000, cost: 7001 });
    expect(second.json.errors[0].extensions.retryAfterSeconds).toBeGreaterThanOrEqual(5);
    expect(second.json.data ?? null).toBeNull();

    // What is left of the budget still pays for small reads, and the other key has its own budget.
    const cheap = await post(CHEAP, app.apiKey);
    expect(cheap.json.errors).toBeUndefined();
    const other = await post(EXPENSIVE, otherKey);
    expect(other.json.errors).toBeUndefined();
  });
});
