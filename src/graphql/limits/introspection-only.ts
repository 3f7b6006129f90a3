import { getOperationAST, Kind, parse, type DocumentNode } from 'graphql';
import { operationRootFields } from './root-fields.js';

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);
/** GraphiQL's introspection query is about 1,000 tokens; a key-less document may not be much larger. */
const MAX_TOKENS = 2_000;

/** True when the document's operation asks for nothing but the schema (`__schema`, `__type`, `__typename`). */
export function isIntrospectionOnly(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation || operation.operation !== 'query') return false;
  if (document.definitions.some((d) => d.kind !== Kind.OPERATION_DEFINITION && d.kind !== Kind.FRAGMENT_DEFINITION)) return false;
  const fields = operationRootFields(document, operation);
  return fields.length > 0 && fields.every((f) => INTROSPECTION_FIELDS.has(f.name.value));
}

/**
 * Whether a raw GraphQL-over-HTTP body (JSON `{query, operationName}`, one operation, no batch) asks only
 * for the schema. Anything that does not parse is "no": it then needs a key like every other request.
 */
export function isIntrospectionOnlyBody(body: Buffer): boolean {
  let params: unknown;
  try {
    params = JSON.parse(body.toString('utf8'));
  } catch {
    return false;
  }
  if (!params || typeof params !== 'object' || Array.isArray(params)) return false;
  const { query, operationName } = params as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return false;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return false;
  try {
    return isIntrospectionOnly(parse(query, { maxTokens: MAX_TOKENS, noLocation: true }), operationName);
  } catch {
    return false;
  }
}
