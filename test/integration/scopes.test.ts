import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/domain/scopes.js';
import { schema } from '../../src/graphql/schema.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { wsClient } from '../support/graphql-client.js';
import { rawPost } from './helpers.js';

/**
 * The scope rule as the product states it, written here independently of src/graphql/scopes.ts: every
 * root field of the schema must appear below, so a new field without a decided scope fails this test.
 * `send|console1`: a send key may call it; a console key only with a single destination.
 * `console|send`: a console key or a send key (work on one conversation, i.e. one person).
 */
type Rule = Scope | 'send|console1' | 'console|send';
const EXPECTED: Record<'Query' | 'Mutation' | 'Subscription', Record<string, Rule>> = {
  Query: {
    account: 'admin',
    apiKeys: 'admin',
    bulk: 'read',
    events: 'read',
    conversation: 'read',
    conversations: 'read',
    inboundMessages: 'read',
    message: 'read',
    messages: 'read',
    previewSms: 'read',
    providerConnection: 'admin',
    providerConnections: 'admin',
    scenario: 'read',
    scenarios: 'read',
    viberSubscribers: 'read',
  },
  Mutation: {
    cancelBulk: 'send',
    configureProviderConnection: 'admin',
    createApiKey: 'admin',
    createScenario: 'admin',
    deleteProviderConnection: 'admin',
    deleteScenario: 'admin',
    markConversationRead: 'console|send',
    pauseBulk: 'send',
    replyToConversation: 'console|send',
    rescheduleBulk: 'send',
    resumeBulk: 'send',
    revokeApiKey: 'admin',
    rotateApiKey: 'admin',
    rotateWebhookSigningSecret: 'admin',
    setApiKeyRateLimits: 'admin',
    sendMessage: 'send|console1',
    sendMessages: 'send',
    setViberWebhook: 'admin',
    updateAccount: 'admin',
    updateProviderConnection: 'admin',
    updateScenario: 'admin',
  },
  Subscription: {
    bulkProgress: 'read',
    conversationUpdated: 'read',
    inboundMessageReceived: 'read',
    messageStatusChanged: 'read',
  },
};

type RootType = keyof typeof EXPECTED;
const KEY_SCOPES: Scope[][] = [['read'], ['send'], ['console'], ['admin'], ['read', 'send']];

/** What a key holding `held` may call, by the rule above (admin: all; console: read + a single send). */
function expectAllowed(rule: Rule, held: Scope[], destinations: number): boolean {
  if (held.includes('admin')) return true;
  if (rule === 'console|send') return held.includes('console') || held.includes('send');
  if (rule === 'send|console1') return held.includes('send') || (held.includes('console') && destinations === 1);
  if (rule === 'read') return held.includes('read') || held.includes('console');
  return held.includes(rule);
}

/** A value of the type that gets past GraphQL's own checks (resolvers may still refuse it: that is fine). */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isScalarType(type)) {
    if (type.name === 'DateTime') return new Date(Date.now() + 3600_000).toISOString();
    if (type.name === 'Int' || type.name === 'Float') return 1;
    if (type.name === 'Boolean') return true;
    return 'x';
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    if (type.isOneOf) return { [fields[0]!.name]: sample(fields[0]!.type) };
    return Object.fromEntries(fields.filter((f) => isNonNullType(f.type)).map((f) => [f.name, sample(f.type)]));
  }
  throw new Error(`no sample for ${String(type)}`);
}

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

interface Case {
  rootType: RootType;
  field: string;
  label: string;
  query: string;
  variables: Record<string, unknown>;
  destinations: number;
}

