import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { launchOfflineBrowser, SCREENSHOTS, type OfflineBrowser } from './offline-browser.js';

/**
 * The support console at /console, as an agent uses it: a real Chromium that may reach nothing but this
 * machine, the real service behind a loopback proxy standing for the network (so the connection can be
 * dropped), sign-in with the API key, and the page's own list, timeline and reply box. Run it with
 *   npm run test:browser -- test/browser/console.test.ts
 */

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`) });

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
  let proxy: TcpProxy;
  let browser: OfflineBrowser;
  let page: Page;
  let consoleUrl: string;

  beforeAll(async () => {
    app = await startTestApp();
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

  it('signs in with the key (kept in sessionStorage only, sent as App <key>) and shows the empty state', async () => {
    await page.getByLabel('API key').fill(app.apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Conversations' }).waitFor({ state: 'visible' });
    await page.getByText('No conversations yet').waitFor({ state: 'visible' });
    await until('the live connection', async () => (await page.locator('#connection').getAttribute('data-state')) === 'live');

    const storage = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage } }));
    expect(Object.values(storage.session)).toEqual([app.apiKey]);
    expect(storage.local).toEqual({});
    const init = browser.frames.find((f) => f.direction === 'sent' && f.payload.includes('"connection_init"'));
    expect(JSON.parse(init!.payload)).toEqual({ type: 'connection_init', payload: { authorization: `App ${app.apiKey}` } });
    await shot(page, 'empty');

    // A reload (same tab) keeps the session; the key never has to be pasted twice.
    await page.reload({ waitUntil: 'load' });
    await page.getByText('No conversations yet').waitFor({ state: 'visible' });
  });

  it('made no request to any host but this machine', () => {
    expect(browser.blocked, JSON.stringify(browser.blocked, null, 2)).toEqual([]);
    expect(browser.externalSockets).toEqual([]);
    expect(browser.requests.filter((r) => !r.url.startsWith(proxy.url))).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
