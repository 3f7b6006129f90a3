/**
 * Omnigate benchmarks: `npm run bench` (see bench/README.md).
 *
 * Starts the service as a child process against a fresh database on the machine's PostgreSQL, with a
 * lean Infobip fake on loopback, and measures:
 *   accept   – destinations accepted per second by one 10,000-destination sendMessages over HTTP,
 *              beside plain multi-row INSERTs of the same rows;
 *   dispatch – messages taken from accepted to DELIVERED per second end to end, beside the same wire
 *              traffic (send + delivery report) without the service;
 *   latency  – sendMessage request → DELIVERED event on a messageStatusChanged subscription, beside one
 *              send + report on the bare wire;
 *   memory   – the service's peak RSS during the 10,000-destination runs, beside its idle RSS.
 * Prints one JSON document (progress goes to stderr) and writes it to bench/results/latest.json.
 *
 * Flags: --profile (count SQL statements and CPU-profile the service per phase; slows it down),
 *        --quick (small counts, a smoke run), --strict (exit 2 when a target is missed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { BenchDb, assertLocalDatabase, createDatabase, dropDatabase, dropStaleBenchDatabases } from './lib/db.js';
import {
  BULK_COUNTERS,
  CONFIGURE_CONNECTION,
  SEND_MESSAGE,
  SEND_MESSAGES,
  STATUS_CHANGED,
  expectType,
  gql,
  wsClient,
  type BulkCounters,
  type SendResult,
} from './lib/graphql.js';
import { IpcChild } from './lib/ipc-child.js';
import { cpuMsOf, machineCpuMs, memoryOf, postgresCpuDelta, postgresCpuMs, RssSampler } from './lib/proc.js';
import { summariseProfile, type ProfileSummary } from './lib/profile.js';
import { startService, type ServiceProcess } from './lib/service.js';
import { latencySummary, median, round } from './lib/stats.js';
import { intEnv } from './lib/env.js';
import { BENCH_DIR, DEFAULT_DATABASE_URL, REPO_ROOT, RESULTS_DIR } from './lib/paths.js';

const FAKE_API_KEY = 'bench-infobip-key';
const SENDER = 'BenchSender';
const TEXT = 'Benchmark message: your code is 123456.';

const flags = new Set(process.argv.slice(2));
const PROFILE = flags.has('--profile');
const QUICK = flags.has('--quick');
const STRICT = flags.has('--strict');

const settings = {
  destinations: intEnv('BENCH_DESTINATIONS', QUICK ? 2_000 : 10_000),
  acceptEntries: intEnv('BENCH_ACCEPT_ENTRIES', 1),
  acceptRuns: intEnv('BENCH_ACCEPT_RUNS', QUICK ? 1 : 3),
  dispatchMessages: intEnv('BENCH_DISPATCH_MESSAGES', QUICK ? 2_000 : 10_000),
  dispatchRuns: intEnv('BENCH_DISPATCH_RUNS', QUICK ? 1 : 3),
  dispatchTimeoutMs: intEnv('BENCH_DISPATCH_TIMEOUT_MS', 150_000),
  latencySends: intEnv('BENCH_LATENCY_SENDS', QUICK ? 40 : 200),
  latencyWarmup: intEnv('BENCH_LATENCY_WARMUP', 5),
  latencyTimeoutMs: intEnv('BENCH_LATENCY_TIMEOUT_MS', 10_000),
  latencyBudgetMs: intEnv('BENCH_LATENCY_BUDGET_MS', 90_000),
  drSockets: intEnv('BENCH_DR_SOCKETS', 32),
  drBatch: intEnv('BENCH_DR_BATCH', 1),
  drBatchMs: intEnv('BENCH_DR_BATCH_MS', 5),
  pollMs: 100,
};

const TARGETS = { acceptPerSecond: 20_000, dispatchPerSecond: 2_000 };

const t0 = performance.now();
function log(msg: string): void {
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// Bulk inputs

let numberSeq = 0;
/** Distinct valid Ukrainian mobile numbers (+38067…). */
function nextNumber(): string {
  numberSeq = (numberSeq + 1) % 10_000_000;
  return `+38067${String(numberSeq).padStart(7, '0')}`;
}

function bulkInput(destinations: number, entries: number, sendAt?: Date): Record<string, unknown> {
  const per = Math.ceil(destinations / entries);
  const messages: Array<Record<string, unknown>> = [];
  for (let left = destinations; left > 0; left -= per) {
    const n = Math.min(per, left);
    messages.push({
      from: SENDER,
      viber: { text: { text: TEXT } },
      destinations: Array.from({ length: n }, () => ({ to: { phoneNumber: nextNumber() } })),
    });
  }
  return { messages, ...(sendAt ? { sendAt: sendAt.toISOString() } : {}) };
}

interface TimedSend {
  ms: number;
  bulkId: string;
  accepted: number;
  requestBytes: number;
  responseBytes: number;
  startedAt: number;
  answeredAt: number;
}

