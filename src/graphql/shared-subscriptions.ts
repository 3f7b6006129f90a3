import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type WebSocket from 'ws';
import type { Logger } from '../logger.js';
import type { SubscriptionMetrics } from '../observability/subscription-metrics.js';
import { sharingKeyOf, type Subscriber } from './subscription-sharing-key.js';

type SubscribeResult = AsyncIterable<ExecutionResult> | ExecutionResult;
/** envelop's subscribe for one operation: runs the plugins (scopes, limits, masking) and graphql's subscribe. */
export type SubscribeFn = (args: ExecutionArgs) => Promise<SubscribeResult> | SubscribeResult;

/** The WebSocket close code for a subscriber that fell behind: 1013 Try Again Later (RFC 6455 registry). */
export const FELL_BEHIND_CLOSE_CODE = 1013;

/**
 * Unsent bytes a socket may have queued (in ws and Node, beyond what the kernel took) before its
 * subscriber counts as fallen behind: about 10,000 status events of ~400 bytes, so a healthy client on a
 * slow link survives a whole 10,000-message bulk arriving at once, while one that stopped reading holds
 * at most this much of the server's memory.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Sends per turn of the event loop: a fan-out to 10,000 sockets lets other I/O in between. */
const SENDS_PER_TURN = 2_000;

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/**
 * The `next` message of the graphql-transport-ws protocol around an already serialised payload: graphql-ws
 * would JSON.stringify the same result once per subscriber (the id differs); here it is serialised once
 * per event and only the id is spliced in. The payload has graphql-ws's own shape: the result with
 * `errors` as their JSON.
 */
function nextFramePrefix(subscriptionId: string): string {
  return `{"id":${JSON.stringify(subscriptionId)},"type":"next","payload":`;
}

function serialisedPayload(result: ExecutionResult): string {
  const { errors, ...rest } = result;
  return JSON.stringify(errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest);
}

/**
 * One subscriber of a shared execution. To graphql-ws it is the operation's async iterator: it yields
 * nothing (events are written straight to the socket by the group) and finishes when the subscriber
 * leaves or the shared stream ends, so graphql-ws then sends `complete` (or `error`) as usual, after
 * every `next` this member was sent.
 */
class Member implements AsyncIterableIterator<ExecutionResult> {
  private ended = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private readonly prefix: string;

  constructor(
    readonly socket: WebSocket,
    subscriptionId: string,
    private readonly onLeave: (member: Member) => void,
  ) {
    this.prefix = nextFramePrefix(subscriptionId);
  }

  /** Writes one event; false when the socket is gone (the member then leaves through graphql-ws's return). */
  send(payload: string): boolean {
    if (this.ended || this.socket.readyState !== this.socket.OPEN) return false;
    this.socket.send(this.prefix + payload + '}');
    return true;
  }

  /** The shared stream ended (err: it failed): graphql-ws completes or errors this subscription. */
  finish(err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (err !== undefined) this.failure = err;
    this.wake?.();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure !== null) {
      const err = this.failure;
      this.failure = null;
      throw err;
    }
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.ended) {
      this.ended = true;
      this.onLeave(this);
      this.wake?.();
    }
    return { done: true, value: undefined };
  }

  async throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw err;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** One execution shared by the subscribers of one key; it exists while it has members. */
class Group {
  readonly members = new Set<Member>();
  upstream: AsyncIterator<ExecutionResult> | null = null;
  closed = false;
  constructor(readonly key: string, readonly started: Promise<SubscribeResult>) {}
}

export interface SharedSubscriptionsOptions {
  metrics: SubscriptionMetrics;
  logger: Logger;
  /** See DEFAULT_MAX_BUFFERED_BYTES. */
  maxBufferedBytes?: number;
}

/** Who subscribes, and where its events go. */
export interface SubscriptionTarget extends Subscriber {
  socket: WebSocket;
  subscriptionId: string;
}

