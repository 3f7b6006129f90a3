import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T> {
  data?: T;
  errors?: Array<{ message: string }>;
}

/** One GraphQL request over HTTP. Throws on a transport error, an HTTP error or any GraphQL error. */
export async function gql<T>(url: string, apiKey: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `App ${apiKey}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  let body: GraphQLResponse<T>;
  try {
    body = JSON.parse(text) as GraphQLResponse<T>;
  } catch {
    throw new Error(`GraphQL answered HTTP ${res.status} with a non-JSON body: ${text.slice(0, 500)}`);
  }
  if (res.status !== 200 || body.errors?.length || !body.data) {
    throw new Error(`GraphQL request failed (HTTP ${res.status}): ${JSON.stringify(body.errors ?? body).slice(0, 2000)}`);
  }
  return body.data;
}

/** A result union member we did not want (ValidationError etc.) becomes an exception with its details. */
export function expectType<T extends { __typename: string }>(value: T, typename: string, what: string): T {
  if (value.__typename !== typename) throw new Error(`${what} returned ${value.__typename}: ${JSON.stringify(value).slice(0, 2000)}`);
  return value;
}

export function wsClient(graphqlUrl: string, apiKey: string): Client {
  return createClient({
    url: graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `App ${apiKey}` },
    lazy: true,
    retryAttempts: 0,
  });
}

export const CONFIGURE_CONNECTION = /* GraphQL */ `
  mutation BenchConfigureConnection($input: ConfigureProviderConnectionInput!) {
    configureProviderConnection(input: $input) {
      __typename
      ... on ConfigureProviderConnectionSuccess { connection { id type callbackAuthorization webhookUrls { purpose url } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on NotFoundError { message }
    }
  }
`;

/** What a client sending a bulk would read back: every message's id, address and status. */
export const SEND_MESSAGES = /* GraphQL */ `
  mutation BenchSendMessages($input: SendMessagesInput!) {
    sendMessages(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId to status { groupName name } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on Error { message }
    }
  }
`;

export const SEND_MESSAGE = /* GraphQL */ `
  mutation BenchSendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId to status { groupName name } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on Error { message }
    }
  }
`;

export const BULK_COUNTERS = /* GraphQL */ `
  query BenchBulk($bulkId: String!) {
    bulk(bulkId: $bulkId) { bulkId status counters { accepted pending delivered undeliverable expired rejected total } }
  }
`;

export const STATUS_CHANGED = /* GraphQL */ `
  subscription BenchStatusChanged($filter: MessageEventFilter) {
    messageStatusChanged(filter: $filter) {
      occurredAt
      message { messageId status { groupName name } }
    }
  }
`;

export interface SendResult {
  __typename: string;
  bulkId: string;
  messages: Array<{ messageId: string; to: string; status: { groupName: string; name: string } }>;
}

export interface BulkCounters {
  accepted: number;
  pending: number;
  delivered: number;
  undeliverable: number;
  expired: number;
  rejected: number;
  total: number;
}
