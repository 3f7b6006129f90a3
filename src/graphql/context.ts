import type { Account } from '../messaging/accounts.js';
import type { Services } from '../services.js';

/** What every resolver gets: the caller's account (authentication already happened) and the services. */
export interface GraphQLContext {
  account: Account;
  services: Services;
}
