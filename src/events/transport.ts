import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';

/** How events cross instances (Redis or PostgreSQL), and whether they can right now (for /readyz). */
export type EventTransport = TypedEventTarget<CustomEvent> & {
  close(): Promise<void>;
  /** Why events published now may not reach this instance's subscribers, or null while they can. */
  problem(): string | null;
  /**
   * Calls `callback` each time the transport has reconnected after a loss: events published while it was
   * down did not arrive, and readers that must not miss any fill the gap from the event log. Returns the
   * function that stops the calls.
   */
  onReconnect(callback: () => void): () => void;
};