/** sendMessages over HTTP, timed from the request to the whole response read; the body is built before. */
async function timedSendMessages(svc: ServiceProcess, apiKey: string, input: Record<string, unknown>, expected: number): Promise<TimedSend> {
  const body = JSON.stringify({ query: SEND_MESSAGES, variables: { input } });
  const startedAt = Date.now();
  const s = performance.now();
  const res = await fetch(svc.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `App ${apiKey}` },
    body,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  const ms = performance.now() - s;
  const answeredAt = Date.now();
  const parsed = JSON.parse(text) as { data?: { sendMessages: SendResult }; errors?: unknown };
  if (res.status !== 200 || !parsed.data) throw new Error(`sendMessages failed (HTTP ${res.status}): ${text.slice(0, 2000)}`);
  const result = expectType(parsed.data.sendMessages, 'SendMessageSuccess', 'sendMessages');
  if (result.messages.length !== expected) throw new Error(`sendMessages accepted ${result.messages.length} of ${expected}`);
  return { ms, bulkId: result.bulkId, accepted: result.messages.length, requestBytes: Buffer.byteLength(body), responseBytes: Buffer.byteLength(text), startedAt, answeredAt };
}

// ---------------------------------------------------------------------------------------------------
// CPU accounting per phase

let benchDbName = '';

interface CpuMark {
  at: number;
  service: number | null;
  postgres: Map<number, number>;
  fake: number | null;
  bench: NodeJS.CpuUsage;
  machine: { busyMs: number; iowaitMs: number } | null;
}

function cpuMark(svcPid: number, fakePid: number): CpuMark {
  return {
    at: performance.now(),
    service: cpuMsOf(svcPid),
    postgres: postgresCpuMs(benchDbName).byPid,
    fake: cpuMsOf(fakePid),
    bench: process.cpuUsage(),
    machine: machineCpuMs(),
  };
}

function cpuSince(mark: CpuMark, svcPid: number, fakePid: number) {
  const wallMs = performance.now() - mark.at;
  const serviceMs = (cpuMsOf(svcPid) ?? NaN) - (mark.service ?? NaN);
  const postgresMs = postgresCpuDelta(mark.postgres, postgresCpuMs(benchDbName).byPid);
  const fakeMs = (cpuMsOf(fakePid) ?? NaN) - (mark.fake ?? NaN);
  const b = process.cpuUsage(mark.bench);
  const benchMs = (b.user + b.system) / 1000;
  const m = machineCpuMs();
  const machineMs = m && mark.machine ? m.busyMs - mark.machine.busyMs : NaN;
  const iowaitMs = m && mark.machine ? m.iowaitMs - mark.machine.iowaitMs : NaN;
  const otherMs = machineMs - serviceMs - postgresMs - fakeMs - benchMs;
  const cores = (ms: number) => round(ms / wallMs);
  return {
    wallMs: round(wallMs),
    cpuMs: { service: round(serviceMs), postgresBackends: round(postgresMs), fakeProvider: round(fakeMs), benchDriver: round(benchMs), otherProcesses: round(otherMs) },
    coresBusy: {
      service: cores(serviceMs),
      postgresBackends: cores(postgresMs),
      fakeProvider: cores(fakeMs),
      benchDriver: cores(benchMs),
      otherProcesses: cores(otherMs),
      wholeMachine: cores(machineMs),
      iowait: cores(iowaitMs),
      machineCores: os.cpus().length,
    },
  };
}

// ---------------------------------------------------------------------------------------------------

interface FakeStats {
  requests: number;
  destinations: number;
  badRequests: number;
  drPosted: number;
  drCallbacks: number;
  drOk: number;
  drFailed: number;
  drRetried: number;
  drRefused: number;
  peakInflight: number;
  meanInflight: number;
  peakDrInflight: number;
  connections: number;
  peakOpenConnections: number;
  firstRequestAt: number | null;
  lastResponseAt: number | null;
  lastDrOkAt: number | null;
  cpuMs: number;
}

