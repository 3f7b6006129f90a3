import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * A real Chromium that may reach nothing but this machine, as a person behind a firewall would use the
 * product. It needs Debian's Chromium (`apt-get install chromium`) or CHROMIUM_PATH pointing at another one.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots land here; CI keeps the folder. */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
// Without the background-networking flags Chromium calls Google on its own, which a closed network refuses.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLocal(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
    return LOCAL_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}

export interface Frame {
  direction: 'sent' | 'received';
  url: string;
  payload: string;
  at: number;
}

export interface OfflineBrowser {
  context: BrowserContext;
  page: Page;
  /** Every request the page made, in order (loopback or not). */
  requests: Array<{ url: string; type: string; method: string; headers: Record<string, string> }>;
  /** Requests refused because they were not addressed to this machine. */
  blocked: Array<{ url: string; type: string }>;
  /** WebSockets opened to another host. */
  externalSockets: string[];
  /** Every WebSocket frame the page sent or received. */
  frames: Frame[];
  /** Uncaught errors in the page. */
  pageErrors: string[];
  /** Console messages of level error or warning. */
  consoleProblems: string[];
  close(): Promise<void>;
}

/** Launches Chromium with everything not addressed to this machine refused and remembered. */
export async function launchOfflineBrowser(viewport = { width: 1400, height: 900 }): Promise<OfflineBrowser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const profileDir = mkdtempSync(join(tmpdir(), 'omnigate-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const browser: OfflineBrowser = {
    context,
    page: context.pages()[0] ?? (await context.newPage()),
    requests: [],
    blocked: [],
    externalSockets: [],
    frames: [],
    pageErrors: [],
    consoleProblems: [],
    close: async () => {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
  await context.route('**/*', async (route) => {
    const request = route.request();
    browser.requests.push({ url: request.url(), type: request.resourceType(), method: request.method(), headers: request.headers() });
    if (isLocal(request.url())) return route.continue();
    browser.blocked.push({ url: request.url(), type: request.resourceType() });
    return route.abort('blockedbyclient');
  });
  const { page } = browser;
  page.on('pageerror', (err) => browser.pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') browser.consoleProblems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('websocket', (ws) => {
    if (!isLocal(ws.url())) browser.externalSockets.push(ws.url());
    const record = (direction: Frame['direction']) => (frame: { payload: string | Buffer }) =>
      browser.frames.push({ direction, url: ws.url(), payload: frame.payload.toString(), at: Date.now() });
    ws.on('framesent', record('sent'));
    ws.on('framereceived', record('received'));
  });
  return browser;
}
