/**
 * Shared plumbing for the provider end-to-end tests (not a test file itself): the real service, typed
 * GraphQL calls, live subscriptions and row counts for "nothing was stored" checks.
 */
import { countRows, sleep } from '../helpers.js';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../../src/db/schema.js';
import {
  ProviderConfigureConnection,
  ProviderCreateScenario,
  ProviderInboundMessages,
  ProviderMessage,
  ProviderOnInbound,
  ProviderOnMessageStatus,
  ProviderSendMessage,
} from '../../documents/providers.js';
import type {
  ConfigureProviderConnectionInput,
  InboundMessageEventFilter,
  InboundMessageFilter,
  MessageEventFilter,
  ProviderMessageQuery,
  ProviderOnInboundSubscription,
  ProviderOnMessageStatusSubscription,
  ProviderSendMessageMutation,
  ScenarioStepInput,
  SendMessageInput,
} from '../../generated/graphql.js';
import { isLoopbackUrl } from '../../fakes/fake-server.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { query, Subscription, wsClient } from '../../support/graphql-client.js';

export type ProviderApp = TestApp & { dropDatabase(): Promise<void> };
export type Connection = Awaited<ReturnType<typeof configureConnection>>;
export type Msg = NonNullable<ProviderMessageQuery['message']>;
export type StatusEvent = ProviderOnMessageStatusSubscription['messageStatusChanged'];
export type InboundEvent = ProviderOnInboundSubscription['inboundMessageReceived'];
type SendResult = ProviderSendMessageMutation['sendMessage'];

export const FINAL_GROUPS = ['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'];

export async function startProviderApp(env: Record<string, string> = {}): Promise<ProviderApp> {
  return startTestApp(env);
}

export async function configureConnection(app: ProviderApp, input: ConfigureProviderConnectionInput) {
  const data = await query(app.graphqlUrl, ProviderConfigureConnection, { input }, app.apiKey);
  const r = data.configureProviderConnection;
  if (r.__typename !== 'ConfigureProviderConnectionSuccess') throw new Error(`configure failed: ${JSON.stringify(r)}`);
  return r.connection;
}

export function webhookUrl(connection: { webhookUrls: Array<{ purpose: string; url: string }> }, purpose: string): string {
  const hit = connection.webhookUrls.find((w) => w.purpose === purpose);
  if (!hit) throw new Error(`connection shows no ${purpose} webhook URL: ${JSON.stringify(connection.webhookUrls)}`);
  // Fakes only ever call loopback; a URL pointing elsewhere means the test is mis-wired.
  if (!isLoopbackUrl(hit.url)) throw new Error(`webhook URL ${hit.url} is not loopback`);
  return hit.url;
}

export async function createScenario(app: ProviderApp, name: string, flow: ScenarioStepInput[]): Promise<string> {
  const data = await query(app.graphqlUrl, ProviderCreateScenario, { input: { name, flow } }, app.apiKey);
  const r = data.createScenario;
  if (r.__typename !== 'CreateScenarioSuccess') throw new Error(`createScenario failed: ${JSON.stringify(r)}`);
  return r.scenario.key;
}

export async function sendRaw(app: ProviderApp, input: SendMessageInput): Promise<SendResult> {
  const data = await query(app.graphqlUrl, ProviderSendMessage, { input }, app.apiKey);
  return data.sendMessage;
}

/** Sends and returns the accepted messages; fails the test on anything but success. */
export async function send(app: ProviderApp, input: SendMessageInput) {
  const r = await sendRaw(app, input);
  if (r.__typename !== 'SendMessageSuccess') throw new Error(`sendMessage failed: ${JSON.stringify(r)}`);
  return r.messages;
}

/** Sends expecting a ValidationError; returns its field errors. */
export async function sendInvalid(app: ProviderApp, input: SendMessageInput) {
  const r = await sendRaw(app, input);
  if (r.__typename !== 'ValidationError') throw new Error(`expected a ValidationError, got ${JSON.stringify(r)}`);
  return r.fieldErrors;
}

