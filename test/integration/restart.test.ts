import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { createKysely } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { MessageTrace } from '../documents/foundation.js';
import { SendMessage } from '../documents/operations.js';
import { startInstance } from '../support/app.js';
import { createTestDatabase, testPool } from '../support/database.js';
import { query } from '../support/graphql-client.js';
import { spawnService, type ChildService } from './child-service.js';
import { sleep, waitFor } from './helpers.js';

describe('a crash between accepting and dispatching a message', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let service: ChildService | null = null;
  let restarted: App | null = null;
  let db: Kysely<Database> | null = null;

  afterAll(async () => {
    await service?.kill(); // never leave the child behind, whatever failed
    await restarted?.stop();
    await db?.destroy();
    await database?.drop();
  });

  it('kills the worker between accept and dispatch and shows the message still delivered after restart', async () => {
    database = await createTestDatabase();
    db = createKysely(testPool(database.url, 2));

    // 1. The real service in its own process, API only: it accepts but nothing dispatches.
    service = await spawnService(database.url, { WORKER_ENABLED: 'false' });
    expect(service.graphqlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const apiKey = service.bootstrapKey;
    if (!apiKey) throw new Error(`no bootstrap key printed:\n${service.output()}`);

    const messageId = 'restart-msg-1';
    const sent = await query(
      service.graphqlUrl,
      SendMessage,
      {
        input: {
          bulkId: 'restart-bulk',
          from: 'Omnishop',
          destinations: [{ to: { phoneNumber: '41793026724' }, messageId }],
          viber: { text: { text: 'Survives a crash' } },
        },
      },
      apiKey,
    );
    expect(sent.sendMessage).toMatchObject({ __typename: 'SendMessageSuccess', bulkId: 'restart-bulk' });

    // Still only accepted a while later: no worker runs, so the crash truly falls before dispatch.
    await sleep(500);
    const before = await query(service.graphqlUrl, MessageTrace, { messageId }, apiKey);
    expect(before.message).toMatchObject({ messageId, channel: 'VIBER', status: { groupName: 'PENDING', name: 'PENDING_ACCEPTED' } });
    const queued = await db
      .selectFrom('attempt')
      .innerJoin('message', 'message.id', 'attempt.messageRef')
      .select(['attempt.channel', 'attempt.tries', 'attempt.dispatchState', 'attempt.providerMessageId'])
      .where('message.messageId', '=', messageId)
      .execute();
    expect(queued).toEqual([{ channel: 'VIBER', tries: 0, dispatchState: 'QUEUED', providerMessageId: null }]);

    // 2. The process dies without any shutdown hook running.
    await service.kill();
    expect(service.child.signalCode).toBe('SIGKILL');
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();

    // 3. A new instance with the worker, on the same database, picks the queued dispatch up.
    restarted = await startInstance(database.url);
    const delivered = await waitFor(
      () => query(restarted!.graphqlUrl, MessageTrace, { messageId }, apiKey),
      (r) => r.message?.status.groupName === 'DELIVERED',
      20_000,
    );
    expect(delivered.message).toMatchObject({
      messageId,
      to: '+41793026724',
      channel: 'VIBER',
      status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' },
      attempts: [{ step: 1, channel: 'VIBER', provider: 'SIMULATOR', status: { groupName: 'DELIVERED' } }],
    });

    // 4. Dispatched exactly once: one VIBER attempt, claimed once, one dispatch outcome recorded.
    const attempts = await db
      .selectFrom('attempt')
      .innerJoin('message', 'message.id', 'attempt.messageRef')
      .select(['attempt.id', 'attempt.channel', 'attempt.tries', 'attempt.providerMessageId'])
      .where('message.messageId', '=', messageId)
      .execute();
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ channel: 'VIBER', tries: 1 });
    expect(attempts[0]!.providerMessageId).toMatch(/^sim-/);
    const dispatchEvents = await db
      .selectFrom('statusEvent')
      .select(['source'])
      .where('attemptRef', '=', attempts[0]!.id)
      .where('source', '=', 'dispatch')
      .execute();
    expect(dispatchEvents).toHaveLength(1);
  });
});
