import type { Task, TaskList } from 'graphile-worker';
import { z } from 'zod';
import type { ProviderGate } from '../messaging/provider-gate.js';
import type { TaskName } from './queue.js';

/**
 * The worker runs its tasks in separate lanes, each a graphile-worker runner with its own slots
 * (a runner only fetches jobs whose task it knows), so slow work in one cannot delay another:
 * - dispatch: sends and retries; the only lane that waits on providers' send APIs, and within it no
 *   provider connection may take every slot (ProviderGate).
 * - timers: expiries, which only touch the database: validity ends and failover starts on time
 *   however long providers take to answer.
 * - callouts: status polls and report pushes, which wait on providers' and customers' servers.
 */
export type LaneName = 'dispatch' | 'timers' | 'callouts';

export const LANE_TASKS: Record<LaneName, TaskName[]> = {
  dispatch: ['dispatch'],
  timers: ['expire'],
  callouts: ['poll', 'push-report'],
};

export interface Lane {
  name: LaneName;
  taskList: TaskList;
  concurrency: number;
}

const dispatchPayload = z.object({ attemptRefs: z.array(z.string().regex(/^\d+$/)).min(1) });

/** Splits the task list into lanes; the dispatch task goes through the provider gate. */
export function workerLanes(tasks: TaskList, gate: ProviderGate, concurrency: Record<LaneName, number>): Lane[] {
  const pick = (names: TaskName[]): TaskList => Object.fromEntries(names.map((n) => [n, tasks[n]!]));
  const dispatch: Task = (payload, helpers) => gate.run(dispatchPayload.parse(payload).attemptRefs, async () => void (await tasks.dispatch!(payload, helpers)));
  return (Object.keys(LANE_TASKS) as LaneName[]).map((name) => ({
    name,
    taskList: name === 'dispatch' ? { dispatch } : pick(LANE_TASKS[name]),
    concurrency: concurrency[name],
  }));
}
