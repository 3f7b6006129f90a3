import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { sql, type Kysely } from 'kysely';
import WebSocket from 'ws';
import type { Database } from '../../../src/db/schema.js';
import { decodeEventCursor } from '../../../src/domain/event-cursor.js';
import { EventsSendMessage, ResumeMessageStatus } from '../../documents/events.js';
import { query } from '../../support/graphql-client.js';
import type { ResumeMessageStatusSubscription } from '../../generated/graphql.js';

/** Shared by the event-log tests (not a test file itself). */

export type StatusEvent = ResumeMessageStatusSubscription['messageStatusChanged'];

/** A graphql-ws client whose socket the test can cut like a network would (no close frame). */
export function cuttableClient(httpUrl: string, apiKey: string): { client: Client; cut: () => void } {
  const sockets: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: TrackedWebSocket,
    connectionParams: { authorization: `App ${apiKey}` },
    lazy: true,
    retryAttempts: 0,
  });
  return { client, cut: () => sockets.forEach((s) => s.terminate()) };
}

/**
 * A console following `messageStatusChanged`: keeps every event it receives and the last cursor, and
 * after its socket is cut subscribes again with that cursor (on whatever instance it is told).
 */
export class Follower {
  readonly received: StatusEvent[] = [];
  readonly errors: unknown[] = [];
  private current: { client: Client; cut: () => void } | null = null;
  private generation = 0;

  constructor(
    private readonly apiKey: string,
    private readonly filter: { bulkId?: string } | null,
    /** Where the first subscription resumes from (null: live from now). */
    private readonly startAfter: string | null = null,
  ) {}

  get lastCursor(): string | null {
    return this.received.at(-1)?.cursor ?? this.startAfter;
  }

  /** Subscribes on `httpUrl`, from the last cursor received (or live from now); resolves once connected. */
  async follow(httpUrl: string): Promise<void> {
    const generation = ++this.generation;
    const { client, cut } = cuttableClient(httpUrl, this.apiKey);
    this.current = { client, cut };
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    client.subscribe<ResumeMessageStatusSubscription>(
      { query: print(ResumeMessageStatus), variables: { filter: this.filter, after: this.lastCursor } },
      {
        next: (value) => {
          if (generation !== this.generation) return;
          if (value.errors) this.errors.push(value.errors);
          if (value.data) this.received.push(value.data.messageStatusChanged);
        },
        // A cut socket ends the subscription with an error; only errors of the live one count.
        error: (err) => {
          if (generation === this.generation) this.errors.push(err);
        },
        complete: () => undefined,
      },
    );
    await connected;
  }

  /** Cuts the socket (the server sees a dead connection, the client an abnormal close). */
  cut(): void {
    this.generation += 1;
    this.current?.cut();
    void this.current?.client.dispose();
    this.current = null;
  }

  async close(): Promise<void> {
    this.generation += 1;
    await this.current?.client.dispose();
  }
}

/** Every stored status change of a bulk's messages, per message in the order stored (status_event ids). */
export async function storedStatusSequences(db: Kysely<Database>, bulkId: string): Promise<Map<string, string[]>> {
  const { rows } = await sql<{ messageId: string; attemptId: string; channel: string; name: string }>`
    select m.message_id, a.attempt_id, se.channel, se.status->>'name' as name
    from status_event se join message m on m.id = se.message_ref join attempt a on a.id = se.attempt_ref
    where m.bulk_id = ${bulkId}
    order by se.id`.execute(db);
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.messageId, [...(out.get(r.messageId) ?? []), `${r.attemptId} ${r.channel} ${r.name}`]);
  return out;
}

/** The same from what a follower received (status changes only, not seen reports). */
export function receivedStatusSequences(events: StatusEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    if (e.seen || !e.attempt) continue;
    const id = e.message.messageId;
    out.set(id, [...(out.get(id) ?? []), `${e.attempt.attemptId} ${e.attempt.channel} ${e.attempt.status.name}`]);
  }
  return out;
}

/** Log positions of a bulk's status and seen events, ascending, as stored. */
export async function storedPositions(db: Kysely<Database>, bulkId: string | null, after = 0): Promise<number[]> {
  const { rows } = await sql<{ position: string }>`
    select e.position from event e left join message m on m.id = e.message_ref
    where e.kind in ('status', 'seen') and e.position > ${after} and (${bulkId}::text is null or m.bulk_id = ${bulkId})
    order by e.position`.execute(db);
  return rows.map((r) => Number(r.position));
}

export function positionOf(accountId: string, cursor: string): number {
  const decoded = decodeEventCursor(accountId, cursor);
  if (!decoded.ok) throw new Error(`not a cursor of account ${accountId}: ${cursor}`);
  return decoded.position;
}

/** Destinations whose simulator outcomes mix plain deliveries, failover to SMS and seen reports with replies. */
export function mixedDestinations(count: number, base = 0): Array<{ to: { phoneNumber: string } }> {
  const digits = [4, 0, 9, 4, 4];
  return Array.from({ length: count }, (_, i) => ({ to: { phoneNumber: `417930${String(base + i).padStart(4, '0')}${digits[i % digits.length]}` } }));
}

/** A bulk of `count` mixed destinations (Viber with SMS failover), accepted or the test fails. */
export async function sendMixedBulk(graphqlUrl: string, apiKey: string, bulkId: string, count: number): Promise<void> {
  const sent = await query(
    graphqlUrl,
    EventsSendMessage,
    {
      input: {
        bulkId,
        from: 'Omnishop',
        destinations: mixedDestinations(count),
        viber: { text: { text: 'Your parcel is on its way' } },
        smsFailover: { from: 'Omnishop', text: 'Your parcel is on its way' },
      },
    },
    apiKey,
  );
  if (sent.sendMessage.__typename !== 'SendMessageSuccess') throw new Error(`bulk ${bulkId} refused: ${JSON.stringify(sent.sendMessage)}`);
}

/** Resolves when every message of the bulk is final and nothing more is in flight for it. */
export async function bulkSettled(db: Kysely<Database>, bulkId: string): Promise<boolean> {
  const { rows } = await sql<{ open: string; total: string }>`
    select count(*) filter (where m.done_at is null) as open, count(*) as total from message m where m.bulk_id = ${bulkId}`.execute(db);
  return Number(rows[0]!.total) > 0 && Number(rows[0]!.open) === 0;
}

export const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
