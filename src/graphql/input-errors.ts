import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { FieldError } from '../messaging/errors.js';

const COERCION = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"; (.*)$/s;
const COERCION_ROOT = /^Variable "\$(\w+)" got invalid value .*?; (.*)$/s;

/** "input.flow[0].channel" → ["input", "flow", "0", "channel"] */
function toPath(dotted: string): string[] {
  return dotted.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== '');
}

export function fieldErrorOf(message: string): FieldError | null {
  const deep = COERCION.exec(message);
  if (deep) return { path: toPath(deep[2]!), message: deep[3]!.trim() };
  const root = COERCION_ROOT.exec(message);
  if (root) return { path: [root[1]!], message: root[2]!.trim() };
  return null;
}

/**
 * Enum and type checks of variables happen in graphql-js before any resolver runs, so they cannot become
 * a ValidationError result. This gives those errors the same machine-readable shape: code BAD_USER_INPUT
 * and `fieldErrors [{path, message}]` naming the field and the rule.
 */
export function useInputFieldErrors(): Plugin {
  return {
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
