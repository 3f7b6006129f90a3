/**
 * One key floods, another key's latency is measured (`npm run bench:flood`; see bench/README.md).
 *
 * The **victim** (its own account and key) reads `messages(first: 10)` of its account, one request at a
 * time. The **flooder** (another account, one key) sends small queries open-loop at BENCH_FLOOD_RATE
 * requests per second (default 1,500) over keep-alive connections. The victim's p50/p99 is measured
 * idle, then during the flood against the service with its default per-key rate limit, then during the
 * same flood against a service whose rate limit is lifted (how it behaved before). During the limited
 * flood the figures are also split at the flooder's first 429: before it the flooder spends its minute's
 * allowance (served, by design), after it every flood request is refused in the gate, before its body
 * is read. Loopback only; each phase has a fixed duration. JSON to stdout and bench/results/key-flood.json.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { assertLocalDatabase, createDatabase, dropDatabase, dropStaleBenchDatabases } from './lib/db.js';
import { intEnv } from './lib/env.js';
import { publishReport, runBench } from './lib/report.js';
import { createBenchKey, seedScheduledMessages } from './lib/accounts.js';
import { startService, type ServiceProcess } from './lib/service.js';
import { latencySummary, round } from './lib/stats.js';
import { DEFAULT_DATABASE_URL, REPO_ROOT } from './lib/paths.js';


const settings = {
  idleMs: intEnv('BENCH_FLOOD_IDLE_MS', 5_000),
  floodMs: intEnv('BENCH_FLOOD_MS', 12_000),
  /** Flood requests per second, sent open-loop (a slow answer does not slow the flood). */
  rate: intEnv('BENCH_FLOOD_RATE', 1_500),
  /** Most flood requests in flight; past it the tick's requests are not sent (and counted as such). */
  maxInFlight: intEnv('BENCH_FLOOD_MAX_IN_FLIGHT', 256),
  requestTimeoutMs: intEnv('BENCH_FLOOD_REQUEST_TIMEOUT_MS', 5_000),
};

