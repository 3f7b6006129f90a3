import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  getNamedType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { unstorablePaths, valueFor, type KnownValues } from './inputs.js';
import type { Random } from './random.js';

export type OperationKind = 'query' | 'mutation' | 'subscription';

/** One generated request: a single root field called with generated arguments. */
export interface FuzzCase {
  index: number;
  kind: OperationKind;
  field: string;
  query: string;
  variables: Record<string, unknown>;
  /** Argument paths (e.g. ["input", "destinations", "0", "messageId"]) of strings PostgreSQL would refuse. */
  unstorable: string[][];
}

export interface RootField {
  kind: OperationKind;
  field: GraphQLField<unknown, unknown>;
}

/** Every field of Query, Mutation and Subscription, read from the (introspected) schema. */
export function rootFields(schema: GraphQLSchema): RootField[] {
  const roots: Array<[OperationKind, GraphQLObjectType | null | undefined]> = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  return roots.flatMap(([kind, type]) => (type ? Object.values(type.getFields()).map((field) => ({ kind, field })) : []));
}

const MAX_SELECTION_DEPTH = 3;

/** Leaf fields one to three levels deep, so output resolvers run on whatever the input found. */
function selectionOf(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isUnionType(named)) {
    // Two members may share a field name with different types (a success's `message: Message!` beside an
    // error's `message: String!`), which GraphQL refuses unaliased: those fields are aliased by type.
    const typesOf = new Map<string, Set<string>>();
    for (const t of named.getTypes()) for (const f of Object.values(t.getFields())) typesOf.set(f.name, (typesOf.get(f.name) ?? new Set()).add(String(f.type)));
    const clashing = new Set([...typesOf].filter(([, types]) => types.size > 1).map(([name]) => name));
    return `{ __typename ${named.getTypes().map((t) => `... on ${t.name} ${objectSelection(t, depth + 1, clashing)}`).join(' ')} }`;
  }
  if (isObjectType(named) || isInterfaceType(named)) return objectSelection(named, depth);
  return '';
}

