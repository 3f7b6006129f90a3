import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { countRows, rawPost, sleep, waitFor, type RawResult } from './helpers.js';

/**
 * Server-side request forgery: URLs the service will call (report webhooks, provider base URLs) must not
 * reach loopback, private, link-local, CGNAT, unspecified or metadata addresses — refused when given, and
 * refused again when connecting, for an address that changed since (DNS rebinding; simulated here by
 * writing the URL straight into the database). Every address used is on this machine or never contacted:
 * public addresses are only ever stored with the worker off.
 */

/** Counts whatever reaches it; stands for a service on the operator's own machine. */
class Receiver {
  requests = 0;
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests++;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const HOSTILE = [
  'http://127.0.0.1:9/hook',
  'http://localhost:9/hook',
  'http://[::1]:9/hook',
  'http://0.0.0.0:9/hook',
  'http://2130706433:9/hook',
  'http://[::ffff:127.0.0.1]:9/hook',
  'http://10.0.0.1/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.1/hook',
  'http://100.64.0.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[fe80::1]/hook',
  'http://[fc00::1]/hook',
];

/** A public address, only ever stored (the worker is off where it is used), never called. */
const PUBLIC = 'https://93.184.215.14/hook';

function fieldErrors(result: RawResult, field: string): Array<{ path: string[]; message: string }> {
  expect(result.status, result.text).toBe(200);
  const data = result.json.data[field];
  expect(data.__typename, result.text).toBe('ValidationError');
  return data.fieldErrors;
}

describe('outbound URLs, when given', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let auth: Record<string, string>;
  const post = (query: string, variables: Record<string, unknown> = {}) => rawPost(app.graphqlUrl, { query, variables }, auth);

  beforeAll(async () => {
    app = await startTestApp({ ALLOW_PRIVATE_URLS: 'false', WORKER_ENABLED: 'false' });
    auth = { authorization: `App ${app.apiKey}` };
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  it.each(HOSTILE)('sendMessage refuses the webhook %s, naming the field, and stores nothing', async (url) => {
    const result = await post(
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
      { input: { from: 'Omnishop', destinations: [{ to: { phoneNumber: '+41793026724' } }], viber: { text: { text: 'Hi' } }, webhooks: { delivery: { url } } } },
    );
    const errors = fieldErrors(result, 'sendMessage');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toEqual(['input', 'webhooks', 'delivery', 'url']);
    expect(errors[0]!.message).toMatch(/must not point at a loopback, private, link-local or other non-public address \(.*(loopback|private|link-local|carrier-grade|unspecified|metadata).*\)/);
    expect(await countRows(app.database.db, 'message')).toBe(0);
  });

  it('sendMessages names the entry whose webhook is private', async () => {
    const entry = (url: string) => ({ from: 'Omnishop', destinations: [{ to: { phoneNumber: '+41793026724' } }], viber: { text: { text: 'Hi' } }, webhooks: { delivery: { url } } });
    const result = await post(
      `mutation($input: SendMessagesInput!) { sendMessages(input: $input) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
      { input: { messages: [entry(PUBLIC), entry('http://192.168.0.10/hook')] } },
    );
    expect(fieldErrors(result, 'sendMessages').map((e) => e.path)).toEqual([['input', 'messages', '1', 'webhooks', 'delivery', 'url']]);
  });

  it("updateAccount refuses a private default webhook and keeps a public one", async () => {
    const update = (url: string) =>
      post(`mutation($url: String) { updateAccount(input: {deliveryWebhookUrl: $url}) { __typename
        ... on UpdateAccountSuccess { account { deliveryWebhookUrl } } ... on ValidationError { fieldErrors { path message } } } }`, { url });
    expect(fieldErrors(await update('http://169.254.169.254/latest/meta-data/'), 'updateAccount')[0]).toMatchObject({
      path: ['input', 'deliveryWebhookUrl'],
      message: expect.stringContaining('cloud metadata'),
    });
    const ok = await update(PUBLIC);
    expect(ok.json.data.updateAccount, ok.text).toEqual({ __typename: 'UpdateAccountSuccess', account: { deliveryWebhookUrl: PUBLIC } });
  });

  it('configureProviderConnection and updateProviderConnection refuse a private baseUrl', async () => {
    const configure = (baseUrl: string, name: string) =>
      post(`mutation($baseUrl: String!, $name: String!) { configureProviderConnection(input: {name: $name, type: INFOBIP, baseUrl: $baseUrl,
        credentials: {apiKey: "k"}, channels: [SMS]}) { __typename ... on ConfigureProviderConnectionSuccess { connection { id } }
        ... on ValidationError { fieldErrors { path message } } } }`, { baseUrl, name });
    expect(fieldErrors(await configure('http://localhost:8080', 'a'), 'configureProviderConnection')[0]).toMatchObject({
      path: ['input', 'baseUrl'],
      message: expect.stringContaining('localhost resolves to 127.0.0.1'),
    });
    const created = await configure('https://93.184.215.14', 'b');
    const id = created.json.data.configureProviderConnection.connection.id as string;
    const updated = await post(`mutation($id: String!) { updateProviderConnection(id: $id, input: {baseUrl: "http://10.20.30.40"}) { __typename
      ... on ValidationError { fieldErrors { path message } } } }`, { id });
    expect(fieldErrors(updated, 'updateProviderConnection')[0]).toMatchObject({ path: ['input', 'baseUrl'], message: expect.stringContaining('10.20.30.40 is a private address') });
  });
});

describe('outbound URLs, when connecting (an address that changed since it was checked)', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let auth: Record<string, string>;
  // One receiver per test, so a retry left over from one test cannot count in the next.
  let receiver: Receiver;
  const post = (query: string, variables: Record<string, unknown> = {}) => rawPost(app.graphqlUrl, { query, variables }, auth);

  beforeAll(async () => {
    app = await startTestApp({ ALLOW_PRIVATE_URLS: 'false' });
    auth = { authorization: `App ${app.apiKey}` };
  });
  beforeEach(async () => {
    receiver = new Receiver();
    await receiver.start();
  });
  afterEach(async () => {
    await receiver.stop();
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
  });

  const sendSms = async (to: string, scenarioKey?: string) => {
    const result = await post(
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename ... on SendMessageSuccess { messages { messageId } } } }`,
      { input: { destinations: [{ to: { phoneNumber: to } }], sms: { text: 'Hi' }, from: 'Omnishop', ...(scenarioKey ? { scenarioKey } : {}) } },
    );
    expect(result.json.data.sendMessage.__typename, result.text).toBe('SendMessageSuccess');
    return result.json.data.sendMessage.messages[0].messageId as string;
  };

  it.each(['127.0.0.1', 'localhost'])('a report push to %s is refused at connect time: nothing arrives, the try records an error', async (host) => {
    // What a rebinding DNS would do: the URL was fine when given and points at this machine now.
    await app.database.db.updateTable('account').set({ deliveryWebhookUrl: `http://${host}:${receiver.port}/hook` }).execute();
    await sleep(2_100); // the default webhook URL is cached for 2 s
    const messageId = await sendSms(host === 'localhost' ? '+41793026725' : '+41793026724');
    const tries = await waitFor(
      () =>
        app.database.db
          .selectFrom('reportDeliveryTry as t')
          .innerJoin('reportDelivery as d', 'd.id', 't.deliveryRef')
          .innerJoin('message as m', 'm.id', 'd.messageRef')
          .select(['t.error', 't.statusCode', 'd.state'])
          .where('m.messageId', '=', messageId)
          .execute(),
      (rows) => rows.length > 0,
    );
    expect(tries[0]!.statusCode).toBeNull();
    expect(tries[0]!.error).not.toBeNull();
    expect(tries[0]!.state).toBe('PENDING');
    expect(receiver.requests).toBe(0);
  });

  it.each(['127.0.0.1', 'localhost'])('a provider whose base URL now names %s is never called', async (host) => {
    const configured = await post(`mutation($name: String!) { configureProviderConnection(input: {name: $name, type: INFOBIP,
      baseUrl: "https://93.184.215.14", credentials: {apiKey: "k"}, channels: [SMS]}) { ... on ConfigureProviderConnectionSuccess { connection { id } } } }`, { name: `ib-${host}` });
    const id = configured.json.data.configureProviderConnection.connection.id as string;
    await app.database.db.updateTable('providerConnection').set({ baseUrl: `http://${host}:${receiver.port}` }).where('id', '=', id).execute();
    const scenario = await post(`mutation($id: String!) { createScenario(input: {name: "via ib", flow: [{channel: SMS, from: "Omnishop", connectionId: $id}]}) {
      ... on CreateScenarioSuccess { scenario { key } } } }`, { id });
    const key = scenario.json.data.createScenario.scenario.key as string;
    await sendSms('+41793026726', key);
    // Dispatch is immediate and retries come every ~100 ms here: 2 s is several tries.
    await waitFor(() => countRows(app.database.db, 'attempt'), (n) => n > 0);
    await sleep(2_000);
    expect(receiver.requests).toBe(0);
  });
});

describe('outbound URLs the operator allows', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    app = await startTestApp({ ALLOW_PRIVATE_URLS: 'false', PRIVATE_URL_ALLOW_LIST: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await receiver.stop();
  });

  it('are accepted when given and reached when pushing', async () => {
    const auth = { authorization: `App ${app.apiKey}` };
    const url = `http://127.0.0.1:${receiver.port}/hook`;
    const set = await rawPost(app.graphqlUrl, { query: `mutation($url: String) { updateAccount(input: {deliveryWebhookUrl: $url}) { __typename } }`, variables: { url } }, auth);
    expect(set.json.data.updateAccount.__typename, set.text).toBe('UpdateAccountSuccess');
    const sent = await rawPost(
      app.graphqlUrl,
      { query: `mutation { sendMessage(input: {destinations: [{to: {phoneNumber: "+41793026724"}}], sms: {text: "Hi"}, from: "Omnishop"}) { __typename } }` },
      auth,
    );
    expect(sent.json.data.sendMessage.__typename, sent.text).toBe('SendMessageSuccess');
    await waitFor(() => receiver.requests, (n) => n > 0);
  });
});
