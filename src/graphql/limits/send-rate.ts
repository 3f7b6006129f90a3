import type { Plugin } from '@envelop/core';
import { getOperationAST, valueFromASTUntyped, type ExecutionArgs } from 'graphql';
import type { GraphQLContext } from '../context.js';
import { rateLimitedError } from './errors.js';
import { countDestinations } from './operation-cost.js';
import type { KeyRates } from './key-rates.js';
import { operationRootFields } from './root-fields.js';

/** The root fields that send, and where their destinations are (`input.destinations`, or per entry of `input.messages`). */
const SEND_FIELDS = new Set(['sendMessage', 'sendMessages']);

/** How many destinations an operation sends to, read from its raw arguments (never coerced: see operation-cost.ts). */
export function destinationsOf(args: Pick<ExecutionArgs, 'document' | 'operationName' | 'variableValues'>): number {
  const operation = getOperationAST(args.document, args.operationName ?? undefined);
  if (!operation || operation.operation !== 'mutation') return 0;
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  let n = 0;
  for (const field of operationRootFields(args.document, operation)) {
    if (!SEND_FIELDS.has(field.name.value)) continue;
    const input = field.arguments?.find((a) => a.name.value === 'input');
    if (input) n += countDestinations(valueFromASTUntyped(input.value, variables));
  }
  return n;
}

/**
 * Counts a send's destinations against its key's per-minute limit before it runs, over HTTP and
 * WebSocket alike; over the limit, the whole send is refused (RATE_LIMITED) and nothing is stored.
 */
export function sendRatePlugin(rates: KeyRates): Plugin {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const n = destinationsOf(args);
      if (n === 0) return;
      const key = (args.contextValue as GraphQLContext | undefined)?.account?.key;
      if (!key?.id) return;
      const refusal = await rates.consume('destinations', key.id, key.rateLimits, n);
      if (refusal) setResultAndStopExecution({ errors: [rateLimitedError(refusal, n)] });
    },
  };
}