function objectSelection(type: GraphQLObjectType | GraphQLInterfaceType, depth: number, clashing: ReadonlySet<string> = new Set()): string {
  const parts = ['__typename'];
  const named = (name: string) => (clashing.has(name) ? `${type.name}_${name}: ${name}` : name);
  for (const f of Object.values(type.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    if (isLeafType(getNamedType(f.type))) parts.push(named(f.name));
    else if (depth < MAX_SELECTION_DEPTH) parts.push(`${named(f.name)} ${selectionOf(f.type, depth + 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * A value written inline in the document (GraphQL literal syntax), typed where the type is known. Values
 * nested deeper than a few hundred levels are cut short: malformedBodies() covers deep literals on purpose.
 */
export function toLiteral(value: unknown, type: GraphQLInputType | null, depth = 0): string {
  if (value === null || value === undefined || depth > 300) return 'null';
  if (type instanceof GraphQLNonNull) return toLiteral(value, type.ofType, depth);
  if (type instanceof GraphQLList) {
    return Array.isArray(value) ? `[${value.map((v) => toLiteral(v, type.ofType, depth + 1)).join(', ')}]` : toLiteral(value, type.ofType, depth);
  }
  if (Array.isArray(value)) return `[${value.map((v) => toLiteral(v, null, depth + 1)).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = type instanceof GraphQLInputObjectType ? type.getFields() : {};
    return `{${Object.entries(value)
      .filter(([k]) => NAME.test(k))
      .map(([k, v]) => `${k}: ${toLiteral(v, fields[k]?.type ?? null, depth + 1)}`)
      .join(', ')}}`;
  }
  if (type instanceof GraphQLEnumType && typeof value === 'string' && NAME.test(value) && !['true', 'false', 'null'].includes(value)) return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(Object.is(value, -0) ? 0 : value) : '0';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** `count` calls of `root`, arguments by variable (mostly) or inline, some optional ones left out. */
export function casesFor(root: RootField, count: number, rng: Random, known: KnownValues, firstIndex: number): FuzzCase[] {
  const selection = selectionOf(root.field.type, 1);
  const cases: FuzzCase[] = [];
  for (let n = 0; n < count; n++) cases.push(oneCase(root, selection, rng, known, firstIndex + n));
  return cases;
}

/**
 * Request bodies stay under a few MB: a huge string copied into a thousand list items would measure the
 * body-size limit, which is not what this fuzz is about.
 */
const MAX_VARIABLES_CHARS = 3_000_000;

function oneCase(root: RootField, selection: string, rng: Random, known: KnownValues, index: number): FuzzCase {
  const { kind, field } = root;
  for (;;) {
    const wellTyped = rng.chance(0.7);
    const definitions: string[] = [];
    const argumentsText: string[] = [];
    const variables: Record<string, unknown> = {};
    const given: Record<string, unknown> = {};
    for (const arg of field.args) {
      const required = isNonNullType(arg.type);
      if (required ? !wellTyped && rng.chance(0.02) : rng.chance(0.25)) continue;
      const value = valueFor(arg.type, arg.name, { rng, known, wellTyped });
      given[arg.name] = value;
      if (rng.chance(0.1)) {
        argumentsText.push(`${arg.name}: ${toLiteral(value, arg.type)}`);
      } else {
        const declared = !wellTyped && rng.chance(0.03) ? 'String' : String(arg.type);
        definitions.push(`$${arg.name}: ${declared}`);
        argumentsText.push(`${arg.name}: $${arg.name}`);
        variables[arg.name] = value;
      }
    }
    const header = definitions.length ? `(${definitions.join(', ')})` : '';
    const call = argumentsText.length ? `${field.name}(${argumentsText.join(', ')})` : field.name;
    const query = `${kind} Fuzz${header} { ${call} ${selection} }`;
    if (query.length + JSON.stringify(variables).length > MAX_VARIABLES_CHARS) continue;
    return { index, kind, field: field.name, query, variables, unstorable: unstorablePaths(given) };
  }
}

/**
 * Whole requests that attack the document and the transport rather than one argument: deep nesting the
 * parser must survive, malformed bodies, odd variable containers, bytes that are not UTF-8.
 */
export function malformedBodies(): Array<{ name: string; body: string | Buffer; contentType?: string }> {
  const deep = [1_000, 5_000, 20_000, 100_000].flatMap((d) => [
    { name: `selection nested ${d} deep`, body: JSON.stringify({ query: `query { ${'account { '.repeat(d)}name${' }'.repeat(d)} }` }) },
    { name: `list literal nested ${d} deep`, body: JSON.stringify({ query: `{ previewSms(text: ${'['.repeat(d)}"x"${']'.repeat(d)}) { segments } }` }) },
    { name: `object literal nested ${d} deep`, body: JSON.stringify({ query: `{ messages(filter: ${'{bulkId: '.repeat(d)}"x"${'}'.repeat(d)}) { edges { cursor } } }` }) },
  ]);
  return [
    ...deep,
    {
      name: 'variables nested deep',
      body: `{"query": "query($t: String!) { previewSms(text: $t) { segments } }", "variables": {"t": ${'['.repeat(5_000)}"x"${']'.repeat(5_000)}}}`,
    },
    { name: 'huge Int literal', body: JSON.stringify({ query: '{ messages(first: 99999999999999999999999) { edges { cursor } } }' }) },
    { name: 'huge Float literal', body: JSON.stringify({ query: `{ previewSms(text: "x") { segments } scenarios(first: 1e99999) { edges { cursor } } }` }) },
    { name: 'NUL in the document', body: JSON.stringify({ query: '{ previewSms(text: "a\u0000b") { segments } }' }) },
    { name: 'NUL escaped in a literal', body: JSON.stringify({ query: '{ bulk(bulkId: "a\\u0000b") { bulkId } }' }) },
    { name: 'lone surrogate escaped in a literal', body: JSON.stringify({ query: '{ bulk(bulkId: "a\\uD800b") { bulkId } }' }) },
    { name: 'operation name with NUL', body: JSON.stringify({ query: 'query A { account { name } }', operationName: 'A\u0000' }) },
    { name: 'variables is a string', body: JSON.stringify({ query: 'query($k: String!) { scenario(key: $k) { key } }', variables: 'k=1' }) },
    { name: 'variables is an array', body: JSON.stringify({ query: 'query($k: String!) { scenario(key: $k) { key } }', variables: ['x'] }) },
    { name: 'query is a number', body: JSON.stringify({ query: 42 }) },
    { name: 'query is missing', body: JSON.stringify({ variables: {} }) },
    { name: 'extensions are odd', body: JSON.stringify({ query: '{ account { name } }', extensions: { persistedQuery: { version: 1, sha256Hash: '\u0000' } } }) },
    { name: 'a batch (array body)', body: JSON.stringify([{ query: '{ account { name } }' }, { query: '{ account { name } }' }]) },
    { name: 'not JSON', body: '{"query": "{ account { name } }"' },
    { name: 'empty body', body: '' },
    { name: 'JSON null', body: 'null' },
    { name: 'invalid UTF-8 inside a string', body: Buffer.concat([Buffer.from('{"query":"{ bulk(bulkId: \\"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('\\") { bulkId } }"}')]) },
    { name: 'text/plain body', body: '{ account { name } }', contentType: 'text/plain' },
    { name: 'graphql body', body: '{ account { name } }', contentType: 'application/graphql' },
  ];
}
