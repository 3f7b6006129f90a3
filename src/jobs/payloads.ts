import { z } from 'zod';
import { asAttemptRef } from '../domain/ids.js';

/** bigserial row ids travel as decimal strings (they may not fit a JS number). */
const rowRef = z.string().regex(/^\d+$/);
const attemptRef = rowRef.transform(asAttemptRef);
const attemptBatch = z.object({ attemptRefs: z.array(attemptRef).min(1) });

/**
 * Every job's payload, declared once: the schema checks what a job carries when it runs, and its type is
 * what enqueue accepts, so a producer and its task cannot drift apart.
 */
export const JOB_PAYLOADS = {
  dispatch: attemptBatch,
  expire: attemptBatch,
  'in-doubt': attemptBatch,
  poll: z.object({ attemptRef }),
  'push-report': z.object({ deliveryRef: rowRef }),
  retention: z.object({}),
  'end-api-key': z.object({ keyId: z.uuid() }),
} as const;

export type TaskName = keyof typeof JOB_PAYLOADS;
export type JobPayload<T extends TaskName> = z.infer<(typeof JOB_PAYLOADS)[T]>;
