/** Linux /proc readers: memory and CPU time of a process, and of all PostgreSQL server processes. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux we run on
}

export interface MemoryKb {
  rssKb: number;
  hwmKb: number;
}

/** VmRSS and VmHWM (peak RSS since start) of a process, or null once it is gone. */
export function memoryOf(pid: number): MemoryKb | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return null;
  }
}

/** User + system CPU time of a process, in ms (null when gone or unreadable). */
export function cpuMsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) / ticksPerSecond) * 1000;
  } catch {
    return null;
  }
}

/**
 * CPU ms of the PostgreSQL backends serving `database` (their command line names it) that are alive now.
 * Backends that exit between two readings take their time with them, so deltas are a lower bound; the
 * server's shared helpers (WAL writer, checkpointer) are not counted.
 */
export function postgresCpuMs(database: string): { totalMs: number; byPid: Map<number, number> } {
  const byPid = new Map<number, number>();
  let totalMs = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return { totalMs, byPid };
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm !== 'postgres' && !comm.startsWith('postgres:')) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(` ${database} `)) continue;
      const ms = cpuMsOf(Number(entry));
      if (ms === null) continue;
      byPid.set(Number(entry), ms);
      totalMs += ms;
    } catch {
      // gone meanwhile
    }
  }
  return { totalMs, byPid };
}

/** Postgres CPU spent between two readings, counting only processes present in both or new since. */
export function postgresCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}

/** Samples a process's RSS every `everyMs`, keeping the peak, until stopped. */
export class RssSampler {
  private peakKb = 0;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 50,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    const m = memoryOf(this.pid);
    if (!m) return;
    this.samples += 1;
    if (m.rssKb > this.peakKb) this.peakKb = m.rssKb;
  }

  stop(): { peakRssKb: number; samples: number } {
    clearInterval(this.timer);
    this.sample();
    return { peakRssKb: this.peakKb, samples: this.samples };
  }
}

/** Whole-machine CPU time from /proc/stat, in ms summed over cores: busy (not idle, not iowait) and iowait. */
export function machineCpuMs(): { busyMs: number; iowaitMs: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...nums] = line.trim().split(/\s+/);
    const v = nums.map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = v[3] ?? 0;
    const iowait = v[4] ?? 0;
    const toMs = (ticks: number) => (ticks / ticksPerSecond) * 1000;
    return { busyMs: toMs(total - idle - iowait), iowaitMs: toMs(iowait) };
  } catch {
    return null;
  }
}
