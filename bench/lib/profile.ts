import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  durationMs: number;
  /** Self time by where the code lives: a package under node_modules, a file of src/, node internals, GC, idle. */
  selfByArea: Array<{ area: string; ms: number; pct: number }>;
  selfByFunction: Array<{ fn: string; ms: number; pct: number }>;
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node: (core)';
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  const mig = url.indexOf('/migrations/');
  if (mig >= 0) return url.slice(mig + 1);
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const area = new Map<string, number>();
  const fn = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + us);
    const f = url ? `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}` : functionName || '(native)';
    fn.set(f, (fn.get(f) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ k, ms: Math.round(us / 1000), pct: Math.round((us / Math.max(1, total)) * 1000) / 10 }));
  return {
    file,
    durationMs: Math.round((profile.endTime - profile.startTime) / 1000),
    selfByArea: rank(area).map(({ k, ms, pct }) => ({ area: k, ms, pct })),
    selfByFunction: rank(fn).map(({ k, ms, pct }) => ({ fn: k, ms, pct })),
  };
}
