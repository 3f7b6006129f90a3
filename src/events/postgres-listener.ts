import pg from 'pg';
import { retryDelayMs } from '../domain/backoff.js';
import type { Logger } from '../logger.js';

export interface PostgresListenerOptions {
  /** First reconnect delay (ms); later ones back off exponentially with jitter up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * One LISTEN connection that outlives its socket. A pg.Client never reconnects by itself: when its
 * backend is terminated or the server restarts, it ends for good and every channel it listened on goes
 * quiet. This one opens a new connection with backoff and LISTENs again on every channel wanted at that
 * moment, so subscribers opened before a fault keep receiving events after it. Notifications sent while
 * it is down are lost (PostgreSQL keeps none for absent listeners); `problem()` says so meanwhile.
 */
export class PostgresListener {
  private client: pg.Client | null = null;
  private readonly channels = new Set<string>();
  private downSince: Date | null = null;
  private lastError: string | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  private readonly reconnected = new Set<() => void>();

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
    private readonly onNotification: (channel: string, payload: string | undefined) => void,
    private readonly options: PostgresListenerOptions = {},
  ) {}

  /** The first connection: a service that cannot reach its database at start should not start. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  listen(channel: string): void {
    this.channels.add(channel);
    this.send(`listen ${channel}`);
  }

  unlisten(channel: string): void {
    this.channels.delete(channel);
    this.send(`unlisten ${channel}`);
  }

  /** Calls `callback` after each reconnection (notifications sent while down are lost). */
  onReconnect(callback: () => void): () => void {
    this.reconnected.add(callback);
    return () => this.reconnected.delete(callback);
  }

  /** Why notifications cannot arrive right now, or null while they can. */
  problem(): string | null {
    if (!this.downSince) return null;
    return `PostgreSQL event listener disconnected since ${this.downSince.toISOString()}${this.lastError ? ` (${this.lastError})` : ''}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /**
   * Statements go to the live client (pg queues them in order). With none, nothing is lost: the next
   * connection LISTENs on whatever `channels` holds by then.
   */
  private send(statement: string): void {
    const client = this.client;
    if (!client) return;
    client.query(statement).catch((err: unknown) => {
      // A connection dying mid-statement is handled by its 'error'/'end' handler; anything else is worth a line.
      if (this.client === client) this.logger.error({ error: String(err), statement }, 'event listener statement failed');
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      if (this.client === client) this.client = null;
      // 'error' and 'end' both arrive for one loss; the socket is gone either way.
      client.end().catch(() => undefined);
      if (!this.closed) this.scheduleReconnect(err?.message ?? 'connection ended');
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (n) => this.onNotification(n.channel, n.payload));
    try {
      await client.connect();
      // Every channel wanted now, in one round trip; channels added while this runs are sent on this client below.
      const wanted = [...this.channels];
      this.client = client;
      if (wanted.length > 0) await client.query(wanted.map((c) => `listen ${c}`).join('; '));
    } catch (err) {
      onLost(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    if (lost) return;
    const wasDown = this.downSince !== null;
    if (this.downSince) {
      this.logger.info({ downMs: Date.now() - this.downSince.getTime(), channels: this.channels.size }, 'event listener reconnected');
    }
    this.downSince = null;
    this.lastError = null;
    this.failures = 0;
    if (wasDown) for (const callback of [...this.reconnected]) callback();
  }

  private scheduleReconnect(reason: string): void {
    if (this.reconnectTimer || this.closed) return;
    this.downSince ??= new Date();
    this.lastError = reason;
    this.failures += 1;
    const delay = retryDelayMs(this.failures, { baseMs: this.options.backoffMs ?? 200, maxMs: this.options.maxBackoffMs ?? 2_000 });
    if (this.failures === 1) this.logger.error({ error: reason }, 'event listener connection lost; reconnecting');
    else this.logger.warn({ error: reason, attempt: this.failures, delayMs: delay }, 'event listener still disconnected');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      // A failed attempt schedules the next one through onLost.
      this.connect().catch(() => undefined);
    }, delay);
  }
}
