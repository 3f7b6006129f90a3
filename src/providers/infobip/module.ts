import type { ProviderModule } from '../module.js';
import { InfobipAdapter } from './adapter.js';
import { InfobipCallbacks } from './callbacks.js';
import { validateInfobipContent } from './validate.js';

/** Delivery reports go here; the adapter names it on every send, the console shows it beside the others. */
const deliveryUrl = (base: string) => `${base}/delivery`;

/** Infobip Viber Business Messages and SMS, by phone number. */
export const infobipModule: ProviderModule = {
  type: 'INFOBIP',
  channels: ['VIBER', 'SMS'],
  defaultBaseUrl: 'https://api.infobip.com',
  requiredCredential: 'apiKey',
  addressing: 'phoneNumber',
  createAdapter: (connection, { webhookBase }) =>
    new InfobipAdapter({
      baseUrl: connection.baseUrl,
      apiKey: connection.credentials.apiKey ?? '',
      deliveryWebhookUrl: webhookBase ? deliveryUrl(webhookBase) : null,
    }),
  webhooks: {
    slug: 'infobip',
    urls: (base) => [
      { purpose: 'DELIVERY_REPORTS', url: deliveryUrl(base) },
      { purpose: 'SEEN_REPORTS', url: `${base}/seen` },
      { purpose: 'INBOUND_MESSAGES', url: `${base}/inbound` },
    ],
    createParser: (connection) => new InfobipCallbacks({ webhookSecret: connection.callbackSecret }),
  },
  contentProblems: (content) => validateInfobipContent(content),
  senderProblems: () => [],
  // Infobip signs nothing: its webhooks are configured to send this header, which proves a callback ours.
  callbackAuthorization: (connection) => `App ${connection.callbackSecret}`,
};
