import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { post } from '../../support/graphql-client.js';

const CONNECTION_FIELDS = 'id name type baseUrl channels hasCredentials twoWay webhookUrls { purpose url } callbackAuthorization createdAt updatedAt';
const doc = (source: string) => parse(source) as TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>;

describe('provider credentials are write-only', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
    await app.dropDatabase();
  });

  it('no mutation answer or query returns an API key or auth token once written', async () => {
    const apiKey = 'secret-infobip-key-5f0e9c';
    const authToken = 'secret-viber-token-8a1d7b';
    const replacement = 'secret-infobip-key-rotated-77aa';
    const answers: unknown[] = [];
    const call = async (source: string, variables: Record<string, unknown> = {}) => {
      const { status, body } = await post(app.graphqlUrl, doc(source), variables, app.apiKey);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      answers.push(body);
      return body.data!;
    };

    const configured = await call(
      `mutation($i: ConfigureProviderConnectionInput!) { configureProviderConnection(input: $i) {
         __typename ... on ConfigureProviderConnectionSuccess { connection { ${CONNECTION_FIELDS} } } } }`,
      { i: { name: 'ib', type: 'INFOBIP', baseUrl: 'http://127.0.0.1:9', credentials: { apiKey }, channels: ['VIBER', 'SMS'] } },
    );
    const id = (configured.configureProviderConnection as { connection: { id: string } }).connection.id;
    await call(
      `mutation($i: ConfigureProviderConnectionInput!) { configureProviderConnection(input: $i) { __typename } }`,
      { i: { name: 'bot', type: 'VIBER_BOT', baseUrl: 'http://127.0.0.1:9/pa', credentials: { authToken }, channels: ['VIBER'] } },
    );
    await call(
      `mutation($id: String!, $i: UpdateProviderConnectionInput!) { updateProviderConnection(id: $id, input: $i) {
         __typename ... on UpdateProviderConnectionSuccess { connection { ${CONNECTION_FIELDS} } } } }`,
      { id, i: { credentials: { apiKey: replacement } } },
    );
    const listed = await call(`{ providerConnections { ${CONNECTION_FIELDS} } providerConnection(id: "${id}") { ${CONNECTION_FIELDS} } }`);
    expect((listed.providerConnections as unknown[]).length).toBe(2);

    const everything = JSON.stringify(answers);
    for (const secret of [apiKey, authToken, replacement]) expect(everything).not.toContain(secret);
    // …and the schema has no field that could: no type exposes credentials.
    const sdl = JSON.stringify(await call('{ __type(name: "ProviderConnection") { fields { name } } }'));
    expect(sdl).not.toMatch(/apiKey|authToken|credentials"/);
  });
});
