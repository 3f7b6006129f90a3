/**
 * Loaded into the service process with `--import` in profile mode only (`npm run bench -- --profile`).
 * Counts every SQL statement the process sends (by statement text, parameters folded) with the time until
 * its result, and runs the V8 CPU profiler between two IPC requests, so one phase can be profiled alone.
 * The service's own code is untouched.
 *
 * IPC: queries-reset, queries { top } → { total, statements }, profile-start, profile-stop { path }.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

interface Counter {
  count: number;
  ms: number;
}
let counters = new Map<string, Counter>();

function normalise(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\$\d+(?:\s*,\s*\$\d+)*/g, '$n')
    .replace(/\(\$n\)(?:\s*,\s*\(\$n\))+/g, '($n),…')
    .replace(/'[^']*'/g, "'…'")
    .trim()
    .slice(0, 220);
}

function record(key: string, t0: number): void {
  const c = counters.get(key) ?? { count: 0, ms: 0 };
  c.count += 1;
  c.ms += performance.now() - t0;
  counters.set(key, c);
}

type QueryFn = (this: pg.Client, ...args: unknown[]) => unknown;
const proto = pg.Client.prototype as unknown as { query: QueryFn };
const original = proto.query;
proto.query = function patchedQuery(this: pg.Client, ...args: unknown[]): unknown {
  const first = args[0];
  const text = typeof first === 'string' ? first : first && typeof first === 'object' && 'text' in first ? String((first as { text: unknown }).text) : null;
  if (text === null) return original.apply(this, args);
  const key = normalise(text);
  const t0 = performance.now();
  const last = args.length - 1;
  const cb = args[last];
  if (typeof cb === 'function') {
    args[last] = (...cbArgs: unknown[]) => {
      record(key, t0);
      return (cb as (...a: unknown[]) => unknown)(...cbArgs);
    };
    return original.apply(this, args);
  }
  const result = original.apply(this, args);
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    (result as Promise<unknown>).then(
      () => record(key, t0),
      () => record(key, t0),
    );
  } else {
    record(key, t0);
  }
  return result;
};

const session = new Session();
let profiling = false;

process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string; top?: number; path?: string };
  const ok = (value: unknown) => process.send?.({ id: msg.id, ok: true, value });
  const fail = (err: unknown) => process.send?.({ id: msg.id, ok: false, value: err instanceof Error ? err.message : String(err) });
  switch (msg.type) {
    case 'queries-reset':
      counters = new Map();
      ok(null);
      break;
    case 'queries': {
      const all = [...counters.entries()].map(([sql, c]) => ({ sql, count: c.count, totalMs: Math.round(c.ms) }));
      all.sort((a, b) => b.count - a.count);
      ok({ total: all.reduce((n, s) => n + s.count, 0), totalMs: Math.round(all.reduce((n, s) => n + s.totalMs, 0)), statements: all.slice(0, msg.top ?? 25) });
      break;
    }
    case 'profile-start':
      (async () => {
        if (!profiling) {
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 500 });
          await session.post('Profiler.start');
          profiling = true;
        }
      })().then(() => ok(null), fail);
      break;
    case 'profile-stop':
      (async () => {
        if (!profiling) throw new Error('not profiling');
        const { profile } = await session.post('Profiler.stop');
        await session.post('Profiler.disable');
        session.disconnect();
        profiling = false;
        if (msg.path) writeFileSync(msg.path, JSON.stringify(profile));
        return msg.path ?? null;
      })().then(ok, fail);
      break;
    default:
      // not ours
      break;
  }
});
