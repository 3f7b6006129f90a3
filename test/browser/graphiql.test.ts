import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchOfflineBrowser, SCREENSHOTS, type OfflineBrowser } from './offline-browser.js';

/**
 * GraphiQL, as a person behind a firewall would use it: a real Chromium that may reach nothing but this
 * server, the real service, and the page's own editors and buttons. Run it with
 *   npx vitest run --config test/browser/vitest.browser.config.ts
 * It needs Debian's Chromium (`apt-get install chromium`) or CHROMIUM_PATH pointing at another one.
 */

async function http(url: string, apiKey: string, query: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `App ${apiKey}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(`GraphQL request failed (${response.status}): ${JSON.stringify(body)}`);
  }
  return body.data;
}

/** Replaces a Monaco editor's whole text the way a person would: click, select all, type (paste-like). */
async function replaceEditorText(page: Page, editor: Locator, text: string): Promise<void> {
  // On a busy machine Monaco can miss the first keystrokes after the click (it is still taking focus), or
  // render a moment late: wait for the editor to show the text, and type it again if it never does.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    // insertText enters the text in one input event, so Monaco neither auto-closes brackets nor re-indents.
    await page.keyboard.insertText(text);
    await page.keyboard.press('Escape'); // close any suggestion widget
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      if ((await editorText(editor).catch(() => '')) === text) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * GraphiQL reparses the query editor a moment after each edit and only then updates the operation it will
 * run (and the tab's title); a click on "execute" before that runs the previous operation's name against
 * the new text ("Cannot infer operation RecentMessages"). A person never clicks that fast; wait like one.
 */
async function waitForTabTitle(page: Page, title: string): Promise<void> {
  const tab = page.locator('.graphiql-tab-active');
  const deadline = Date.now() + 5_000;
  let last = '';
  while (Date.now() < deadline) {
    last = (await tab.innerText().catch(() => '')).trim();
    if (last === title) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`GraphiQL's tab title stayed ${JSON.stringify(last)}, expected ${JSON.stringify(title)}`);
}

