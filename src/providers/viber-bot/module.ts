import type { ProviderConnectionRow } from '../../db/schema.js';
import type { ProviderModule } from '../module.js';
import { ViberBotAdapter } from './adapter.js';
import { ViberBotCallbacks } from './callbacks.js';
import { validateViberBotContent } from './validate.js';

function adapterFor(connection: ProviderConnectionRow): ViberBotAdapter {
  return new ViberBotAdapter({ baseUrl: connection.baseUrl, authToken: connection.credentials.authToken ?? '' });
}

/** The Viber REST Bot API: Viber only, to a bot's subscribers by their per-bot user id. */
export const viberBotModule: ProviderModule = {
  type: 'VIBER_BOT',
  channels: ['VIBER'],
  defaultBaseUrl: 'https://chatapi.viber.com/pa',
  requiredCredential: 'authToken',
  addressing: 'viberUserId',
  createAdapter: adapterFor,
  webhooks: {
    slug: 'viber',
    // One webhook per bot carries every event.
    urls: (base) => [{ purpose: 'ALL_EVENTS', url: base }],
    // Viber's callbacks do not name the bot; the connection's name stands in as the inbound `to`.
    createParser: (connection) => new ViberBotCallbacks({ authToken: connection.credentials.authToken ?? '', botId: connection.name }),
  },
  contentProblems: (content) => validateViberBotContent(content),
  // The sender is the bot's display name; the 28-character cap Viber sets is every sender's input rule.
  senderProblems: () => [],
  webhookRegistration: {
    // set_webhook: Viber calls the URL with a signed `webhook` event before it answers.
    async register(connection, base) {
      const result = await adapterFor(connection).setWebhook(base);
      return result.ok ? null : `Viber refused the webhook: ${result.message}`;
    },
  },
};
