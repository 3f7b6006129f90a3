import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Refuses `__schema` and `__type` in validation (over HTTP and WebSocket alike); `__typename` stays
 * allowed, clients need it. Used when INTROSPECTION_ENABLED is off (the production default).
 */
export function disableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
