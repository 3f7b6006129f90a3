import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type {
  Channel,
  ConfigureProviderConnectionInput,
  SendMessageInput,
  SendMessagesInput,
  StatusGroup,
} from '../../generated/graphql.js';
import { FakeInfobip, type InfobipApi, type InfobipSentMessage } from '../../fakes/infobip.js';
import { jsonReply, type FakeReply, type Json, type RecordedRequest } from '../../fakes/fake-server.js';
import { query } from '../../support/graphql-client.js';

/**
 * Shared by the fault-tolerance tests (test/integration/faults/), not a test file itself.
 *
 * The operations are typed by hand rather than through codegen, so these tests add no documents to
 * test/generated/ (which other suites regenerate). Only schema types are imported from it.
 */

function typed<R, V>(source: string): TypedDocumentNode<R, V> {
  return parse(source) as TypedDocumentNode<R, V>;
}

interface FieldErrorShape {
  path: string[];
  message: string;
}

export interface StatusShape {
  groupName: StatusGroup;
  name: string;
}

export const FaultsConfigureConnection = typed<
  {
    configureProviderConnection:
      | { __typename: 'ConfigureProviderConnectionSuccess'; connection: { id: string; callbackAuthorization: string | null; channels: Channel[] } }
      | { __typename: 'ValidationError'; message: string; fieldErrors: FieldErrorShape[] }
      | { __typename: 'NotFoundError'; message: string };
  },
  { input: ConfigureProviderConnectionInput }
>(`
  mutation FaultsConfigureConnection($input: ConfigureProviderConnectionInput!) {
    configureProviderConnection(input: $input) {
      __typename
      ... on ConfigureProviderConnectionSuccess { connection { id callbackAuthorization channels } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on NotFoundError { message }
    }
  }
`);

/** What sendMessage and sendMessages answer, as these tests select it. */
type FaultsSendResult =
  | { __typename: 'SendMessageSuccess'; bulkId: string; messages: Array<{ messageId: string; to: string; status: StatusShape }> }
  | { __typename: 'ValidationError'; message: string; fieldErrors: FieldErrorShape[] }
  | { __typename: 'IdempotencyConflictError' | 'NotFoundError'; message: string };

const SEND_RESULT_SELECTION = `
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId to status { groupName name } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on IdempotencyConflictError { message }
      ... on NotFoundError { message }`;

export const FaultsSendMessage = typed<
  {
    sendMessage: FaultsSendResult;
  },
  { input: SendMessageInput }
>(`
  mutation FaultsSendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      ${SEND_RESULT_SELECTION}
    }
  }
`);

export const FaultsSendMessages = typed<
  {
    sendMessages: FaultsSendResult;
  },
  { input: SendMessagesInput }
>(`
  mutation FaultsSendMessages($input: SendMessagesInput!) {
    sendMessages(input: $input) {
      ${SEND_RESULT_SELECTION}
    }
  }
`);

export interface FaultsAttempt {
  attemptId: string;
  step: number;
  channel: Channel;
  provider: string;
  status: StatusShape;
  error: { name: string; permanent: boolean } | null;
  sentAt: string | null;
  doneAt: string | null;
  expiresAt: string | null;
}

export interface FaultsMessageShape {
  messageId: string;
  to: string;
  channel: Channel;
  status: StatusShape;
  error: { name: string } | null;
  attempts: FaultsAttempt[];
}

export const FaultsMessage = typed<{ message: FaultsMessageShape | null }, { messageId: string }>(`
  query FaultsMessage($messageId: String!) {
    message(messageId: $messageId) {
      messageId to channel
      status { groupName name }
      error { name }
      attempts {
        attemptId step channel provider
        status { groupName name }
        error { name permanent }
        sentAt doneAt expiresAt
      }
    }
  }
`);

export interface FaultsCounters {
  total: number;
  accepted: number;
  pending: number;
  delivered: number;
  undeliverable: number;
  expired: number;
  rejected: number;
}

export const FaultsBulkCounters = typed<{ bulk: { status: string; counters: FaultsCounters } | null }, { bulkId: string }>(`
  query FaultsBulkCounters($bulkId: String!) {
    bulk(bulkId: $bulkId) { status counters { total accepted pending delivered undeliverable expired rejected } }
  }
`);

export const finalCount = (c: FaultsCounters): number => c.delivered + c.undeliverable + c.expired + c.rejected;

