import type { ProviderConnectionRow } from '../db/schema.js';
import type { Channel, ProviderType } from '../domain/channel.js';
import { decisionTelecomModule } from './decisiontelecom/module.js';
import { infobipModule } from './infobip/module.js';
import type { ProviderHost, ProviderModule } from './module.js';
import { simulatorModule } from './simulator/module.js';
import type { ProviderAdapter } from './types.js';
import { viberBotModule } from './viber-bot/module.js';

/** Every provider Omnigate speaks; a new one is a folder beside these and a line here. */
const MODULES: Readonly<Record<ProviderType, ProviderModule>> = {
  SIMULATOR: simulatorModule,
  VIBER_BOT: viberBotModule,
  INFOBIP: infobipModule,
  DECISIONTELECOM: decisionTelecomModule,
};

/** The provider that carries a step when the account has no connection for its channel. */
const BUILT_IN = simulatorModule;
export const BUILT_IN_PROVIDER: ProviderType = BUILT_IN.type;

export function moduleFor(type: ProviderType): ProviderModule {
  return MODULES[type];
}

/** Whether statuses of this provider's attempts on `channel` are asked for, besides any callbacks. */
export function isPolled(type: ProviderType, channel: Channel): boolean {
  return moduleFor(type).statusPolling?.channels.includes(channel) ?? false;
}

/**
 * The adapter for an attempt: the built-in provider, or one built from the attempt's provider
 * connection. Connections come from a loader that caches them; an adapter is rebuilt only when its
 * connection changed, so its keep-alive sockets survive from one dispatch to the next.
 */
export class ProviderRegistry {
  private readonly adapters = new Map<string, { adapter: ProviderAdapter; version: number }>();
  /** Carries every step without a connection; one per service, so close() can stop its pending reports. */
  private readonly builtIn: ProviderAdapter & { close(): void };

  constructor(
    host: ProviderHost,
    private readonly loadConnection: (id: string) => Promise<ProviderConnectionRow | null>,
    /** The connection's `…/webhooks/<slug>/<id>`, which adapters pass along with sends where they can. */
    private readonly webhookBase: (connection: ProviderConnectionRow) => string | null,
  ) {
    this.builtIn = BUILT_IN.createBuiltIn(host);
  }

  async adapterFor(attempt: { connectionId: string | null }): Promise<ProviderAdapter | null> {
    if (!attempt.connectionId) return this.builtIn;
    const connection = await this.loadConnection(attempt.connectionId);
    if (!connection) return null;
    const version = connection.updatedAt.getTime();
    const cached = this.adapters.get(connection.id);
    if (cached?.version === version) return cached.adapter;
    const adapter = moduleFor(connection.type).createAdapter(connection, { webhookBase: this.webhookBase(connection) });
    this.adapters.set(connection.id, { adapter, version });
    return adapter;
  }

  /** Drops the built-in provider's reports not yet made: after shutdown nobody would receive them. */
  close(): void {
    this.builtIn.close();
  }
}