/** The text a Monaco editor shows (only its visible lines, which is all of the short texts here). */
async function editorText(editor: Locator): Promise<string> {
  return (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
}

/** The text Monaco shows in the response pane (it renders only visible lines; responses here are short). */
async function responseText(page: Page): Promise<string> {
  const text = await page.locator('.graphiql-response .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

async function waitForResponse(page: Page, matches: (text: string) => boolean, timeoutMs: number, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await responseText(page).catch(() => last);
    if (matches(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`GraphiQL's response pane never showed ${what} within ${timeoutMs} ms; it shows:\n${last}`);
}

describe('GraphiQL in a headless browser, offline', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  let browser: OfflineBrowser;
  let page: Page;
  let blocked: OfflineBrowser['blocked'];
  let externalSockets: string[];
  let frames: OfflineBrowser['frames'];
  let pageErrors: string[];

  beforeAll(async () => {
    app = await startTestApp();
    // Everything not addressed to this machine is refused and remembered: GraphiQL must be self-contained.
    browser = await launchOfflineBrowser();
    ({ page, blocked, externalSockets, frames, pageErrors } = browser);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await app?.dropDatabase();
  });

  it('renders from this server alone, loads the schema before a key is pasted, explains the key, runs a query with it, streams a subscription, and runs another tab while it streams', async () => {
    const graphqlResponses: Array<{ status: number; body: string }> = [];
    page.on('response', async (r) => {
      if (r.url() !== app.graphqlUrl || r.request().method() !== 'POST') return;
      graphqlResponses.push({ status: r.status(), body: await r.text().catch(() => '') });
    });
    // The browser's own navigation: GET with Accept: text/html, which yoga answers with GraphiQL.
    const response = await page.goto(app.graphqlUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/text\/html/);

    await page.locator('.graphiql-container').first().waitFor({ state: 'visible', timeout: 30_000 });
    const queryEditor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await queryEditor.waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.graphiql-query-editor .view-lines').first().waitFor({ state: 'visible' });
    await page.waitForTimeout(500); // let fonts and layout settle before the picture
    await page.screenshot({ path: join(SCREENSHOTS, 'graphiql.png') });

    // The example tab tells a newcomer where the key is, where it goes and in which form.
    const example = await editorText(queryEditor);
    for (const phrase of ['API key', 'printed', 'api-key create', 'Headers', '{"Authorization": "App og_…"}', 'Bearer', '401 UNAUTHENTICATED']) {
      expect(example, `the example tab should say ${JSON.stringify(phrase)}`).toContain(phrase);
    }

    // No key yet: the schema loads anyway (a key-less introspection), so the docs show the root types.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Root Types').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await docs.innerText()).not.toContain('Error fetching schema');
    expect(await docs.innerText()).toMatch(/query:\s*Query/);
    expect(graphqlResponses.some((r) => r.status === 200 && r.body.includes('"__schema"')), 'a key-less introspection answered 200').toBe(true);
    expect(graphqlResponses.filter((r) => r.status === 401), 'no request of the page was refused for want of a key').toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'graphiql-docs-without-key.png') });

    const external = blocked.filter((b) => ['script', 'stylesheet', 'font'].includes(b.type));
    expect(external, `GraphiQL tried to load scripts/styles/fonts from outside:\n${JSON.stringify(external, null, 2)}`).toEqual([]);
    expect(blocked, `GraphiQL tried to reach outside this server:\n${JSON.stringify(blocked, null, 2)}`).toEqual([]);
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);

    // Headers tab: the API key, as the example query's comment tells a person to do.
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    const headersEditor = page.locator('.graphiql-editor-tool .monaco-editor').filter({ visible: true }).first();
    await headersEditor.waitFor({ state: 'visible' });
    await replaceEditorText(page, headersEditor, JSON.stringify({ Authorization: `App ${app.apiKey}` }));

    // A query, typed over the example one, run with the execute button.
    const query = '{ scenarios(first: 5) { edges { node { key } } } }';
    await replaceEditorText(page, queryEditor, query);
    expect(await editorText(queryEditor)).toBe(query);
    await waitForTabTitle(page, '<untitled>'); // an anonymous operation
    expect(JSON.parse(await editorText(headersEditor))).toEqual({ Authorization: `App ${app.apiKey}` });
    const execute = page.locator('.graphiql-execute-button');
    await execute.click();
    const queryResult = await waitForResponse(page, (t) => t.includes('"scenarios"'), 15_000, '"scenarios"');
    expect(queryResult).not.toContain('"errors"');
    await page.screenshot({ path: join(SCREENSHOTS, 'graphiql-query.png') });

    // A subscription in GraphiQL (over WebSocket), fed by a message sent over plain HTTP.
    await http(
      app.graphqlUrl,
      app.apiKey,
      'mutation { createScenario(input: {name: "s", flow: [{channel: VIBER, from: "Shop"}]}) { __typename } }',
    );
    const subscription = 'subscription { messageStatusChanged { message { to status { name } } } }';
    await replaceEditorText(page, queryEditor, subscription);
    expect(await editorText(queryEditor)).toBe(subscription);
    await waitForTabTitle(page, '<untitled>');
    await execute.click();

    // Wait until GraphiQL has subscribed, then give the server a moment to register the subscription.
    const subscribed = Date.now() + 15_000;
    while (!frames.some((f) => f.direction === 'sent' && f.payload.includes('"subscribe"')) && Date.now() < subscribed) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const framesText = () => frames.map((f) => `${f.direction} ${f.url}: ${f.payload}`).join('\n');
    expect(frames.some((f) => f.payload.includes('"subscribe"')), `GraphiQL never subscribed; frames:\n${framesText()}`).toBe(true);
    await new Promise((r) => setTimeout(r, 500));

    const sent = await http(
      app.graphqlUrl,
      app.apiKey,
      'mutation { sendMessage(input: {destinations: [{to: {phoneNumber: "41793026724"}}], viber: {text: {text: "hi"}}}) { __typename } }',
    );
    expect(sent).toEqual({ sendMessage: { __typename: 'SendMessageSuccess' } });

    let delivered: string;
    try {
      delivered = await waitForResponse(page, (t) => t.includes('DELIVERED_TO_HANDSET'), 15_000, 'DELIVERED_TO_HANDSET');
    } catch (err) {
      await page.screenshot({ path: join(SCREENSHOTS, 'graphiql-subscription.png') });
      throw new Error(`${(err as Error).message}\nWebSocket frames:\n${framesText()}`);
    }
    expect(delivered).toContain('"messageStatusChanged"');
    expect(delivered).not.toContain('"errors"');
    await page.screenshot({ path: join(SCREENSHOTS, 'graphiql-subscription.png') });

    // The subscription runs in the first tab; a new tab's operation runs with one press of its button
    // (GraphiQL runs one operation at a time: leaving the first tab stops its subscription, as switching
    // tabs always did; unpatched, the press only stopped the subscription and ran nothing).
    await page.locator('.graphiql-tab-add').click();
    await page.locator('.graphiql-tab').nth(1).waitFor({ state: 'visible' });
    const secondTabEditor = page.locator('.graphiql-query-editor .monaco-editor').filter({ visible: true }).first();
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    const secondHeaders = page.locator('.graphiql-editor-tool .monaco-editor').filter({ visible: true }).first();
    await replaceEditorText(page, secondHeaders, JSON.stringify({ Authorization: `App ${app.apiKey}` }));
    const second = 'query SecondTab { scenarios(first: 5) { edges { node { key } } } }';
    await replaceEditorText(page, secondTabEditor, second);
    await waitForTabTitle(page, 'SecondTab');
    await page.locator('.graphiql-execute-button').click();
    const secondResult = await waitForResponse(page, (t) => t.includes('"scenarios"'), 10_000, '"scenarios" in the second tab after one press');
    expect(secondResult).not.toContain('"errors"');
    await page.screenshot({ path: join(SCREENSHOTS, 'graphiql-second-tab.png') });

    expect(externalSockets, 'WebSockets opened to other hosts').toEqual([]);
    expect(blocked, `GraphiQL tried to reach outside this server:\n${JSON.stringify(blocked, null, 2)}`).toEqual([]);
  });
});
