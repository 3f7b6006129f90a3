import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { LimitError } from '../../../src/graphql/limits/errors.js';
import { operationCost } from '../../../src/graphql/limits/operation-cost.js';
import { schema } from '../../../src/graphql/schema.js';

const rules = { maxPageSize: 1000 };
const cost = (query: string, variables: Record<string, unknown> = {}, maxPageSize = 1000) =>
  operationCost(schema, parse(query), variables, undefined, { ...rules, maxPageSize });

describe('operationCost', () => {
  it('counts 1 per field plus its children', () => {
    expect(cost('{ account { name } }')).toBe(2);
    expect(cost('{ account { name deliveryWebhookUrl } }')).toBe(3);
  });

  it('multiplies a connection’s children by first, by last, or by the default page of 20', () => {
    // messages 1 + rows × (edges 1 + node (1 + messageId 1))
    expect(cost('{ messages(first: 1000) { edges { node { messageId } } } }')).toBe(1 + 1000 * 3);
    expect(cost('{ messages(last: 7) { edges { node { messageId } } } }')).toBe(1 + 7 * 3);
    expect(cost('{ messages { edges { node { messageId } } } }')).toBe(1 + 20 * 3);
  });

  it('reads first from the variables, so the same document costs what each request asks', () => {
    const q = 'query($n: Int) { messages(first: $n) { edges { node { messageId } } } }';
    expect(cost(q, { n: 10 })).toBe(31);
    expect(cost(q, { n: 1000 })).toBe(3001);
  });

  it('multiplies nested connections: a bulk’s messages inside the query', () => {
    expect(cost('{ bulk(bulkId: "b") { messages(first: 100) { edges { node { messageId } } } } }')).toBe(1 + (1 + 100 * 3));
  });

  it('adds every alias: a thousand aliased thousand-row pages cost a thousand times one', () => {
    const one = 'messages(first: 1000) { edges { node { messageId } } }';
    const many = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: ${one}`).join(' ')} }`;
    expect(cost(many)).toBe(1000 * 3001);
  });

  it('counts a send’s destinations, across entries of sendMessages', () => {
    const single = 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { __typename } }';
    const destinations = (n: number) => Array.from({ length: n }, () => ({ to: { phoneNumber: '+41793026724' } }));
    expect(cost(single, { i: { destinations: destinations(3), viber: { text: { text: 'x' } } } })).toBe(1 + 1 + 3);
    const bulk = 'mutation($i: SendMessagesInput!) { sendMessages(input: $i) { __typename } }';
    const entry = (n: number) => ({ destinations: destinations(n), viber: { text: { text: 'x' } } });
    expect(cost(bulk, { i: { messages: [entry(4000), entry(6000)] } })).toBe(1 + 1 + 10_000);
  });

  it('weighs plain lists by their expected size', () => {
    // message 1 + (attempts 1 + 2 × (channel 1))
    expect(cost('{ message(messageId: "m") { attempts { channel } } }')).toBe(1 + 1 + 2 * 1);
  });

  it('refuses a page size outside 1…max, naming the field and argument', () => {
    for (const [query, path] of [
      ['{ messages(first: 1001) { edges { node { messageId } } } }', ['messages', 'first']],
      ['{ mine: scenarios(last: 0) { edges { node { key } } } }', ['mine', 'last']],
      ['{ bulk(bulkId: "b") { messages(first: -5) { edges { cursor } } } }', ['messages', 'first']],
    ] as const) {
      const result = cost(query);
      expect(result).toBeInstanceOf(LimitError);
      const error = result as LimitError;
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 1000, fieldErrors: [{ path, message: 'must be between 1 and 1000' }] });
    }
    expect(cost('{ messages(first: 200) { edges { cursor } } }', {}, 100)).toBeInstanceOf(LimitError);
    expect(cost('{ messages(first: 1000) { edges { cursor } } }')).toBe(1 + 1000 * 2);
  });

  it('reads arguments raw: a page size of the wrong type is refused like one out of range', () => {
    const q = 'query($n: Int) { messages(first: $n) { edges { cursor } } }';
    expect((cost(q, { n: 'ten' }) as LimitError).extensions.fieldErrors).toEqual([{ path: ['messages', 'first'], message: 'must be between 1 and 1000' }]);
    expect(cost('query($n: Int = 50) { messages(first: $n) { edges { cursor } } }')).toBe(1 + 50 * 2);
  });

  it('leaves out what @skip and @include leave out', () => {
    const q = 'query($big: Boolean!) { account { name } messages(first: 1000) @include(if: $big) { edges { cursor } } }';
    expect(cost(q, { big: false })).toBe(2);
    expect(cost(q, { big: true })).toBe(2 + 1 + 1000 * 2);
  });

  it('weighs a union by its dearest member', () => {
    const q = `mutation($k: String!) { deleteScenario(key: $k) {
      ... on DeleteScenarioSuccess { scenario { key name } }
      ... on NotFoundError { message }
    } }`;
    // deleteScenario 1 + max(success: scenario 1 + 2, not found: 1)
    expect(cost(q, { k: 'x' })).toBe(1 + 3);
  });

  it('counts every expansion of a fragment, while weighing each fragment once', () => {
    // Each fragment spreads the one below it twice: 2^15 __typename selections from a few hundred tokens.
    const levels = 16;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { __typename }` : `fragment F${i} on Query { ...F${i + 1} ... on Query { ...F${i + 1} } }`,
    );
    expect(cost(`{ ...F0 } ${fragments.join(' ')}`)).toBe(2 ** (levels - 1));
  });

  it('refuses a document with more selections than it will walk', () => {
    const result = cost(`{ ${'__typename '.repeat(20_001)} }`);
    expect(result).toBeInstanceOf(LimitError);
    expect((result as LimitError).extensions.code).toBe('QUERY_TOO_COSTLY');
  });

  it('is null when the document has no such operation', () => {
    expect(operationCost(schema, parse('query A { account { name } } query B { account { name } }'), {}, undefined, rules)).toBeNull();
    expect(operationCost(schema, parse('query A { account { name } }'), {}, 'C', rules)).toBeNull();
    expect(operationCost(schema, parse('query A { account { name } }'), {}, 'A', rules)).toBe(2);
  });
});
