import {
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
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

/** Fragment spreads can multiply a small document's selections; past this many, the document is refused. */
const MAX_SELECTIONS = 20_000;

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
  return isListType(unwrapped) && isCompositeType(getNamedType(unwrapped));
}

/** The destinations of a send's raw `input` (`destinations`, or per entry of `messages`). */
export function countDestinations(input: unknown): number {
  if (!input || typeof input !== 'object') return 0;
  const { destinations, messages } = input as { destinations?: unknown; messages?: unknown };
  let n = Array.isArray(destinations) ? destinations.length : 0;
  if (Array.isArray(messages)) for (const entry of messages) n += countDestinations(entry);
  return n;
}

/**
 * Walks one operation as it will execute: per concrete type (a union's members each get their own
 * selections; the dearest counts), skipping @skip/@include'd selections, each fragment weighed once per
 * type however often it is spread. Arguments are read from the raw variables, never coerced: coercing a
 * 10,000-destination send's input a second time would cost as much as the cost check saves (that is why
 * this is not graphql-query-complexity, which coerces every variable before it starts).
 */
class CostWalker {
  private selections = 0;
  private readonly fragmentCosts = new Map<string, number>();
  private readonly fragments = new Map<string, FragmentDefinitionNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Record<string, unknown>,
    private readonly rules: CostRules,
  ) {
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(d.name.value, d);
  }

  setCost(set: SelectionSetNode, type: GraphQLCompositeType): number {
    if (!isAbstractType(type)) return this.objectCost(set, type as GraphQLObjectType);
    let dearest = 0;
    for (const member of this.schema.getPossibleTypes(type)) dearest = Math.max(dearest, this.objectCost(set, member));
    return dearest;
  }

  private objectCost(set: SelectionSetNode, type: GraphQLObjectType): number {
    let cost = 0;
    for (const node of set.selections) {
      if (++this.selections > MAX_SELECTIONS) {
        throw new LimitError(LIMIT_CODE.cost, `The operation expands to more than ${MAX_SELECTIONS} selections.`, { limit: MAX_SELECTIONS });
      }
      if (!this.included(node)) continue;
      if (node.kind === Kind.FIELD) {
        cost += this.fieldCost(node, type);
      } else if (node.kind === Kind.INLINE_FRAGMENT) {
        if (!node.typeCondition || this.applies(node.typeCondition.name.value, type)) cost += this.objectCost(node.selectionSet, type);
      } else {
        const fragment = this.fragments.get(node.name.value);
        if (!fragment || !this.applies(fragment.typeCondition.name.value, type)) continue;
        const key = `${fragment.name.value}@${type.name}`;
        let fragmentCost = this.fragmentCosts.get(key);
        if (fragmentCost === undefined) {
          this.fragmentCosts.set(key, 0); // a cycle (refused by validation anyway) adds nothing
          fragmentCost = this.objectCost(fragment.selectionSet, type);
          this.fragmentCosts.set(key, fragmentCost);
        }
        cost += fragmentCost;
      }
    }
    return cost;
  }

  private fieldCost(node: FieldNode, parent: GraphQLObjectType): number {
    const name = node.name.value;
    const field: GraphQLField<unknown, unknown> | undefined =
      name === '__typename' ? TypeNameMetaFieldDef : name === '__schema' ? SchemaMetaFieldDef : name === '__type' ? TypeMetaFieldDef : parent.getFields()[name];
    if (!field) return 0; // unknown fields were refused by validation
    const named = getNamedType(field.type);
    const children = node.selectionSet && isCompositeType(named) ? this.setCost(node.selectionSet, named) : 0;
    const coordinate = `${parent.name}.${field.name}`;

    if (isConnection(field.type)) {
      let rows = DEFAULT_PAGE_SIZE;
      for (const arg of ['first', 'last'] as const) {
        const value = this.argument(node, arg);
        if (value === undefined || value === null) continue;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > this.rules.maxPageSize) {
          throw pageSizeError([node.alias?.value ?? name, arg], this.rules.maxPageSize, value);
        }
        rows = value;
      }
      return 1 + rows * children;
    }
    if (SEND_FIELDS.has(coordinate)) return 1 + children + countDestinations(this.argument(node, 'input'));
    if (isObjectList(field.type)) return 1 + (LIST_SIZE[coordinate] ?? 1) * children;
    return 1 + children;
  }

  /** An argument's value as sent: a literal, or the raw variable (defaults applied by the caller). */
  private argument(node: FieldNode, name: string): unknown {
    const arg = node.arguments?.find((a) => a.name.value === name);
    return arg ? valueFromASTUntyped(arg.value, this.variables) : undefined;
  }

  private included(node: { directives?: FieldNode['directives'] }): boolean {
    if (!node.directives?.length) return true;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true) return false;
      if (getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if === false) return false;
    } catch {
      // a malformed `if` is execution's to report; count the selection
    }
    return true;
  }

  private applies(typeName: string, type: GraphQLObjectType): boolean {
    if (typeName === type.name) return true;
    const condition = this.schema.getType(typeName);
    return !!condition && isAbstractType(condition) && this.schema.isSubType(condition, type);
  }
}

function pickOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return operations.find((o) => o.name?.value === operationName) ?? null;
  return operations.length === 1 ? operations[0]! : null;
}

/**
 * The cost of the operation about to run: each field 1 plus its children; a connection's children times
 * the rows it will hold (`first`, `last`, else the default page), so `messages(first: 1000)` costs a
 * thousand times its node; a plain list's children times its expected size; a send's destinations once
 * each. A page size outside 1…maxPageSize, or a document expanding past MAX_SELECTIONS, is a LimitError.
 * Null when there is no such operation (execution reports that itself).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
  rules: CostRules,
): number | LimitError | null {
  const operation = pickOperation(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return null;
  const values: Record<string, unknown> = { ...(variables ?? {}) };
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (values[name] === undefined && def.defaultValue) values[name] = valueFromASTUntyped(def.defaultValue);
  }
  try {
    return new CostWalker(schema, document, values, rules).setCost(operation.selectionSet, root);
  } catch (error) {
    if (error instanceof LimitError) return error;
    throw error;
  }
}