export async function getMessage(app: ProviderApp, messageId: string): Promise<Msg> {
  const data = await query(app.graphqlUrl, ProviderMessage, { messageId }, app.apiKey);
  if (!data.message) throw new Error(`message ${messageId} not found`);
  return data.message;
}

/** Polls the message until `done` holds. */
export async function waitForMessage(app: ProviderApp, messageId: string, done: (m: Msg) => boolean, timeoutMs = 15_000): Promise<Msg> {
  const deadline = Date.now() + timeoutMs;
  let last = await getMessage(app, messageId);
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for message ${messageId}; last: ${JSON.stringify(last)}`);
    await sleep(50);
    last = await getMessage(app, messageId);
  }
  return last;
}

/** Waits until the attempt of `step` (1-based) has been accepted by its provider (has a provider id). */
export async function waitForAccepted(app: ProviderApp, messageId: string, step = 1) {
  const m = await waitForMessage(app, messageId, (x) => {
    const a = x.attempts.find((t) => t.step === step);
    return Boolean(a?.providerMessageId) || Boolean(a && FINAL_GROUPS.includes(a.status.groupName));
  });
  const attempt = m.attempts.find((t) => t.step === step)!;
  if (!attempt.providerMessageId) throw new Error(`attempt ${step} ended without being accepted: ${JSON.stringify(attempt)}`);
  return { message: m, attempt, providerMessageId: attempt.providerMessageId };
}

export async function attemptIdOf(app: ProviderApp, messageId: string, step = 1): Promise<string> {
  const m = await waitForMessage(app, messageId, (x) => x.attempts.some((a) => a.step === step));
  return m.attempts.find((a) => a.step === step)!.attemptId;
}

export async function listInbound(app: ProviderApp, filter: InboundMessageFilter | null = null, first = 50) {
  const data = await query(app.graphqlUrl, ProviderInboundMessages, { filter, first }, app.apiKey);
  return data.inboundMessages.edges.map((e) => e.node);
}

export interface Live<R> {
  sub: Subscription<R, any>;
  close(): Promise<void>;
}

async function openLive<R, V>(app: ProviderApp, doc: TypedDocumentNode<R, V>, variables: V): Promise<Live<R>> {
  const client = wsClient(app.graphqlUrl, { authorization: `App ${app.apiKey}` });
  const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  const sub = new Subscription<R, V>(client, doc, variables);
  await connected;
  // graphql-ws acknowledges the connection before the server has registered the subscription itself.
  await sleep(250);
  return {
    sub,
    close: async () => {
      sub.close();
      await client.dispose();
    },
  };
}

export function liveStatus(app: ProviderApp, filter: MessageEventFilter) {
  return openLive(app, ProviderOnMessageStatus, { filter });
}

export function liveInbound(app: ProviderApp, filter: InboundMessageEventFilter | null = null) {
  return openLive(app, ProviderOnInbound, { filter });
}


/** The rows a callback can create; a refused callback must leave all three unchanged. */
export async function callbackRowCounts(app: ProviderApp) {
  const db = app.database.db;
  return {
    inboundMessage: await countRows(db, 'inboundMessage'),
    statusEvent: await countRows(db, 'statusEvent'),
    viberSubscriber: await countRows(db, 'viberSubscriber'),
  };
}

export interface RawReply {
  status: number;
  text: string;
}

/** POSTs exactly these bytes (with a JSON content type unless overridden) to a loopback URL. */
export async function rawPost(url: string, body: string, headers: Record<string, string> = {}): Promise<RawReply> {
  if (!isLoopbackUrl(url)) throw new Error(`rawPost refuses non-loopback URL ${url}`);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, text: await res.text() };
}

/** A URL like `url` with the connection id segment replaced (for unknown-connection checks). */
export function withConnectionId(url: string, connectionId: string, newId: string): string {
  expect(url).toContain(`/${connectionId}`);
  return url.replace(`/${connectionId}`, `/${newId}`);
}

export { sleep } from '../helpers.js';

/** The GraphQL DateTime for an epoch-milliseconds timestamp. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export { countRows };
