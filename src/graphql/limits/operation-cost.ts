import { getNamedType, isListType, isNonNullType, isObjectType, type DocumentNode, type GraphQLOutputType, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator, type ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from '../../messaging/pagination.js';
import { LIMIT_CODE, LimitError, pageSizeError } from './errors.js';

/**
 * Expected sizes of plain (unpaginated) object lists, where one list may hold many rows. Others count
 * once: their size is bounded by the caller's own input (a send's `messages`) or by a scenario's few steps.
 */
const LIST_SIZE: Record<string, number> = {
  'Message.attempts': 2, // one per step tried: Viber, then SMS
  'Message.reportDeliveries': 2,
  'ReportDelivery.attempts': 5,
  'Query.viberSubscribers': 1_000, // up to 10,000 per bot; most bots have far fewer
  'Query.providerConnections': 5,
};

/** Mutations whose work grows with the destinations they carry (each one a message row, an attempt, a job). */
const SEND_FIELDS = new Set(['Mutation.sendMessage', 'Mutation.sendMessages']);

export interface CostRules {
  /** Largest `first`/`last` a connection accepts. */
  maxPageSize: number;
}

function isConnection(type: GraphQLOutputType): boolean {
  const named = getNamedType(type);
  if (!isObjectType(named)) return false;
  const fields = named.getFields();
  return 'edges' in fields && 'pageInfo' in fields;
}

function isObjectList(type: GraphQLOutputType): boolean {
  const unwrapped = isNonNullType(type) ? type.ofType : type;
  return isListType(unwrapped) && isObjectType(getNamedType(unwrapped));
}

function countDestinations(input: unknown): number {
  if (!input || typeof input !== 'object') return 0;
  const { destinations, messages } = input as { destinations?: unknown; messages?: unknown };
  let n = Array.isArray(destinations) ? destinations.length : 0;
  if (Array.isArray(messages)) for (const entry of messages) n += countDestinations(entry);
  return n;
}

/**
 * The estimator graphql-query-complexity calls for every selected field, children first: 1 for the field
 * itself plus its children's cost, times the number of rows a list will hold. A connection holds `first`
 * (or `last`, or the default page) rows, so `messages(first: 1000)` costs a thousand times its node; a
 * page size outside 1…maxPageSize is refused here, before anything runs, naming the argument.
 */
function estimator(rules: CostRules): ComplexityEstimator {
  return ({ type, field, node, args, childComplexity }: ComplexityEstimatorArgs) => {
    const coordinate = `${type.name}.${field.name}`;
    if (isConnection(field.type)) {
      let rows = DEFAULT_PAGE_SIZE;
      for (const name of ['first', 'last'] as const) {
        const value: unknown = args[name];
        if (value === undefined || value === null) continue;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > rules.maxPageSize) {
          throw pageSizeError([node.alias?.value ?? node.name.value, name], rules.maxPageSize, value);
        }
        rows = value;
      }
      return 1 + rows * childComplexity;
    }
    if (SEND_FIELDS.has(coordinate)) return 1 + childComplexity + countDestinations(args.input);
    if (isObjectList(field.type)) return 1 + (LIST_SIZE[coordinate] ?? 1) * childComplexity;
    return 1 + childComplexity;
  };
}

/** Fragment spreads can multiply a small document's selections; past this many, the document is refused. */
const MAX_SELECTIONS = 20_000;

/**
 * The cost of the operation `operationName` in `document` with these variables, or a LimitError for a page
 * size out of range or a document that expands beyond MAX_SELECTIONS. Returns null when the variables do
 * not fit the operation: execution then reports that with its usual BAD_USER_INPUT error.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
  rules: CostRules,
): number | LimitError | null {
  try {
    return getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      ...(operationName ? { operationName } : {}),
      estimators: [estimator(rules)],
      maxQueryNodes: MAX_SELECTIONS,
    });
  } catch (error) {
    if (error instanceof LimitError) return error;
    if (error instanceof Error && /maximum allowed number of nodes/.test(error.message)) {
      return new LimitError(LIMIT_CODE.cost, `The operation expands to more than ${MAX_SELECTIONS} selections.`, { limit: MAX_SELECTIONS });
    }
    return null;
  }
}
