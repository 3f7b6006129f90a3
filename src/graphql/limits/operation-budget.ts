import type { Plugin } from '@envelop/core';
import type { ExecutionArgs } from 'graphql';
import { LIMIT_CODE, LimitError } from './errors.js';
import { KeyConcurrency } from './key-concurrency.js';
import { KeyCostRate } from './key-cost-rate.js';
import { operationCost } from './operation-cost.js';

export interface BudgetLimits {
  maxCost: number;
  maxPageSize: number;
  expensiveCost: number;
  maxConcurrentExpensivePerKey: number;
  /** Cost units each key may spend per second (over a burst of max(maxCost, this)). */
  costPerSecondPerKey: number;
}

/** What the transport puts in the context so the budget knows whose operation this is. */
export interface RequestIdentity {
  /** A stable id of the API key that authenticated the operation (a hash, never the key). */
  apiKeyId?: string;
}

/**
 * Weighs each operation with its variables just before it runs (validation cannot: yoga caches validation
 * by document, and `first: $n` costs what `$n` says) and refuses it at once when it costs more than
 * maxCost, when a page size is out of range, when its key has spent its cost budget for now, or — for
 * operations costing expensiveCost or more — when its key already has maxConcurrentExpensivePerKey of
 * those running. Subscriptions are weighed per event and never hold a slot: they idle between events.
 */
export function operationBudgetPlugin(limits: BudgetLimits): Plugin {
  const slots = new KeyConcurrency(limits.maxConcurrentExpensivePerKey);
  const rate = new KeyCostRate(limits.costPerSecondPerKey, Math.max(limits.maxCost, limits.costPerSecondPerKey));

  const weigh = (args: ExecutionArgs): LimitError | number => {
    const cost = operationCost(args.schema, args.document, args.variableValues, args.operationName, { maxPageSize: limits.maxPageSize });
    if (cost === null) return 0; // variables that do not fit: execution reports them as BAD_USER_INPUT
    if (cost instanceof LimitError) return cost;
    if (cost > limits.maxCost) {
      return new LimitError(LIMIT_CODE.cost, `The operation costs ${cost}, more than the limit of ${limits.maxCost}: ask for fewer rows or fields.`, {
        limit: limits.maxCost,
        found: cost,
      });
    }
    return cost;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const cost = weigh(args);
      if (cost instanceof LimitError) return setResultAndStopExecution({ errors: [cost] });
      const key = (args.contextValue as RequestIdentity | undefined)?.apiKeyId;
      if (!key) return;
      // The slot first: an operation refused for concurrency has spent nothing of the budget.
      const release = cost >= limits.expensiveCost ? slots.tryAcquire(key) : () => {};
      if (!release) {
        const refusal = new LimitError(
          LIMIT_CODE.concurrency,
          `This key already runs ${limits.maxConcurrentExpensivePerKey} expensive operations (cost ≥ ${limits.expensiveCost}); retry when one has finished.`,
          { limit: limits.maxConcurrentExpensivePerKey, cost },
        );
        return setResultAndStopExecution({ errors: [refusal] });
      }
      const retryAfterSeconds = rate.trySpend(key, cost);
      if (retryAfterSeconds > 0) {
        release();
        const refusal = new LimitError(
          LIMIT_CODE.costRate,
          `This key has spent its query cost budget (${limits.costPerSecondPerKey} a second); retry in ${retryAfterSeconds} s or ask for fewer rows.`,
          { limit: limits.costPerSecondPerKey, cost, retryAfterSeconds },
        );
        return setResultAndStopExecution({ errors: [refusal] });
      }
      if (cost < limits.expensiveCost) return;
      setExecuteFn(async (executeArgs) => {
        try {
          return await executeFn(executeArgs);
        } finally {
          release();
        }
      });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const cost = weigh(args);
      if (cost instanceof LimitError) setResultAndStopExecution({ errors: [cost] });
    },
  };
}