/**
 * Subscribers of one account with the same document, variables and scopes share one execution and one
 * serialisation per event; per subscriber only a socket write remains (the way Hasura multiplexes live
 * queries). Access rules are unchanged: the first subscriber's subscribe runs through every envelop
 * plugin, and a joiner differs from it in nothing those plugins look at (account, scopes, document,
 * variables). What may not be shared (see sharingKeyOf) runs per subscriber, exactly as before.
 *
 * The last member leaving ends the shared stream (and with it the bus subscription). A socket with more
 * than maxBufferedBytes unsent is closed (FELL_BEHIND_CLOSE_CODE) instead of being written to: writes never
 * wait for a socket, so a slow one delays no one, and this caps the memory it can hold. Its client may
 * reconnect and resubscribe (resuming with `after` where the field has it).
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  private readonly maxBufferedBytes: number;

  constructor(private readonly options: SharedSubscriptionsOptions) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  /** Subscribes `target` to the operation `args`, joining a running execution of it when there is one. */
  async subscribe(args: ExecutionArgs, target: SubscriptionTarget, subscribe: SubscribeFn): Promise<SubscribeResult> {
    const key = sharingKeyOf(args, target);
    if (key === null) return subscribe(args);
    let group = this.groups.get(key);
    if (!group) {
      group = new Group(key, Promise.resolve().then(() => subscribe(args)));
      this.groups.set(key, group);
      this.options.metrics.groupStarted();
      void this.run(group);
    }
    const member = new Member(target.socket, target.subscriptionId, (m) => this.leave(group, m));
    group.members.add(member);
    this.options.metrics.memberJoined();
    let started: SubscribeResult;
    try {
      started = await group.started;
    } catch (err) {
      this.leave(group, member);
      throw err;
    }
    if (!isAsyncIterable(started)) {
      // Refused (scope, limit, bad variables): the same answer for every subscriber of this key.
      this.leave(group, member);
      return started;
    }
    return member;
  }

  /** Groups running now (for tests and diagnostics). */
  get size(): number {
    return this.groups.size;
  }

  private leave(group: Group, member: Member): void {
    if (!group.members.delete(member)) return;
    this.options.metrics.memberLeft();
    if (group.members.size === 0) this.close(group);
  }

  private close(group: Group): void {
    if (group.closed) return;
    group.closed = true;
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    this.options.metrics.groupEnded();
    for (const m of group.members) {
      m.finish();
      this.options.metrics.memberLeft();
    }
    group.members.clear();
    // Ends the upstream at once (the bus's repeater returns without waiting for another event).
    group.upstream?.return?.().catch((err: unknown) => this.options.logger.warn({ err }, 'ending a shared subscription failed'));
  }

  private async run(group: Group): Promise<void> {
    let started: SubscribeResult;
    try {
      started = await group.started;
    } catch {
      this.close(group); // each member's subscribe rethrows it
      return;
    }
    if (!isAsyncIterable(started)) {
      this.close(group);
      return;
    }
    const upstream = started[Symbol.asyncIterator]();
    group.upstream = upstream;
    // Every member may have left while the stream was being set up.
    if (group.closed) {
      void upstream.return?.();
      return;
    }
    try {
      for (;;) {
        const { done, value } = await upstream.next();
        if (done || group.closed) break;
        await this.fanOut(group, serialisedPayload(value));
      }
      this.close(group);
    } catch (err) {
      for (const m of group.members) m.finish(err);
      this.close(group);
    }
  }

  /** One event to every member: a write each, never waiting for a socket to drain. */
  private async fanOut(group: Group, payload: string): Promise<void> {
    const started = performance.now();
    let sent = 0;
    let inTurn = 0;
    // A snapshot: members joining during a yielded turn start with the next event.
    for (const member of [...group.members]) {
      // A socket already closing (one that fell behind, too) is left to graphql-ws's close handling.
      if (member.isEnded || member.socket.readyState !== member.socket.OPEN) continue;
      if (member.socket.bufferedAmount > this.maxBufferedBytes) {
        this.dropBehind(member);
        continue;
      }
      if (member.send(payload)) sent += 1;
      if (++inTurn >= SENDS_PER_TURN) {
        inTurn = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    this.options.metrics.delivered(sent, (performance.now() - started) / 1000);
  }

  private dropBehind(member: Member): void {
    this.options.metrics.subscriberDropped('fell_behind');
    this.options.logger.warn({ bufferedBytes: member.socket.bufferedAmount, limit: this.maxBufferedBytes }, 'closing a WebSocket that fell behind its live events');
    // graphql-ws ends its subscriptions when the socket closes; the member leaves then. The close frame
    // waits behind the unsent bytes, so a client that reads nothing is cut off without it.
    member.socket.close(FELL_BEHIND_CLOSE_CODE, 'Try again later: too far behind live events');
    setTimeout(() => member.socket.terminate(), 5_000).unref();
  }
}
