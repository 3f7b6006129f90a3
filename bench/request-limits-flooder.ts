/**
 * The flooder of `bench:limits`, in a process of its own: another client is another machine, and a flood
 * driven from the victim's own event loop would put the flood's client-side work (a thousand responses a
 * second to read) into the victim's measured latency. Spoken to over IPC (bench/lib/ipc-child.ts):
 * `flood { url, keys, requests, untilMs, concurrency, timeoutMs }` → the tally; `close`.
 */
import { performance } from 'node:perf_hooks';
import { CUT_OFF, timedPost } from './lib/timed-post.js';

export interface FloodRequest {
  name: string;
  query: string;
  key: 'flooder' | 'bad';
}

export interface FloodTally {
  sent: number;
  byOutcome: Record<string, number>;
  answerMs: number[];
}

interface FloodOrder {
  url: string;
  keys: Record<FloodRequest['key'], string>;
  requests: FloodRequest[];
  durationMs: number;
  concurrency: number;
  timeoutMs: number;
}

async function flood(order: FloodOrder): Promise<FloodTally> {
  const tally: FloodTally = { sent: 0, byOutcome: {}, answerMs: [] };
  const until = performance.now() + order.durationMs;
  // Requests still running at the end are cut off, so the phase lasts what it says.
  const phaseEnd = AbortSignal.timeout(order.durationMs);
  let next = 0;
  await Promise.all(
    Array.from({ length: order.concurrency }, async () => {
      while (performance.now() < until) {
        const req = order.requests[next++ % order.requests.length]!;
        tally.sent += 1;
        const r = await timedPost(order.url, order.keys[req.key], req.query, order.timeoutMs, phaseEnd);
        if (r.outcome === CUT_OFF) continue;
        const label = `${req.name} → ${r.outcome}`;
        tally.byOutcome[label] = (tally.byOutcome[label] ?? 0) + 1;
        tally.answerMs.push(r.ms);
      }
    }),
  );
  return tally;
}

process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string } & Partial<FloodOrder>;
  if (msg.type === 'close') {
    process.send?.({ id: msg.id, ok: true, value: null }, () => process.exit(0));
    return;
  }
  if (msg.type !== 'flood') {
    process.send?.({ id: msg.id, ok: false, value: `unknown request ${msg.type}` });
    return;
  }
  flood(msg as FloodOrder).then(
    (tally) => process.send?.({ id: msg.id, ok: true, value: tally }),
    (err: unknown) => process.send?.({ id: msg.id, ok: false, value: (err as Error).message }),
  );
});
process.send?.({ type: 'ready' });
