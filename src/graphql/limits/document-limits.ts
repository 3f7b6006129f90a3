import type { Plugin } from '@envelop/core';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLError, ValidationContext } from 'graphql';
import { LIMIT_CODE, LimitError, type LimitCode } from './errors.js';

export interface DocumentLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
}

/** "Syntax Error: Query depth limit of 10 exceeded, found 12." → 12 */
function foundIn(message: string): number | undefined {
  const m = /found (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/**
 * Reports graphql-armor's refusal as a typed error instead of its bare "Syntax Error: …" (which says
 * neither which limit nor that it is one). Rules run in validation, so refusals are cached with the
 * document by yoga's validation cache and cost nothing the second time.
 */
function reportAs(code: LimitCode, limit: number, what: string) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const found = foundIn(error.message);
    const typed = new LimitError(code, `${what} exceeds the limit of ${limit}${found === undefined ? '' : ` (found ${found})`}.`, {
      limit,
      ...(found === undefined ? {} : { found }),
    });
    // Token counting happens in the parser, which has no validation context: end the parse instead.
    if (!context) throw typed;
    context.reportError(typed);
  };
}

/** Depth, aliases, tokens and directives of a document, checked in parse and validate (HTTP and WebSocket alike). */
export function documentLimitPlugins(limits: DocumentLimits): Plugin[] {
  const common = { propagateOnRejection: false, exposeLimits: true } as const;
  return [
    maxTokensPlugin({ ...common, n: limits.maxTokens, onReject: [reportAs(LIMIT_CODE.tokens, limits.maxTokens, 'The document’s token count')] }),
    maxDepthPlugin({ ...common, n: limits.maxDepth, onReject: [reportAs(LIMIT_CODE.depth, limits.maxDepth, 'The selection depth')] }),
    maxAliasesPlugin({ ...common, n: limits.maxAliases, onReject: [reportAs(LIMIT_CODE.aliases, limits.maxAliases, 'The number of aliases')] }),
    maxDirectivesPlugin({ ...common, n: limits.maxDirectives, onReject: [reportAs(LIMIT_CODE.directives, limits.maxDirectives, 'The number of directives')] }),
  ];
}
