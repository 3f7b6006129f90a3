/**
 * A cursor argument that names no position of the caller's account: malformed, edited, or another
 * account's. The message names the argument and nothing about the cursor's content.
 */
export class BadCursorError extends Error {
  constructor(readonly argument: string) {
    super(`${argument} is not a cursor of this account's events`);
    this.name = 'BadCursorError';
  }
}

/** The events after this cursor are no longer all kept (EVENT_RETENTION_DAYS): the client refetches by query. */
export class CursorExpiredError extends Error {
  constructor(readonly argument: string) {
    super(`${argument} is older than the events still kept; read the current state by query and subscribe again without it`);
    this.name = 'CursorExpiredError';
  }
}
