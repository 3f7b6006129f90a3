import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBulk, EngineCreateScenario, EngineSendMessages } from '../../documents/engine.js';
import type { EngineBulkQuery, SendMessagesInput } from '../../generated/graphql.js';
import { as, caller, countRows, phone, startEngineApp, stopEngineApp, waitFor, type EngineApp } from './support.js';

type BulkView = NonNullable<EngineBulkQuery['bulk']>;

describe('sendMessages: one bulk of mixed entries', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;
  let viberThenSms: string;
  let smsOnly: string;

  /** Waits until no earlier message is still moving, so row counts only change through the request under test. */
  const quiet = () =>
    waitFor(
      () => app.database.db.selectFrom('message').select('id').where('statusGroup', 'in', ['ACCEPTED', 'PENDING']).execute(),
      (open) => open.length === 0,
    );
  const stored = async () => ({
    bulk: await countRows(app.database.db, 'bulk'),
    message: await countRows(app.database.db, 'message'),
    attempt: await countRows(app.database.db, 'attempt'),
    statusEvent: await countRows(app.database.db, 'statusEvent'),
    idempotencyKey: await countRows(app.database.db, 'idempotencyKey'),
  });

  beforeAll(async () => {
    app = await startEngineApp();
    gql = caller(app);
    const a = await gql(EngineCreateScenario, {
      input: { name: 'Viber then SMS', flow: [{ channel: 'VIBER', from: 'Omnishop' }, { channel: 'SMS', from: 'Omnishop' }] },
    });
    viberThenSms = as(a.createScenario, 'CreateScenarioSuccess').scenario.key;
    const b = await gql(EngineCreateScenario, { input: { name: 'SMS only', flow: [{ channel: 'SMS', from: 'InfoSMS' }] } });
    smsOnly = as(b.createScenario, 'CreateScenarioSuccess').scenario.key;
  });
  afterAll(async () => {
    await stopEngineApp(app);
  });

  it('accepts three different entries as one bulk, counts them per group until FINISHED, and lists them', async () => {
    const to = {
      e1Reject: phone(1, 0), // Viber rejects → SMS delivers
      e1Viber: phone(2, 4), // Viber delivers
      e2Sms: phone(3, 5), // SMS delivers
      e2Undeliverable: phone(4, 2), // SMS undeliverable
      e3Reject: phone(5, 0), // inline smsFailover: Viber rejects → SMS delivers
      e3Viber: phone(6, 6), // Viber delivers
    };
    const input: SendMessagesInput = {
      messages: [
        {
          scenarioKey: viberThenSms,
          destinations: [{ to: { phoneNumber: to.e1Reject } }, { to: { phoneNumber: to.e1Viber } }],
          viber: { text: { text: 'entry-1 viber' } },
          sms: { text: 'entry-1 sms' },
          callbackData: 'cb-entry-1',
        },
        {
          scenarioKey: smsOnly,
          destinations: [{ to: { phoneNumber: to.e2Sms } }, { to: { phoneNumber: to.e2Undeliverable } }],
          sms: { text: 'entry-2 sms' },
          callbackData: 'cb-entry-2',
        },
        {
          from: 'ShopViber',
          destinations: [{ to: { phoneNumber: to.e3Reject } }, { to: { phoneNumber: to.e3Viber } }],
          viber: { text: { text: 'entry-3 viber' } },
          smsFailover: { from: 'ShopSMS', text: 'entry-3 failover sms' },
          callbackData: 'cb-entry-3',
        },
      ],
    };
    const sent = as((await gql(EngineSendMessages, { input })).sendMessages, 'SendMessageSuccess');
    expect(sent.bulkId).toMatch(/\S/);
    expect(sent.messages.map((m) => [m.to, m.status.name])).toEqual(
      Object.values(to).map((n) => [`+${n}`, 'PENDING_ACCEPTED']),
    );
    expect(new Set(sent.messages.map((m) => m.messageId)).size).toBe(6);

    // Every snapshot on the way adds up to the bulk's six messages; the last one has all of them final.
    const snapshots: BulkView[] = [];
    const done = await waitFor(
      async () => {
        const b = (await gql(EngineBulk, { bulkId: sent.bulkId, first: 50 })).bulk;
        if (b) snapshots.push(b);
        return b;
      },
      (b) => b?.status === 'FINISHED',
      30_000,
    );
    for (const s of snapshots) {
      const { total, accepted, pending, delivered, undeliverable, expired, rejected } = s.counters;
      expect(total).toBe(6);
      expect(accepted + pending + delivered + undeliverable + expired + rejected).toBe(6);
      expect(['PROCESSING', 'FINISHED']).toContain(s.status);
    }
    expect(done!.counters).toEqual({ total: 6, accepted: 0, pending: 0, delivered: 5, undeliverable: 1, expired: 0, rejected: 0 });
    expect(done!.sendAt).toBeNull();
    expect(done!.sendingSpeedLimit).toBeNull();

    // The bulk's messages connection lists all six, each with its own entry's scenario, callbackData and path.
    const nodes = done!.messages.edges.map((e) => e.node);
    expect(done!.messages.pageInfo.hasNextPage).toBe(false);
    expect(nodes.map((n) => n.to).sort()).toEqual(Object.values(to).map((n) => `+${n}`).sort());
    expect(nodes.every((n) => n.bulkId === sent.bulkId)).toBe(true);
    expect(nodes.map((n) => n.messageId).sort()).toEqual(sent.messages.map((m) => m.messageId).sort());
    const node = (n: string) => nodes.find((x) => x.to === `+${n}`)!;
    const path = (n: string) => node(n).attempts.map((a) => `${a.channel}:${a.from}:${a.status.name}`);

    expect(node(to.e1Reject)).toMatchObject({ scenarioKey: viberThenSms, callbackData: 'cb-entry-1', channel: 'SMS', status: { groupName: 'DELIVERED' } });
    expect(path(to.e1Reject)).toEqual(['VIBER:Omnishop:REJECTED_DESTINATION_NOT_REGISTERED', 'SMS:Omnishop:DELIVERED_TO_HANDSET']);
    expect(node(to.e1Viber)).toMatchObject({ scenarioKey: viberThenSms, callbackData: 'cb-entry-1', channel: 'VIBER', status: { groupName: 'DELIVERED' } });
    expect(path(to.e1Viber)).toEqual(['VIBER:Omnishop:DELIVERED_TO_HANDSET']);

    expect(node(to.e2Sms)).toMatchObject({ scenarioKey: smsOnly, callbackData: 'cb-entry-2', channel: 'SMS', status: { groupName: 'DELIVERED' } });
    expect(path(to.e2Sms)).toEqual(['SMS:InfoSMS:DELIVERED_TO_HANDSET']);
    expect(node(to.e2Undeliverable)).toMatchObject({ scenarioKey: smsOnly, callbackData: 'cb-entry-2', status: { groupName: 'UNDELIVERABLE' } });
    expect(path(to.e2Undeliverable)).toEqual(['SMS:InfoSMS:UNDELIVERABLE_NOT_DELIVERED']);

    expect(node(to.e3Reject)).toMatchObject({ scenarioKey: null, callbackData: 'cb-entry-3', channel: 'SMS', status: { groupName: 'DELIVERED' } });
    expect(path(to.e3Reject)).toEqual(['VIBER:ShopViber:REJECTED_DESTINATION_NOT_REGISTERED', 'SMS:ShopSMS:DELIVERED_TO_HANDSET']);
    expect(node(to.e3Viber)).toMatchObject({ scenarioKey: null, callbackData: 'cb-entry-3', channel: 'VIBER', status: { groupName: 'DELIVERED' } });
    expect(path(to.e3Viber)).toEqual(['VIBER:ShopViber:DELIVERED_TO_HANDSET']);

    // Each entry's own content went out on each channel (content is not exposed by the API: read it back from the DB).
    const contents = await app.database.db
      .selectFrom('attempt as a')
      .innerJoin('message as m', 'm.id', 'a.messageRef')
      .select(['m.toNumber', 'a.channel', sql<string>`a.content->>'text'`.as('text')])
      .where('m.bulkId', '=', sent.bulkId)
      .execute();
    const textOf = (n: string, channel: string) => contents.filter((c) => c.toNumber === `+${n}` && c.channel === channel).map((c) => c.text);
    expect(textOf(to.e1Reject, 'VIBER')).toEqual(['entry-1 viber']);
    expect(textOf(to.e1Reject, 'SMS')).toEqual(['entry-1 sms']);
    expect(textOf(to.e2Sms, 'SMS')).toEqual(['entry-2 sms']);
    expect(textOf(to.e3Reject, 'VIBER')).toEqual(['entry-3 viber']);
    expect(textOf(to.e3Reject, 'SMS')).toEqual(['entry-3 failover sms']);
  });

  it('refuses the whole request when entry 2 has one bad destination, storing nothing', async () => {
    await quiet();
    const before = await stored();
    const result = as(
      (
        await gql(EngineSendMessages, {
          input: {
            bulkId: 'bad-destination-bulk',
            messages: [
              { scenarioKey: viberThenSms, destinations: [{ to: { phoneNumber: phone(10, 4) } }], viber: { text: { text: 'ok' } }, sms: { text: 'ok' } },
              {
                scenarioKey: smsOnly,
                destinations: [{ to: { phoneNumber: phone(11, 5) } }, { to: { phoneNumber: '12345' } }, { to: { phoneNumber: phone(12, 5) } }],
                sms: { text: 'ok' },
              },
              { from: 'ShopViber', destinations: [{ to: { phoneNumber: phone(13, 6) } }], viber: { text: { text: 'ok' } }, smsFailover: { from: 'ShopSMS', text: 'ok' } },
            ],
          },
        })
      ).sendMessages,
      'ValidationError',
    );
    expect(result.fieldErrors).toHaveLength(1);
    expect(result.fieldErrors[0]!.path.slice(0, 5)).toEqual(['input', 'messages', '1', 'destinations', '1']);
    expect(result.fieldErrors[0]!.path).toEqual(['input', 'messages', '1', 'destinations', '1', 'to', 'phoneNumber']);
    expect(await stored()).toEqual(before);
    expect((await gql(EngineBulk, { bulkId: 'bad-destination-bulk', first: 1 })).bulk).toBeNull();
  });

  it('rolls back the bulk row when entry 2 turns out bad inside the transaction (a messageId already used)', async () => {
    const first = as(
      (
        await gql(EngineSendMessages, {
          input: { messages: [{ scenarioKey: smsOnly, destinations: [{ to: { phoneNumber: phone(20, 5) }, messageId: 'taken-id' }], sms: { text: 'x' } }] },
        })
      ).sendMessages,
      'SendMessageSuccess',
    );
    expect(first.messages[0]!.messageId).toBe('taken-id');
    await quiet();
    const before = await stored();
    const result = as(
      (
        await gql(EngineSendMessages, {
          input: {
            bulkId: 'rolled-back-bulk',
            messages: [
              { scenarioKey: smsOnly, destinations: [{ to: { phoneNumber: phone(21, 5) } }], sms: { text: 'x' } },
              { scenarioKey: smsOnly, destinations: [{ to: { phoneNumber: phone(22, 5) }, messageId: 'taken-id' }], sms: { text: 'x' } },
            ],
          },
        })
      ).sendMessages,
      'ValidationError',
    );
    expect(result.fieldErrors.map((f) => f.path)).toEqual([['input', 'messages', '1', 'destinations', '0', 'messageId']]);
    expect(await stored()).toEqual(before);
    expect((await gql(EngineBulk, { bulkId: 'rolled-back-bulk', first: 1 })).bulk).toBeNull();
  });

  it('refuses 10,001 destinations spread over several entries, storing nothing', async () => {
    await quiet();
    const before = await stored();
    const sizes = [3334, 3334, 3333];
    let n = 0;
    const messages = sizes.map((size) => ({
      scenarioKey: smsOnly,
      destinations: Array.from({ length: size }, () => {
        n += 1;
        return { to: { phoneNumber: `417931${String(n).padStart(5, '0')}` } };
      }),
      sms: { text: 'too many' },
    }));
    expect(messages.every((m) => m.destinations.length <= 10_000)).toBe(true);
    const result = as((await gql(EngineSendMessages, { input: { messages } })).sendMessages, 'ValidationError');
    expect(result.fieldErrors).toEqual([{ path: ['input', 'messages'], message: expect.stringMatching(/10000.*10001|10,000/) }]);
    expect(await stored()).toEqual(before);
  });

  it('refuses 101 entries, storing nothing', async () => {
    await quiet();
    const before = await stored();
    const messages = Array.from({ length: 101 }, (_, i) => ({
      scenarioKey: smsOnly,
      destinations: [{ to: { phoneNumber: phone(100 + i, 5) } }],
      sms: { text: `entry ${i}` },
    }));
    const result = as((await gql(EngineSendMessages, { input: { messages } })).sendMessages, 'ValidationError');
    expect(result.fieldErrors).toEqual([{ path: ['input', 'messages'], message: expect.stringMatching(/100/) }]);
    expect(await stored()).toEqual(before);
  });
});
