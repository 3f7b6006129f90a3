/**
 * Request limits under a flood (`npm run bench:limits`; see bench/README.md).
 *
 * One client ("victim", its own account and key) reads a small page of its messages, one request at a
 * time; another ("flooder", a process of its own) keeps FLOOD_CONCURRENCY requests in flight from a mix of
 * expensive, oversized and badly keyed ones. The victim's latency is measured idle, under a floor of
 * requests refused from their headers alone (what answering at all costs), during the flood against the
 * service with its default limits, and during the same flood against the service with every limit lifted
 * (the behaviour before the limits). Judged: flood p99 over floor p99 (target ≤ 2). Printed side by side;
 * JSON to stdout and bench/results/request-limits.json.
 * Loopback only, bounded: each phase has a fixed duration and every request a timeout.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'graphql';
import { loadConfig } from '../src/config.js';
import { operationCost } from '../src/graphql/limits/operation-cost.js';
import { schema } from '../src/graphql/schema.js';
import { assertLocalDatabase, createDatabase, dropDatabase, dropStaleBenchDatabases } from './lib/db.js';
import { createBenchKey, seedScheduledMessages } from './lib/accounts.js';
import { RssSampler } from './lib/proc.js';
import { startService, type ServiceProcess } from './lib/service.js';
import { latencySummary, round } from './lib/stats.js';
import { intEnv } from './lib/env.js';
import { publishReport, runBench } from './lib/report.js';
import { IpcChild } from './lib/ipc-child.js';
import { CUT_OFF, timedPost } from './lib/timed-post.js';
import type { FloodRequest, FloodTally } from './request-limits-flooder.js';
import { BENCH_DIR, DEFAULT_DATABASE_URL, REPO_ROOT } from './lib/paths.js';


const settings = {
  idleMs: intEnv('BENCH_LIMITS_IDLE_MS', 3_000),
  floodMs: intEnv('BENCH_LIMITS_FLOOD_MS', 6_000),
  floodConcurrency: intEnv('BENCH_LIMITS_FLOOD_CONCURRENCY', 8),
  /** Rows the flooder's thousand-row pages really hold. */
  seedMessages: intEnv('BENCH_LIMITS_SEED', 1_000),
  requestTimeoutMs: intEnv('BENCH_LIMITS_REQUEST_TIMEOUT_MS', 5_000),
  /** Only the flood requests whose name contains this (e.g. "dearest"), to see which one costs the victim. */
  floodOnly: process.env.BENCH_LIMITS_FLOOD_ONLY ?? '',
  /** Skip the service with the limits lifted (its figures do not change between runs of one checkout). */
  skipLifted: process.env.BENCH_LIMITS_SKIP_LIFTED === 'true',
  /** Write each service's V8 CPU profile (its whole life) into this folder. */
  cpuProfileDir: process.env.BENCH_LIMITS_CPU_PROF_DIR ?? '',
};