/** One operation per root field (two for sendMessage: one destination, two), with required arguments only. */
function casesFromSchema(): Case[] {
  const cases: Case[] = [];
  const roots: Array<[RootType, 'query' | 'mutation' | 'subscription']> = [
    ['Query', 'query'],
    ['Mutation', 'mutation'],
    ['Subscription', 'subscription'],
  ];
  for (const [rootType, keyword] of roots) {
    const type = keyword === 'query' ? schema.getQueryType()! : keyword === 'mutation' ? schema.getMutationType()! : schema.getSubscriptionType()!;
    for (const field of Object.values(type.getFields()) as Array<GraphQLField<unknown, unknown>>) {
      const args = field.args.filter((a) => isNonNullType(a.type));
      const declarations = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
      const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
      const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
      const query = `${keyword} Probe${declarations ? `(${declarations})` : ''} { ${field.name}${call}${selection} }`;
      // Ids are uuids: a well-formed one that names nothing gets each resolver's own "not found".
      const variables = Object.fromEntries(args.map((a) => [a.name, /^(id|connectionId)$/.test(a.name) ? NO_SUCH_ID : sample(a.type)]));
      if (field.name === 'sendMessage') {
        for (const numbers of [['+41793026724'], ['+41793026724', '+41793026725']]) {
          cases.push({
            rootType,
            field: field.name,
            label: `sendMessage to ${numbers.length}`,
            query,
            variables: { input: { destinations: numbers.map((n) => ({ to: { phoneNumber: n } })), viber: { text: { text: 'hi' } } } },
            destinations: numbers.length,
          });
        }
      } else {
        cases.push({ rootType, field: field.name, label: field.name, query, variables, destinations: 0 });
      }
    }
  }
  return cases;
}

const CASES = casesFromSchema();

