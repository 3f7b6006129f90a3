import { print, type ExecutionResult } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface HttpResult<R> {
  status: number;
  body: ExecutionResult<R>;
}

/** A GraphQL request over real HTTP, typed by the generated document. */
export async function post<R, V>(url: string, document: TypedDocumentNode<R, V>, variables: V, apiKey: string | null): Promise<HttpResult<R>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `App ${apiKey}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return { status: response.status, body: (await response.json()) as ExecutionResult<R> };
}

/** Like `post`, but fails the test on any GraphQL error, returning the data. */
export async function query<R, V>(url: string, document: TypedDocumentNode<R, V>, variables: V, apiKey: string): Promise<R> {
  const { status, body } = await post(url, document, variables, apiKey);
  if (status !== 200 || body.errors?.length || !body.data) {
    throw new Error(`GraphQL request failed (${status}): ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

/**
 * `lazy: false` keeps one socket open for the client's life. A lazy client closes its socket (1000) the
 * moment its last subscription ends, and a subscription started during that close is reported by
 * graphql-ws's client as completed with no result — a client-side race that many short subscriptions in
 * a row (the fuzz test) hit now and then.
 */
export function wsClient(httpUrl: string, connectionParams: Record<string, unknown>, options: { lazy?: boolean } = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: options.lazy ?? true,
    retryAttempts: 0,
  });
}

/**
 * A live subscription whose events pile up until the test asks for them, so no event is missed between
 * starting the subscription and awaiting it.
 */
export class Subscription<R, V = Record<string, unknown>> {
  readonly events: R[] = [];
  readonly errors: unknown[] = [];
  private waiters: Array<() => void> = [];
  private readonly dispose: () => void;
  completed = false;

  constructor(client: Client, document: TypedDocumentNode<R, V>, variables: V) {
    this.dispose = client.subscribe<R>(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (value) => {
          if (value.errors) this.errors.push(value.errors);
          if (value.data) this.events.push(value.data as R);
          this.wake();
        },
        error: (err) => {
          this.errors.push(err);
          this.wake();
        },
        complete: () => {
          this.completed = true;
          this.wake();
        },
      },
    );
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** Resolves with all events once `done(events)` holds; rejects on timeout with what arrived. */
  async until(done: (events: R[]) => boolean, timeoutMs = 15_000): Promise<R[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events)) {
      if (this.errors.length) throw new Error(`subscription failed: ${JSON.stringify(this.errors)}`);
      if (this.completed) throw new Error(`the subscription completed after ${this.events.length} events: ${JSON.stringify(this.events).slice(0, 2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; ${this.events.length} events: ${JSON.stringify(this.events).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events;
  }

  close(): void {
    this.dispose();
  }
}
