import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeInfobip, INFOBIP_STATUS, type InfobipSentMessage } from '../fakes/infobip.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { launchOfflineBrowser, SCREENSHOTS, type OfflineBrowser } from './offline-browser.js';

/**
 * The support console at /console, as an agent uses it: a real Chromium that may reach nothing but this
 * machine, the real service behind a loopback proxy standing for the network (so the connection can be
 * dropped), sign-in with the API key, and the page's own list, timeline and reply box. Messages come in
 * the way providers send them: signed Infobip callbacks at the network edge (test/fakes/infobip.ts).
 * Run it with
 *   npm run test:browser -- test/browser/console.test.ts
 */

const INFOBIP_KEY = 'console-e2e-infobip-key-0123456789';
const VIBER_SENDER = 'Omnishop';
const CUSTOMER = { digits: '41793026724', e164: '+41793026724' };

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`) });

async function graphql(app: TestApp, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await fetch(app.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `App ${app.apiKey}`, 'x-graphql-yoga-csrf': '1' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`GraphQL failed (${response.status}): ${JSON.stringify(body)}`);
  return body.data;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('support console in a headless browser, offline', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const infobip = new FakeInfobip({ apiKey: INFOBIP_KEY });
  let urls: { delivery: string; seen: string; inbound: string };
  let callbackHeaders: Record<string, string>;
  let proxy: TcpProxy;
  let browser: OfflineBrowser;
  let page: Page;
  let consoleUrl: string;
  let consoleKey: string;

  /** A customer writes on Viber: Infobip posts the inbound message to our signed callback URL. */
  async function customerWrites(...texts: string[]): Promise<void> {
    for (const text of texts) {
      const res = await infobip.postInboundViber(urls.inbound, [{ sender: CUSTOMER.digits, to: VIBER_SENDER, message: { type: 'TEXT', text } }], {
        headers: callbackHeaders,
      });
      expect(res.status, res.text).toBe(200);
    }
  }

  /** The messages Infobip took for the customer, once it has taken `n`. */
  async function sentToCustomer(n: number): Promise<InfobipSentMessage[]> {
    return until(`${n} message(s) sent to Infobip`, async () => {
      const sent = infobip.sent.filter((m) => m.to === CUSTOMER.digits);
      return sent.length >= n ? sent : null;
    });
  }

  const timelineTexts = () => page.locator('#timeline .item .bubble').allInnerTexts();
  const replyStatusOf = (text: string) =>
    page.locator('#timeline .item.out').filter({ has: page.locator('.bubble', { hasText: text }) }).locator('.status').innerText();
  const connectionState = () => page.locator('#connection').getAttribute('data-state');

  beforeAll(async () => {
    await infobip.start();
    app = await startTestApp();
    const configured = await graphql(
      app,
      `mutation($input: ConfigureProviderConnectionInput!) { configureProviderConnection(input: $input) {
         ... on ConfigureProviderConnectionSuccess { connection { webhookUrls { purpose url } callbackAuthorization } } } }`,
      { input: { name: 'Infobip', type: 'INFOBIP', baseUrl: infobip.baseUrl, credentials: { apiKey: INFOBIP_KEY }, channels: ['VIBER'] } },
    );
    const connection = configured.configureProviderConnection.connection as {
      webhookUrls: Array<{ purpose: string; url: string }>;
      callbackAuthorization: string;
    };
    const url = (purpose: string) => connection.webhookUrls.find((w) => w.purpose === purpose)!.url;
    urls = { delivery: url('DELIVERY_REPORTS'), seen: url('SEEN_REPORTS'), inbound: url('INBOUND_MESSAGES') };
    callbackHeaders = { Authorization: connection.callbackAuthorization };
    // The agent signs in with a key of the narrow scope the README tells them to create.
    const created = await graphql(app, `mutation { createApiKey(name: "support console", scopes: [CONSOLE]) {
      ... on CreateApiKeySuccess { secret } } }`);
    consoleKey = created.createApiKey.secret as string;
    const target = new URL(app.url);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.start();
    consoleUrl = `${proxy.url}/console`;
    browser = await launchOfflineBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await app?.stop();
    await app?.dropDatabase();
    await infobip.stop();
  });

  it('serves the page and its scripts from this server, without a key', async () => {
    const response = await page.goto(consoleUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/text\/html/);
    expect(response?.headers()['content-security-policy']).toContain("connect-src 'self'");
    await page.getByLabel('API key').waitFor({ state: 'visible' });
    expect(await page.title()).toBe('Omnigate · Support console');
    // Only the page's own files were asked for: no CDN, no font service, not even a favicon guess.
    const paths = browser.requests.map((r) => new URL(r.url).pathname).sort();
    expect(paths).toEqual([
      '/console',
      '/console/api.js',
      '/console/app.js',
      '/console/console.css',
      '/console/documents.js',
      '/console/live.js',
      '/console/reply-status.js',
      '/console/vendor/graphql-ws.js',
    ]);
    await shot(page, 'sign-in');
  });

  it('refuses a wrong key in one sentence and keeps nothing', async () => {
    await page.getByLabel('API key').fill('og_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').first().innerText()).toMatch(/not accepted/);
    expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
  });

  it('signs in with a console key (kept in sessionStorage only, sent as App <key>) and shows the empty state', async () => {
    await page.getByLabel('API key').fill(consoleKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Conversations' }).waitFor({ state: 'visible' });
    await page.getByText('No conversations yet').waitFor({ state: 'visible' });
    await until('the live connection', async () => (await page.locator('#connection').getAttribute('data-state')) === 'live');

    const storage = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage } }));
    expect(Object.values(storage.session)).toEqual([consoleKey]);
    expect(storage.local).toEqual({});
    const init = browser.frames.find((f) => f.direction === 'sent' && f.payload.includes('"connection_init"'));
    expect(JSON.parse(init!.payload)).toEqual({ type: 'connection_init', payload: { authorization: `App ${consoleKey}` } });
    await shot(page, 'empty');

    // Every API call over HTTP: the key as App <key>, JSON, and the CSRF-prevention header.
    const posts = browser.requests.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/graphql');
    const signedIn = posts.filter((r) => r.headers.authorization !== 'App og_not_a_real_key');
    expect(signedIn.length).toBeGreaterThan(0);
    for (const r of signedIn) {
      expect(r.headers).toMatchObject({ authorization: `App ${consoleKey}`, 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1' });
    }

    // A reload (same tab) keeps the session; the key never has to be pasted twice.
    await page.reload({ waitUntil: 'load' });
    await page.getByText('No conversations yet').waitFor({ state: 'visible' });
    await until('the live connection', async () => (await connectionState()) === 'live');
  });

  it('shows an inbound message live, with its unread count', async () => {
    await customerWrites('Hello, where is my parcel?');
    const row = page.getByRole('button', { name: `${CUSTOMER.e164}, VIBER, 1 unread` });
    await row.waitFor({ state: 'visible' });
    expect(await row.innerText()).toContain('Hello, where is my parcel?');
    await shot(page, 'inbound');

    await customerWrites('Order 42, thanks');
    await page.getByRole('button', { name: `${CUSTOMER.e164}, VIBER, 2 unread` }).waitFor({ state: 'visible' });
  });

  it('opens the conversation (marking it read), replies from the keyboard and sees the status change live', async () => {
    await page.getByRole('button', { name: `${CUSTOMER.e164}, VIBER, 2 unread` }).click();
    await page.getByRole('heading', { name: CUSTOMER.e164 }).waitFor({ state: 'visible' });
    await expect.poll(timelineTexts).toEqual(['Hello, where is my parcel?', 'Order 42, thanks']);
    // Looking at it marks it read, live in the list.
    await page.getByRole('button', { name: `${CUSTOMER.e164}, VIBER`, exact: true }).waitFor({ state: 'visible' });

    await page.getByLabel('Reply').fill('It arrives tomorrow before noon.');
    await page.keyboard.press('Control+Enter');
    const [sent] = await sentToCustomer(1);
    expect(sent!.channel).toBe('VIBER');
    await expect.poll(() => replyStatusOf('It arrives tomorrow before noon.')).toBe('Sent');
    expect(await page.getByLabel('Reply').inputValue()).toBe('');
    await shot(page, 'reply-sent');

    await infobip.deliver(sent!, { url: urls.delivery, status: INFOBIP_STATUS.DELIVERED_TO_HANDSET }, { headers: callbackHeaders });
    await expect.poll(() => replyStatusOf('It arrives tomorrow before noon.')).toBe('Delivered');
    await infobip.postSeenReports(urls.seen, [{ messageId: sent!.messageId, from: VIBER_SENDER, to: CUSTOMER.digits }], { headers: callbackHeaders });
    await expect.poll(() => replyStatusOf('It arrives tomorrow before noon.')).toBe('Seen');
    await shot(page, 'reply-seen');
  });

  it('shows a message that failed over from Viber to SMS as such, live', async () => {
    // Sent through the API (a notification), threaded into the same conversation: Viber via Infobip
    // first, then SMS through the simulator when Viber says the number is not on Viber.
    await graphql(
      app,
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename } }`,
      {
        input: {
          destinations: [{ to: { phoneNumber: CUSTOMER.e164 } }],
          viber: { text: { text: 'Your parcel is on its way' } },
          smsFailover: { from: 'Omnishop', text: 'Your parcel is on its way' },
        },
      },
    );
    const sent = await sentToCustomer(2);
    const outbound = page.locator('#timeline .item.out');
    await expect.poll(() => outbound.count()).toBe(2);
    await infobip.deliver(
      sent[1]!,
      { url: urls.delivery, status: INFOBIP_STATUS.UNDELIVERABLE_NOT_DELIVERED },
      { headers: callbackHeaders },
    );
    const notification = outbound.nth(1);
    await notification.locator('.failover', { hasText: 'Failed over to SMS' }).waitFor({ state: 'visible' });
    await expect.poll(() => notification.locator('.status').innerText()).toBe('Delivered');
    expect(await notification.locator('.bubble').innerText()).toBe('Message sent through the API');
    await shot(page, 'failover');
  });

  it('resumes after the connection drops: 20 messages that arrived meanwhile are all shown, none twice', async () => {
    const before = await page.evaluate(() => (window as any).omnigateConsole.cursor('inbound') as string | null);
    expect(before, 'the page keeps the cursor of the last inbound event').toEqual(expect.any(String));
    const sentFramesBefore = browser.frames.filter((f) => f.direction === 'sent').length;

    proxy.cut();
    await until('the page noticing the drop', async () => (await connectionState()) === 'reconnecting');
    const texts = Array.from({ length: 20 }, (_, i) => `Are you there? (${i + 1})`);
    await customerWrites(...texts);
    await shot(page, 'offline');
    // Still cut off: none of them can have reached the page yet.
    expect((await timelineTexts()).filter((t) => texts.includes(t))).toEqual([]);

    proxy.restore();
    await until('the live connection again', async () => (await connectionState()) === 'live', 20_000);
    await expect.poll(async () => (await timelineTexts()).filter((t) => texts.includes(t)).length, { timeout: 15_000 }).toBe(20);
    // Give any duplicate time to show up before counting.
    await new Promise((r) => setTimeout(r, 1_000));
    const shown = (await timelineTexts()).filter((t) => texts.includes(t));
    expect(shown).toEqual(texts); // each once, in order
    await shot(page, 'resumed');

    // It resubscribed from where it was: the inbound feed asked for what came after its last cursor.
    const resubscribed = browser.frames
      .filter((f) => f.direction === 'sent')
      .slice(sentFramesBefore)
      .map((f) => JSON.parse(f.payload) as { type: string; payload?: { query?: string; variables?: { after?: string | null } } })
      .find((m) => m.type === 'subscribe' && m.payload?.query?.includes('inboundMessageReceived'));
    expect(resubscribed?.payload?.variables?.after).toBe(before);
  });

  it('shows the newest 100 messages of a conversation and pages back to older ones on request', async () => {
    const more = Array.from({ length: 80 }, (_, i) => `Still waiting (${i + 1})`);
    const res = await infobip.postInboundViber(
      urls.inbound,
      more.map((text) => ({ sender: CUSTOMER.digits, to: VIBER_SENDER, message: { type: 'TEXT' as const, text } })),
      { headers: callbackHeaders },
    );
    expect(res.status, res.text).toBe(200);
    const items = page.locator('#timeline .item');
    await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(104); // 2 + 2 replies + 20 + 80

    await page.reload({ waitUntil: 'load' });
    await page.getByRole('button', { name: new RegExp(`^\\${CUSTOMER.e164}, VIBER`) }).click();
    await expect.poll(() => items.count()).toBe(100);
    // The newest 100: the four first messages (two inbound, two of ours) are older than that.
    expect(await items.first().locator('.bubble').innerText()).toBe('Are you there? (1)');
    const older = page.getByRole('button', { name: 'Show older messages' });
    await older.click();
    await expect.poll(() => items.count()).toBe(104);
    expect(await items.first().locator('.bubble').innerText()).toBe('Hello, where is my parcel?');
    await older.waitFor({ state: 'hidden' });
    await shot(page, 'older');
  });

  it('made no request to any host but this machine', () => {
    expect(browser.blocked, JSON.stringify(browser.blocked, null, 2)).toEqual([]);
    expect(browser.externalSockets).toEqual([]);
    expect(browser.requests.filter((r) => !r.url.startsWith(proxy.url))).toEqual([]);
    // The page's CSP refuses other hosts before any request: a refusal is the same mistake, caught here.
    expect(browser.consoleProblems.filter((m) => /Content Security Policy/i.test(m))).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
