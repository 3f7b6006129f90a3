import type { ProviderConnectionRow } from '../../db/schema.js';
import type { ProviderModule } from '../module.js';
import { DecisionTelecomAdapter } from './adapter.js';
import { DecisionTelecomCallbacks } from './callbacks.js';
import { validateDecisionTelecomContent, validateDecisionTelecomSender } from './validate.js';
import { DT_SMS_CALLBACK_SUBPATH } from './wire.js';

// DecisionTelecom cannot sign callbacks; the secret rides in the URL we give it.
const statusUrl = (base: string, c: ProviderConnectionRow) => `${base}?secret=${c.callbackSecret}`;

/** DecisionTelecom Viber + SMS, by phone number; Viber statuses are also asked for with receive-viber. */
export const decisionTelecomModule: ProviderModule = {
  type: 'DECISIONTELECOM',
  channels: ['VIBER', 'SMS'],
  defaultBaseUrl: 'https://web.it-decision.com',
  requiredCredential: 'apiKey',
  addressing: 'phoneNumber',
  createAdapter: (connection, { webhookBase }) =>
    new DecisionTelecomAdapter({
      baseUrl: connection.baseUrl,
      apiKey: connection.credentials.apiKey ?? '',
      authForm: connection.options.authForm ?? 'key',
      twoWay: connection.options.twoWay ?? false,
      statusWebhookUrl: webhookBase ? statusUrl(webhookBase, connection) : null,
    }),
  webhooks: {
    slug: 'decisiontelecom',
    urls: (base, connection) => [
      { purpose: 'STATUS_AND_INBOUND', url: statusUrl(base, connection) },
      { purpose: 'SMS_STATUS', url: statusUrl(`${base}${DT_SMS_CALLBACK_SUBPATH}`, connection) },
    ],
    createParser: (connection) => new DecisionTelecomCallbacks({ webhookSecret: connection.callbackSecret, inboundTo: connection.name }),
  },
  contentProblems: (content) => validateDecisionTelecomContent(content),
  senderProblems: (from) => validateDecisionTelecomSender(from),
  // receive-viber knows Viber messages only; an SMS status arrives by callback or not at all.
  statusPolling: { channels: ['VIBER'] },
};
