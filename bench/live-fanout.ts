/**
 * One status event to 10,000 live subscribers (`npm run bench:fanout`; see bench/README.md).
 *
 * The service runs in a process of its own (production defaults, a fresh database); 10,000 graphql-ws
 * clients in another (bench/live-fanout-clients.ts) subscribe to `messageStatusChanged` with the same
 * document and variables, as many consoles watching one account would. Each round schedules a message an
 * hour ahead, then cancels it: the cancel publishes one status event. Measured: from the moment the cancel
 * request is sent to each client's receipt of the event, p50/p99 over the clients. Baseline, same run, same
 * clients: the same bytes written by a bare `ws` server (bench/live-fanout-bare-server.ts, just enough
 * graphql-transport-ws to accept their subscriptions), from the moment the driver asks for the broadcast.
 * Loopback only.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { assertLocalDatabase, createDatabase, dropDatabase, dropStaleBenchDatabases } from './lib/db.js';
import { expectType, gql } from './lib/graphql.js';
import { IpcChild } from './lib/ipc-child.js';
import { cpuMsOf, memoryOf } from './lib/proc.js';
import { startService, type ServiceProcess } from './lib/service.js';
import { latencySummary, median, round } from './lib/stats.js';
import { intEnv } from './lib/env.js';
import { publishReport, runBench } from './lib/report.js';
import { BENCH_DIR, DEFAULT_DATABASE_URL, REPO_ROOT } from './lib/paths.js';


const settings = {
  subscribers: intEnv('BENCH_FANOUT_SUBSCRIBERS', 10_000),
  rounds: intEnv('BENCH_FANOUT_ROUNDS', 3),
  connectConcurrency: intEnv('BENCH_FANOUT_CONNECT_CONCURRENCY', 250),
  collectTimeoutMs: intEnv('BENCH_FANOUT_TIMEOUT_MS', 30_000),
  /** The target on p99 from request to receipt, on a 2-core machine. */
  targetP99Ms: 250,
};
/** Another checkout to run as the service (e.g. one without shared execution), for a before/after. */
const SERVICE_ROOT = process.env.BENCH_SERVICE_ROOT ? path.resolve(process.env.BENCH_SERVICE_ROOT) : REPO_ROOT;

