import { builder } from './builder.js';

/** What every event of the account's log shows, whatever its kind. */
export const EventInterface = builder.interfaceRef<{ cursor: string; occurredAt: Date }>('Event').implement({
  description: "An entry of the account's event log: a status change, a seen report, an inbound message, a conversation change.",
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque position in the log: pass it as `after` (query or subscription) to go on right after it.' }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', description: 'When it happened.' }),
  }),
});
