import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateScenario, ListMessages, OnMessageStatus, SendMessage } from '../documents/operations.js';
import type { CreateScenarioInput, OnMessageStatusSubscription } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { query, Subscription, wsClient } from '../support/graphql-client.js';

type Event = OnMessageStatusSubscription['messageStatusChanged'];

describe('VIBER → SMS failover on the simulator, end to end', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
    await app.dropDatabase();
  });

  const createScenario = async (name: string, flow: CreateScenarioInput['flow']) => {
    const created = await query(app.graphqlUrl, CreateScenario, { input: { name, flow } }, app.apiKey);
    if (created.createScenario.__typename !== 'CreateScenarioSuccess') throw new Error(JSON.stringify(created));
    return created.createScenario.scenario;
  };

  it('fails over rejected and expired Viber attempts to SMS and reports every step live and in reports', async () => {
    const scenario = await createScenario('Viber then SMS', [
      { channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 2, timeUnit: 'SECONDS' } },
      { channel: 'SMS', from: 'Omnishop' },
    ]);
    const scenarioKey = scenario.key;
    expect(scenarioKey).toMatch(/^[0-9A-F]{32}$/);
    expect(scenario.isDefault).toBe(true);

    const client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const events = new Subscription(client, OnMessageStatus, { filter: { bulkId: 'e2e-bulk' } });
    await connected;
    await new Promise((r) => setTimeout(r, 200)); // let the server register the subscription

    const sent = await query(
      app.graphqlUrl,
      SendMessage,
      {
        input: {
          bulkId: 'e2e-bulk',
          scenarioKey,
          destinations: ['41793026720', '41793026721', '41793026722', '41793026724'].map((phoneNumber) => ({ to: { phoneNumber } })),
          viber: { text: { text: 'Your parcel is on its way' } },
          sms: { text: 'Your parcel is on its way (SMS)' },
          callbackData: 'order-42',
        },
      },
      app.apiKey,
    );
    if (sent.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(JSON.stringify(sent));
    expect(sent.sendMessage.bulkId).toBe('e2e-bulk');
    expect(sent.sendMessage.messages.map((m) => [m.to, m.status.name])).toEqual([
      ['+41793026720', 'PENDING_ACCEPTED'],
      ['+41793026721', 'PENDING_ACCEPTED'],
      ['+41793026722', 'PENDING_ACCEPTED'],
      ['+41793026724', 'PENDING_ACCEPTED'],
    ]);

    const finalOf = (evs: Array<{ messageStatusChanged: Event }>, to: string) =>
      evs
        .map((e) => e.messageStatusChanged)
        .filter((e) => e.message.to === to && ['DELIVERED', 'UNDELIVERABLE', 'REJECTED', 'EXPIRED'].includes(e.message.status.groupName))
        .at(-1);
    const seen = await events.until((evs) => ['0', '1', '2', '4'].every((d) => finalOf(evs, `+4179302672${d}`)), 20_000);
    events.close();
    await client.dispose();

    const live = (to: string) => seen.map((e) => e.messageStatusChanged).filter((e) => e.message.to === to);
    const attemptStatuses = (to: string) => live(to).flatMap((e) => (e.attempt ? [`${e.attempt.channel}:${e.attempt.status.groupName}`] : []));

    expect(attemptStatuses('+41793026720')).toContain('VIBER:REJECTED');
    expect(finalOf(seen, '+41793026720')?.message).toMatchObject({ channel: 'SMS', status: { groupName: 'DELIVERED' } });
    expect(attemptStatuses('+41793026721')).toContain('VIBER:EXPIRED');
    expect(finalOf(seen, '+41793026721')?.message).toMatchObject({ channel: 'SMS', status: { groupName: 'DELIVERED' } });
    expect(attemptStatuses('+41793026722')).toContain('VIBER:REJECTED');
    expect(finalOf(seen, '+41793026722')?.message).toMatchObject({ channel: 'SMS', status: { groupName: 'UNDELIVERABLE' } });
    expect(attemptStatuses('+41793026724')).not.toContain('VIBER:REJECTED');
    expect(finalOf(seen, '+41793026724')?.message).toMatchObject({ channel: 'VIBER', status: { groupName: 'DELIVERED' } });

    const report = await query(app.graphqlUrl, ListMessages, { filter: { bulkId: 'e2e-bulk' }, first: 10 }, app.apiKey);
    const byTo = new Map(report.messages.edges.map((e) => [e.node.to, e.node]));
    const path = (to: string) => byTo.get(to)!.attempts.map((a) => `${a.channel}:${a.status.name}`);
    expect(path('+41793026720')).toEqual(['VIBER:REJECTED_DESTINATION_NOT_REGISTERED', 'SMS:DELIVERED_TO_HANDSET']);
    expect(path('+41793026721')).toEqual(['VIBER:EXPIRED_EXPIRED', 'SMS:DELIVERED_TO_HANDSET']);
    expect(path('+41793026722')).toEqual(['VIBER:REJECTED_DESTINATION_NOT_REGISTERED', 'SMS:UNDELIVERABLE_NOT_DELIVERED']);
    expect(path('+41793026724')).toEqual(['VIBER:DELIVERED_TO_HANDSET']);
    const undeliverable = byTo.get('+41793026722')!;
    expect(undeliverable).toMatchObject({ channel: 'SMS', status: { groupId: 2, groupName: 'UNDELIVERABLE' }, callbackData: 'order-42' });
    expect(undeliverable.error).toMatchObject({ permanent: true });
    for (const m of byTo.values()) {
      expect(m.sentAt).not.toBeNull();
      expect(m.doneAt).not.toBeNull();
      expect(m.attempts.every((a) => a.provider === 'SIMULATOR')).toBe(true);
    }
    // newest first: the bulk's four messages come back in reverse order of acceptance
    expect(report.messages.edges.map((e) => e.node.to)).toEqual(['+41793026724', '+41793026722', '+41793026721', '+41793026720']);
  });

  it("moves on only for the outcomes in the step's failoverOn: a rejection stays REJECTED on Viber, an expiry goes to SMS", async () => {
    const scenario = await createScenario('Viber, SMS only when Viber expires', [
      { channel: 'VIBER', from: 'Omnishop', validityPeriod: { amount: 2, timeUnit: 'SECONDS' }, failoverOn: ['EXPIRED'] },
      { channel: 'SMS', from: 'Omnishop' },
    ]);
    const sent = await query(
      app.graphqlUrl,
      SendMessage,
      {
        input: {
          bulkId: 'failover-on-bulk',
          scenarioKey: scenario.key,
          destinations: ['41793026720', '41793026721'].map((phoneNumber) => ({ to: { phoneNumber } })),
          viber: { text: { text: 'Your parcel is on its way' } },
          sms: { text: 'Your parcel is on its way (SMS)' },
        },
      },
      app.apiKey,
    );
    if (sent.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(JSON.stringify(sent));

    const deadline = Date.now() + 20_000;
    let byTo = new Map<string, { channel: string; status: { groupName: string }; attempts: Array<{ channel: string; status: { name: string } }> }>();
    const settled = () => ['+41793026720', '+41793026721'].every((to) => ['DELIVERED', 'REJECTED'].includes(byTo.get(to)?.status.groupName ?? ''));
    while (!settled() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const report = await query(app.graphqlUrl, ListMessages, { filter: { bulkId: 'failover-on-bulk' }, first: 10 }, app.apiKey);
      byTo = new Map(report.messages.edges.map((e) => [e.node.to, e.node]));
    }
    const path = (to: string) => byTo.get(to)?.attempts.map((a) => `${a.channel}:${a.status.name}`);
    // REJECTED is not in this step's failoverOn: the message ends with the Viber attempt's outcome.
    expect(path('+41793026720')).toEqual(['VIBER:REJECTED_DESTINATION_NOT_REGISTERED']);
    expect(byTo.get('+41793026720')).toMatchObject({ channel: 'VIBER', status: { groupName: 'REJECTED' } });
    expect(path('+41793026721')).toEqual(['VIBER:EXPIRED_EXPIRED', 'SMS:DELIVERED_TO_HANDSET']);
    expect(byTo.get('+41793026721')).toMatchObject({ channel: 'SMS', status: { groupName: 'DELIVERED' } });
  });
  it("shows each live event's message with its attempts as they are at that event, not as the subscription first saw them", async () => {
    const scenario = await createScenario('Viber then SMS, live attempts', [
      { channel: 'VIBER', from: 'Omnishop' },
      { channel: 'SMS', from: 'Omnishop' },
    ]);
    type Live = { messageStatusChanged: { message: { status: { groupName: string }; attempts: Array<{ channel: string; status: { name: string } }> } } };
    // One subscription sees the same message several times: its attempts must not be cached from the first.
    const doc = parse(`subscription { messageStatusChanged(filter: { bulkId: "live-attempts" }) {
      message { status { groupName } attempts { channel status { name } } } } }`) as TypedDocumentNode<Live, Record<string, never>>;
    const client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const events = new Subscription(client, doc, {});
    await connected;
    await new Promise((r) => setTimeout(r, 200));
    const sent = await query(
      app.graphqlUrl,
      SendMessage,
      {
        input: {
          bulkId: 'live-attempts',
          scenarioKey: scenario.key,
          destinations: [{ to: { phoneNumber: '41793026720' } }], // simulator: Viber rejects, SMS delivers
          viber: { text: { text: 'Your parcel is on its way' } },
          sms: { text: 'Your parcel is on its way (SMS)' },
        },
      },
      app.apiKey,
    );
    if (sent.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(JSON.stringify(sent));
    const seen = await events.until((evs) => evs.some((e) => e.messageStatusChanged.message.status.groupName === 'DELIVERED'), 20_000);
    events.close();
    await client.dispose();
    const final = seen.map((e) => e.messageStatusChanged).find((e) => e.message.status.groupName === 'DELIVERED')!;
    expect(final.message.attempts.map((a) => `${a.channel}:${a.status.name}`)).toEqual([
      'VIBER:REJECTED_DESTINATION_NOT_REGISTERED',
      'SMS:DELIVERED_TO_HANDSET',
    ]);
  });
});
