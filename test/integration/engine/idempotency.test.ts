import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSendMessage, EngineSendMessages } from '../../documents/engine.js';
import type { SendMessageInput, SendMessagesInput } from '../../generated/graphql.js';
import { as, caller, countRows, phone, startEngineApp, stopEngineApp, type EngineApp } from './support.js';

describe('idempotent sends', () => {
  let app: EngineApp;
  let gql: ReturnType<typeof caller>;

  const bulksWith = async (bulkId: string) =>
    Number(
      (
        await app.database.db
          .selectFrom('bulk')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('bulkId', '=', bulkId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const messagesOf = async (bulkId: string) =>
    app.database.db.selectFrom('message').select(['messageId', 'toNumber']).where('bulkId', '=', bulkId).orderBy('id').execute();

  beforeAll(async () => {
    app = await startEngineApp();
    gql = caller(app);
  });
  afterAll(async () => {
    await stopEngineApp(app);
  });

  it('returns the first result for the same key and input, storing one bulk', async () => {
    const input: SendMessageInput = {
      idempotencyKey: 'order-1001',
      from: 'Omnishop',
      viber: { text: { text: 'Your order shipped' } },
      destinations: [phone(1, 4), phone(2, 5), phone(3, 6)].map((phoneNumber) => ({ to: { phoneNumber } })),
      callbackData: 'order-1001',
    };
    const first = as((await gql(EngineSendMessage, { input })).sendMessage, 'SendMessageSuccess');
    // The same request again, its fields in another order (a client serialising differently is the same request).
    const reordered = Object.fromEntries(Object.entries(input).reverse()) as SendMessageInput;
    const second = as((await gql(EngineSendMessage, { input: reordered })).sendMessage, 'SendMessageSuccess');

    expect(second.bulkId).toBe(first.bulkId);
    expect(second.messages.map((m) => [m.messageId, m.to])).toEqual(first.messages.map((m) => [m.messageId, m.to]));
    expect(await countRows(app.database.db, 'bulk')).toBe(1);
    expect(await countRows(app.database.db, 'message')).toBe(3);
    expect(await countRows(app.database.db, 'attempt')).toBe(3);
    expect((await messagesOf(first.bulkId)).map((m) => m.messageId)).toEqual(first.messages.map((m) => m.messageId));

    // A sendMessages with its own key is idempotent the same way.
    const many: SendMessagesInput = {
      idempotencyKey: 'campaign-7',
      messages: [
        { from: 'Omnishop', viber: { text: { text: 'A' } }, destinations: [{ to: { phoneNumber: phone(4, 4) } }] },
        { from: 'Omnishop', viber: { text: { text: 'B' } }, destinations: [{ to: { phoneNumber: phone(5, 4) } }, { to: { phoneNumber: phone(6, 4) } }] },
      ],
    };
    const a = as((await gql(EngineSendMessages, { input: many })).sendMessages, 'SendMessageSuccess');
    const b = as((await gql(EngineSendMessages, { input: many })).sendMessages, 'SendMessageSuccess');
    expect(b).toEqual(a);
    expect(await bulksWith(a.bulkId)).toBe(1);
    expect(await messagesOf(a.bulkId)).toHaveLength(3);
    expect(await countRows(app.database.db, 'bulk')).toBe(2);
    expect(await countRows(app.database.db, 'message')).toBe(6);
  });

  it('refuses the same key with a different input, sending nothing', async () => {
    const input: SendMessageInput = {
      idempotencyKey: 'order-2002',
      from: 'Omnishop',
      viber: { text: { text: 'First' } },
      destinations: [{ to: { phoneNumber: phone(10, 4) } }],
    };
    const first = as((await gql(EngineSendMessage, { input })).sendMessage, 'SendMessageSuccess');
    const before = { bulk: await countRows(app.database.db, 'bulk'), message: await countRows(app.database.db, 'message') };

    const changedText = as(
      (await gql(EngineSendMessage, { input: { ...input, viber: { text: { text: 'Second' } } } })).sendMessage,
      'IdempotencyConflictError',
    );
    expect(changedText.key).toBe('order-2002');
    expect(changedText.message).toMatch(/order-2002/);
    const changedTo = as(
      (await gql(EngineSendMessage, { input: { ...input, destinations: [{ to: { phoneNumber: phone(11, 4) } }] } })).sendMessage,
      'IdempotencyConflictError',
    );
    expect(changedTo.key).toBe('order-2002');
    // The same key on the other mutation is a different request too.
    const otherMutation = as(
      (
        await gql(EngineSendMessages, {
          input: { idempotencyKey: 'order-2002', messages: [{ from: 'Omnishop', viber: { text: { text: 'First' } }, destinations: input.destinations }] },
        })
      ).sendMessages,
      'IdempotencyConflictError',
    );
    expect(otherMutation.key).toBe('order-2002');

    expect({ bulk: await countRows(app.database.db, 'bulk'), message: await countRows(app.database.db, 'message') }).toEqual(before);
    // The original still replays.
    const again = as((await gql(EngineSendMessage, { input })).sendMessage, 'SendMessageSuccess');
    expect(again.bulkId).toBe(first.bulkId);
  });

  it('turns 5 concurrent identical requests into one bulk', async () => {
    const input: SendMessageInput = {
      idempotencyKey: 'burst-3003',
      from: 'Omnishop',
      viber: { text: { text: 'Concurrent' } },
      destinations: [phone(20, 4), phone(21, 4)].map((phoneNumber) => ({ to: { phoneNumber } })),
    };
    const bulksBefore = await countRows(app.database.db, 'bulk');
    const messagesBefore = await countRows(app.database.db, 'message');
    const results = await Promise.all(Array.from({ length: 5 }, () => gql(EngineSendMessage, { input })));
    const outcomes = results.map((r) => as(r.sendMessage, 'SendMessageSuccess'));
    const bulkIds = new Set(outcomes.map((o) => o.bulkId));
    expect(bulkIds.size).toBe(1);
    for (const o of outcomes) expect(o.messages.map((m) => m.messageId)).toEqual(outcomes[0]!.messages.map((m) => m.messageId));
    expect(await bulksWith(outcomes[0]!.bulkId)).toBe(1);
    expect(await countRows(app.database.db, 'bulk')).toBe(bulksBefore + 1);
    expect(await countRows(app.database.db, 'message')).toBe(messagesBefore + 2);
    expect(await countRows(app.database.db, 'attempt')).toBe(messagesBefore + 2);
  });

  it('treats a key older than 24 hours as new: a different input goes ahead, and the same input is sent again', async () => {
    const input: SendMessageInput = {
      idempotencyKey: 'order-4004',
      from: 'Omnishop',
      viber: { text: { text: 'Yesterday' } },
      destinations: [{ to: { phoneNumber: phone(30, 4) } }],
    };
    const first = as((await gql(EngineSendMessage, { input })).sendMessage, 'SendMessageSuccess');
    // A day and a minute pass (the key's age is what the rule reads).
    const age = async () =>
      app.database.db
        .updateTable('idempotencyKey')
        .set({ createdAt: new Date(Date.now() - 24 * 3600_000 - 60_000) })
        .where('key', '=', 'order-4004')
        .execute();
    await age();
    const changed = as(
      (await gql(EngineSendMessage, { input: { ...input, viber: { text: { text: 'Today' } } } })).sendMessage,
      'SendMessageSuccess',
    );
    expect(changed.bulkId).not.toBe(first.bulkId);
    // Within 24 hours of that new use the key replays it, and the old input is now the conflict.
    const replayed = as((await gql(EngineSendMessage, { input: { ...input, viber: { text: { text: 'Today' } } } })).sendMessage, 'SendMessageSuccess');
    expect(replayed.bulkId).toBe(changed.bulkId);
    as((await gql(EngineSendMessage, { input })).sendMessage, 'IdempotencyConflictError');

    await age();
    const sameAgain = as((await gql(EngineSendMessage, { input })).sendMessage, 'SendMessageSuccess');
    expect(new Set([first.bulkId, changed.bulkId, sameAgain.bulkId]).size).toBe(3);
    expect((await messagesOf(sameAgain.bulkId)).map((m) => m.toNumber)).toEqual([`+${phone(30, 4)}`]);
  });
});
