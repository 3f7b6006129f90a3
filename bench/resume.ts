/**
 * Resuming a live stream from far back (`npm run bench:resume`; see bench/README.md).
 *
 * The service runs as deployed (a child process, no worker) on a fresh database holding EVENTS stored
 * status events (seeded in SQL over 1,000 accepted messages: seeding them through real deliveries would
 * take minutes and measure dispatch, not resume). A graphql-ws client then subscribes to
 * messageStatusChanged with a cursor EVENTS positions back and counts events until it has them all:
 * that is the resume rate. Beside it, in the same run: a plain `select` of the same rows, the same rows
 * joined with their messages and attempts (what the back-fill reads), and paging them with the `events`
 * query. Printed; JSON to stdout and bench/results/resume.json. Loopback only.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { encodeEventCursor, eventPosition } from '../src/domain/event-cursor.js';
import { assertLocalDatabase, createDatabase, dropDatabase, dropStaleBenchDatabases, withDatabase } from './lib/db.js';
import { expectType, gql, SEND_MESSAGE, wsClient } from './lib/graphql.js';
import { startService, type ServiceProcess } from './lib/service.js';
import { round } from './lib/stats.js';
import { intEnv } from './lib/env.js';
import { publishReport, runBench } from './lib/report.js';
import { DEFAULT_DATABASE_URL, REPO_ROOT } from './lib/paths.js';

const EVENTS = intEnv('BENCH_RESUME_EVENTS', 100_000);
const MESSAGES = 1_000;

const t0 = performance.now();
const log = (msg: string) => process.stderr.write(`[bench:resume ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);

const RESUME = /* GraphQL */ `
  subscription BenchResume($after: String) {
    messageStatusChanged(after: $after) {
      cursor
      occurredAt
      attempt { attemptId channel status { name } }
      message { messageId status { name } }
    }
  }
`;
const PAGE = /* GraphQL */ `
  query BenchEventsPage($after: String) {
    events(after: $after, first: 1000) {
      edges { cursor node { cursor occurredAt ... on MessageStatusEvent { attempt { attemptId status { name } } message { messageId status { name } } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

const rate = (n: number, ms: number) => round((n / ms) * 1000, 0);

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  assertLocalDatabase(serverUrl);
  await dropStaleBenchDatabases(serverUrl, 'omnigate_bench_resume_');
  const dbName = `omnigate_bench_resume_${Date.now()}`;
  const databaseUrl = await createDatabase(serverUrl, dbName);
  let service: ServiceProcess | null = null;
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, dbName) });
  try {
    service = await startService({
      repoRoot: REPO_ROOT,
      env: { DATABASE_URL: databaseUrl, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', WORKER_ENABLED: 'false', LOG_LEVEL: 'info', PUBSUB_PREFIX: dbName },
    });
    const apiKey = service.bootstrapKey;
    log(`service up at ${service.url}; accepting ${MESSAGES} messages (no worker: they stay queued)`);
    const sent = await gql<{ sendMessage: { __typename: string } }>(service.graphqlUrl, apiKey, SEND_MESSAGE, {
      input: {
        bulkId: 'bench-resume',
        from: 'Omnishop',
        destinations: Array.from({ length: MESSAGES }, (_, i) => ({ to: { phoneNumber: `417930${String(i).padStart(4, '0')}4` } })),
        viber: { text: { text: 'Resume bench' } },
      },
    });
    expectType(sent.sendMessage, 'SendMessageSuccess', 'sendMessage');

    await client.connect();
    const { rows: [account] } = await client.query<{ id: string }>('select id from account limit 1');
    log(`seeding ${EVENTS} status events`);
    await client.query(
      `with m as (select row_number() over (order by id) - 1 as i, id, account_id, status, channel from message)
       insert into event (account_id, position, kind, occurred_at, message_ref, attempt_ref, data)
       select m.account_id, g, 'status', now() - (($1::int - g) * interval '1 millisecond'), m.id, a.id,
              jsonb_build_object('ms', m.status, 'me', null, 'mc', m.channel, 'mstep', 0, 'as', a.status, 'ae', null, 'ad', a.dispatch_state)
       from generate_series(1, $1::int) g join m on m.i = g % ${MESSAGES} join attempt a on a.message_ref = m.id`,
      [EVENTS],
    );
    await client.query('insert into event_head (account_id, last_position) values ($1, $2)', [account!.id, EVENTS]);
    await client.query('vacuum analyze event');

    // Baselines, same run: the rows alone, then the rows with what the back-fill joins.
    const plain = await timed(() => client.query('select * from event where account_id = $1 and position > 0 order by position', [account!.id]));
    const joined = await timed(() =>
      client.query(
        `select e.*, m.*, a.* from event e join message m on m.id = e.message_ref left join attempt a on a.id = e.attempt_ref
         where e.account_id = $1 and e.position > 0 order by e.position`,
        [account!.id],
      ),
    );
    log(`plain select: ${plain.value.rowCount} rows in ${plain.ms.toFixed(0)} ms; with messages and attempts: ${joined.ms.toFixed(0)} ms`);

    const after = encodeEventCursor(account!.id, eventPosition(0));
    const ws = wsClient(service.graphqlUrl, apiKey);
    const resumed = await timed(
      () =>
        new Promise<number>((resolve, reject) => {
          let n = 0;
          const dispose = ws.subscribe(
            { query: RESUME, variables: { after } },
            {
              next: (value) => {
                if (value.errors) reject(new Error(JSON.stringify(value.errors)));
                n += 1;
                if (n === EVENTS) {
                  dispose();
                  resolve(n);
                }
              },
              error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
              complete: () => resolve(n),
            },
          );
        }),
    );
    await ws.dispose();
    log(`resumed ${resumed.value} events over graphql-ws in ${resumed.ms.toFixed(0)} ms`);

    const paged = await timed(async () => {
      let n = 0;
      let cursor: string | null = after;
      for (;;) {
        const page: { events: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } = await gql(service!.graphqlUrl, apiKey, PAGE, { after: cursor });
        n += page.events.edges.length;
        if (!page.events.pageInfo.hasNextPage) return n;
        cursor = page.events.pageInfo.endCursor;
      }
    });
    log(`paged ${paged.value} events with the events query in ${paged.ms.toFixed(0)} ms`);

    const result = {
      events: EVENTS,
      resume: { eventsPerSecond: rate(resumed.value, resumed.ms), ms: round(resumed.ms, 0) },
      eventsQuery: { eventsPerSecond: rate(paged.value, paged.ms), ms: round(paged.ms, 0) },
      baseline: {
        plainSelectRowsPerSecond: rate(plain.value.rowCount ?? 0, plain.ms),
        joinedSelectRowsPerSecond: rate(joined.value.rowCount ?? 0, joined.ms),
      },
      ratio: {
        resumeToPlainSelect: round(plain.ms / resumed.ms, 3),
        resumeToJoinedSelect: round(joined.ms / resumed.ms, 3),
      },
    };
    publishReport('resume.json', result);
  } finally {
    await client.end().catch(() => undefined);
    await service?.stop();
    await dropDatabase(serverUrl, dbName);
  }
}

runBench(main);
