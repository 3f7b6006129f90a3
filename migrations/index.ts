import type { Migration } from 'kysely';
import * as foundation from './2026-11-21T00-foundation.js';
import * as deliveryEngine from './2026-11-21T01-delivery-engine.js';
import * as providerConnections from './2026-11-21T02-provider-connections.js';
import * as hotPathWrites from './2026-11-21T03-hot-path-writes.js';
import * as reportDetails from './2026-12-01T00-report-details.js';
import * as observability from './2026-12-01T03-observability.js';
import * as apiKeyScopes from './2026-12-01T02-api-key-scopes.js';
import * as workerLeases from './2026-12-01T01-worker-leases.js';
import * as eventLog from './2026-12-01T04-event-log.js';
import * as apiKeyRateLimits from './2026-12-01T06-api-key-rate-limits.js';
import * as conversations from './2026-12-01T05-conversations.js';

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '2026-11-21T00-foundation': foundation,
  '2026-11-21T01-delivery-engine': deliveryEngine,
  '2026-11-21T02-provider-connections': providerConnections,
  '2026-11-21T03-hot-path-writes': hotPathWrites,
  '2026-12-01T00-report-details': reportDetails,
  '2026-12-01T02-api-key-scopes': apiKeyScopes,
  '2026-12-01T03-observability': observability,
  '2026-12-01T01-worker-leases': workerLeases,
  '2026-12-01T04-event-log': eventLog,
  '2026-12-01T06-api-key-rate-limits': apiKeyRateLimits,
  '2026-12-01T05-conversations': conversations,
};
