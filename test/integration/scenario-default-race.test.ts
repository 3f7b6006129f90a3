import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { rawPost } from './helpers.js';

/**
 * Found by the fuzz (test/integration/fuzz.test.ts): scenarios made default at the same time raced to a
 * unique-index violation, answered as a masked internal error. Each must succeed, leaving one default.
 */
describe('making scenarios default concurrently', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let auth: Record<string, string>;

  beforeAll(async () => {
    app = await startTestApp();
    auth = { authorization: `App ${app.apiKey}` };
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  it('creates and updates them all, and the account keeps exactly one default', async () => {
    const create = `mutation($d: Boolean) { createScenario(input: {name: "s", isDefault: $d, flow: [{channel: SMS, from: "Omnishop"}]}) {
      __typename ... on CreateScenarioSuccess { scenario { key } } } }`;
    const created = await Promise.all(Array.from({ length: 16 }, (_, i) => rawPost(app.graphqlUrl, { query: create, variables: { d: i % 2 === 0 } }, auth)));
    expect(created.map((r) => r.json?.data?.createScenario?.__typename ?? r.text)).toEqual(Array(16).fill('CreateScenarioSuccess'));

    const keys = created.map((r) => r.json.data.createScenario.scenario.key as string);
    const update = `mutation($k: String!) { updateScenario(key: $k, input: {isDefault: true}) { __typename } }`;
    const updated = await Promise.all(keys.map((k) => rawPost(app.graphqlUrl, { query: update, variables: { k } }, auth)));
    expect(updated.map((r) => r.json?.data?.updateScenario?.__typename ?? r.text)).toEqual(Array(16).fill('UpdateScenarioSuccess'));

    const defaults = await app.database.db.selectFrom('scenario').select('key').where('isDefault', '=', true).execute();
    expect(defaults).toHaveLength(1);
  });
});
