import type { AuthenticatedAccount } from '../messaging/api-keys.js';
import type { Services } from '../services.js';

/**
 * The services resolvers may call. Resolvers translate between GraphQL and these; the event bus, the
 * provider registry, the job machinery and the clock stay behind them.
 */
export type ApiServices = Pick<
  Services,
  'accounts' | 'apiKeys' | 'scenarios' | 'send' | 'connections' | 'bulks' | 'reports' | 'inbound' | 'reportPush' | 'events' | 'conversations'
>;

/**
 * What every resolver gets: the caller's account and key (authentication and the key's scopes were
 * checked before any resolver ran) and the services.
 */
export interface GraphQLContext {
  account: AuthenticatedAccount;
  services: ApiServices;
}
