import pg from 'pg';
import { expect } from 'vitest';
import { Redis } from 'ioredis';
import { createKysely } from '../../../src/db/connect.js';
import { OnMessageStatus } from '../../documents/operations.js';
import type { OnMessageStatusSubscription } from '../../generated/graphql.js';
import { FakeInfobip } from '../../fakes/infobip.js';
import { query, Subscription, wsClient } from '../../support/graphql-client.js';
import { spawnService, type ChildService } from '../child-service.js';
import { DeliveryReporter } from './delivery-reporter.js';
import { testPool } from '../../support/database.js';
import {
  FaultsBulkCounters,
  FaultsSendMessage,
  configureInfobip,
  deliveryUrl,
  finalCount,
  sleep,
  swissMobile,
  waitFor,
  wireRequest,
  type FaultsCounters,
} from './support.js';

/**
 * Shared by the database-fault tests (not a test file itself): the real service in its own process
 * dispatches a VIBER→SMS bulk through an Infobip fake while `fault()` breaks its database connections;
 * afterwards the process must still be up, every message final and delivered, no destination sent twice
 * on one step, and a subscription opened before the fault must receive events of a send made after it.
 */

export type StatusEvent = { messageStatusChanged: OnMessageStatusSubscription['messageStatusChanged'] };

export interface ScenarioOptions {
  databaseUrl: string;
  destinations: number;
  /** Events over Redis (REDIS_URL) or PostgreSQL LISTEN/NOTIFY. */
  redisUrl: string | null;
  /** Breaks the service's connections; called once enough sends are on the wire. */
  fault(ctx: FaultContext): Promise<void>;
  /** How long, after the fault, everything may take to settle. */
  settleMs: number;
}

export interface FaultContext {
  service: ChildService;
  /** GET /readyz: status and body. */
  readyz(): Promise<{ status: number; body: { status: string; reasons?: string[] } | null }>;
}

export interface ScenarioResult {
  service: ChildService;
  /** Seconds from the end of the fault until /readyz answered 200 again. */
  readyAgainMs: number;
  /** Lines the service logged at error level or above. */
  errorLines: string[];
}

const VIBER_VALIDITY_SECONDS = 20;

