import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { wsClient } from '../support/graphql-client.js';
import { countRows, rawPost, type RawResult } from './helpers.js';

/**
 * The operator's fuzz findings, one by one: each of these reached PostgreSQL and came back as a masked
 * "Unexpected error". Each must now be a typed error naming the argument, with nothing stored.
 */
const NUL = 'a\u0000b';
const LONE = 'x\uD800';

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) {
  __typename ... on ValidationError { fieldErrors { path message } } } }`;

const base = { from: 'Omnishop', destinations: [{ to: { phoneNumber: '+41793026724' } }], viber: { text: { text: 'Hi' } } };

/** Paths named by a ValidationError result or by BAD_USER_INPUT errors. */
function namedPaths(result: RawResult, field: string): string[][] {
  expect(result.status, result.text).toBe(200);
  expect(result.text).not.toContain('Unexpected error');
  const data = result.json.data?.[field];
  if (data?.__typename === 'ValidationError') return data.fieldErrors.map((f: { path: string[] }) => f.path);
  const errors = (result.json.errors ?? []) as Array<{ extensions?: { code?: string; fieldErrors?: Array<{ path: string[] }> } }>;
  expect(errors.length, result.text).toBeGreaterThan(0);
  for (const e of errors) expect(e.extensions?.code, result.text).toBe('BAD_USER_INPUT');
  return errors.flatMap((e) => (e.extensions?.fieldErrors ?? []).map((f) => f.path));
}

describe('strings PostgreSQL refuses, and ids of the wrong shape', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let auth: Record<string, string>;
  const post = (query: string, variables: Record<string, unknown> = {}) => rawPost(app.graphqlUrl, { query, variables }, auth);

  beforeAll(async () => {
    app = await startTestApp();
    auth = { authorization: `App ${app.apiKey}` };
    const created = await post(`mutation { createScenario(input: {name: "s", flow: [{channel: VIBER, from: "Omnishop"}]}) { __typename } }`);
    expect(created.json.data.createScenario.__typename, created.text).toBe('CreateScenarioSuccess');
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  it.each([
    ['viber text', { viber: { text: { text: NUL } } }, ['input', 'viber', 'text', 'text']],
    ['callbackData', { callbackData: NUL }, ['input', 'callbackData']],
    ['from', { from: NUL }, ['input', 'from']],
    ['messageId', { destinations: [{ to: { phoneNumber: '+41793026724' }, messageId: NUL }] }, ['input', 'destinations', '0', 'messageId']],
    ['bulkId', { bulkId: NUL }, ['input', 'bulkId']],
    ['idempotencyKey', { idempotencyKey: NUL }, ['input', 'idempotencyKey']],
    ['callbackData with a lone surrogate (jsonb refuses it)', { callbackData: LONE }, ['input', 'callbackData']],
    ['sms text with a lone surrogate', { sms: { text: LONE } }, ['input', 'sms', 'text']],
  ])('sendMessage refuses %s by name and stores nothing', async (_name, input, path) => {
    const before = await countRows(app.database.db, 'message');
    const result = await post(SEND, { input: { ...base, ...input } });
    expect(result.json.data.sendMessage.__typename, result.text).toBe('ValidationError');
    expect(namedPaths(result, 'sendMessage')).toContainEqual(path);
    expect(await countRows(app.database.db, 'message')).toBe(before);
  });

  it('createScenario refuses a NUL in its name', async () => {
    const result = await post(`mutation($name: String!) { createScenario(input: {name: $name, flow: [{channel: SMS, from: "Omnishop"}]}) {
      __typename ... on ValidationError { fieldErrors { path message } } } }`, { name: NUL });
    expect(namedPaths(result, 'createScenario')).toEqual([['input', 'name']]);
  });

  it.each([
    ['messages(filter: {bulkId})', `query($v: String!) { messages(filter: {bulkId: $v}) { edges { cursor } } }`, 'messages', ['filter', 'bulkId']],
    ['bulk(bulkId)', `query($v: String!) { bulk(bulkId: $v) { bulkId } }`, 'bulk', ['bulkId']],
    ['message(messageId)', `query($v: String!) { message(messageId: $v) { messageId } }`, 'message', ['messageId']],
    ['scenario(key)', `query($v: String!) { scenario(key: $v) { key } }`, 'scenario', ['key']],
  ])('the query %s refuses a NUL as BAD_USER_INPUT naming the argument', async (_name, query, field, path) => {
    const result = await post(query, { v: NUL });
    expect(namedPaths(result, field)).toEqual([path]);
  });

  it('a NUL written inline in the document is refused the same way', async () => {
    const result = await post(`{ bulk(bulkId: "a\\u0000b") { bulkId } }`);
    expect(namedPaths(result, 'bulk')).toEqual([['bulkId']]);
  });

  it('viberSubscribers with a connectionId that is not a UUID is NOT_FOUND, not an internal error', async () => {
    const result = await post(`{ viberSubscribers(connectionId: "not-a-uuid") { userId } }`);
    expect(result.text).not.toContain('Unexpected error');
    expect(result.json.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', resource: 'ProviderConnection', key: 'not-a-uuid' });
  });

  it('deleteProviderConnection with an id that is not a UUID is a NotFoundError', async () => {
    const result = await post(`mutation { deleteProviderConnection(id: "42") { __typename ... on NotFoundError { resource key } } }`);
    expect(result.json.data.deleteProviderConnection, result.text).toEqual({ __typename: 'NotFoundError', resource: 'ProviderConnection', key: '42' });
  });

  it('a cursor naming an id beyond bigint is refused as not a cursor of the list', async () => {
    const after = Buffer.from('message:99999999999999999999999').toString('base64url');
    const result = await post(`query($after: String) { messages(after: $after) { edges { cursor } } }`, { after });
    expect(namedPaths(result, 'messages')).toEqual([['after']]);
  });

  it('a subscription with a NUL in its argument is refused over WebSocket, naming it', async () => {
    const client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    try {
      const outcome = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the subscription was not refused within 5 s')), 5_000);
        client.subscribe(
          { query: 'subscription($b: String!) { bulkProgress(bulkId: $b) { bulkId } }', variables: { b: NUL } },
          {
            next: (value) => {
              clearTimeout(timer);
              resolve(value);
            },
            error: (err) => {
              clearTimeout(timer);
              resolve({ errors: err });
            },
            complete: () => undefined,
          },
        );
      });
      const errors = (outcome as { errors: Array<{ extensions?: { code?: string; fieldErrors?: unknown } }> }).errors;
      expect(errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['bulkId'] }] });
    } finally {
      await client.dispose();
    }
  });

  it('a variable given null for a non-null type names it as BAD_USER_INPUT', async () => {
    const result = await post(`query($v: String!) { bulk(bulkId: $v) { bulkId } }`, { v: null });
    expect(result.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['v'], message: 'must not be null' }] });
  });

  it('a document nesting 100,000 levels deep is a parse error, not an internal one', async () => {
    const result = await post(`{ previewSms(text: ${'['.repeat(100_000)}"x"${']'.repeat(100_000)}) { segments } }`);
    expect(result.status).toBe(400);
    expect(result.json.errors?.[0]?.extensions?.code, result.text).toBe('GRAPHQL_PARSE_FAILED');
  });
});