const cleanups: Array<() => Promise<void>> = [];
async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      log(`cleanup step failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const warnings: string[] = [];
  const serverUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  assertLocalDatabase(serverUrl);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const profileDir = path.join(RESULTS_DIR, 'profiles');
  if (PROFILE) mkdirSync(profileDir, { recursive: true });

  // --- database -----------------------------------------------------------------------------------
  const stale = await dropStaleBenchDatabases(serverUrl, 'omnigate_bench_');
  if (stale.length > 0) log(`dropped ${stale.length} stale bench database(s): ${stale.join(', ')}`);
  const dbName = `omnigate_bench_${Date.now()}_${process.pid}`;
  benchDbName = dbName;
  const dbUrl = await createDatabase(serverUrl, dbName);
  cleanups.push(async () => {
    await dropDatabase(serverUrl, dbName);
    log(`dropped database ${dbName}`);
  });
  log(`created database ${dbName}`);

  // --- fake provider ------------------------------------------------------------------------------
  const fake = await IpcChild.start(path.join(BENCH_DIR, 'fake-infobip.ts'));
  cleanups.push(() => fake.stop());
  const fakeUrl = String(fake.hello.url);
  log(`fake Infobip listening at ${fakeUrl}`);

  // --- service ------------------------------------------------------------------------------------
  // Production settings: the service's own defaults, overridden only by what the caller exported.
  const controlled = new Set(['PORT', 'HOST', 'DATA_DIR', 'EMBEDDED_PG_PORT', 'PUBSUB_PREFIX']);
  const env: Record<string, string> = { NODE_ENV: 'production' };
  for (const key of Object.keys(loadConfig({}))) {
    const v = process.env[key];
    if (!controlled.has(key) && v !== undefined && v !== '') env[key] = v;
  }
  Object.assign(env, { DATABASE_URL: dbUrl, HOST: '127.0.0.1', PORT: '0', PUBSUB_PREFIX: dbName });
  if (process.env.BENCH_REDIS_URL) {
    const host = new URL(process.env.BENCH_REDIS_URL).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error('BENCH_REDIS_URL must be on this machine');
    env.REDIS_URL = process.env.BENCH_REDIS_URL;
  }
  const effective = loadConfig(env);
  const serviceStart = performance.now();
  const svc = await startService({
    repoRoot: REPO_ROOT,
    env,
    ipc: PROFILE,
    preloads: PROFILE ? [path.join(BENCH_DIR, 'preload-profile.ts')] : [],
  });
  const startupMs = performance.now() - serviceStart;
  cleanups.push(async () => {
    const code = await svc.stop();
    log(`service stopped (exit ${code})`);
    if (code !== 0) log(`service output tail:\n${svc.tail().split('\n').slice(-6).join('\n')}`);
  });
  const wholeRunRss = new RssSampler(svc.pid, 100);
  log(`service pid ${svc.pid} listening at ${svc.graphqlUrl} after ${Math.round(startupMs)} ms (migrations included)`);
  const apiKey = svc.bootstrapKey;
  const db = BenchDb.open(dbUrl);
  cleanups.push(() => db.close());
  const pgInfo = await db.serverInfo();

  // --- provider connection ------------------------------------------------------------------------
  type ConfigureResult = {
    configureProviderConnection: {
      __typename: string;
      connection: { id: string; callbackAuthorization: string | null; webhookUrls: Array<{ purpose: string; url: string }> };
    };
  };
  const configured = await gql<ConfigureResult>(svc.graphqlUrl, apiKey, CONFIGURE_CONNECTION, {
    input: { name: 'bench-infobip', type: 'INFOBIP', baseUrl: fakeUrl, credentials: { apiKey: FAKE_API_KEY }, channels: ['VIBER', 'SMS'] },
  });
  const connection = expectType(configured.configureProviderConnection, 'ConfigureProviderConnectionSuccess', 'configureProviderConnection').connection;
  const deliveryUrl = connection.webhookUrls.find((w) => w.purpose === 'DELIVERY_REPORTS')?.url ?? null;
  if (!connection.callbackAuthorization) throw new Error('the INFOBIP connection has no callbackAuthorization');
  await fake.request('config', {
    apiKey: FAKE_API_KEY,
    callbackAuthorization: connection.callbackAuthorization,
    defaultDeliveryUrl: deliveryUrl,
    drSockets: settings.drSockets,
    drBatch: settings.drBatch,
    drBatchMs: settings.drBatchMs,
  });
  log(`INFOBIP connection ${connection.id}; delivery reports to ${deliveryUrl}`);

  // --- warm-up: proves the provider path and warms JIT, pools and connections --------------------
  const warmupCount = 200;
  await fake.request('reset');
  const warm = await timedSendMessages(svc, apiKey, bulkInput(warmupCount, 1), warmupCount);
  const warmRef = await db.bulkRef(warm.bulkId);
  const warmDeadline = Date.now() + 30_000;
  let warmProgress = await db.progress(warmRef);
  while (warmProgress.delivered + warmProgress.failed < warmupCount && Date.now() < warmDeadline) {
    await sleep(settings.pollMs);
    warmProgress = await db.progress(warmRef);
  }
  const warmFake = await fake.request<FakeStats>('stats');
  const providerPathOk = warmFake.destinations >= warmupCount && warmProgress.delivered === warmupCount;
  if (!providerPathOk) {
    warnings.push(
      `Provider path check failed: of ${warmupCount} warm-up messages sent through the INFOBIP connection, the fake received ` +
        `${warmFake.destinations} and ${warmProgress.delivered} became DELIVERED (${warmProgress.failed} failed). ` +
        'Dispatch and latency figures below do not measure the Infobip path.',
    );
    log(`WARNING: ${warnings.at(-1)}`);
  } else {
    log(`warm-up: ${warmupCount} messages delivered through the fake`);
  }
  await sleep(1_000);
  const idle = memoryOf(svc.pid);

  // --- accept baseline: plain INSERTs -------------------------------------------------------------
  const accountId = await db.accountId();
  const baselineMs: number[] = [];
  const jsonBaselineMs: number[] = [];
  for (let i = 0; i < Math.max(1, settings.acceptRuns); i++) {
    baselineMs.push(await db.plainInsert(settings.destinations, accountId, 'values'));
    jsonBaselineMs.push(await db.plainInsert(settings.destinations, accountId, 'json'));
  }
  await db.dropScratch();
  log(`accept baseline (plain INSERT of ${settings.destinations} rows): ${baselineMs.map((m) => `${Math.round(m)} ms`).join(', ')}`);
  log(`accept baseline (json_to_recordset INSERT of ${settings.destinations} rows): ${jsonBaselineMs.map((m) => `${Math.round(m)} ms`).join(', ')}`);

  // --- accept ---------------------------------------------------------------------------------------
  // Scheduled an hour ahead so the worker stays idle: this times the accept path alone.
  const acceptRuns: TimedSend[] = [];
  const acceptRss = new RssSampler(svc.pid, 50);
  const acceptActivity = db.activitySampler(100);
  let acceptProfile: ProfileSummary | null = null;
  let acceptQueries: QueryReport | null = null;
  if (PROFILE) await profileStart(svc);
  const acceptCpu = cpuMark(svc.pid, fake.pid);
  for (let i = 0; i < settings.acceptRuns; i++) {
    const run = await timedSendMessages(svc, apiKey, bulkInput(settings.destinations, settings.acceptEntries, new Date(Date.now() + 3600_000)), settings.destinations);
    acceptRuns.push(run);
    log(`accept run ${i + 1}: ${settings.destinations} destinations in ${Math.round(run.ms)} ms (${Math.round((settings.destinations / run.ms) * 1000)}/s)`);
    await sleep(500);
  }
  const acceptCpuUse = cpuSince(acceptCpu, svc.pid, fake.pid);
  noteNoise('accept', acceptCpuUse, warnings);
  if (PROFILE) ({ profile: acceptProfile, queries: acceptQueries } = await profileStop(svc, path.join(profileDir, 'accept.cpuprofile')));
  const acceptMem = acceptRss.stop();
  const acceptDbActivity = await acceptActivity.stop();

  const acceptRates = acceptRuns.map((r) => (settings.destinations / r.ms) * 1000);
  const baselineRates = baselineMs.map((ms) => (settings.destinations / ms) * 1000);
  const acceptMedian = median(acceptRates);
  const accept = {
    what: 'destinations accepted per second by one sendMessages over HTTP GraphQL (request → whole response), scheduled 1 h ahead so no dispatch runs meanwhile',
    destinations: settings.destinations,
    entries: settings.acceptEntries,
    runs: acceptRuns.map((r) => ({ ms: round(r.ms), perSecond: round((settings.destinations / r.ms) * 1000), requestBytes: r.requestBytes, responseBytes: r.responseBytes })),
    bestPerSecond: round(Math.max(...acceptRates)),
    medianPerSecond: round(acceptMedian),
    baseline: {
      what: 'the same number of message rows, shaped as the service writes them, by plain multi-row INSERTs (1,000 rows each) into a copy of the message table without indexes, one transaction, pg directly',
      runsMs: baselineMs.map((m) => round(m)),
      bestPerSecond: round(Math.max(...baselineRates)),
      medianPerSecond: round(median(baselineRates)),
      jsonToRecordset: {
        what: 'the same rows by INSERT … SELECT FROM json_to_recordset($1), 1,000 rows a statement (the form src/ uses)',
        runsMs: jsonBaselineMs.map((m) => round(m)),
        medianPerSecond: round(median(jsonBaselineMs.map((ms) => (settings.destinations / ms) * 1000))),
      },
    },
    ratioToBaseline: round(acceptMedian / median(baselineRates), 3),
    target: TARGETS.acceptPerSecond,
    // The targets are for 10,000 destinations over several runs; a --quick smoke run is not judged.
    pass: QUICK ? null : acceptMedian >= TARGETS.acceptPerSecond,
    judgedOn: 'median',
    cpu: acceptCpuUse,
    cpuMsPerDestination: perUnitCpu(acceptCpuUse, settings.destinations * Math.max(1, settings.acceptRuns)),
    database: acceptDbActivity,
    ...(acceptQueries ? { sqlStatements: { perDestination: round(acceptQueries.total / (settings.destinations * settings.acceptRuns), 3), ...acceptQueries } } : {}),
    ...(acceptProfile ? { cpuProfile: acceptProfile } : {}),
  };

  // --- dispatch -----------------------------------------------------------------------------------
  const dispatchRuns: Array<Record<string, unknown>> = [];
  const dispatchRates: number[] = [];
  let peakConnections = 0;
  const dispatchRss = new RssSampler(svc.pid, 50);
  let dispatchProfile: ProfileSummary | null = null;
  let dispatchQueries: QueryReport | null = null;
  for (let i = 0; i < settings.dispatchRuns; i++) {
    const n = settings.dispatchMessages;
    await fake.request('reset');
    if (PROFILE && i === 0) await profileStart(svc);
    const activity = db.activitySampler(100);
    const cpu = cpuMark(svc.pid, fake.pid);
    const sent = await timedSendMessages(svc, apiKey, bulkInput(n, 1), n);
    const bulkRef = await db.bulkRef(sent.bulkId);
    // The end is watched at the fake, which costs the service nothing: the webhook answers 200 only
    // after the report's transaction committed, so n answered reports mean n messages made final.
    // The database is read every few seconds for progress, and once at the end to confirm.
    const deadline = performance.now() + settings.dispatchTimeoutMs;
    let fsNow = await fake.request<FakeStats>('stats');
    let lastLog = performance.now();
    while (fsNow.drOk + fsNow.drFailed + fsNow.drRefused < n && performance.now() < deadline) {
      await sleep(settings.pollMs);
      fsNow = await fake.request<FakeStats>('stats');
      if (performance.now() - lastLog > 5_000) {
        lastLog = performance.now();
        const p = await db.progress(bulkRef);
        log(`dispatch run ${i + 1}: ${p.delivered}/${n} delivered, ${fsNow.destinations} sent to the provider`);
      }
    }
    const polledDoneAt = Date.now();
    const cpuUse = cpuSince(cpu, svc.pid, fake.pid);
    noteNoise(`dispatch run ${i + 1}`, cpuUse, warnings);
    const dbActivity = await activity.stop();
    if (PROFILE && i === 0) ({ profile: dispatchProfile, queries: dispatchQueries } = await profileStop(svc, path.join(profileDir, 'dispatch.cpuprofile')));
    const fs = await fake.request<FakeStats>('stats');
    let progress = await db.progress(bulkRef);
    // Reports answered but not yet visible cannot happen (answer after commit); give stragglers a moment anyway.
    for (let w = 0; w < 20 && progress.delivered + progress.failed < n && fs.drOk >= n; w++) {
      await sleep(100);
      progress = await db.progress(bulkRef);
    }
    const timedOut = progress.delivered + progress.failed < n;
    const timeline = await db.timeline(bulkRef);
    const counters = await gql<{ bulk: { status: string; counters: BulkCounters } }>(svc.graphqlUrl, apiKey, BULK_COUNTERS, { bulkId: sent.bulkId });

    const end = timedOut ? polledDoneAt : timeline.lastDoneAt;
    const firstSend = fs.firstRequestAt ?? timeline.firstSentAt;
    const done = progress.delivered;
    const fromFirstSend = (done / Math.max(1, end - firstSend)) * 1000;
    const fromResponse = (done / Math.max(1, end - sent.answeredAt)) * 1000;
    const fromRequest = (done / Math.max(1, end - sent.startedAt)) * 1000;
    dispatchRates.push(fromFirstSend);
    peakConnections = Math.max(peakConnections, fs.peakOpenConnections);
    log(`dispatch run ${i + 1}: ${done}/${n} delivered, ${Math.round(fromFirstSend)}/s from the first send (${Math.round(fromRequest)}/s from the request)${timedOut ? ' — TIMED OUT' : ''}`);
    if (progress.failed > 0) warnings.push(`dispatch run ${i + 1}: ${progress.failed} messages ended other than DELIVERED, e.g. ${JSON.stringify(timeline.failedSamples).slice(0, 500)}`);
    if (fs.drFailed > 0 || fs.drRetried > 0) warnings.push(`dispatch run ${i + 1}: ${fs.drRetried} delivery reports were retried and ${fs.drFailed} given up on (non-2xx from the webhook)`);
    if (timedOut) warnings.push(`dispatch run ${i + 1}: not finished within ${settings.dispatchTimeoutMs} ms; the rate counts the ${progress.delivered} delivered by then`);
    dispatchRuns.push({
      messages: n,
      delivered: done,
      failed: progress.failed,
      timedOut,
      perSecondFromFirstSend: round(fromFirstSend),
      perSecondFromAcceptedResponse: round(fromResponse),
      perSecondFromRequest: round(fromRequest),
      acceptMs: round(sent.ms),
      acceptPerSecondWhileDispatching: round((n / sent.ms) * 1000),
      msFromRequestToFirstSend: firstSend - sent.startedAt,
      msFromFirstToLastSend: round(timeline.lastSentAt - timeline.firstSentAt),
      msFromFirstSendToAllDelivered: end - firstSend,
      bulkCountersViaGraphQL: counters.bulk,
      provider: {
        sendRequests: fs.requests,
        destinations: fs.destinations,
        peakOpenConnections: fs.peakOpenConnections,
        connectionsOpened: fs.connections,
        deliveryReportsPosted: fs.drPosted,
        deliveryReportCallbacks: fs.drCallbacks,
        deliveryReportsRetried: fs.drRetried,
        deliveryReportsFailed: fs.drFailed,
        peakDeliveryReportsInFlight: fs.peakDrInflight,
      },
      cpu: cpuUse,
      cpuMsPerMessage: perUnitCpu(cpuUse, n),
      coresNeededForTarget: round(((cpuUse.cpuMs.service + cpuUse.cpuMs.postgresBackends) / n) * (TARGETS.dispatchPerSecond / 1000), 1),
      database: dbActivity,
    });
    await sleep(1_000);
  }
  const dispatchMem = dispatchRss.stop();

  // --- dispatch baseline: the same wire traffic without the service -------------------------------
  const wire = await IpcChild.start(path.join(BENCH_DIR, 'wire-baseline.ts'));
  cleanups.push(() => wire.stop());
  type Throughput = { client: string; count: number; concurrency: number; elapsedMs: number; perSecond: number; clientCpuMs: number };
  const sameConcurrency = Math.max(1, peakConnections);
  const wireRun = async (client: 'http' | 'fetch', concurrency: number) => {
    await fake.request('reset');
    const r = await wire.request<Throughput>('throughput', { client, fakeUrl, apiKey: FAKE_API_KEY, count: settings.dispatchMessages, concurrency });
    const f = await fake.request<FakeStats>('stats');
    log(`dispatch baseline (bare wire, ${client}): ${Math.round(r.perSecond)}/s at concurrency ${concurrency}`);
    return { ...roundAll({ count: r.count, concurrency: r.concurrency, elapsedMs: r.elapsedMs, perSecond: r.perSecond, clientCpuMs: r.clientCpuMs }), fakeCpuMs: round(f.cpuMs) };
  };
  const wireSame = await wireRun('http', sameConcurrency);
  const wireWorker = await wireRun('http', effective.WORKER_CONCURRENCY);
  const fetchSame = await wireRun('fetch', sameConcurrency);
  const fetchWorker = await wireRun('fetch', effective.WORKER_CONCURRENCY);
  const dispatchMedian = median(dispatchRates);
  const dispatch = {
    what:
      'messages taken from accepted to DELIVERED per second, end to end: the worker sends each to the fake Infobip, which answers at once ' +
      'and immediately POSTs DELIVERED_TO_HANDSET to the connection’s delivery webhook; timed from the first send the fake receives to the ' +
      'last message made DELIVERED (message.updated_at); the rates from the sendMessages request and response are given beside it',
    messages: settings.dispatchMessages,
    runs: dispatchRuns,
    bestPerSecond: round(Math.max(...dispatchRates)),
    medianPerSecond: round(dispatchMedian),
    baseline: {
      what:
        'the same number of Infobip Viber send requests (one destination each) POSTed to the same fake by plain node:http with a keep-alive agent, ' +
        'each done when its delivery report reaches a plain node:http receiver; no database, GraphQL or queue. "sameConcurrency" uses as many ' +
        'concurrent requests as the service opened connections to the fake; "workerConcurrency" uses WORKER_CONCURRENCY',
      sameConcurrency: wireSame,
      workerConcurrency: wireWorker,
      withAdapterHttpClient: {
        what: 'the same, but posting with global fetch and a per-request AbortSignal.timeout: how the adapters posted before they moved to keep-alive node:http agents (src/providers/http-client.ts), kept to show what that move saves',
        sameConcurrency: fetchSame,
        workerConcurrency: fetchWorker,
      },
    },
    ratioToBaseline: round(dispatchMedian / wireSame.perSecond, 3),
    target: TARGETS.dispatchPerSecond,
    pass: QUICK ? null : providerPathOk && dispatchMedian >= TARGETS.dispatchPerSecond,
    judgedOn: 'median of perSecondFromFirstSend',
    validProviderPath: providerPathOk,
    ...(dispatchQueries ? { sqlStatements: { perMessage: round(dispatchQueries.total / settings.dispatchMessages, 2), ...dispatchQueries } } : {}),
    ...(dispatchProfile ? { cpuProfile: dispatchProfile } : {}),
  };

  // --- latency --------------------------------------------------------------------------------------
  const latency = await measureLatency(svc, fake, apiKey, warnings);
  const wireLatency = await wire.request<{ samplesMs: number[] }>('latency', {
    client: 'http',
    fakeUrl,
    apiKey: FAKE_API_KEY,
    count: settings.latencySends,
    warmup: settings.latencyWarmup,
  });
  const latencyReport = {
    what: 'single sendMessage (1 destination), sequential: request → DELIVERED event on a messageStatusChanged graphql-ws subscription',
    sends: settings.latencySends,
    completed: latency.deliveredMs.length,
    timedOut: latency.timedOut,
    requestToDelivered: latencySummary(latency.deliveredMs),
    breakdown: {
      what: 'medians of the consecutive legs of each send (the fake stamps when it received the send and when the webhook answered its report)',
      requestToAcceptedResponseMs: latencySummary(latency.acceptedMs),
      acceptedResponseToProviderSendMs: latencySummary(latency.toProviderMs),
      providerSendToReportAnsweredMs: latencySummary(latency.reportMs),
      reportAnsweredToSubscriptionEventMs: latencySummary(latency.eventMs),
    },
    baseline: {
      what: 'one Infobip send POSTed to the fake (node:http, keep-alive) → its delivery report received by a plain node:http server, sequential',
      ...latencySummary(wireLatency.samplesMs),
    },
    p50RatioToBaseline: round(latencySummary(latency.deliveredMs).p50Ms / latencySummary(wireLatency.samplesMs).p50Ms, 1),
    target: null,
    pass: null,
    validProviderPath: providerPathOk,
    ...(latency.queries ? { sqlStatements: { perSend: round(latency.queries.total / Math.max(1, latency.deliveredMs.length + settings.latencyWarmup), 1), ...latency.queries } } : {}),
  };

  // --- memory ---------------------------------------------------------------------------------------
  const end = memoryOf(svc.pid);
  const whole = wholeRunRss.stop();
  const mb = (kb: number) => round(kb / 1024, 1);
  const memory = {
    what: 'resident set size of the service process (/proc/<pid>/status), sampled every 50 ms',
    peakRssMbDuring10kRuns: mb(Math.max(acceptMem.peakRssKb, dispatchMem.peakRssKb)),
    peakRssMbDuringAccept: mb(acceptMem.peakRssKb),
    peakRssMbDuringDispatch: mb(dispatchMem.peakRssKb),
    vmHwmMbWholeRun: end ? mb(end.hwmKb) : null,
    rssMbAtEnd: end ? mb(end.rssKb) : null,
    baseline: { what: 'RSS at rest after start-up and a 200-message warm-up', idleRssMb: idle ? mb(idle.rssKb) : null },
    growthOverIdleMb: idle ? mb(Math.max(acceptMem.peakRssKb, dispatchMem.peakRssKb) - idle.rssKb) : null,
    samples: whole.samples,
    target: null,
    pass: null,
  };

  // --- report -------------------------------------------------------------------------------------
  const targets = [
    { name: 'accept.medianPerSecond', value: accept.medianPerSecond, target: TARGETS.acceptPerSecond, pass: accept.pass },
    { name: 'dispatch.medianPerSecond', value: dispatch.medianPerSecond, target: TARGETS.dispatchPerSecond, pass: dispatch.pass },
  ];
  const report = {
    benchmark: 'omnigate',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationS: round((performance.now() - t0) / 1000, 1),
    mode: { profile: PROFILE, quick: QUICK, note: PROFILE ? 'profiled: SQL counting and the CPU profiler slow the service; compare figures only with other --profile runs' : undefined },
    pass: QUICK ? null : targets.every((t) => t.pass),
    targets,
    accept,
    dispatch,
    latency: latencyReport,
    memory,
    service: {
      command: `node --import tsx src/main.ts start${PROFILE ? ' (with --import bench/preload-profile.ts)' : ''}`,
      pid: svc.pid,
      startupMs: round(startupMs),
      config: {
        NODE_ENV: env.NODE_ENV,
        WORKER_ENABLED: effective.WORKER_ENABLED,
        WORKER_CONCURRENCY: effective.WORKER_CONCURRENCY,
        WORKER_POLL_INTERVAL_MS: effective.WORKER_POLL_INTERVAL_MS,
        LOG_LEVEL: effective.LOG_LEVEL,
        RETRY_BASE_MS: effective.RETRY_BASE_MS,
        eventTransport: env.REDIS_URL ? 'redis' : 'postgres LISTEN/NOTIFY',
        overriddenFromEnvironment: Object.keys(env).filter((k) => !['NODE_ENV', 'DATABASE_URL', 'HOST', 'PORT', 'PUBSUB_PREFIX'].includes(k)),
        note: 'the service’s own defaults (what a deployment gets unless it sets them), except HOST/PORT/DATABASE_URL',
      },
      logLines: svc.logCounts(),
      warningsAndErrors: svc.problems(),
    },
    setup: {
      database: { name: dbName, dropped: true, server: pgInfo },
      provider: {
        kind: 'fake Infobip (bench/fake-infobip.ts), own process, loopback, keep-alive',
        deliveryReportSockets: settings.drSockets,
        reportsPerCallback: settings.drBatch,
        ...(settings.drBatch > 1 ? { callbackGatherMs: settings.drBatchMs } : {}),
      },
      settings,
    },
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGb: round(os.totalmem() / 1024 ** 3, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverage1mAtStart: round(loadAtStart[0] ?? NaN),
      loadAverage1mAtEnd: round(os.loadavg()[0] ?? NaN),
    },
    warnings,
  };

  const json = JSON.stringify(report, null, 2);
  // A profiled run's figures are slowed by the profiling; they never replace latest.json.
  const out = path.join(RESULTS_DIR, PROFILE ? 'latest-profile.json' : 'latest.json');
  writeFileSync(out, `${json}\n`);
  process.stdout.write(`${json}\n`);
  log(`written to ${path.relative(REPO_ROOT, out)}`);
  log(
    `accept ${accept.medianPerSecond}/s (target ${TARGETS.acceptPerSecond}) ${verdict(accept.pass)}; ` +
      `dispatch ${dispatch.medianPerSecond}/s (target ${TARGETS.dispatchPerSecond}) ${verdict(dispatch.pass)}; ` +
      `latency p50 ${latencyReport.requestToDelivered.p50Ms} ms p99 ${latencyReport.requestToDelivered.p99Ms} ms; ` +
      `peak RSS ${memory.peakRssMbDuring10kRuns} MB`,
  );
  if (STRICT && report.pass === false) process.exitCode = 2;
}

function verdict(pass: boolean | null): string {
  return pass === null ? 'not judged (--quick)' : pass ? 'PASS' : 'FAIL';
}

/** CPU time per unit of work: robust to other load on the machine, unlike rates. */
function perUnitCpu(use: ReturnType<typeof cpuSince>, units: number) {
  const r = (ms: number) => round(ms / units, 3);
  return {
    service: r(use.cpuMs.service),
    postgresBackends: r(use.cpuMs.postgresBackends),
    fakeProvider: r(use.cpuMs.fakeProvider),
  };
}

/** Other work on the machine (tests, builds) competes for its cores; say so beside the figures. */
function noteNoise(phase: string, use: ReturnType<typeof cpuSince>, warnings: string[]): void {
  const other = use.coresBusy.otherProcesses;
  if (Number.isFinite(other) && other > 0.25) {
    warnings.push(
      `${phase}: other processes on this machine kept ${other} of ${use.coresBusy.machineCores} cores busy meanwhile ` +
        '(PostgreSQL helpers of the shared server count here too); figures are pessimistic — rerun on a quiet machine to compare',
    );
  }
}

function roundAll<T extends Record<string, number>>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)])) as T;
}

// ---------------------------------------------------------------------------------------------------
// Latency

async function measureLatency(
  svc: ServiceProcess,
  fake: IpcChild,
  apiKey: string,
  warnings: string[],
): Promise<{
  deliveredMs: number[];
  acceptedMs: number[];
  toProviderMs: number[];
  reportMs: number[];
  eventMs: number[];
  timedOut: number;
  queries: QueryReport | null;
}> {
  const epoch = () => performance.timeOrigin + performance.now();
  const client = wsClient(svc.graphqlUrl, apiKey);
  const waiters = new Map<string, (ok: boolean) => void>();
  let subscriptionError: unknown = null;
  const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  const dispose = client.subscribe<{ messageStatusChanged: { message: { messageId: string; status: { groupName: string } } } }>(
    { query: STATUS_CHANGED, variables: {} },
    {
      next: (value) => {
        const m = value.data?.messageStatusChanged.message;
        if (!m) return;
        const group = m.status.groupName;
        if (group === 'DELIVERED' || group === 'UNDELIVERABLE' || group === 'EXPIRED' || group === 'REJECTED') {
          const w = waiters.get(m.messageId);
          if (w) {
            waiters.delete(m.messageId);
            w(group === 'DELIVERED');
          }
        }
      },
      error: (err) => {
        subscriptionError = err;
      },
      complete: () => undefined,
    },
  );
  try {
    await Promise.race([connected, sleep(10_000).then(() => Promise.reject(new Error('graphql-ws did not connect within 10 s')))]);
    await sleep(300);
    await fake.request('marks');
    const measured: Array<{ messageId: string; startAt: number; acceptedAt: number; eventAt: number }> = [];
    let timedOut = 0;
    const tag = Date.now().toString(36);
    const budgetEnd = performance.now() + settings.latencyBudgetMs;
    for (let i = 0; i < settings.latencyWarmup + settings.latencySends; i++) {
      if (i === settings.latencyWarmup && PROFILE) await svc.request('queries-reset');
      if (performance.now() > budgetEnd) {
        warnings.push(`latency: stopped after ${measured.length} sends, over the ${settings.latencyBudgetMs} ms budget`);
        break;
      }
      const messageId = `lat-${tag}-${i}`;
      let timer: NodeJS.Timeout | undefined;
      let eventAt = 0;
      const delivered = new Promise<boolean>((resolve) => {
        waiters.set(messageId, (ok) => {
          eventAt = epoch();
          resolve(ok);
        });
        timer = setTimeout(() => {
          waiters.delete(messageId);
          resolve(false);
        }, settings.latencyTimeoutMs);
      });
      const startAt = epoch();
      const res = await gql<{ sendMessage: SendResult }>(svc.graphqlUrl, apiKey, SEND_MESSAGE, {
        input: {
          from: SENDER,
          viber: { text: { text: TEXT } },
          callbackData: `mark:${messageId}`,
          destinations: [{ to: { phoneNumber: nextNumber() }, messageId }],
        },
      });
      const acceptedAt = epoch();
      expectType(res.sendMessage, 'SendMessageSuccess', 'sendMessage');
      const ok = await delivered;
      clearTimeout(timer);
      if (!ok) {
        timedOut += 1;
        if (timedOut >= 5) {
          warnings.push(`latency: ${timedOut} sends saw no DELIVERED event within ${settings.latencyTimeoutMs} ms; stopped early`);
          break;
        }
        continue;
      }
      if (i >= settings.latencyWarmup) measured.push({ messageId, startAt, acceptedAt, eventAt });
    }
    if (subscriptionError) warnings.push(`latency: subscription error ${JSON.stringify(subscriptionError).slice(0, 500)}`);
    const queries = PROFILE ? await svc.request<QueryReport>('queries', { top: 25 }) : null;
    const marks = await fake.request<Record<string, { sendAt: number; drOkAt?: number }>>('marks');
    const out = {
      deliveredMs: measured.map((m) => m.eventAt - m.startAt),
      acceptedMs: measured.map((m) => m.acceptedAt - m.startAt),
      toProviderMs: [] as number[],
      reportMs: [] as number[],
      eventMs: [] as number[],
      timedOut,
      queries,
    };
    for (const m of measured) {
      const mark = marks[`mark:${m.messageId}`];
      if (!mark?.drOkAt) continue;
      out.toProviderMs.push(mark.sendAt - m.acceptedAt);
      out.reportMs.push(mark.drOkAt - mark.sendAt);
      out.eventMs.push(m.eventAt - mark.drOkAt);
    }
    log(`latency: ${measured.length} sends, p50 ${latencySummary(out.deliveredMs).p50Ms} ms, p99 ${latencySummary(out.deliveredMs).p99Ms} ms`);
    return out;
  } finally {
    dispose();
    await client.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------
// Profile mode

interface QueryReport {
  total: number;
  totalMs: number;
  statements: Array<{ sql: string; count: number; totalMs: number }>;
}

async function profileStart(svc: ServiceProcess): Promise<void> {
  await svc.request('queries-reset');
  await svc.request('profile-start');
}

async function profileStop(svc: ServiceProcess, file: string): Promise<{ profile: ProfileSummary; queries: QueryReport }> {
  await svc.request('profile-stop', { path: file });
  const queries = await svc.request<QueryReport>('queries', { top: 25 });
  return { profile: summariseProfile(file), queries };
}

main()
  .catch((err: unknown) => {
    log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    // Sockets kept alive by fetch would hold the process open for a while; everything is done.
    setTimeout(() => process.exit(), 200).unref();
  });
