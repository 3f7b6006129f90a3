import type { Account } from '../messaging/accounts.js';
import type { Services } from '../services.js';

/**
 * The services resolvers may call. Resolvers translate between GraphQL and these; the event bus, the
 * provider registry, the job machinery and the clock stay behind them.
 */
export type ApiServices = Pick<
  Services,
  'accounts' | 'scenarios' | 'send' | 'connections' | 'bulks' | 'reports' | 'inbound' | 'reportPush'
>;

/** What every resolver gets: the caller's account (authentication already happened) and the services. */
export interface GraphQLContext {
  account: Account;
  services: ApiServices;
}
