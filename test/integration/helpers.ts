import { print, type DocumentNode } from 'graphql';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';

/** Small helpers shared by the foundation's integration tests (not a test file itself). */

export interface RawResult {
  status: number;
  /** The parsed JSON body (unknown shape: these tests look at errors the typed client would hide). */
  json: any;
  text: string;
}

/** A GraphQL POST with exactly the headers given: no key, a wrong key, `Bearer`, … */
export async function rawPost(
  url: string,
  body: { query: string | DocumentNode; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<RawResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: JSON.stringify({ query: typeof body.query === 'string' ? body.query : print(body.query), variables: body.variables ?? {} }),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}

export async function countRows(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Polls `probe` until it returns a value `done` accepts; throws with the last value on timeout. */
export async function waitFor<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 4000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
    last = await probe();
  }
  return last;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