const t0 = performance.now();
const log = (msg: string) => process.stderr.write(`[bench:limits ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);

/** What the service ran with before the limits: nothing refused but the old page-size rule. */
const LIMITS_LIFTED: Record<string, string> = {
  MAX_QUERY_COST: '1000000000',
  MAX_QUERY_DEPTH: '1000',
  MAX_ALIASES: '1000000',
  MAX_TOKENS: '10000000',
  MAX_DIRECTIVES: '1000000',
  MAX_BODY_BYTES: String(1024 * 1024 * 1024),
  MAX_CONCURRENT_EXPENSIVE_PER_KEY: '1000000',
  QUERY_COST_PER_SECOND_PER_KEY: '1000000000',
};

const FULL_NODE = 'messageId to channel status { groupId groupName id name description } error { groupName name description permanent } sentAt doneAt seenAt callbackData attempts { step channel from provider status { name } error { name } sentAt doneAt }';
const aliased = (n: number, selection: string) => Array.from({ length: n }, (_, i) => `a${i}: ${selection}`).join(' ');

/**
 * The victim reads one request at a time for the whole run: a key with a high rate limit of its own, so
 * what is measured is the flood's effect, not the victim's own limit (bench/key-flood.ts floods that).
 */
const VICTIM_REQUESTS_PER_MINUTE = 1_000_000;

const VICTIM_QUERY = 'query { messages(first: 10) { edges { node { messageId status { name } } } } }';

const fullPage = (rows: number) => `messages(first: ${rows}) { edges { node { ${FULL_NODE} } } }`;

/** Limit settings exported in the environment reach the limited service (to try other defaults). */
const LIMIT_VARIABLES = [...Object.keys(LIMITS_LIFTED), 'MAX_PAGE_SIZE', 'EXPENSIVE_QUERY_COST'];
const limitOverrides = Object.fromEntries(LIMIT_VARIABLES.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));

/** The largest page of every field the limited service admits: what a flooder would send. */
function dearestAdmittedRows(): { rows: number; cost: number } {
  const config = loadConfig(limitOverrides);
  const costOf = (rows: number) => operationCost(schema, parse(`query { ${fullPage(rows)} }`), {}, undefined, { maxPageSize: 1000 }) as number;
  const perRow = costOf(1) - 1;
  const rows = Math.max(1, Math.min(config.MAX_PAGE_SIZE, Math.floor((config.MAX_QUERY_COST - 1) / perRow)));
  return { rows, cost: costOf(rows) };
}
const dearest = dearestAdmittedRows();

/** The flood: each in-flight slot cycles through these. */
const FLOOD_MIX: FloodRequest[] = [
  // 50 thousand-row pages in one request (the operator's report, scaled from 1,000 aliases to 50 so the
  // unlimited service answers within the bench's time).
  { name: 'aliased pages (50 × first: 1000)', query: `query { ${aliased(50, 'messages(first: 1000) { edges { node { messageId to status { name } } } }')} }`, key: 'flooder' },
  // The dearest page the limits admit, every field: admitted, but expensive, so one at a time per key.
  { name: `dearest admitted page (first: ${dearest.rows}, all fields, cost ${dearest.cost})`, query: `query { ${fullPage(dearest.rows)} }`, key: 'flooder' },
  // Three of those in one request: over the cost limit.
  { name: `three of those (cost ${3 * dearest.cost})`, query: `query { ${aliased(3, fullPage(dearest.rows))} }`, key: 'flooder' },
  { name: 'wrong key', query: VICTIM_QUERY, key: 'bad' },
];
/**
 * The floor: the same number of requests in flight, each refused in the gate from its headers alone (no
 * body read, nothing parsed). Answering at all costs the victim this much on a shared machine; the flood's
 * effect beyond it is what the limits are judged by.
 */
const FLOOR = FLOOD_MIX.filter((r) => r.key === 'bad');
const FLOOD = FLOOD_MIX.filter((r) => r.name.includes(settings.floodOnly));
if (FLOOD.length === 0) throw new Error(`BENCH_LIMITS_FLOOD_ONLY=${settings.floodOnly} matches none of: ${FLOOD_MIX.map((r) => r.name).join('; ')}`);

async function victimLoop(url: string, key: string, untilMs: number, phaseEnd: AbortSignal): Promise<{ samples: number[]; failures: number }> {
  const samples: number[] = [];
  let failures = 0;
  while (performance.now() < untilMs) {
    const r = await timedPost(url, key, VICTIM_QUERY, settings.requestTimeoutMs, phaseEnd);
    if (r.outcome === '200 data') samples.push(r.ms);
    else if (r.outcome !== CUT_OFF) failures += 1;
  }
  return { samples, failures };
}


async function phase(
  name: string,
  service: ServiceProcess,
  keys: { victim: string; flooder: string },
  flooder: IpcChild | null,
  requests: FloodRequest[] = FLOOD,
) {
  const flood = flooder !== null;
  const durationMs = flood ? settings.floodMs : settings.idleMs;
  log(`${name}: ${durationMs} ms${flood ? `, ${settings.floodConcurrency} flood requests in flight` : ''}`);
  const rss = new RssSampler(service.pid);
  const until = performance.now() + durationMs;
  // Requests still running at the end are cut off, so a phase lasts what it says (and the whole run stays short).
  const phaseEnd = AbortSignal.timeout(durationMs);
  const [victim, tally] = await Promise.all([
    victimLoop(service.graphqlUrl, keys.victim, until, phaseEnd),
    flooder
      ? flooder.request<FloodTally>('flood', {
          url: service.graphqlUrl,
          keys: { flooder: keys.flooder, bad: 'og_not-a-key' },
          requests,
          durationMs,
          concurrency: settings.floodConcurrency,
          timeoutMs: settings.requestTimeoutMs,
        })
      : Promise.resolve(null),
  ]);
  const memory = rss.stop();
  return {
    phase: name,
    victim: { ...latencySummary(victim.samples), failures: victim.failures },
    flood: tally && {
      sent: tally.sent,
      perSecond: round((tally.sent / durationMs) * 1000),
      answer: latencySummary(tally.answerMs),
      outcomes: tally.byOutcome,
    },
    servicePeakRssMb: round(memory.peakRssKb / 1024),
  };
}

interface Stand {
  service: ServiceProcess;
  keys: { victim: string; flooder: string };
  dbName: string;
}

/** A service on a database of its own, with the flooder's 1,000 messages and the victim's 10. */
async function stand(serverUrl: string, label: string, extraEnv: Record<string, string>): Promise<Stand> {
  const dbName = `omnigate_bench_limits_${Date.now()}_${process.pid}_${label}`;
  const dbUrl = await createDatabase(serverUrl, dbName);
  const service = await startService({
    repoRoot: REPO_ROOT,
    nodeArgs: settings.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}`] : [],
    env: { DATABASE_URL: dbUrl, HOST: '127.0.0.1', PORT: '0', NODE_ENV: 'production', WORKER_ENABLED: 'false', ...extraEnv },
  });
  const keys = { flooder: service.bootstrapKey, victim: await createBenchKey(dbUrl, 'victim', VICTIM_REQUESTS_PER_MINUTE) };
  await seedScheduledMessages(service.graphqlUrl, keys.flooder, settings.seedMessages);
  await seedScheduledMessages(service.graphqlUrl, keys.victim, 10);
  for (let i = 0; i < 20; i++) await timedPost(service.graphqlUrl, keys.victim, VICTIM_QUERY, settings.requestTimeoutMs); // warm-up
  log(`${label}: service up, ${settings.seedMessages} messages for the flooder, 10 for the victim`);
  return { service, keys, dbName };
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  assertLocalDatabase(serverUrl);
  await dropStaleBenchDatabases(serverUrl, 'omnigate_bench_');
  const results: Array<Awaited<ReturnType<typeof phase>>> = [];
  const stands: Stand[] = [];
  const flooder = await IpcChild.start(path.join(BENCH_DIR, 'request-limits-flooder.ts'));
  try {
    const limited = await stand(serverUrl, 'limited', limitOverrides);
    stands.push(limited);
    results.push(await phase('idle', limited.service, limited.keys, null));
    results.push(await phase('floor: wrong keys only', limited.service, limited.keys, flooder, FLOOR));
    results.push(await phase('flood, default limits', limited.service, limited.keys, flooder));
    await limited.service.stop();
    if (!settings.skipLifted) {
      const lifted = await stand(serverUrl, 'lifted', LIMITS_LIFTED);
      stands.push(lifted);
      results.push(await phase('flood, limits lifted', lifted.service, lifted.keys, flooder));
    }
  } finally {
    await flooder.stop();
    for (const s of stands) {
      // The lifted service may still be working through the flood: it is killed, not drained.
      await s.service.stop(2_000);
      await dropDatabase(serverUrl, s.dbName);
    }
  }

  const cell = (v: number) => String(round(v)).padStart(9);
  const byName = (name: string) => results.find((r) => r.phase === name)?.victim;
  const [idle, floor, limited] = [byName('idle'), byName('floor: wrong keys only'), byName('flood, default limits')];
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? round(a / b) : null);
  // Judged: the limited flood against the floor (target ≤ 2); against idle, for the record.
  const ratios = {
    p99FloodOverFloor: ratio(limited?.p99Ms, floor?.p99Ms),
    p50FloodOverFloor: ratio(limited?.p50Ms, floor?.p50Ms),
    p99FloodOverIdle: ratio(limited?.p99Ms, idle?.p99Ms),
    p99FloorOverIdle: ratio(floor?.p99Ms, idle?.p99Ms),
  };
  const lines = [
    '',
    `victim: ${VICTIM_QUERY}`,
    `${'phase'.padEnd(26)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'answers'.padStart(9)}${'failed'.padStart(9)}${'flood/s'.padStart(9)}${'RSS MB'.padStart(9)}`,
    ...results.map(
      (r) =>
        `${r.phase.padEnd(26)}${cell(r.victim.p50Ms)}${cell(r.victim.p99Ms)}${cell(r.victim.maxMs)}${cell(r.victim.count)}${cell(r.victim.failures)}${r.flood ? cell(r.flood.perSecond) : '        -'}${cell(r.servicePeakRssMb)}`,
    ),
    '',
    `victim p99 under the flood: ${ratios.p99FloodOverFloor}× the floor (target ≤ 2), ${ratios.p99FloodOverIdle}× idle; the floor itself ${ratios.p99FloorOverIdle}× idle`,
    '',
  ];
  for (const r of results) {
    if (!r.flood) continue;
    lines.push(`${r.phase}: flood answers p50 ${r.flood.answer.p50Ms} ms, p99 ${r.flood.answer.p99Ms} ms`);
    for (const [outcome, n] of Object.entries(r.flood.outcomes).sort()) lines.push(`  ${String(n).padStart(6)}  ${outcome}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);

  const report = { bench: 'request-limits', at: new Date().toISOString(), settings, limitOverrides, ratios, phases: results };
  publishReport('request-limits.json', report);
}

runBench(main);
