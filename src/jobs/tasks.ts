import type { Task, TaskList } from 'graphile-worker';
import { z } from 'zod';
import type { Dispatcher } from '../messaging/dispatch.js';
import type { InDoubtResolver } from '../messaging/in-doubt.js';
import type { StatusPoller } from '../messaging/polling.js';
import type { ReportPush } from '../messaging/report-push.js';
import type { StatusUpdates } from '../messaging/status-updates.js';
import type { TaskName } from './queue.js';

const attemptBatch = z.object({ attemptRefs: z.array(z.string().regex(/^\d+$/)).min(1) });

/** Each task is a thin shell: parse the payload, call the service that owns the work. */
const pushReport = z.object({ deliveryRef: z.string().regex(/^\d+$/) });

const poll = z.object({ attemptRef: z.string().regex(/^\d+$/) });

export function createTaskList(services: {
  dispatcher: Dispatcher;
  statusUpdates: StatusUpdates;
  reportPush: ReportPush;
  poller: StatusPoller;
  inDoubt: InDoubtResolver;
}): TaskList {
  const tasks: Record<TaskName, Task> = {
    dispatch: async (payload) => {
      await services.dispatcher.dispatch(attemptBatch.parse(payload).attemptRefs);
    },
    expire: async (payload) => {
      await services.statusUpdates.expire(attemptBatch.parse(payload).attemptRefs);
    },
    'in-doubt': async (payload) => {
      await services.inDoubt.resolve(attemptBatch.parse(payload).attemptRefs);
    },
    poll: async (payload) => {
      await services.poller.poll(poll.parse(payload).attemptRef);
    },
    'push-report': async (payload) => {
      await services.reportPush.deliver(pushReport.parse(payload).deliveryRef);
    },
  };
  return tasks;
}
