import type { ProviderConnectionRow } from '../db/schema.js';
import { createAdapter } from './connection-adapters.js';
import type { ProviderAdapter } from './types.js';

/**
 * The adapter for an attempt: the built-in simulator, or one built from the attempt's provider
 * connection. Connections come from a loader that caches them; an adapter is rebuilt only when its
 * connection changed, so its keep-alive sockets survive from one dispatch to the next.
 */
export class ProviderRegistry {
  private readonly adapters = new Map<string, { adapter: ProviderAdapter; version: number }>();

  constructor(
    readonly simulator: ProviderAdapter,
    private readonly loadConnection: (id: string) => Promise<ProviderConnectionRow | null>,
    private readonly publicUrl: () => string,
  ) {}

  async adapterFor(attempt: { connectionId: string | null }): Promise<ProviderAdapter | null> {
    if (!attempt.connectionId) return this.simulator;
    const connection = await this.loadConnection(attempt.connectionId);
    if (!connection) return null;
    const version = connection.updatedAt.getTime();
    const cached = this.adapters.get(connection.id);
    if (cached?.version === version) return cached.adapter;
    const adapter = createAdapter(connection, this.publicUrl());
    this.adapters.set(connection.id, { adapter, version });
    return adapter;
  }
}
