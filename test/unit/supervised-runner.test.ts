import type { Runner, RunnerOptions } from 'graphile-worker';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SupervisedRunner } from '../../src/jobs/supervised-runner.js';
import { createLogger } from '../../src/logger.js';

/** Stands in for graphile-worker's `run`: each start is a runner whose end the test decides. */
class FakeRunners {
  readonly started: Array<{ poolId: string; end(): void; stopped: boolean }> = [];
  failuresLeft = 0;

  readonly start = async (options: RunnerOptions): Promise<Runner> => {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    }
    const poolId = `pool-${this.started.length + 1}`;
    options.events!.emit('pool:create', { ctx: {} as never, workerPool: { id: poolId } as never });
    let end!: () => void;
    const promise = new Promise<void>((resolve) => (end = resolve));
    const entry = { poolId, end, stopped: false };
    this.started.push(entry);
    return {
      promise,
      stop: async () => {
        entry.stopped = true;
        end();
      },
    } as unknown as Runner;
  };
}

describe('SupervisedRunner', () => {
  const logger = createLogger('silent');
  let runners: FakeRunners;
  let queries: unknown[][];
  let queryFailures: number;
  const pool = {
    query: async (...args: unknown[]) => {
      queries.push(args);
      if (queryFailures > 0) {
        queryFailures -= 1;
        throw new Error('Connection terminated unexpectedly');
      }
      return { rows: [] };
    },
  } as unknown as pg.Pool;
  const spec = { name: 'dispatch', taskList: {}, concurrency: 4, pollIntervalMs: 50 };

  beforeEach(() => {
    vi.useFakeTimers();
    runners = new FakeRunners();
    queries = [];
    queryFailures = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('starts a new runner when one ends on its own, and hands the dead one’s locked jobs back', async () => {
    const supervised = new SupervisedRunner(pool, spec, logger, runners.start);
    await supervised.start();
    expect(supervised.problem()).toBeNull();

    runners.started[0]!.end();
    await vi.advanceTimersByTimeAsync(0);
    expect(runners.started).toHaveLength(2);
    expect(supervised.problem()).toBeNull();
    expect(queries).toEqual([['select graphile_worker.force_unlock_workers($1::text[])', [['pool-1']]]]);
    await supervised.stop();
    expect(runners.started[1]!.stopped).toBe(true);
  });

  it('keeps trying while the database refuses, saying so meanwhile, and unlocks once it answers', async () => {
    const supervised = new SupervisedRunner(pool, spec, logger, runners.start);
    await supervised.start();
    runners.failuresLeft = 2;
    queryFailures = 1;
    runners.started[0]!.end();
    await vi.advanceTimersByTimeAsync(0);
    expect(runners.started).toHaveLength(1);
    expect(supervised.problem()).toMatch(/job worker 'dispatch' restarting since /);

    await vi.advanceTimersByTimeAsync(2_000);
    expect(runners.started).toHaveLength(2);
    expect(supervised.problem()).toBeNull();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(queries.map((q) => q[1])).toEqual([[['pool-1']], [['pool-1']]]);
    await supervised.stop();
  });

  it('does not restart a runner it was told to stop, nor one ending while it stops', async () => {
    const supervised = new SupervisedRunner(pool, spec, logger, runners.start);
    await supervised.start();
    await supervised.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runners.started).toHaveLength(1);
    expect(queries).toEqual([]);
    expect(supervised.problem()).toBeNull();

    const again = new SupervisedRunner(pool, spec, logger, runners.start);
    await again.start();
    runners.failuresLeft = 100;
    runners.started[1]!.end();
    await vi.advanceTimersByTimeAsync(0);
    const stopping = again.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    await stopping;
    runners.failuresLeft = 0;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runners.started).toHaveLength(2);
  });
});
