import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';

/** How events cross instances (Redis or PostgreSQL), and whether they can right now (for /readyz). */
export type EventTransport = TypedEventTarget<CustomEvent> & {
  close(): Promise<void>;
  /** Why events published now may not reach this instance's subscribers, or null while they can. */
  problem(): string | null;
};
