/**
 * Registering a connection's webhook through the provider's API (setViberWebhook): only a provider
 * whose module can register one is asked, and a refusal comes back as a ValidationError on the
 * connection id, never as a masked error. The happy path is in viber-bot.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ProviderSetViberWebhook } from '../../documents/providers.js';
import { FakeInfobip } from '../../fakes/infobip.js';
import { FakeViberBot } from '../../fakes/viber-bot.js';
import { query } from '../../support/graphql-client.js';
import { configureConnection, startProviderApp, type ProviderApp } from './support.js';

const AUTH_TOKEN = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';

describe('webhook registration through the provider API', () => {
  let app: ProviderApp;
  const viber = new FakeViberBot({ authToken: AUTH_TOKEN });
  const infobip = new FakeInfobip({ apiKey: 'ib-api-key' });

  beforeAll(async () => {
    await viber.start();
    await infobip.start();
    app = await startProviderApp();
  });

  afterAll(async () => {
    await app?.stop();
    await app?.dropDatabase();
    await viber.stop();
    await infobip.stop();
  });

  const register = async (connectionId: string) =>
    (await query(app.graphqlUrl, ProviderSetViberWebhook, { connectionId }, app.apiKey)).setViberWebhook;

  it('refuses a connection whose provider takes no webhook by API, and calls nobody', async () => {
    const ib = await configureConnection(app, {
      name: 'Infobip',
      type: 'INFOBIP',
      baseUrl: infobip.baseUrl,
      credentials: { apiKey: 'ib-api-key' },
      channels: ['SMS'],
    });
    const result = await register(ib.id);
    expect(result.__typename).toBe('ValidationError');
    if (result.__typename !== 'ValidationError') return;
    expect(result.fieldErrors).toHaveLength(1);
    expect(result.fieldErrors[0]!.path).toEqual(['connectionId']);
    expect(result.fieldErrors[0]!.message).toMatch(/not registered through its API/);
    expect(infobip.requests).toEqual([]);
  });

  it("answers Viber's refusal as a ValidationError on connectionId naming Viber's reason", async () => {
    const bot = await configureConnection(app, {
      name: 'Viber bot, wrong token',
      type: 'VIBER_BOT',
      baseUrl: viber.apiBase,
      credentials: { authToken: 'not-the-bot-token' },
      channels: ['VIBER'],
    });
    const result = await register(bot.id);
    expect(result.__typename).toBe('ValidationError');
    if (result.__typename !== 'ValidationError') return;
    expect(result.fieldErrors).toEqual([{ path: ['connectionId'], message: 'Viber refused the webhook: invalidAuthToken' }]);
    expect(viber.requests.map((r) => r.path)).toEqual(['/pa/set_webhook']);
    expect(viber.webhook).toBe('');
  });

  it('answers NotFoundError for a connection of no one', async () => {
    const result = await register(randomUUID());
    expect(result.__typename).toBe('NotFoundError');
  });
});
