import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateScenarioFlow } from '../documents/foundation.js';
import { CreateScenario, SendMessage } from '../documents/operations.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { spawnService, type ChildService } from './child-service.js';
import { countRows, rawPost, type RawResult } from './helpers.js';
import { leaks } from './fuzz/checks.js';

const VALID = ['41793026724', '41793026734', '41793026744'];

/** Every response body this file saw, checked for leaked internals at the end. */
const responses: RawResult[] = [];

/** Paths of a union result's fieldErrors, failing unless the result is a ValidationError. */
function validationPaths(result: RawResult, field: string): string[][] {
  expect(result.status, result.text).toBe(200);
  expect(result.json.errors, result.text).toBeUndefined();
  const payload = result.json.data[field];
  expect(payload.__typename, result.text).toBe('ValidationError');
  expect(payload.fieldErrors.length, result.text).toBeGreaterThan(0);
  for (const fe of payload.fieldErrors) expect(typeof fe.message).toBe('string');
  return payload.fieldErrors.map((fe: { path: string[] }) => fe.path);
}

describe('input validation', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let auth: Record<string, string>;

  const post = async (document: Parameters<typeof rawPost>[1]['query'], variables: Record<string, unknown>) => {
    const result = await rawPost(app.graphqlUrl, { query: document, variables }, auth);
    responses.push(result);
    return result;
  };
  const send = (input: Record<string, unknown>) => post(SendMessage, { input: { from: 'Omnishop', viber: { text: { text: 'Hi' } }, ...input } });
  const createScenario = (input: Record<string, unknown>) => post(CreateScenario, { input });
  const stored = async () => ({
    message: await countRows(app.database.db, 'message'),
    bulk: await countRows(app.database.db, 'bulk'),
    attempt: await countRows(app.database.db, 'attempt'),
    scenario: await countRows(app.database.db, 'scenario'),
  });

  beforeAll(async () => {
    app = await startTestApp();
    auth = { authorization: `App ${app.apiKey}` };
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  describe('sendMessage', () => {
    it('refuses a bulk whose 3rd destination is not a phone number, names it, and stores nothing of the bulk', async () => {
      const before = await stored();
      const result = await send({
        bulkId: 'bad-third',
        destinations: [{ to: { phoneNumber: VALID[0] } }, { to: { phoneNumber: VALID[1] } }, { to: { phoneNumber: 'not a number' } }],
      });
      const paths = validationPaths(result, 'sendMessage');
      expect(paths).toHaveLength(1);
      expect(paths[0]).toContain('2');
      expect(paths[0]).toContain('phoneNumber');
      expect(paths[0]).toEqual(['input', 'destinations', '2', 'to', 'phoneNumber']);
      expect(await countRows(app.database.db, 'message')).toBe(0);
      expect(await stored()).toEqual(before);

      // the same bulk with a valid third number is accepted: the refusal was about that number
      const fixed = await send({ bulkId: 'bad-third', destinations: VALID.map((phoneNumber) => ({ to: { phoneNumber } })) });
      expect(fixed.json.data.sendMessage.__typename, fixed.text).toBe('SendMessageSuccess');
      expect(await countRows(app.database.db, 'message')).toBe(before.message + 3);
    });

    it('refuses a number that is well-formed but invalid for its country', async () => {
      const paths = validationPaths(await send({ destinations: [{ to: { phoneNumber: '+4100000' } }] }), 'sendMessage');
      expect(paths).toEqual([['input', 'destinations', '0', 'to', 'phoneNumber']]);
    });

    it('refuses Viber text over 1000 characters at input.viber.text.text', async () => {
      const before = await stored();
      const ok = await send({ destinations: [{ to: { phoneNumber: VALID[0] } }], viber: { text: { text: 'x'.repeat(1000) } } });
      expect(ok.json.data.sendMessage.__typename, ok.text).toBe('SendMessageSuccess');
      const tooLong = await send({ destinations: [{ to: { phoneNumber: VALID[0] } }], viber: { text: { text: 'x'.repeat(1001) } } });
      expect(validationPaths(tooLong, 'sendMessage')).toEqual([['input', 'viber', 'text', 'text']]);
      expect((await stored()).message).toBe(before.message + 1);
    });

    it('refuses a validity period over 48 hours at input.validityPeriod', async () => {
      const before = await stored();
      for (const validityPeriod of [{ amount: 49, timeUnit: 'HOURS' }, { amount: 2881, timeUnit: 'MINUTES' }, { amount: 172_801, timeUnit: 'SECONDS' }]) {
        const result = await send({ destinations: [{ to: { phoneNumber: VALID[0] } }], validityPeriod });
        expect(validationPaths(result, 'sendMessage'), JSON.stringify(validityPeriod)).toEqual([['input', 'validityPeriod']]);
      }
      expect(await stored()).toEqual(before);
      const limit = await send({ destinations: [{ to: { phoneNumber: VALID[0] } }], validityPeriod: { amount: 48, timeUnit: 'HOURS' } });
      expect(limit.json.data.sendMessage.__typename, limit.text).toBe('SendMessageSuccess');
    });

    it('refuses 10,001 destinations at input.destinations and stores none of them', async () => {
      const before = await stored();
      const destinations = Array.from({ length: 10_001 }, (_, i) => ({ to: { phoneNumber: `4179${String(1_000_000 + i).padStart(7, '0')}` } }));
      const result = await send({ bulkId: 'too-many', destinations });
      expect(validationPaths(result, 'sendMessage')).toContainEqual(['input', 'destinations']);
      expect(await stored()).toEqual(before);
    }, 120_000);

    it('refuses two destinations with the same messageId in one request, naming the repeat', async () => {
      const before = await stored();
      const result = await send({
        destinations: [
          { to: { phoneNumber: VALID[0] }, messageId: 'dup-1' },
          { to: { phoneNumber: VALID[1] }, messageId: 'dup-1' },
        ],
      });
      expect(validationPaths(result, 'sendMessage')).toEqual([['input', 'destinations', '1', 'messageId']]);
      expect(await stored()).toEqual(before);
    });

    it('refuses a messageId already used by an earlier request', async () => {
      const first = await send({ destinations: [{ to: { phoneNumber: VALID[0] }, messageId: 'once-only' }] });
      expect(first.json.data.sendMessage.__typename, first.text).toBe('SendMessageSuccess');
      const before = await stored();
      const again = await send({
        destinations: [
          { to: { phoneNumber: VALID[1] }, messageId: 'fresh-id' },
          { to: { phoneNumber: VALID[2] }, messageId: 'once-only' },
        ],
      });
      expect(validationPaths(again, 'sendMessage')).toEqual([['input', 'destinations', '1', 'messageId']]);
      expect(await stored()).toEqual(before);
    });

    it('refuses a bulkId used by an earlier request, and the earlier bulk is untouched', async () => {
      const first = await send({ bulkId: 'reused-bulk', destinations: [{ to: { phoneNumber: VALID[0] } }] });
      expect(first.json.data.sendMessage.__typename, first.text).toBe('SendMessageSuccess');
      const before = await stored();
      const again = await send({ bulkId: 'reused-bulk', destinations: [{ to: { phoneNumber: VALID[1] } }] });
      expect(validationPaths(again, 'sendMessage')).toEqual([['input', 'bulkId']]);
      expect(await stored()).toEqual(before);
      const inBulk = await app.database.db.selectFrom('message').select('toNumber').where('bulkId', '=', 'reused-bulk').execute();
      expect(inBulk).toEqual([{ toNumber: `+${VALID[0]}` }]);
    });

    it('refuses a scenarioKey that names no scenario at input.scenarioKey', async () => {
      const before = await stored();
      const result = await send({ scenarioKey: 'F'.repeat(32), destinations: [{ to: { phoneNumber: VALID[0] } }] });
      expect(validationPaths(result, 'sendMessage')).toEqual([['input', 'scenarioKey']]);
      expect(await stored()).toEqual(before);
    });
  });

  describe('scenarios', () => {
    it('refuses an empty flow at input.flow', async () => {
      const before = await stored();
      expect(validationPaths(await createScenario({ name: 'Empty', flow: [] }), 'createScenario')).toEqual([['input', 'flow']]);
      expect(await stored()).toEqual(before);
    });

    it('refuses a step validity over 48 hours at input.flow.N.validityPeriod, on create and on update', async () => {
      const before = await stored();
      const created = await createScenario({
        name: 'Too long',
        flow: [
          { channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 48, timeUnit: 'HOURS' } },
          { channel: 'SMS', from: 'Omnishop', validityPeriod: { amount: 49, timeUnit: 'HOURS' } },
        ],
      });
      expect(validationPaths(created, 'createScenario')).toEqual([['input', 'flow', '1', 'validityPeriod']]);
      expect(await stored()).toEqual(before);

      const ok = await createScenario({ name: 'At the limit', flow: [{ channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 48, timeUnit: 'HOURS' } }] });
      expect(ok.json.data.createScenario.__typename, ok.text).toBe('CreateScenarioSuccess');
      const key = ok.json.data.createScenario.scenario.key as string;

      const updated = await post(UpdateScenarioFlow, {
        key,
        input: { flow: [{ channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 3000, timeUnit: 'MINUTES' } }] },
      });
      expect(validationPaths(updated, 'updateScenario')).toEqual([['input', 'flow', '0', 'validityPeriod']]);
      const row = await app.database.db.selectFrom('scenario').select('flow').where('key', '=', key).executeTakeFirstOrThrow();
      expect(row.flow[0]!.validitySeconds).toBe(48 * 3600);
    });
  });

  /**
   * Errors raised outside the resolvers (variable coercion, authentication) are checked on the service run
   * as deployed, in its own Node process on this file's database. In-process under vitest, src/ gets
   * graphql's ESM build while graphql-yoga gets its CommonJS build, so yoga does not recognise src's
   * GraphQLError and masks these as 500 "Unexpected error." — a test-environment artefact.
   */
  describe('errors raised before any resolver runs, and error hygiene', () => {
    let service: ChildService;
    const served = (document: Parameters<typeof rawPost>[1]['query'], variables: Record<string, unknown>, headers = auth) =>
      rawPost(service.graphqlUrl, { query: document, variables }, headers);

    /** Requests that fail in every way a client can make one fail. */
    async function badRequests(url: string): Promise<RawResult[]> {
      const at = (q: string, variables: Record<string, unknown> = {}, headers = auth) => rawPost(url, { query: q, variables }, headers);
      return [
        await at('query { scenarios(first: 2 { edges { cursor } } }'),
        await at('query { scenarios { nope } }'),
        await at('query Q($n: Int) { scenarios(first: $n) { edges { cursor } } }', { n: 'ten' }),
        await at('query { scenarios(first: 0) { edges { cursor } } }'),
        await at('query { messages(first: 5, after: "not-a-cursor") { edges { cursor } } }'),
        await at('query Q($d: DateTime) { messages(filter: { sentSince: $d }) { edges { cursor } } }', { d: 'yesterday' }),
        await at('{ scenarios { edges { cursor } } }', {}, {}),
        await at('{ scenarios { edges { cursor } } }', {}, { authorization: 'App og_wrong' }),
        await rawPost(url, { query: CreateScenario, variables: { input: { name: 'Fax', flow: [{ channel: 'FAX', from: 'Omnishop' }] } } }, auth),
        await rawPost(url, { query: SendMessage, variables: { input: { destinations: [{ to: { phoneNumber: 'x' } }] } } }, auth),
      ];
    }

    beforeAll(async () => {
      service = await spawnService(app.databaseUrl, { WORKER_ENABLED: 'false' });
    });
    afterAll(async () => {
      await service?.kill();
    });

    it('answers an unknown channel in variables with a top-level BAD_USER_INPUT error naming input.flow.0.channel', async () => {
      const before = await stored();
      const result = await served(CreateScenario, { input: { name: 'Fax', flow: [{ channel: 'FAX', from: 'Omnishop' }] } });
      expect(result.json.data ?? null, result.text).toBeNull();
      expect(result.json.errors, result.text).toHaveLength(1);
      const error = result.json.errors[0];
      expect(error.extensions.code, result.text).toBe('BAD_USER_INPUT');
      expect(error.extensions.fieldErrors, result.text).toHaveLength(1);
      expect(error.extensions.fieldErrors[0].path).toEqual(['input', 'flow', '0', 'channel']);
      expect(typeof error.extensions.fieldErrors[0].message).toBe('string');
      expect(error.extensions.fieldErrors[0].message).toMatch(/FAX/);
      expect(await stored()).toEqual(before);
    });

    it('carry no stack trace, file path or internal error, whatever went wrong', async () => {
      const all = [...responses, ...(await badRequests(service.graphqlUrl)), ...(await badRequests(app.graphqlUrl))];
      expect(all.length).toBeGreaterThan(30);
      for (const r of all) {
        expect(r.json, r.text).not.toBeNull();
        expect(leaks(r.json), r.text).toEqual([]);
        expect(r.text).not.toMatch(/"stack"/);
        expect(r.text).not.toMatch(/\\n\s+at /);
      }
    });

    it('carry no stack trace even when the service runs with NODE_ENV=development', async () => {
      const dev = await spawnService(app.databaseUrl, { WORKER_ENABLED: 'false', NODE_ENV: 'development' });
      try {
        for (const r of await badRequests(dev.graphqlUrl)) {
          expect(leaks(r.json), r.text).toEqual([]);
          expect(r.text).not.toMatch(/"stack"/);
        }
      } finally {
        await dev.kill();
      }
    });
  });
});