export async function runDatabaseFaultScenario(options: ScenarioOptions, cleanup: Array<() => Promise<void>>): Promise<ScenarioResult> {
  const fake = new FakeInfobip({ apiKey: 'db-fault-infobip-key' });
  await fake.start();
  cleanup.push(() => fake.stop());
  // Sends take a while to answer, so the fault finds several on the wire and more queued.
  fake.setDefaultOutcome({ hangMs: 150, then: 'accept' });

  const service = await spawnService(options.databaseUrl, {
    LOG_LEVEL: 'info',
    REDIS_URL: options.redisUrl ?? '',
    RETRY_BASE_MS: '100',
  });
  cleanup.push(() => service.kill());
  const died = () => (service.child.exitCode !== null || service.child.signalCode !== null ? `the service exited (${service.child.exitCode ?? service.child.signalCode}):\n${tail(service.output())}` : null);

  const apiKey = service.bootstrapKey;
  if (!apiKey) throw new Error(`no bootstrap key printed:\n${service.output()}`);
  const connection = await configureInfobip(service.graphqlUrl, apiKey, fake);
  const reporter = new DeliveryReporter(fake, connection.callbackAuthorization);
  reporter.target = deliveryUrl(service.url, connection.id);
  reporter.start();
  cleanup.push(() => reporter.stop());

  // Opened before the fault, over the transport under test; it must still hear the send made after it.
  const ws = wsClient(service.graphqlUrl, { authorization: `App ${apiKey}` });
  cleanup.push(async () => void (await ws.dispose()));
  const afterFault = new Subscription<StatusEvent>(ws, OnMessageStatus, { filter: { bulkId: 'after-fault' } });
  cleanup.push(async () => afterFault.close());
  // Let the subscription reach the transport (LISTEN / SUBSCRIBE) before anything else happens.
  await sleep(500);

  const numbers = Array.from({ length: options.destinations }, (_, i) => swissMobile(i));
  const accepted = await query(
    service.graphqlUrl,
    FaultsSendMessage,
    {
      input: {
        bulkId: 'during-fault',
        from: 'Omnishop',
        destinations: numbers.map((phoneNumber) => ({ to: { phoneNumber } })),
        viber: { text: { text: 'Your parcel is on its way' } },
        validityPeriod: { amount: VIBER_VALIDITY_SECONDS, timeUnit: 'SECONDS' },
        smsFailover: { from: 'Omnishop', text: 'Your parcel is on its way (SMS)' },
      },
    },
    apiKey,
  );
  if (accepted.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(`bulk refused: ${JSON.stringify(accepted.sendMessage)}`);

  // The fault falls in the middle of dispatch: some sends answered, some on the wire, the rest queued.
  const onWire = () => fake.requests.map(wireRequest).reduce((n, w) => n + w.to.length, 0);
  await waitFor(onWire, (n) => n >= Math.min(100, options.destinations / 4), 20_000, 5);
  const readyz = async () => {
    const gone = died();
    if (gone) throw new Error(gone);
    const res = await fetch(`${service.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    let body: { status: string; reasons?: string[] } | null = null;
    try {
      body = JSON.parse(text) as { status: string; reasons?: string[] };
    } catch {
      body = null;
    }
    return { status: res.status, body };
  };
  await options.fault({ service, readyz });
  const faultEnded = Date.now();
  expect(died(), 'right after the fault').toBeNull();

  // Ready again: database, live events and job worker.
  await waitFor(
    async () => died() ?? (await readyz().catch((e: unknown) => ({ status: 0, body: { status: String(e) } }))),
    (r) => typeof r === 'string' || r.status === 200,
    20_000,
    50,
  ).then((r) => {
    if (typeof r === 'string') throw new Error(r);
  });
  const readyAgainMs = Date.now() - faultEnded;

  // A send after the fault is heard by the subscription opened before it.
  const later = await query(
    service.graphqlUrl,
    FaultsSendMessage,
    { input: { bulkId: 'after-fault', from: 'Omnishop', destinations: [{ to: { phoneNumber: swissMobile(9000) } }], viber: { text: { text: 'After the fault' } } } },
    apiKey,
  );
  if (later.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(`send refused: ${JSON.stringify(later.sendMessage)}`);
  const laterId = later.sendMessage.messages[0]!.messageId;
  await afterFault
    .until((events) => events.some((e) => e.messageStatusChanged.message.messageId === laterId && e.messageStatusChanged.message.status.groupName === 'DELIVERED'), 15_000)
    .catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nthe service's last lines:\n${tail(service.output(), 80)}`);
    });

  // Every message of the bulk final, and delivered (on Viber, or by SMS after a Viber step lost in the fault expired).
  const counters = await waitFor(
    async () => {
      const gone = died();
      if (gone) throw new Error(gone);
      reporter.assertHealthy();
      return (await query(service.graphqlUrl, FaultsBulkCounters, { bulkId: 'during-fault' }, apiKey)).bulk?.counters ?? null;
    },
    (c: FaultsCounters | null) => c !== null && finalCount(c) === options.destinations,
    options.settleMs,
    250,
  );
  expect(counters).toMatchObject({ total: options.destinations, delivered: options.destinations });

  // Nothing doubled: each destination reached the provider at most once per step, and each attempt was claimed once.
  const perStep = new Map<string, number>();
  for (const w of fake.requests.map(wireRequest)) for (const to of w.to) perStep.set(`${w.channel}:${to}`, (perStep.get(`${w.channel}:${to}`) ?? 0) + 1);
  expect([...perStep].filter(([, n]) => n > 1), 'destinations sent more than once on one step').toEqual([]);
  const db = createKysely(testPool(options.databaseUrl, 1));
  try {
    const claimedTwice = await db.selectFrom('attempt').select(['attemptId', 'tries']).where('tries', '>', 1).execute();
    expect(claimedTwice, 'attempts claimed more than once').toEqual([]);
  } finally {
    await db.destroy();
  }
  fake.assertNoViolations();
  expect(died(), 'at the end').toBeNull();

  const errorLines = service.output().split('\n').filter((l) => /"level":(50|60)/.test(l));
  return { service, readyAgainMs, errorLines };
}

/** Kills every connection the service holds on `database` (its pool, worker, event listener). */
export async function terminateBackends(serverUrl: string, database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    // Two statements on purpose: in one, PostgreSQL may evaluate pg_terminate_backend() before the
    // datname filter and end every session on the server.
    const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database]);
    const res = await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as t(pid)', [rows.map((r) => r.pid)]);
    return res.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/** Kills the service's Redis connections (named `<prefix>:publish` / `<prefix>:subscribe`), nobody else's. */
export async function killRedisClients(redisUrl: string, prefix: string): Promise<number> {
  const admin = new Redis(redisUrl);
  try {
    const list = (await admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .map((line) => ({ id: /\bid=(\d+)/.exec(line)?.[1], name: /\bname=(\S*)/.exec(line)?.[1] }))
      .filter((c) => c.id && (c.name === `${prefix}:publish` || c.name === `${prefix}:subscribe`));
    for (const c of ids) await admin.client('KILL', 'ID', c.id!);
    return ids.length;
  } finally {
    admin.disconnect();
  }
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