/** Configures an Infobip connection (VIBER and SMS) pointing at the fake; fails the test otherwise. */
export async function configureInfobip(
  graphqlUrl: string,
  apiKey: string,
  fake: FakeInfobip,
  name = 'Fake Infobip',
): Promise<{ id: string; callbackAuthorization: string }> {
  const res = await query(
    graphqlUrl,
    FaultsConfigureConnection,
    { input: { name, type: 'INFOBIP', baseUrl: fake.baseUrl, credentials: { apiKey: fake.apiKey }, channels: ['VIBER', 'SMS'] } },
    apiKey,
  );
  const r = res.configureProviderConnection;
  if (r.__typename !== 'ConfigureProviderConnectionSuccess' || !r.connection.callbackAuthorization) {
    throw new Error(`configureProviderConnection failed: ${JSON.stringify(r)}`);
  }
  return { id: r.connection.id, callbackAuthorization: r.connection.callbackAuthorization };
}

export function deliveryUrl(serviceUrl: string, connectionId: string): string {
  return `${serviceUrl}/webhooks/infobip/${connectionId}/delivery`;
}

/** A send request the fake received, flattened to what these tests count. */
export interface WireRequest {
  at: number;
  api: InfobipApi | null;
  channel: Channel | null;
  /** Destinations (digits, no '+') named in the request. */
  to: string[];
}

const API_OF_PATH: Record<string, InfobipApi> = { '/viber/2/messages': 'viber/2', '/sms/3/messages': 'sms/3', '/sms/2/text/advanced': 'sms/2' };

export function wireRequest(r: RecordedRequest): WireRequest {
  const api = API_OF_PATH[r.path] ?? null;
  const body = r.body as Json | undefined;
  const to: string[] = [];
  const messages = body && Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  for (const m of messages) {
    const dests = Array.isArray(m.destinations) ? (m.destinations as Json[]) : [];
    for (const d of dests) if (typeof d.to === 'string') to.push(d.to);
  }
  return { at: r.at, api, channel: api === null ? null : api === 'viber/2' ? 'VIBER' : 'SMS', to };
}

/** Every send request the fake received for one destination (digits without '+'), on one channel or any. */
export function requestsFor(fake: FakeInfobip, digits: string, channel?: Channel): WireRequest[] {
  return fake.requests.map(wireRequest).filter((w) => w.to.includes(digits) && (channel === undefined || w.channel === channel));
}

/**
 * FakeInfobip whose scripts can target one channel: the stock fake scripts by destination only, so "Viber
 * always answers 503" would also fail the SMS failover to the same number. Requests are still recorded
 * (the base server records before it asks `handle`).
 */
export class ChannelScriptedInfobip extends FakeInfobip {
  private readonly channelFailures = new Map<string, { httpStatus: number; retryAfter?: number }>();

  /** Every request on `channel` naming `to` fails with this HTTP status, until cleared. */
  failChannel(channel: Channel, to: string, failure: { httpStatus: number; retryAfter?: number }): this {
    this.channelFailures.set(`${channel}:${to}`, failure);
    return this;
  }

  clearChannelFailures(): void {
    this.channelFailures.clear();
  }

  protected override handle(req: RecordedRequest, index: number): FakeReply {
    const w = wireRequest(req);
    const failure = w.channel ? w.to.map((to) => this.channelFailures.get(`${w.channel}:${to}`)).find(Boolean) : undefined;
    if (failure) {
      const headers: Record<string, string> = failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {};
      return jsonReply(
        failure.httpStatus,
        { requestError: { serviceException: { messageId: 'GENERAL_ERROR', text: 'Something went wrong. Please contact support.' } } },
        headers,
      );
    }
    return super.handle(req, index) as FakeReply;
  }
}

/** Messages the fake accepted for one destination on one channel. */
export function sentFor(fake: FakeInfobip, digits: string, channel: Channel): InfobipSentMessage[] {
  return fake.sent.filter((s) => s.to === digits && s.channel === channel);
}

export { sleep, waitFor } from '../helpers.js';

/** Distinct valid Swiss mobile numbers, E.164: +41 79 302 nnnn. */
export function swissMobile(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 9999) throw new Error(`bad n ${n}`);
  return `+4179302${String(n).padStart(4, '0')}`;
}

export const digitsOf = (e164: string): string => e164.replace(/^\+/, '');
