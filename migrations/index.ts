import type { Migration } from 'kysely';
import * as foundation from './2026-11-21T00-foundation.js';
import * as deliveryEngine from './2026-11-21T01-delivery-engine.js';
import * as providerConnections from './2026-11-21T02-provider-connections.js';
import * as hotPathWrites from './2026-11-21T03-hot-path-writes.js';
import * as workerLeases from './2026-12-01T01-worker-leases.js';

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '2026-11-21T00-foundation': foundation,
  '2026-11-21T01-delivery-engine': deliveryEngine,
  '2026-11-21T02-provider-connections': providerConnections,
  '2026-11-21T03-hot-path-writes': hotPathWrites,
  '2026-12-01T01-worker-leases': workerLeases,
};
