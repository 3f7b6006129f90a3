import { describe, expect, it } from 'vitest';
import { LANE_TASKS, workerLanes } from '../../src/jobs/lanes.js';
import { JOB_PAYLOADS, type TaskName } from '../../src/jobs/payloads.js';
import { defineTask } from '../../src/jobs/queue.js';
import type { ProviderGate } from '../../src/messaging/provider-gate.js';

const noGate = null as unknown as ProviderGate; // never reached: the lanes are only built, not run

describe('worker lanes', () => {
  it('put every task in exactly one lane (a task in none would never run)', () => {
    const placed = Object.values(LANE_TASKS).flat();
    expect([...placed].sort()).toEqual((Object.keys(JOB_PAYLOADS) as TaskName[]).sort());
    expect(new Set(placed).size).toBe(placed.length);
  });

  it('refuse to start with a task that no lane takes', () => {
    const task = defineTask('expire', async () => undefined);
    expect(() => workerLanes([{ ...task, name: 'unlaned' as TaskName }], noGate, { dispatch: 1, timers: 1, callouts: 1 })).toThrow(
      'tasks in no worker lane: unlaned',
    );
  });

  it('give each lane the tasks named for it and its own slots', () => {
    const tasks = (Object.keys(JOB_PAYLOADS) as TaskName[]).map((name) => defineTask(name, async () => undefined));
    const lanes = workerLanes(tasks, noGate, { dispatch: 16, timers: 4, callouts: 8 });
    expect(lanes.map((l) => [l.name, Object.keys(l.taskList).sort(), l.concurrency])).toEqual([
      ['dispatch', ['dispatch'], 16],
      ['timers', [...LANE_TASKS.timers].sort(), 4],
      ['callouts', [...LANE_TASKS.callouts].sort(), 8],
    ]);
  });
});
