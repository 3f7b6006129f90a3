import type { Plugin } from '@envelop/core';
import type { Config } from '../../config.js';
import { documentLimitPlugins } from './document-limits.js';
import type { KeyRates } from './key-rates.js';
import { operationBudgetPlugin } from './operation-budget.js';
import { sendRatePlugin } from './send-rate.js';

export { LIMIT_CODE, LimitError } from './errors.js';
export type { RequestIdentity } from './operation-budget.js';

/** Every request limit, from configuration (src/config.ts documents each one and its default). */
export interface RequestLimits {
  maxCost: number;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxBodyBytes: number;
  maxPageSize: number;
  expensiveCost: number;
  maxConcurrentExpensivePerKey: number;
  costPerSecondPerKey: number;
  wsAuthTimeoutMs: number;
  requestsPerMinute: number;
  destinationsPerMinute: number;
  wsMaxConnectionsPerKey: number;
  wsMaxSubscriptionsPerKey: number;
  wsSlotRenewMs: number;
  keylessMaxBodyBytes: number;
}

export function requestLimitsFrom(config: Config): RequestLimits {
  return {
    maxCost: config.MAX_QUERY_COST,
    maxDepth: config.MAX_QUERY_DEPTH,
    maxAliases: config.MAX_ALIASES,
    maxTokens: config.MAX_TOKENS,
    maxDirectives: config.MAX_DIRECTIVES,
    maxBodyBytes: config.MAX_BODY_BYTES,
    maxPageSize: config.MAX_PAGE_SIZE,
    expensiveCost: config.EXPENSIVE_QUERY_COST,
    maxConcurrentExpensivePerKey: config.MAX_CONCURRENT_EXPENSIVE_PER_KEY,
    costPerSecondPerKey: config.QUERY_COST_PER_SECOND_PER_KEY,
    wsAuthTimeoutMs: config.WS_AUTH_TIMEOUT_MS,
    requestsPerMinute: config.RATE_LIMIT_REQUESTS_PER_MINUTE,
    destinationsPerMinute: config.RATE_LIMIT_DESTINATIONS_PER_MINUTE,
    wsMaxConnectionsPerKey: config.WS_MAX_CONNECTIONS_PER_KEY,
    wsMaxSubscriptionsPerKey: config.WS_MAX_SUBSCRIPTIONS_PER_KEY,
    wsSlotRenewMs: config.WS_SLOT_RENEW_MS,
    keylessMaxBodyBytes: config.KEYLESS_MAX_BODY_BYTES,
  };
}

/** The envelop plugins that enforce the document and operation limits, over HTTP and graphql-ws alike. */
export function requestLimitPlugins(limits: RequestLimits, rates: KeyRates): Plugin[] {
  return [
    ...documentLimitPlugins(limits),
    operationBudgetPlugin({
      maxCost: limits.maxCost,
      maxPageSize: limits.maxPageSize,
      expensiveCost: limits.expensiveCost,
      maxConcurrentExpensivePerKey: limits.maxConcurrentExpensivePerKey,
      costPerSecondPerKey: limits.costPerSecondPerKey,
    }),
    // Last: an operation refused for its cost or concurrency has sent nothing and uses no destinations.
    sendRatePlugin(rates),
  ];
}
