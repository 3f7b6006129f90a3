import type { ProviderConnectionRow } from '../db/schema.js';
import { DecisionTelecomAdapter } from './decisiontelecom/adapter.js';
import { DecisionTelecomCallbacks } from './decisiontelecom/callbacks.js';
import { InfobipAdapter } from './infobip/adapter.js';
import { InfobipCallbacks } from './infobip/callbacks.js';
import type { CallbackParser, ProviderAdapter } from './types.js';
import { ViberBotAdapter } from './viber-bot/adapter.js';
import { ViberBotCallbacks } from './viber-bot/callbacks.js';

/** URL path segment per provider under /webhooks/. */
export const WEBHOOK_SLUG = { VIBER_BOT: 'viber', INFOBIP: 'infobip', DECISIONTELECOM: 'decisiontelecom' } as const;
export type WebhookProvider = keyof typeof WEBHOOK_SLUG;

export function webhookBase(publicUrl: string, connection: ProviderConnectionRow): string | null {
  if (connection.type === 'SIMULATOR') return null;
  return `${publicUrl.replace(/\/$/, '')}/webhooks/${WEBHOOK_SLUG[connection.type]}/${connection.id}`;
}

/** The URLs to paste into the provider's console (and that we pass along with each send where we can). */
export function webhookUrls(publicUrl: string, c: ProviderConnectionRow): Array<{ purpose: string; url: string }> {
  const base = webhookBase(publicUrl, c);
  if (!base || c.type === 'SIMULATOR') return [];
  switch (c.type) {
    case 'VIBER_BOT':
      return [{ purpose: 'ALL_EVENTS', url: base }];
    case 'INFOBIP':
      return [
        { purpose: 'DELIVERY_REPORTS', url: `${base}/delivery` },
        { purpose: 'SEEN_REPORTS', url: `${base}/seen` },
        { purpose: 'INBOUND_MESSAGES', url: `${base}/inbound` },
      ];
    case 'DECISIONTELECOM':
      // DecisionTelecom cannot sign callbacks; the secret rides in the URL we give it.
      return [
        { purpose: 'STATUS_AND_INBOUND', url: `${base}?secret=${c.callbackSecret}` },
        { purpose: 'SMS_STATUS', url: `${base}/sms?secret=${c.callbackSecret}` },
      ];
  }
}

export function createAdapter(c: ProviderConnectionRow, publicUrl: string): ProviderAdapter {
  const base = webhookBase(publicUrl, c);
  switch (c.type) {
    case 'VIBER_BOT':
      return new ViberBotAdapter({ baseUrl: c.baseUrl, authToken: c.credentials.authToken ?? '' });
    case 'INFOBIP':
      return new InfobipAdapter({ baseUrl: c.baseUrl, apiKey: c.credentials.apiKey ?? '', deliveryWebhookUrl: base ? `${base}/delivery` : null });
    case 'DECISIONTELECOM':
      return new DecisionTelecomAdapter({
        baseUrl: c.baseUrl,
        apiKey: c.credentials.apiKey ?? '',
        authForm: c.options.authForm ?? 'key',
        twoWay: c.options.twoWay ?? false,
        statusWebhookUrl: base ? `${base}?secret=${c.callbackSecret}` : null,
      });
    case 'SIMULATOR':
      throw new Error('the simulator is built in; it has no per-connection adapter');
  }
}

export function createCallbackParser(c: ProviderConnectionRow): CallbackParser {
  switch (c.type) {
    case 'VIBER_BOT':
      return new ViberBotCallbacks({ authToken: c.credentials.authToken ?? '', botId: c.name });
    case 'INFOBIP':
      return new InfobipCallbacks({ webhookSecret: c.callbackSecret });
    case 'DECISIONTELECOM':
      return new DecisionTelecomCallbacks({ webhookSecret: c.callbackSecret, inboundTo: c.name });
    case 'SIMULATOR':
      throw new Error('the simulator has no callbacks');
  }
}
