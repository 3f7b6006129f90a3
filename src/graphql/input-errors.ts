import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { FieldError } from '../messaging/errors.js';

const COERCION = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"; (.*)$/s;
const COERCION_ROOT = /^Variable "\$(\w+)" got invalid value .*?; (.*)$/s;
const NULL_FOR_NON_NULL = /^Variable "\$(\w+)" of non-null type "[^"]+" must not be null\.$/;
const NOT_PROVIDED = /^Variable "\$(\w+)" of required type "[^"]+" was not provided\.$/;

/** "input.flow[0].channel" → ["input", "flow", "0", "channel"] */
function toPath(dotted: string): string[] {
  return dotted.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== '');
}

export function fieldErrorOf(message: string): FieldError | null {
  const deep = COERCION.exec(message);
  if (deep) return { path: toPath(deep[2]!), message: deep[3]!.trim() };
  const root = COERCION_ROOT.exec(message);
  if (root) return { path: [root[1]!], message: root[2]!.trim() };
  const nulled = NULL_FOR_NON_NULL.exec(message);
  if (nulled) return { path: [nulled[1]!], message: 'must not be null' };
  const missing = NOT_PROVIDED.exec(message);
  if (missing) return { path: [missing[1]!], message: 'is required' };
  return null;
}

/**
 * graphql-js parses recursively, so a document nesting lists or objects tens of thousands deep overflows
 * the stack: a RangeError that would be masked as an internal error. It is a syntax problem of the
 * request, and is answered as one.
 */
function tooDeep(): GraphQLError {
  return new GraphQLError('Syntax Error: the document nests too deeply to be parsed.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
}

/**
 * Enum and type checks of variables happen in graphql-js before any resolver runs, so they cannot become
 * a ValidationError result. This gives those errors the same machine-readable shape: code BAD_USER_INPUT
 * and `fieldErrors [{path, message}]` naming the field and the rule.
 */
export function useInputFieldErrors(): Plugin {
  return {
    onParse: ({ parseFn, setParseFn }) => {
      setParseFn((source, options) => {
        try {
          return parseFn(source, options);
        } catch (error) {
          if (error instanceof RangeError) throw tooDeep();
          throw error;
        }
      });
    },
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!('errors' in result) || !result.errors?.length || result.data) return;
        setResult({
          ...result,
          errors: result.errors.map((error) => {
            const fieldError = fieldErrorOf(error.message);
            if (!fieldError) return error;
            return new GraphQLError(error.message, {
              nodes: error.nodes,
              extensions: { ...error.extensions, code: 'BAD_USER_INPUT', fieldErrors: [fieldError] },
            });
          }),
        });
      },
    }),
  };
}