const t0 = performance.now();
const log = (msg: string) => process.stderr.write(`[bench:fanout ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wall-clock milliseconds with sub-millisecond resolution: the client process stamps receipts the same way. */
const now = () => performance.timeOrigin + performance.now();

/** The README's live-status example: what a console watching one number asks for. */
const SUBSCRIPTION = /* GraphQL */ `
  subscription FanoutStatus($filter: MessageEventFilter) {
    messageStatusChanged(filter: $filter) {
      occurredAt
      attempt { channel status { groupName name } }
      message { messageId to channel status { groupName name } }
    }
  }
`;
const NUMBER = '+41793026724';

interface Collected {
  receipts: number[];
  sample: string | null;
}

/** A gauge or counter from the service's /metrics (0 when absent: an older service may not have it). */
async function metric(service: ServiceProcess, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Subscribers the service is serving: shared members, or (without sharing) one bus listener each. */
async function servedSubscribers(service: ServiceProcess): Promise<number> {
  const [members, listeners] = await Promise.all([
    metric(service, 'omnigate_shared_subscription_subscribers'),
    metric(service, 'omnigate_live_subscribers', 'topic="message-status"'),
  ]);
  return Math.max(members, listeners);
}

function summarise(t0s: number[], rounds: Collected[]) {
  const perRound = rounds.map((r, i) => {
    const latencies = r.receipts.map((t) => t - t0s[i]!);
    return { ...latencySummary(latencies), lastMs: round(Math.max(...latencies)) };
  });
  return {
    rounds: perRound,
    medianP50Ms: round(median(perRound.map((r) => r.p50Ms))),
    medianP99Ms: round(median(perRound.map((r) => r.p99Ms))),
  };
}

async function servicePhase(service: ServiceProcess, clients: IpcChild) {
  log(`connecting ${settings.subscribers} graphql-ws subscribers (${settings.connectConcurrency} at a time)`);
  const connected = await clients.request<{ connected: number; failed: number; ms: number }>('connect-graphql', {
    url: service.graphqlUrl,
    apiKey: service.bootstrapKey,
    count: settings.subscribers,
    concurrency: settings.connectConcurrency,
    query: SUBSCRIPTION,
    variables: { filter: { to: NUMBER } },
  });
  log(`connected ${connected.connected} in ${Math.round(connected.ms)} ms (${connected.failed} failed); waiting for the service to serve them all`);
  const deadline = Date.now() + 120_000;
  while ((await servedSubscribers(service)) < connected.connected) {
    if (Date.now() > deadline) throw new Error(`the service serves ${await servedSubscribers(service)} of ${connected.connected} subscribers after 120 s`);
    await sleep(200);
  }
  const groups = await metric(service, 'omnigate_shared_subscription_groups');
  const executionsBefore = await metric(service, 'omnigate_subscription_executions_total');
  const fanOutSecondsBefore = await metric(service, 'omnigate_shared_subscription_fanout_seconds_sum');

  const t0s: number[] = [];
  const rounds: Collected[] = [];
  const cancelMs: number[] = [];
  const cpuBefore = cpuMsOf(service.pid);
  let cpuInFanOutMs = 0;
  for (let r = 0; r < settings.rounds; r++) {
    const bulkId = `fanout-${Date.now()}-${r}`;
    const sent = await gql<{ sendMessages: { __typename: string } }>(
      service.graphqlUrl,
      service.bootstrapKey,
      'mutation($input: SendMessagesInput!) { sendMessages(input: $input) { __typename ... on ValidationError { message } } }',
      { input: { bulkId, sendAt: new Date(Date.now() + 3_600_000).toISOString(), messages: [{ from: 'Bench', viber: { text: { text: 'fan-out' } }, destinations: [{ to: { phoneNumber: NUMBER } }] }] } },
    );
    expectType(sent.sendMessages, 'SendMessageSuccess', 'sendMessages');
    // Whatever accepting it published has reached everyone before the round starts.
    await sleep(1_000);
    await clients.request('reset');
    const cpuStart = cpuMsOf(service.pid);
    const started = now();
    const canceled = await gql<{ cancelBulk: { __typename: string } }>(
      service.graphqlUrl,
      service.bootstrapKey,
      'mutation($bulkId: String!) { cancelBulk(bulkId: $bulkId) { __typename } }',
      { bulkId },
    );
    cancelMs.push(now() - started);
    expectType(canceled.cancelBulk, 'CancelBulkSuccess', 'cancelBulk');
    const got = await clients.request<Collected>('collect', { expected: connected.connected, timeoutMs: settings.collectTimeoutMs });
    const cpuEnd = cpuMsOf(service.pid);
    if (cpuStart !== null && cpuEnd !== null) cpuInFanOutMs += cpuEnd - cpuStart;
    t0s.push(started);
    rounds.push(got);
    const s = latencySummary(got.receipts.map((t) => t - started));
    log(`round ${r + 1}: ${got.receipts.length} receipts, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms (cancel answered in ${round(cancelMs.at(-1)!)} ms)`);
    if (got.receipts.length < connected.connected) log(`round ${r + 1}: only ${got.receipts.length} of ${connected.connected} subscribers received the event`);
  }
  const cpuAfter = cpuMsOf(service.pid);
  const executions = (await metric(service, 'omnigate_subscription_executions_total')) - executionsBefore;
  const fanOutSeconds = (await metric(service, 'omnigate_shared_subscription_fanout_seconds_sum')) - fanOutSecondsBefore;
  const rss = memoryOf(service.pid);
  await clients.request('disconnect-all');
  return {
    connected,
    sharedGroups: groups,
    executionsForAllRounds: executions,
    cancelRequestMs: cancelMs.map((m) => round(m)),
    /** The service's own time from a shared result to its last socket write, per event (0 without sharing). */
    sendLoopMsPerEvent: round((fanOutSeconds * 1000) / settings.rounds),
    serviceCpuMsPerRound: round(cpuInFanOutMs / settings.rounds),
    serviceCpuMsWholePhase: cpuBefore !== null && cpuAfter !== null ? round(cpuAfter - cpuBefore) : null,
    serviceRssMb: rss ? round(rss.rssKb / 1024) : null,
    ...summarise(t0s, rounds),
    sample: rounds.find((r) => r.sample)?.sample ?? null,
  };
}

async function baselinePhase(clients: IpcChild, payload: string) {
  const bare = await IpcChild.start(path.join(BENCH_DIR, 'live-fanout-bare-server.ts'));
  try {
    log(`baseline: connecting the same ${settings.subscribers} graphql-ws clients to a bare ws server`);
    const connected = await clients.request<{ connected: number; failed: number; ms: number }>('connect-graphql', {
      url: bare.hello.url as string,
      apiKey: 'none',
      count: settings.subscribers,
      concurrency: settings.connectConcurrency,
      query: SUBSCRIPTION,
      variables: { filter: { to: NUMBER } },
    });
    const deadline = Date.now() + 60_000;
    while ((await bare.request<{ subscriptions: number }>('subscribed')).subscriptions < connected.connected) {
      if (Date.now() > deadline) throw new Error('the bare server did not see every subscribe within 60 s');
      await sleep(100);
    }
    const t0s: number[] = [];
    const rounds: Collected[] = [];
    const loopMs: number[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      await sleep(1_000);
      await clients.request('reset');
      const started = now();
      loopMs.push((await bare.request<{ loopMs: number }>('broadcast', { payload })).loopMs);
      const got = await clients.request<Collected>('collect', { expected: connected.connected, timeoutMs: settings.collectTimeoutMs });
      t0s.push(started);
      rounds.push(got);
      const s = latencySummary(got.receipts.map((t) => t - started));
      log(`baseline round ${r + 1}: ${got.receipts.length} receipts, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms (send loop ${round(loopMs.at(-1)!)} ms)`);
    }
    await clients.request('disconnect-all');
    return { connected, payloadBytes: Buffer.byteLength(payload), sendLoopMs: loopMs.map((m) => round(m)), ...summarise(t0s, rounds) };
  } finally {
    await bare.stop();
  }
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  assertLocalDatabase(serverUrl);
  await dropStaleBenchDatabases(serverUrl, 'omnigate_bench_fanout_');
  const dbName = `omnigate_bench_fanout_${Date.now()}_${process.pid}`;
  const dbUrl = await createDatabase(serverUrl, dbName);
  let service: ServiceProcess | null = null;
  let clients: IpcChild | null = null;
  try {
    log(`service from ${path.relative(process.cwd(), SERVICE_ROOT) || '.'} on ${dbName}`);
    service = await startService({
      repoRoot: SERVICE_ROOT,
      env: {
        DATABASE_URL: dbUrl,
        HOST: '127.0.0.1',
        PORT: '0',
        NODE_ENV: 'production',
        ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
      },
    });
    clients = await IpcChild.start(path.join(BENCH_DIR, 'live-fanout-clients.ts'));
    const served = await servicePhase(service, clients);
    if (!served.sample) throw new Error('no subscriber received an event: nothing to compare with');
    const baseline = await baselinePhase(clients, served.sample);

    const { sample, ...service_ } = served;
    const report = {
      date: new Date().toISOString(),
      subscribers: settings.subscribers,
      rounds: settings.rounds,
      service: service_,
      baseline,
      ratioP99: round(served.medianP99Ms / baseline.medianP99Ms),
      targetP99Ms: settings.targetP99Ms,
      targetMet: served.medianP99Ms < settings.targetP99Ms,
    };
    process.stderr.write(
      [
        '',
        `one status event → ${settings.subscribers} subscribers (median of ${settings.rounds} rounds)`,
        `  service  (request → receipt): p50 ${served.medianP50Ms} ms, p99 ${served.medianP99Ms} ms; ${served.executionsForAllRounds} executions for ${settings.rounds} events, ${served.sharedGroups} shared group(s)`,
        `  baseline (bare ws broadcast): p50 ${baseline.medianP50Ms} ms, p99 ${baseline.medianP99Ms} ms; ${baseline.payloadBytes}-byte payload`,
        `  send loop per event: service ${served.sendLoopMsPerEvent} ms, baseline ${round(median(baseline.sendLoopMs))} ms`,
        `  p99 ratio ${report.ratioP99}; target p99 < ${settings.targetP99Ms} ms: ${report.targetMet ? 'met' : 'missed'}`,
        '',
      ].join('\n'),
    );
    publishReport('live-fanout.json', report);
  } finally {
    await clients?.stop().catch(() => undefined);
    if (service) {
      const code = await service.stop();
      if (code !== 0) log(`the service exited with ${code}; problems: ${service.problems().join('\n')}`);
    }
    await dropDatabase(serverUrl, dbName).catch((err: unknown) => log(`could not drop ${dbName}: ${String(err)}`));
  }
}

runBench(main);