describe('API key scopes, over every root field of the schema', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const keys = new Map<string, string>();

  beforeAll(async () => {
    app = await startTestApp();
    const account = (await app.services.accounts.findByName('default'))!;
    for (const scopes of KEY_SCOPES) {
      keys.set(scopes.join('+'), (await app.services.apiKeys.create(account.id, { name: scopes.join('+'), scopes })).secret);
    }
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  it('every root field has a scope in the expected table (a new field fails here until it is given one)', () => {
    const inSchema = CASES.map((c) => `${c.rootType}.${c.field}`);
    const expected = Object.entries(EXPECTED).flatMap(([root, fields]) => Object.keys(fields).map((f) => `${root}.${f}`));
    expect(new Set(inSchema)).toEqual(new Set(expected));
  });

  /** Rows that a refused call must leave untouched, with the account's settings and keys. */
  async function fingerprint(): Promise<string> {
    const db = app.database.db;
    const counts = await Promise.all(
      (['apiKey', 'scenario', 'bulk', 'message', 'attempt', 'providerConnection'] as const).map(async (t) => {
        const r = await db.selectFrom(t).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
        return `${t}=${r.n}`;
      }),
    );
    const account = await db.selectFrom('account').select(['webhookSecret', 'deliveryWebhookUrl']).execute();
    const keyRows = await db.selectFrom('apiKey').select(['id', 'revokedAt', 'expiresAt']).orderBy('id').execute();
    const bulks = await db.selectFrom('bulk').select(['id', 'status', 'sendAt']).orderBy('id').execute();
    return JSON.stringify({ counts, account, keyRows, bulks });
  }

  function isForbidden(errors: Array<{ extensions?: Record<string, unknown> }> | undefined): boolean {
    return (errors ?? []).some((e) => e.extensions?.code === 'FORBIDDEN');
  }

  /** Runs a subscription over graphql-ws; resolves with its errors, or [] if it ran quietly for a while. */
  async function subscribeOnce(key: string, c: Case): Promise<Array<{ extensions?: Record<string, unknown>; message: string }>> {
    const client = wsClient(app.graphqlUrl, { authorization: `App ${key}` });
    try {
      return await new Promise((resolve) => {
        const timer = setTimeout(() => resolve([]), 700);
        client.subscribe(
          { query: c.query, variables: c.variables },
          {
            next: (value) => {
              if (value.errors) {
                clearTimeout(timer);
                resolve(value.errors as never);
              }
            },
            error: (err) => {
              clearTimeout(timer);
              resolve(Array.isArray(err) ? (err as never) : [{ message: String(err) }]);
            },
            complete: () => undefined,
          },
        );
      });
    } finally {
      await client.dispose();
    }
  }

  describe.each(KEY_SCOPES.map((scopes) => ({ scopes, name: scopes.join('+') })))('a key with scopes $name', ({ scopes, name }) => {
    const refused = CASES.filter((c) => !expectAllowed(EXPECTED[c.rootType][c.field]!, scopes, c.destinations));
    const allowed = CASES.filter((c) => expectAllowed(EXPECTED[c.rootType][c.field]!, scopes, c.destinations));

    it('is refused every operation outside its scopes with FORBIDDEN naming the scope, and nothing is written', async () => {
      const key = keys.get(name)!;
      const before = await fingerprint();
      for (const c of refused) {
        if (c.rootType === 'Subscription') {
          const errors = await subscribeOnce(key, c);
          expect(isForbidden(errors), `${c.label}: ${JSON.stringify(errors)}`).toBe(true);
          expect(errors[0]!.message, c.label).toMatch(/needs an API key with scope "(read|send|admin)"/);
          continue;
        }
        const result = await rawPost(app.graphqlUrl, { query: c.query, variables: c.variables }, { authorization: `App ${key}` });
        expect(result.json.data ?? null, c.label).toBeNull();
        expect(result.json.errors?.[0]?.extensions?.code, `${c.label}: ${result.text}`).toBe('FORBIDDEN');
        const rule = EXPECTED[c.rootType][c.field]!;
        const required = rule === 'send|console1' ? 'send' : rule === 'console|send' ? 'console' : rule;
        expect(result.json.errors[0].extensions.requiredScope, c.label).toBe(required);
        expect(result.json.errors[0].message, c.label).toContain(`scope "${required}"`);
        expect(result.status, c.label).toBe(403);
      }
      expect(await fingerprint()).toBe(before);
    });

    it('is allowed every operation inside its scopes (the resolver runs)', async () => {
      const key = keys.get(name)!;
      for (const c of allowed) {
        // Key mutations would end the keys this test uses; they run last, under admin, on a throwaway key.
        if (c.field === 'revokeApiKey' || c.field === 'rotateApiKey') continue;
        if (c.rootType === 'Subscription') {
          const errors = await subscribeOnce(key, c);
          expect(isForbidden(errors), `${c.label}: ${JSON.stringify(errors)}`).toBe(false);
          continue;
        }
        const result = await rawPost(app.graphqlUrl, { query: c.query, variables: c.variables }, { authorization: `App ${key}` });
        // Dummy arguments may well be refused by the resolver (NotFound, ValidationError): it ran.
        expect(isForbidden(result.json.errors), `${c.label}: ${result.text}`).toBe(false);
        expect(result.status, `${c.label}: ${result.text}`).toBe(200);
      }
    });
  });

  it('lets admin revoke and rotate keys (the two fields skipped above)', async () => {
    const account = (await app.services.accounts.findByName('default'))!;
    const admin = keys.get('admin')!;
    for (const field of ['revokeApiKey', 'rotateApiKey']) {
      const throwaway = await app.services.apiKeys.create(account.id, { name: 'throwaway', scopes: ['read'] });
      const c = CASES.find((x) => x.field === field)!;
      const result = await rawPost(app.graphqlUrl, { query: c.query, variables: { id: throwaway.apiKey.id } }, { authorization: `App ${admin}` });
      expect(result.json.errors, result.text).toBeUndefined();
      expect(result.json.data[field].__typename, result.text).toMatch(/Success$/);
    }
  });

  it('judges the whole operation first: an allowed field beside a refused one does not run', async () => {
    const before = await fingerprint();
    const result = await rawPost(
      app.graphqlUrl,
      { query: 'mutation { pauseBulk(bulkId: "nope") { __typename } rotateWebhookSigningSecret { name } }' },
      { authorization: `App ${keys.get('send')}` },
    );
    expect(result.json.data ?? null).toBeNull();
    expect(result.json.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'rotateWebhookSigningSecret', requiredScope: 'admin' });
    expect(await fingerprint()).toBe(before);
  });

  it('sees root fields inside fragments, and lets introspection through for every key', async () => {
    const viaFragment = await rawPost(
      app.graphqlUrl,
      { query: 'query { ...Root } fragment Root on Query { ... on Query { account { name } } }' },
      { authorization: `App ${keys.get('read')}` },
    );
    expect(viaFragment.json.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'account' });
    const introspection = await rawPost(app.graphqlUrl, { query: '{ __typename __schema { queryType { name } } }' }, { authorization: `App ${keys.get('send')}` });
    expect(introspection.json.errors).toBeUndefined();
    expect(introspection.json.data.__schema.queryType.name).toBe('Query');
  });
});