const t0 = performance.now();
const log = (msg: string) => process.stderr.write(`[bench:flood ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);

const VICTIM_QUERY = 'query { messages(first: 10) { edges { node { messageId status { name } } } } }';
const FLOOD_QUERY = 'query { messages(first: 10) { edges { node { messageId } } } }';

const agent = new Agent({ keepAlive: true, maxSockets: 128 });

/** One POST over the keep-alive agent: the status, and how long until the whole answer was read. */
function post(url: string, key: string, query: string): Promise<{ status: number; ms: number }> {
  const body = JSON.stringify({ query });
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        timeout: settings.requestTimeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `App ${key}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

interface Sample {
  at: number;
  ms: number;
}

async function victimLoop(url: string, key: string, untilMs: number): Promise<{ samples: Sample[]; failures: number }> {
  const samples: Sample[] = [];
  let failures = 0;
  while (performance.now() < untilMs) {
    const started = performance.now();
    const r = await post(url, key, VICTIM_QUERY);
    if (r.status === 200) samples.push({ at: started, ms: r.ms });
    else failures += 1;
  }
  return { samples, failures };
}

interface FloodTally {
  sent: number;
  notSent: number;
  byStatus: Record<string, number>;
  firstRefusalAt: number | null;
  answerMs: number[];
  refusedMs: number[];
}

/** Open-loop: every 10 ms, the requests due by then; the answers are tallied as they come. */
async function floodLoop(url: string, key: string, untilMs: number): Promise<FloodTally> {
  const tally: FloodTally = { sent: 0, notSent: 0, byStatus: {}, firstRefusalAt: null, answerMs: [], refusedMs: [] };
  const start = performance.now();
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  while (performance.now() < untilMs) {
    const due = Math.floor(((performance.now() - start) / 1000) * settings.rate);
    while (tally.sent + tally.notSent < due) {
      if (inFlight >= settings.maxInFlight) {
        tally.notSent += 1;
        continue;
      }
      tally.sent += 1;
      inFlight += 1;
      const p = post(url, key, FLOOD_QUERY).then((r) => {
        inFlight -= 1;
        tally.byStatus[r.status] = (tally.byStatus[r.status] ?? 0) + 1;
        if (r.status === 429) {
          tally.firstRefusalAt ??= performance.now();
          tally.refusedMs.push(r.ms);
        } else tally.answerMs.push(r.ms);
        pending.delete(p);
      });
      pending.add(p);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(pending);
  return tally;
}


interface Stand {
  service: ServiceProcess;
  victim: string;
  flooder: string;
  dbName: string;
}

async function stand(serverUrl: string, label: string, extraEnv: Record<string, string>): Promise<Stand> {
  const dbName = `omnigate_bench_flood_${Date.now()}_${process.pid}_${label}`;
  const dbUrl = await createDatabase(serverUrl, dbName);
  const service = await startService({
    repoRoot: REPO_ROOT,
    env: {
      DATABASE_URL: dbUrl,
      HOST: '127.0.0.1',
      PORT: '0',
      NODE_ENV: 'production',
      WORKER_ENABLED: 'false',
      // Each run its own counters in a shared Redis.
      PUBSUB_PREFIX: dbName,
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...extraEnv,
    },
  });
  // The victim reads one request at a time for the whole run (thousands a minute): a key with a high limit of its own.
  const victim = await createBenchKey(dbUrl, 'victim', 1_000_000);
  // The flooder: a key with the default limit, on another account.
  const flooder = await createBenchKey(dbUrl, 'flooder');
  await seedScheduledMessages(service.graphqlUrl, service.bootstrapKey, 10);
  await seedScheduledMessages(service.graphqlUrl, victim, 10);
  await seedScheduledMessages(service.graphqlUrl, flooder, 10);
  for (let i = 0; i < 50; i++) await post(service.graphqlUrl, victim, VICTIM_QUERY); // warm-up
  log(`${label}: service up (${process.env.REDIS_URL ? 'limits in Redis' : 'limits in memory'})`);
  return { service, victim, flooder, dbName };
}

function summary(samples: Sample[]) {
  return latencySummary(samples.map((s) => s.ms));
}

async function idlePhase(s: Stand) {
  log(`idle: ${settings.idleMs} ms`);
  const victim = await victimLoop(s.service.graphqlUrl, s.victim, performance.now() + settings.idleMs);
  return { phase: 'idle', victim: { ...summary(victim.samples), failures: victim.failures } };
}

async function floodPhase(name: string, s: Stand) {
  log(`${name}: ${settings.floodMs} ms at ${settings.rate} requests/s from one key`);
  const until = performance.now() + settings.floodMs;
  const [victim, flood] = await Promise.all([victimLoop(s.service.graphqlUrl, s.victim, until), floodLoop(s.service.graphqlUrl, s.flooder, until)]);
  const split = flood.firstRefusalAt;
  return {
    phase: name,
    victim: { ...summary(victim.samples), failures: victim.failures },
    victimBeforeFirstRefusal: split === null ? null : summary(victim.samples.filter((x) => x.at < split)),
    victimAfterFirstRefusal: split === null ? null : summary(victim.samples.filter((x) => x.at >= split)),
    flood: {
      sent: flood.sent,
      notSent: flood.notSent,
      answeredPerSecond: round(((flood.answerMs.length + flood.refusedMs.length) / settings.floodMs) * 1000),
      byStatus: flood.byStatus,
      served: latencySummary(flood.answerMs),
      refused: latencySummary(flood.refusedMs),
    },
  };
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  assertLocalDatabase(serverUrl);
  await dropStaleBenchDatabases(serverUrl, 'omnigate_bench_');
  const phases: Array<Record<string, unknown>> = [];
  const stands: Stand[] = [];
  let idle: Awaited<ReturnType<typeof idlePhase>>;
  let limited: Awaited<ReturnType<typeof floodPhase>>;
  let lifted: Awaited<ReturnType<typeof floodPhase>>;
  try {
    const a = await stand(serverUrl, 'limited', {});
    stands.push(a);
    idle = await idlePhase(a);
    limited = await floodPhase('flood, default rate limit', a);
    await a.service.stop();
    const b = await stand(serverUrl, 'lifted', { RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000000' });
    stands.push(b);
    lifted = await floodPhase('flood, rate limit lifted', b);
  } finally {
    for (const s of stands) {
      await s.service.stop(2_000);
      await dropDatabase(serverUrl, s.dbName);
    }
  }
  phases.push(idle, limited, lifted);

  const row = (label: string, v: { p50Ms: number; p99Ms: number; maxMs: number; count: number } | null) =>
    v && v.count > 0 ? `${label.padEnd(44)}${String(v.p50Ms).padStart(9)}${String(v.p99Ms).padStart(9)}${String(v.maxMs).padStart(9)}${String(v.count).padStart(9)}` : `${label.padEnd(44)}  ${v ? '(no victim answer in this part)' : '(no split: the flooder was never refused)'}`;
  const ratio = (v: { p99Ms: number; count: number } | null) => (v && v.count > 0 ? round(v.p99Ms / idle.victim.p99Ms) : null);
  const lines = [
    '',
    `victim: ${VICTIM_QUERY}, one request at a time; flooder: ${FLOOD_QUERY} at ${settings.rate}/s from one key`,
    `${'victim during'.padEnd(44)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'answers'.padStart(9)}`,
    row('idle', idle.victim),
    row('flood, default limit (whole phase)', limited.victim),
    row('  before the first 429 (allowance served)', limited.victimBeforeFirstRefusal),
    row('  after the first 429 (flood refused)', limited.victimAfterFirstRefusal),
    row('flood, rate limit lifted', lifted.victim),
    '',
    `p99 under flood / idle p99: whole phase ${ratio(limited.victim)}, after the first 429 ${ratio(limited.victimAfterFirstRefusal)}, limit lifted ${ratio(lifted.victim)} (target ≤ 2)`,
    `flood, default limit: sent ${limited.flood.sent} (${round((limited.flood.sent / settings.floodMs) * 1000)}/s), answered ${limited.flood.answeredPerSecond}/s, by status ${JSON.stringify(limited.flood.byStatus)}, refusals p50 ${limited.flood.refused.p50Ms} ms`,
    `flood, limit lifted: sent ${lifted.flood.sent}, answered ${lifted.flood.answeredPerSecond}/s, by status ${JSON.stringify(lifted.flood.byStatus)}, not sent (client at ${settings.maxInFlight} in flight) ${lifted.flood.notSent}`,
    '',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  const report = {
    bench: 'key-flood',
    at: new Date().toISOString(),
    limitsStore: process.env.REDIS_URL ? 'redis' : 'memory',
    settings,
    p99RatioToIdle: { wholeFlood: ratio(limited.victim), afterFirstRefusal: ratio(limited.victimAfterFirstRefusal), limitLifted: ratio(lifted.victim) },
    phases,
  };
  publishReport('key-flood.json', report);
}

runBench(main);
