import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { grants, type Scope } from '../domain/scopes.js';
import type { GraphQLContext } from './context.js';
import { accessOf, type RootTypeName } from './scopes.js';

/** The operation's root fields, through fragments; `__typename` and introspection need no scope. */
function rootFields(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): FieldNode[] {
  const fields: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!selection.name.value.startsWith('__')) fields.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      fields.push(...rootFields(selection.selectionSet, fragments, seen));
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !seen.has(fragment.name.value)) {
        seen.add(fragment.name.value);
        fields.push(...rootFields(fragment.selectionSet, fragments, seen));
      }
    }
  }
  return fields;
}

function forbidden(field: string, needed: Scope, alternative: string | null, held: readonly Scope[]): GraphQLError {
  const also = alternative ? ` (or ${alternative})` : '';
  return new GraphQLError(`${field} needs an API key with scope "${needed}"${also}; this key has: ${held.join(', ') || 'none'}.`, {
    extensions: { code: 'FORBIDDEN', field, requiredScope: needed, http: { status: 403 } },
  });
}

/**
 * The first root field of the operation the caller's key may not use, as a FORBIDDEN error; null when all
 * are allowed. Every field is checked before anything executes, so a refused operation reads and writes
 * nothing, even when some of its fields would have been allowed.
 */
export function scopeRefusal(args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>, held: readonly Scope[]): GraphQLError | null {
  const document: DocumentNode = args.document;
  const operation = getOperationAST(document, args.operationName ?? undefined);
  if (!operation) return null; // graphql-js answers that itself, without running a resolver
  const rootType = args.schema.getRootType(operation.operation);
  if (!rootType) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let variables: Record<string, unknown> | null | undefined;
  for (const node of rootFields(operation.selectionSet, fragments)) {
    const field = node.name.value;
    const access = accessOf(rootType.name as RootTypeName, field);
    if (grants(held, access.scope)) continue;
    const alternative = access.alternative;
    if (alternative && grants(held, alternative.scope)) {
      // The alternative depends on the arguments: coerce them as execution would. Arguments that do not
      // coerce are refused here (execution would refuse them anyway).
      if (variables === undefined) {
        const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
        variables = 'coerced' in coerced ? coerced.coerced : null;
      }
      const definition = rootType.getFields()[field];
      if (variables && definition) {
        let values: Record<string, unknown> | null = null;
        try {
          values = getArgumentValues(definition, node, variables);
        } catch {
          values = null;
        }
        if (values && alternative.allows(values)) continue;
      }
    }
    return forbidden(field, access.scope, alternative ? `"${alternative.scope}" ${alternative.rule}` : null, held);
  }
  return null;
}

/**
 * Enforces the scope table (scopes.ts) on every operation, over HTTP and graphql-ws alike (both run
 * through Yoga's envelop), before execution starts. Chosen over @pothos/plugin-scope-auth because that
 * checks field by field while the operation runs: an operation with an allowed and a refused root field
 * would run the allowed one (a mutation would write). Here the whole operation is judged first, from one
 * table, with no new dependency.
 */
export function useScopeGuard(): Plugin<GraphQLContext> {
  const guard = ({ args, setResultAndStopExecution }: { args: ExecutionArgs & { contextValue: GraphQLContext }; setResultAndStopExecution: (r: { errors: GraphQLError[] }) => void }) => {
    const refusal = scopeRefusal(args, args.contextValue.account.key.scopes);
    if (refusal) setResultAndStopExecution({ errors: [refusal] });
  };
  return { onExecute: guard, onSubscribe: guard };
}
