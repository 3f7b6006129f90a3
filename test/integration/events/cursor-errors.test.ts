import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEventCursor, eventPosition } from '../../../src/domain/event-cursor.js';
import { EventsPage, EventsSendMessage, ResumeInbound, ResumeMessageStatus } from '../../documents/events.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { query, wsClient } from '../../support/graphql-client.js';
import { rawPost, waitFor } from '../helpers.js';

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; argument?: string; fieldErrors?: Array<{ path: string[] }> };
}

/** The first error a subscription ends with (graphql-ws sends a subscribe-time error as a result with errors). */
async function subscriptionError<R, V>(url: string, apiKey: string, document: TypedDocumentNode<R, V>, variables: V): Promise<GraphQLErrorShape> {
  const client = wsClient(url, { authorization: `App ${apiKey}` });
  try {
    return await new Promise<GraphQLErrorShape>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no error within 10 s')), 10_000);
      client.subscribe(
        { query: print(document), variables: variables as Record<string, unknown> },
        {
          next: (value) => {
            if (value.errors?.length) {
              clearTimeout(timer);
              resolve(value.errors[0] as unknown as GraphQLErrorShape);
            } else reject(new Error(`got data instead of an error: ${JSON.stringify(value.data)}`));
          },
          error: (err) => {
            clearTimeout(timer);
            resolve((Array.isArray(err) ? err[0] : err) as GraphQLErrorShape);
          },
          complete: () => undefined,
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

/** The first event of a subscription (it must not fail). */
async function firstEvent<R, V>(url: string, apiKey: string, document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  const client = wsClient(url, { authorization: `App ${apiKey}` });
  try {
    return await new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no event within 10 s')), 10_000);
      client.subscribe<R>(
        { query: print(document), variables: variables as Record<string, unknown> },
        {
          next: (value) => {
            clearTimeout(timer);
            if (value.errors?.length || !value.data) reject(new Error(JSON.stringify(value.errors)));
            else resolve(value.data as R);
          },
          error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
          complete: () => undefined,
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('cursor arguments', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let accountId: string;
  let otherKey: string;
  let otherAccountId: string;

  const send = async (apiKey: string, bulkId: string, n: number) => {
    const sent = await query(
      app.graphqlUrl,
      EventsSendMessage,
      { input: { bulkId, from: 'Omnishop', destinations: [{ to: { phoneNumber: `417930${String(n).padStart(4, '0')}4` } }], viber: { text: { text: 'Hi' } } } },
      apiKey,
    );
    expect(sent.sendMessage.__typename).toBe('SendMessageSuccess');
  };
  const eventCount = async (account: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from event where account_id = ${account}`.execute(app.database.db)).rows[0]!.n);

  beforeAll(async () => {
    app = await startTestApp({ EVENT_RETENTION_DAYS: '7' });
    accountId = (await app.database.db.selectFrom('account').select('id').executeTakeFirstOrThrow()).id;
    const other = await app.services.accounts.createApiKey('cursor-other-account');
    otherKey = other.apiKey;
    otherAccountId = (await app.database.db.selectFrom('account').select('id').where('name', '=', 'cursor-other-account').executeTakeFirstOrThrow()).id;
    await send(app.apiKey, 'cursors-1', 1);
    await send(app.apiKey, 'cursors-2', 2);
    await send(otherKey, 'cursors-other', 3);
    await waitFor(() => eventCount(accountId), (n) => n >= 4);
    await waitFor(() => eventCount(otherAccountId), (n) => n >= 2);
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  const otherCursor = () => encodeEventCursor(otherAccountId, eventPosition(1));
  const edited = () => {
    const good = encodeEventCursor(accountId, eventPosition(1));
    return `${good.slice(0, 3)}${good[3] === 'A' ? 'B' : 'A'}${good.slice(4)}`;
  };
  const badCursors = () => [
    ['malformed', 'not a cursor'],
    ['empty', ''],
    ['another list\'s cursor', Buffer.from('message:12').toString('base64url')],
    ['edited', edited()],
    ["another account's", otherCursor()],
  ] as const;

  function expectBadCursor(error: GraphQLErrorShape, label: string): void {
    expect(error.extensions?.code, label).toBe('BAD_CURSOR');
    expect(error.extensions?.argument, label).toBe('after');
    expect(error.extensions?.fieldErrors?.[0]?.path, label).toEqual(['after']);
    // Reveals nothing: one message for every bad cursor, naming neither positions nor accounts.
    expect(error.message, label).toBe("after is not a cursor of this account's events");
    expect(error.message).not.toContain(otherAccountId);
  }

  it('a malformed, edited, foreign-list or other account\'s cursor is BAD_CURSOR naming `after`, for both subscriptions and the query', async () => {
    for (const [label, after] of badCursors()) {
      expectBadCursor(await subscriptionError(app.graphqlUrl, app.apiKey, ResumeMessageStatus, { after }), `messageStatusChanged, ${label}`);
      expectBadCursor(await subscriptionError(app.graphqlUrl, app.apiKey, ResumeInbound, { after }), `inboundMessageReceived, ${label}`);
      const listed = await rawPost(app.graphqlUrl, { query: EventsPage, variables: { after } }, { authorization: `App ${app.apiKey}` });
      expect(listed.json.data).toBeNull();
      expectBadCursor(listed.json.errors[0], `events, ${label}`);
    }
  });

  it('the other account reads its own cursor fine: the refusal above is about whose cursor it is', async () => {
    const page = await query(app.graphqlUrl, EventsPage, { after: otherCursor() }, otherKey);
    expect(page.events.edges.length).toBeGreaterThan(0);
  });

  it('a cursor older than EVENT_RETENTION_DAYS is CURSOR_EXPIRED; one at the edge of what is kept still resumes', async () => {
    const db = app.database.db;
    // The account's first two events were written eight days ago; retention deletes them.
    await sql`update event set recorded_at = now() - interval '8 days' where account_id = ${accountId} and position <= 2`.execute(db);
    const report = await app.services.retention.run();
    expect(report.events).toBe(2);
    const expired = encodeEventCursor(accountId, eventPosition(1));
    for (const error of [
      await subscriptionError(app.graphqlUrl, app.apiKey, ResumeMessageStatus, { after: expired }),
      (await rawPost(app.graphqlUrl, { query: EventsPage, variables: { after: expired } }, { authorization: `App ${app.apiKey}` })).json.errors[0],
    ]) {
      expect(error.extensions?.code).toBe('CURSOR_EXPIRED');
      expect(error.extensions?.argument).toBe('after');
    }
    // Everything after position 2 is kept: resuming there works and starts with the first status event after it.
    const edge = encodeEventCursor(accountId, eventPosition(2));
    const first = await firstEvent(app.graphqlUrl, app.apiKey, ResumeMessageStatus, { after: edge });
    const { rows } = await sql<{ position: string }>`
      select min(position) as position from event where account_id = ${accountId} and kind in ('status', 'seen') and position > 2`.execute(db);
    expect(first.messageStatusChanged.cursor).toBe(encodeEventCursor(accountId, eventPosition(Number(rows[0]!.position))));
    // The other account's log is untouched.
    expect(await eventCount(otherAccountId)).toBeGreaterThanOrEqual(2);
  });
});
