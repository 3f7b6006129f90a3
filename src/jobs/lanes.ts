import type { Task, TaskList } from 'graphile-worker';
import type { ProviderGate } from '../messaging/provider-gate.js';
import { JOB_PAYLOADS } from './payloads.js';
import type { TaskDefinition, TaskName } from './queue.js';

/**
 * The worker runs its tasks in separate lanes, each a graphile-worker runner with its own slots
 * (a runner only fetches jobs whose task it knows), so slow work in one cannot delay another:
 * - dispatch: sends and retries; the only lane that waits on providers' send APIs, and within it no
 *   provider connection may take every slot (ProviderGate).
 * - timers: expiries, retention and key grace ends, which only touch the database: validity ends and failover starts
 *   on time however long providers take to answer.
 * - callouts: status polls, in-doubt lookups and report pushes, which wait on providers' and customers'
 *   servers.
 */
export type LaneName = 'dispatch' | 'timers' | 'callouts';

export const LANE_TASKS: Record<LaneName, TaskName[]> = {
  dispatch: ['dispatch'],
  timers: ['expire', 'retention', 'end-api-key'],
  callouts: ['poll', 'push-report', 'in-doubt'],
};

export interface Lane {
  name: LaneName;
  taskList: TaskList;
  concurrency: number;
}

/** Splits the tasks into lanes; the dispatch task goes through the provider gate. */
export function workerLanes(tasks: TaskDefinition[], gate: ProviderGate, concurrency: Record<LaneName, number>): Lane[] {
  const byName = new Map(tasks.map((t) => [t.name, t.task]));
  const laneless = tasks.filter((t) => !Object.values(LANE_TASKS).some((names) => names.includes(t.name)));
  if (laneless.length > 0) throw new Error(`tasks in no worker lane: ${laneless.map((t) => t.name).join(', ')}`);
  const taskOf = (name: TaskName): Task => {
    const task = byName.get(name);
    if (!task) throw new Error(`no task defined for '${name}'`);
    if (name !== 'dispatch') return task;
    return (payload, helpers) => gate.run(JOB_PAYLOADS.dispatch.parse(payload).attemptRefs, async () => void (await task(payload, helpers)));
  };
  return (Object.keys(LANE_TASKS) as LaneName[]).map((name) => ({
    name,
    taskList: Object.fromEntries(LANE_TASKS[name].map((task) => [task, taskOf(task)])),
    concurrency: concurrency[name],
  }));
}
