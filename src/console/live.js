// Live feeds over one graphql-ws connection that survive a dropped connection without losing an event.
//
// Each feed remembers the cursor of the last event it handled. When the connection drops (a closed
// laptop lid, a proxy restart, the server going away), the feeds are subscribed again on a new
// connection with `after: <that cursor>`, and the server replays what happened in between. Handlers
// must therefore accept an event they have already seen (the page keys everything by id).

const RESUME_ERRORS = new Set(['BAD_CURSOR', 'CURSOR_EXPIRED']);
const AUTH_CLOSE_CODES = new Set([4401, 4403]);
const PING_EVERY_MS = 10_000;
const PONG_WITHIN_MS = 5_000;

/** Delay before reconnect attempt `n` (0-based): 0.5 s doubling to 5 s, with jitter so tabs spread out. */
function backoff(n) {
  const base = Math.min(5_000, 500 * 2 ** n);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

function closeCodeOf(err) {
  return err && typeof err === 'object' && typeof err.code === 'number' ? err.code : null;
}

/**
 * @typedef {object} Feed
 * @property {string} name
 * @property {string} query            a subscription taking `$after: String`
 * @property {() => object} [variables] other variables
 * @property {(data: object) => string | null | undefined} cursorOf
 * @property {(data: object) => void} onEvent
 */

export class LiveFeeds {
  /**
   * @param {object} options
   * @param {string} options.url
   * @param {string} options.apiKey
   * @param {Feed[]} options.feeds
   * @param {string | null} [options.from]  the log's position the page's data was read at: every feed
   *   starts after it, so nothing that happens while the page loads is lost (null: live from now)
   * @param {(state: 'connecting' | 'live' | 'reconnecting', detail?: string) => void} options.onState
   * @param {() => void} options.onUnauthorized  the key was refused (revoked, expired)
   * @param {(feeds: string[]) => void} options.onGap  these feeds have no cursor to resume from (none seen
   *   yet, or the server no longer knows it): what they cover may have changed unseen; reload it
   * @param {(feed: string, message: string) => void} options.onFeedError
   */
  constructor(options) {
    this.options = options;
    /** @type {Map<string, string | null>} */
    this.cursors = new Map(options.feeds.map((f) => [f.name, options.from ?? null]));
    this.client = null;
    this.disposers = new Map();
    this.reconnectTimer = null;
    this.attempt = 0;
    this.wasLive = false;
    this.stopped = false;
    this.onOnline = () => {
      if (this.reconnectTimer) this.reconnectNow();
    };
  }

  start() {
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.reconnectTimer);
    this.teardown();
  }

  /** The cursor the feed would resume from (for tests and diagnostics). */
  cursor(name) {
    return this.cursors.get(name) ?? null;
  }

  connect() {
    this.reconnectTimer = null;
    const resuming = this.wasLive;
    this.options.onState(resuming ? 'reconnecting' : 'connecting');
    let pongTimer = null;
    const client = window.graphqlWs.createClient({
      url: this.options.url,
      connectionParams: { authorization: `App ${this.options.apiKey}` },
      lazy: true,
      // Reconnecting is done here, not by graphql-ws: it would resubscribe with the payload of the first
      // subscribe, i.e. the cursor as it was then, and replay events the page has already handled.
      retryAttempts: 0,
      keepAlive: PING_EVERY_MS,
      on: {
        connected: () => {
          this.attempt = 0;
          this.options.onState('live');
          if (resuming) {
            const blind = [...this.cursors].filter(([, c]) => !c).map(([name]) => name);
            if (blind.length > 0) this.options.onGap(blind);
          }
          this.wasLive = true;
        },
        // A connection that silently died (no FIN, e.g. a lost network) answers no ping: close it.
        ping: (received) => {
          if (!received) pongTimer = setTimeout(() => client.terminate(), PONG_WITHIN_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
        closed: () => clearTimeout(pongTimer),
      },
    });
    this.client = client;
    for (const feed of this.options.feeds) this.subscribe(feed);
  }

  subscribe(feed) {
    const client = this.client;
    const variables = { ...(feed.variables?.() ?? {}), after: this.cursors.get(feed.name) ?? null };
    const dispose = client.subscribe(
      { query: feed.query, variables },
      {
        next: (result) => {
          if (client !== this.client) return;
          if (result.errors?.length) {
            this.options.onFeedError(feed.name, result.errors.map((e) => e.message).join('; '));
            return;
          }
          if (!result.data) return;
          const cursor = feed.cursorOf(result.data);
          feed.onEvent(result.data);
          // Only after the handler ran: an event whose handling threw is replayed on resume. An event
          // without a cursor comes from a live-only stream: nothing to resume from, so a reconnect reloads.
          this.cursors.set(feed.name, cursor ?? null);
        },
        error: (err) => {
          if (client !== this.client || this.stopped) return;
          if (Array.isArray(err)) {
            // The server refused this subscription (not the connection).
            const codes = err.map((e) => e?.extensions?.code);
            if (codes.some((c) => RESUME_ERRORS.has(c))) {
              this.cursors.set(feed.name, null);
              this.options.onGap([feed.name]);
              this.subscribe(feed);
              return;
            }
            if (codes.includes('UNAUTHENTICATED')) {
              this.options.onUnauthorized();
              return;
            }
            this.options.onFeedError(feed.name, err.map((e) => e?.message ?? String(e)).join('; '));
            return;
          }
          if (AUTH_CLOSE_CODES.has(closeCodeOf(err))) {
            this.options.onUnauthorized();
            return;
          }
          this.scheduleReconnect();
        },
        complete: () => {
          // A live feed never ends by itself; if the server ends it, start it again where it stopped.
          if (client !== this.client || this.stopped) return;
          this.scheduleReconnect();
        },
      },
    );
    this.disposers.set(feed.name, dispose);
  }

  teardown() {
    const client = this.client;
    this.client = null;
    for (const dispose of this.disposers.values()) dispose();
    this.disposers.clear();
    client?.dispose();
  }

  scheduleReconnect() {
    if (this.reconnectTimer || this.stopped) return;
    this.teardown();
    const delay = backoff(this.attempt++);
    this.options.onState('reconnecting', `Reconnecting in ${Math.ceil(delay / 1000)} s…`);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    clearTimeout(this.reconnectTimer);
    this.connect();
  }
}
