import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { unstorableTextProblem } from '../domain/storable-text.js';
import { ValidationError, type FieldError } from '../messaging/errors.js';

/** A request naming more broken strings than this is refused with the first ones listed. */
const MAX_REPORTED = 50;

/**
 * Every string in `args` PostgreSQL could not store, with its path from the field's arguments
 * (e.g. ["input", "destinations", "3", "messageId"]). Arguments arrive coerced by GraphQL, so they nest no
 * deeper than the input types do; the path is built only for a string that is refused.
 */
export function unstorableStrings(args: Record<string, unknown>): FieldError[] {
  const found: FieldError[] = [];
  const path: string[] = [];
  const visit = (value: unknown): void => {
    if (found.length >= MAX_REPORTED) return;
    if (typeof value === 'string') {
      const problem = unstorableTextProblem(value);
      if (problem) found.push({ path: [...path], message: problem });
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(String(i));
        visit(value[i]);
        path.pop();
      }
    } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      for (const key in value) {
        path.push(key);
        visit((value as Record<string, unknown>)[key]);
        path.pop();
      }
    }
  };
  for (const key in args) {
    path.push(key);
    visit(args[key]);
    path.pop();
  }
  return found;
}

function assertStorable(args: object): void {
  const problems = unstorableStrings(args as Record<string, unknown>);
  if (problems.length > 0) throw new ValidationError(problems);
}

/**
 * Refuses, before any resolver or subscription starts, every argument string PostgreSQL cannot store (NUL,
 * lone UTF-16 surrogates) with a ValidationError naming its path. One check on every field with arguments,
 * so no field — including one added later — can pass such a string on to SQL, where it would fail as an
 * internal error. Mutations carry the ValidationError in their result union (the errors plugin wraps this
 * one), queries and subscriptions as a BAD_USER_INPUT error with fieldErrors.
 */
export class InputTextPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    // A subscription's arguments are checked once, when it subscribes, not on every event.
    if (Object.keys(fieldConfig.args).length === 0 || fieldConfig.kind === 'Subscription') return resolver;
    return (parent, args, context, info) => {
      assertStorable(args);
      return resolver(parent, args, context, info);
    };
  }

  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    if (!subscribe || Object.keys(fieldConfig.args).length === 0) return subscribe;
    return (parent, args, context, info) => {
      assertStorable(args);
      return subscribe(parent, args, context, info);
    };
  }
}

const pluginName = 'inputText';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputText: InputTextPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin(pluginName, InputTextPlugin);

export default pluginName;
