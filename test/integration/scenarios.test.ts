import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteScenarioResult, MessageTrace, ScenarioPage, ScenarioWithFlow, UpdateScenarioFlow } from '../documents/foundation.js';
import { CreateScenario, SendMessage } from '../documents/operations.js';
import type { CreateScenarioInput } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { query } from '../support/graphql-client.js';
import { waitFor } from './helpers.js';

describe('scenarios', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  async function create(input: CreateScenarioInput, apiKey = app.apiKey) {
    const result = await query(app.graphqlUrl, CreateScenario, { input }, apiKey);
    if (result.createScenario.__typename !== 'CreateScenarioSuccess') throw new Error(`create failed: ${JSON.stringify(result)}`);
    return result.createScenario.scenario;
  }
  const read = async (key: string, apiKey = app.apiKey) => (await query(app.graphqlUrl, ScenarioWithFlow, { key }, apiKey)).scenario;

  describe('create, update, delete', () => {
    let firstKey: string;
    let secondKey: string;

    it('gives a new scenario a 32-character upper-case hex key and makes the first one the default', async () => {
      const first = await create({ name: 'Viber only', flow: [{ channel: 'VIBER', from: 'Omnishop' }] });
      expect(first.key).toMatch(/^[0-9A-F]{32}$/);
      expect(first.isDefault).toBe(true);
      expect(first.flow).toEqual([
        // the channel's default validity (Viber 24 h) and failover outcomes when none are given
        { channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 24, timeUnit: 'HOURS' }, failoverOn: expect.arrayContaining(['REJECTED', 'UNDELIVERABLE', 'EXPIRED']) },
      ]);
      firstKey = first.key;
      expect(await read(firstKey)).toMatchObject({ key: firstKey, name: 'Viber only', isDefault: true });
    });

    it('keeps the first as default when a second is created without isDefault', async () => {
      const plain = await create({ name: 'Not default', flow: [{ channel: 'SMS', from: 'Omnishop' }] });
      expect(plain.isDefault).toBe(false);
      expect(plain.key).not.toBe(firstKey);
      expect((await read(firstKey))?.isDefault).toBe(true);
    });

    it('moves the default to a scenario created with isDefault: true, and only one stays default', async () => {
      const second = await create({
        name: 'Viber then SMS',
        isDefault: true,
        flow: [
          { channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 90, timeUnit: 'SECONDS' } },
          { channel: 'SMS', from: 'Omnishop' },
        ],
      });
      secondKey = second.key;
      expect(second.isDefault).toBe(true);
      expect(await read(secondKey)).toMatchObject({ isDefault: true });
      expect(await read(firstKey)).toMatchObject({ isDefault: false });
      const all = await query(app.graphqlUrl, ScenarioPage, { first: 50 }, app.apiKey);
      expect(all.scenarios.edges.filter((e) => e.node.isDefault).map((e) => e.node.key)).toEqual([secondKey]);
    });

    it('updates the name and the flow, and the change reads back', async () => {
      const updated = await query(
        app.graphqlUrl,
        UpdateScenarioFlow,
        {
          key: firstKey,
          input: {
            name: 'SMS then Viber',
            flow: [
              { channel: 'SMS', from: 'Shop', validityPeriod: { amount: 2, timeUnit: 'HOURS' } },
              { channel: 'VIBER', from: 'Omnishop', failoverOn: ['EXPIRED'] },
            ],
          },
        },
        app.apiKey,
      );
      expect(updated.updateScenario.__typename).toBe('UpdateScenarioSuccess');
      const stored = await read(firstKey);
      expect(stored).toMatchObject({
        key: firstKey,
        name: 'SMS then Viber',
        isDefault: false,
        flow: [
          { channel: 'SMS', from: 'Shop', validityPeriod: { amount: 2, timeUnit: 'HOURS' } },
          { channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 24, timeUnit: 'HOURS' }, failoverOn: ['EXPIRED'] },
        ],
      });
      expect(Date.parse(stored!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(stored!.createdAt));

      // a name-only update keeps the flow
      await query(app.graphqlUrl, UpdateScenarioFlow, { key: firstKey, input: { name: 'Renamed' } }, app.apiKey);
      expect(await read(firstKey)).toMatchObject({ name: 'Renamed', flow: [{ channel: 'SMS' }, { channel: 'VIBER' }] });
    });

    it('makes a scenario the default through update, taking it from the previous default', async () => {
      const result = await query(app.graphqlUrl, UpdateScenarioFlow, { key: firstKey, input: { isDefault: true } }, app.apiKey);
      expect(result.updateScenario).toMatchObject({ __typename: 'UpdateScenarioSuccess', scenario: { isDefault: true } });
      expect(await read(secondKey)).toMatchObject({ isDefault: false });
    });

    it('answers NotFoundError to updating a key that names nothing', async () => {
      const result = await query(app.graphqlUrl, UpdateScenarioFlow, { key: '0'.repeat(32), input: { name: 'x' } }, app.apiKey);
      expect(result.updateScenario).toMatchObject({ __typename: 'NotFoundError', key: '0'.repeat(32) });
    });

    it('deletes a scenario: it reads back as null, and deleting it again is a NotFoundError', async () => {
      const deleted = await query(app.graphqlUrl, DeleteScenarioResult, { key: secondKey }, app.apiKey);
      expect(deleted.deleteScenario).toMatchObject({ __typename: 'DeleteScenarioSuccess', scenario: { key: secondKey } });
      expect(await read(secondKey)).toBeNull();
      const list = await query(app.graphqlUrl, ScenarioPage, { first: 50 }, app.apiKey);
      expect(list.scenarios.edges.map((e) => e.node.key)).not.toContain(secondKey);

      const again = await query(app.graphqlUrl, DeleteScenarioResult, { key: secondKey }, app.apiKey);
      expect(again.deleteScenario).toMatchObject({ __typename: 'NotFoundError', key: secondKey });
    });
  });

  describe('pagination', () => {
    it('pages through 5 scenarios two at a time, newest first, with after cursors and a correct hasNextPage', async () => {
      // An account of its own, so exactly these five scenarios exist.
      const { apiKey } = await app.services.accounts.createApiKey('paging-account');
      const keys: string[] = [];
      for (let i = 1; i <= 5; i += 1) keys.push((await create({ name: `S${i}`, flow: [{ channel: 'VIBER', from: 'Omnishop' }] }, apiKey)).key);

      const page1 = (await query(app.graphqlUrl, ScenarioPage, { first: 2 }, apiKey)).scenarios;
      expect(page1.edges.map((e) => e.node.name)).toEqual(['S5', 'S4']);
      expect(page1.pageInfo).toMatchObject({ hasNextPage: true, endCursor: page1.edges[1]!.cursor });

      const page2 = (await query(app.graphqlUrl, ScenarioPage, { first: 2, after: page1.pageInfo.endCursor }, apiKey)).scenarios;
      expect(page2.edges.map((e) => e.node.name)).toEqual(['S3', 'S2']);
      expect(page2.pageInfo.hasNextPage).toBe(true);

      const page3 = (await query(app.graphqlUrl, ScenarioPage, { first: 2, after: page2.pageInfo.endCursor }, apiKey)).scenarios;
      expect(page3.edges.map((e) => e.node.name)).toEqual(['S1']);
      expect(page3.pageInfo.hasNextPage).toBe(false);

      const seen = [...page1.edges, ...page2.edges, ...page3.edges].map((e) => e.node.key);
      expect(seen).toEqual([...keys].reverse());
      expect(new Set([...page1.edges, ...page2.edges, ...page3.edges].map((e) => e.cursor)).size).toBe(5);

      // exactly a page's worth left: the last full page says there is nothing after it
      const exact = (await query(app.graphqlUrl, ScenarioPage, { first: 3, after: page1.pageInfo.endCursor }, apiKey)).scenarios;
      expect(exact.edges.map((e) => e.node.name)).toEqual(['S3', 'S2', 'S1']);
      expect(exact.pageInfo.hasNextPage).toBe(false);
    });
  });

  describe('messages keep the flow they were accepted with', () => {
    const delivered = (messageId: string) =>
      waitFor(
        () => query(app.graphqlUrl, MessageTrace, { messageId }, app.apiKey),
        (r) => ['DELIVERED', 'UNDELIVERABLE', 'REJECTED', 'EXPIRED'].includes(r.message?.status.groupName ?? ''),
        20_000,
      );

    it('delivers on VIBER a message whose scenario was deleted right after it was accepted', async () => {
      const scenario = await create({ name: 'Doomed', flow: [{ channel: 'VIBER', from: 'Omnishop' }] });
      const messageId = 'kept-flow-deleted';
      const sent = await query(
        app.graphqlUrl,
        SendMessage,
        {
          input: {
            scenarioKey: scenario.key,
            destinations: [{ to: { phoneNumber: '41793026754' }, messageId }],
            viber: { text: { text: 'Still on its way' } },
          },
        },
        app.apiKey,
      );
      expect(sent.sendMessage.__typename).toBe('SendMessageSuccess');
      const deleted = await query(app.graphqlUrl, DeleteScenarioResult, { key: scenario.key }, app.apiKey);
      expect(deleted.deleteScenario.__typename).toBe('DeleteScenarioSuccess');

      const final = await delivered(messageId);
      expect(final.message).toMatchObject({
        messageId,
        scenarioKey: scenario.key,
        channel: 'VIBER',
        status: { groupName: 'DELIVERED' },
        attempts: [{ step: 1, channel: 'VIBER', from: 'Omnishop', status: { groupName: 'DELIVERED' } }],
      });
    });

    it('fails over along the accepted flow even when the scenario loses its SMS step right after the send', async () => {
      const scenario = await create({
        name: 'Viber then SMS (to be changed)',
        flow: [
          { channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 2, timeUnit: 'SECONDS' } },
          { channel: 'SMS', from: 'ShopSMS' },
        ],
      });
      const messageId = 'kept-flow-updated';
      await query(
        app.graphqlUrl,
        SendMessage,
        {
          input: {
            scenarioKey: scenario.key,
            // ending 1: Viber accepts and never reports, so the SMS step starts only when the 2 s validity
            // has run out, long after the scenario below has lost that step
            destinations: [{ to: { phoneNumber: '41793026761' }, messageId }],
            viber: { text: { text: 'Hello' } },
            sms: { text: 'Hello by SMS' },
          },
        },
        app.apiKey,
      );
      const updated = await query(
        app.graphqlUrl,
        UpdateScenarioFlow,
        { key: scenario.key, input: { flow: [{ channel: 'VIBER', from: 'Changed' }] } },
        app.apiKey,
      );
      expect(updated.updateScenario.__typename).toBe('UpdateScenarioSuccess');

      const final = await delivered(messageId);
      expect(final.message?.attempts.map((a) => `${a.channel}:${a.from}:${a.status.groupName}`)).toEqual([
        'VIBER:Omnishop:EXPIRED',
        'SMS:ShopSMS:DELIVERED',
      ]);
      expect(final.message).toMatchObject({ channel: 'SMS', status: { groupName: 'DELIVERED' } });
    });
  });
});
