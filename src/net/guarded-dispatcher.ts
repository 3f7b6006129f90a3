import { Agent, buildConnector } from 'undici';
import type { OutboundGuard } from './outbound-guard.js';

/**
 * An undici dispatcher (for `fetch`) that opens connections only to addresses the guard allows: host names
 * through its `lookup`, IP hosts (connected to without a lookup) checked first.
 */
export function guardedDispatcher(guard: OutboundGuard): Agent {
  const connect = buildConnector({ lookup: guard.lookup });
  return new Agent({
    connect: (options, callback) => {
      const refused = guard.literalRefusal(options.hostname);
      if (refused) callback(refused, null);
      else connect(options, callback);
    },
  });
}
