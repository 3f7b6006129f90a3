import { getArgumentValues, getOperationAST, getVariableValues, Kind, print, type ExecutionArgs, type FieldNode } from 'graphql';

/**
 * Root subscription fields whose stream carries only events that happen after it starts, the same for
 * every subscriber with the same arguments: a subscriber who joins a running stream misses nothing it
 * would have seen on its own. `bulkProgress` is not one (it answers the bulk's state at once, so a late
 * joiner would miss that first answer).
 */
const SHAREABLE_FIELDS: ReadonlySet<string> = new Set(['messageStatusChanged', 'inboundMessageReceived', 'conversationUpdated']);

/**
 * An argument that makes a stream replay from where one subscriber left off: that replay is the
 * subscriber's own, so a subscription carrying a non-null one never shares. Checked by name on the coerced
 * arguments, so it holds for any shareable field that has (or will have) it, however it is written
 * (literal, variable, variable default).
 */
const PER_SUBSCRIBER_ARGUMENTS: readonly string[] = ['after'];

/** Who runs the operation: subscribers share only within one account and one set of scopes. */
export interface Subscriber {
  accountId: string;
  scopes: readonly string[];
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` name the same variables. */
function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * The key under which subscribers share one execution per event, or null when this operation must run on
 * its own. Two operations with one key are the same document, operation and (coerced) variables, run by
 * the same account with the same scopes: their results are the same bytes, so one execution and one
 * serialisation serve all of them. Anything this cannot judge (variables that do not coerce, an unknown
 * field) runs on its own, where graphql-js answers it as usual.
 */
export function sharingKeyOf(
  args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>,
  who: Subscriber,
): string | null {
  const operation = getOperationAST(args.document, args.operationName ?? undefined);
  if (!operation || operation.operation !== 'subscription') return null;
  const rootType = args.schema.getSubscriptionType();
  if (!rootType) return null;
  // A subscription has exactly one root field (graphql's validation); fragments or directives at the
  // root are rare enough to run on their own rather than be interpreted here.
  const [root, ...others] = operation.selectionSet.selections;
  if (!root || others.length > 0 || root.kind !== Kind.FIELD || (root.directives?.length ?? 0) > 0) return null;
  const field: FieldNode = root;
  if (!SHAREABLE_FIELDS.has(field.name.value)) return null;
  const definition = rootType.getFields()[field.name.value];
  if (!definition) return null;

  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
  if (!('coerced' in coerced)) return null;
  let values: Record<string, unknown>;
  try {
    values = getArgumentValues(definition, field, coerced.coerced);
  } catch {
    return null;
  }
  if (PER_SUBSCRIBER_ARGUMENTS.some((name) => values[name] !== undefined && values[name] !== null)) return null;

  const text = args.document.loc?.source.body ?? print(args.document);
  return canonicalJson([who.accountId, [...who.scopes].sort(), args.operationName ?? null, text, coerced.coerced]);
}
