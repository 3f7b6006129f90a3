import { print } from 'graphql';
import { countRows, sleep, waitFor } from '../helpers.js';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Client } from 'graphql-ws';
import type { Kysely } from 'kysely';
import type { Database } from '../../../src/db/schema.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { query } from '../../support/graphql-client.js';

/** Shared by the delivery-engine integration tests (not a test file itself). */

export type EngineApp = TestApp & { dropDatabase(): Promise<void> };

export async function startEngineApp(env: Record<string, string> = {}): Promise<EngineApp> {
  return startTestApp(env);
}

/**
 * Stops the app once nothing is in flight any more (no attempt being sent, awaiting a simulator report or
 * due within a second), so a test's teardown does not race the work it started. Gives up waiting after
 * 10 s and stops anyway.
 */
export async function stopEngineApp(app: EngineApp | undefined): Promise<void> {
  if (!app) return;
  const busy = async () => {
    const soon = new Date(app.services.clock.now().getTime() + 1_000);
    const row = await app.database.db
      .selectFrom('attempt')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where((eb) => eb.or([eb('dispatchState', 'in', ['SENDING', 'SENT']), eb.and([eb('dispatchState', '=', 'QUEUED'), eb('notBefore', '<=', soon)])]))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  try {
    await waitFor(busy, (n) => n === 0, 10_000, 100);
    await sleep(300); // the simulator's last reports and the report pushes they trigger
  } catch {
    // stop anyway
  }
  await app.stop();
  await app.dropDatabase();
}

/** A typed GraphQL call as the app's default account; fails on any GraphQL error. */
export function caller(app: TestApp) {
  return <R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> => query(app.graphqlUrl, document, variables, app.apiKey);
}

/**
 * A valid Swiss mobile number (E.164 digits, no +) whose last digit is `digit`: the simulator decides
 * the outcome by that digit. `n` keeps numbers distinct.
 */
export function phone(n: number, digit: number | string): string {
  const d = String(digit);
  if (!/^\d$/.test(d)) throw new Error(`bad digit ${d}`);
  if (n < 0 || n > 9999) throw new Error(`bad n ${n}`);
  return `417930${String(n).padStart(4, '0')}${d}`;
}

/** Narrows a union result by __typename, failing with the whole result otherwise. */
export function as<T extends { __typename?: string }, N extends string>(value: T, typename: N): Extract<T, { __typename?: N }> {
  if (value.__typename !== typename) throw new Error(`expected ${typename}, got ${JSON.stringify(value)}`);
  return value as Extract<T, { __typename?: N }>;
}

export const FINAL_GROUPS = ['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'] as const;
export const isFinalGroup = (g: string) => (FINAL_GROUPS as readonly string[]).includes(g);



export { sleep } from '../helpers.js';

export const ms = (iso: string | null | undefined): number => {
  if (!iso) throw new Error('expected a date-time, got null');
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`not a date-time: ${iso}`);
  return t;
};

/** A subscription that records when each event arrived, and whether and when the server completed it. */
export class TimedSubscription<R> {
  readonly events: Array<{ at: number; data: R }> = [];
  readonly errors: unknown[] = [];
  completedAt: number | null = null;
  private readonly dispose: () => void;

  constructor(client: Client, document: TypedDocumentNode<R, any>, variables: Record<string, unknown>) {
    this.dispose = client.subscribe<R>(
      { query: print(document), variables },
      {
        next: (value) => {
          if (value.errors) this.errors.push(value.errors);
          if (value.data) this.events.push({ at: Date.now(), data: value.data as R });
        },
        error: (err) => {
          this.errors.push(err instanceof Error ? err.message : err);
          this.completedAt ??= Date.now();
        },
        complete: () => {
          this.completedAt ??= Date.now();
        },
      },
    );
  }

  /** Waits until the server completes the subscription (or it errors); throws with what arrived on timeout. */
  async completion(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.completedAt === null) {
      if (Date.now() > deadline) {
        throw new Error(`subscription not completed after ${timeoutMs} ms; ${this.events.length} events, last: ${JSON.stringify(this.events.at(-1)?.data)}`);
      }
      await sleep(50);
    }
  }

  close(): void {
    this.dispose();
  }
}

export { countRows, waitFor };
