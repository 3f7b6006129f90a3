import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema as productSchema } from '../../../src/graphql/schema.js';
import { sharingKeyOf } from '../../../src/graphql/subscription-sharing-key.js';

/**
 * The rule on a schema of its own, shaped like the product's: the shareable fields with a resume cursor
 * `after` (the product adds it to them), and bulkProgress, which answers the current state first.
 */
const schema = buildSchema(`
  type Query { ok: Boolean }
  input Filter { to: String }
  type Event { to: String }
  type Subscription {
    messageStatusChanged(filter: Filter, after: String): Event
    inboundMessageReceived(filter: Filter, after: String = null): Event
    bulkProgress(bulkId: String!): Event
  }
`);

const admin = { accountId: 'acc-1', scopes: ['ADMIN'] };

function key(query: string, variables: Record<string, unknown> = {}, who = admin, operationName?: string): string | null {
  return sharingKeyOf({ schema, document: parse(query), variableValues: variables, operationName }, who);
}

const STATUS = 'subscription S($to: String, $after: String) { messageStatusChanged(filter: {to: $to}, after: $after) { to } }';

describe('which subscriptions share one execution', () => {
  it('shares the same document and variables of one account and scopes, whatever the order of variables or scopes', () => {
    const k = key(STATUS, { to: '+41793026724', after: null });
    expect(k).not.toBeNull();
    expect(key(STATUS, { after: null, to: '+41793026724' })).toBe(k);
    // An absent variable and an explicit null may mean different things to a resolver: not merged.
    expect(key(STATUS, { to: '+41793026724' })).not.toBe(k);
    const both = { accountId: 'acc-1', scopes: ['READ', 'SEND'] };
    expect(key(STATUS, {}, both)).toBe(key(STATUS, {}, { accountId: 'acc-1', scopes: ['SEND', 'READ'] }));
  });

  it('keeps apart other variables, other documents, other accounts and other scopes', () => {
    const k = key(STATUS, { to: '+41793026724' });
    expect(key(STATUS, { to: '+41793026725' })).not.toBe(k);
    expect(key(STATUS.replace('{ to }', '{ to __typename }'), { to: '+41793026724' })).not.toBe(k);
    expect(key(STATUS, { to: '+41793026724' }, { accountId: 'acc-2', scopes: ['ADMIN'] })).not.toBe(k);
    expect(key(STATUS, { to: '+41793026724' }, { accountId: 'acc-1', scopes: ['READ'] })).not.toBe(k);
  });

  it('never shares a subscription that resumes from a cursor, however `after` is given', () => {
    expect(key(STATUS, { after: 'cursor-1' })).toBeNull();
    expect(key('subscription { messageStatusChanged(after: "cursor-1") { to } }')).toBeNull();
    expect(key('subscription ($a: String = "cursor-1") { inboundMessageReceived(after: $a) { to } }')).toBeNull();
    // Written but null: a live-only stream, shared.
    expect(key('subscription { inboundMessageReceived(after: null) { to } }')).not.toBeNull();
  });

  it('never shares a stream that answers its current state first, nor queries or mutations', () => {
    expect(key('subscription { bulkProgress(bulkId: "b") { to } }')).toBeNull();
    expect(key('query { ok }')).toBeNull();
  });

  it('runs on its own what it does not judge: variables that do not coerce, root directives', () => {
    expect(key(STATUS, { to: 42 })).toBeNull();
    expect(key('subscription ($x: Boolean!) { messageStatusChanged @include(if: $x) { to } }', { x: true })).toBeNull();
  });

  it('picks the named operation of a document with several', () => {
    const doc = `${STATUS} subscription T { bulkProgress(bulkId: "b") { to } }`;
    expect(key(doc, {}, admin, 'S')).not.toBeNull();
    expect(key(doc, {}, admin, 'T')).toBeNull();
  });

  it("shares the product's live-only subscriptions and not bulkProgress", () => {
    const on = (query: string) => sharingKeyOf({ schema: productSchema, document: parse(query), variableValues: {} }, admin);
    expect(on('subscription { messageStatusChanged { occurredAt } }')).not.toBeNull();
    expect(on('subscription { inboundMessageReceived { receivedAt } }')).not.toBeNull();
    expect(on('subscription { bulkProgress(bulkId: "b") { status } }')).toBeNull();
  });
});
