import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateScenario, SendMessage } from '../documents/operations.js';
import { PreviewSms, SmsAttemptCount } from '../documents/sms.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { query } from '../support/graphql-client.js';
import { waitFor } from './helpers.js';

describe('SMS text rules through the API', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
    await app.dropDatabase();
  });

  it('previews GSM-7 and UCS-2 texts with their segments and parts', async () => {
    const gsm = (await query(app.graphqlUrl, PreviewSms, { text: 'a'.repeat(161) }, app.apiKey)).previewSms;
    expect(gsm).toMatchObject({ encoding: 'GSM7', characters: 161, segments: 2, unitsPerSegment: 153 });
    expect(gsm.parts.map((p) => p.length)).toEqual([153, 8]);

    const ucs = (await query(app.graphqlUrl, PreviewSms, { text: `Привет ${'😀'.repeat(33)}` }, app.apiKey)).previewSms;
    expect(ucs).toMatchObject({ encoding: 'UCS2', characters: 73, segments: 2, unitsPerSegment: 67 });
    expect(ucs.parts.join('')).toBe(`Привет ${'😀'.repeat(33)}`);
    // A surrogate pair is never split across parts.
    for (const part of ucs.parts) expect(part).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);

    const euro = (await query(app.graphqlUrl, PreviewSms, { text: '€'.repeat(80) }, app.apiKey)).previewSms;
    expect(euro).toMatchObject({ encoding: 'GSM7', characters: 160, segments: 1 });
  });

  it('records the segment count on the SMS attempt', async () => {
    const scenario = await query(
      app.graphqlUrl,
      CreateScenario,
      { input: { name: 'SMS only', flow: [{ channel: 'SMS', from: 'Omnishop' }] } },
      app.apiKey,
    );
    expect(scenario.createScenario.__typename).toBe('CreateScenarioSuccess');
    const sent = await query(
      app.graphqlUrl,
      SendMessage,
      { input: { destinations: [{ to: { phoneNumber: '41793026724' }, messageId: 'sms-parts' }], sms: { text: 'x'.repeat(200) } } },
      app.apiKey,
    );
    expect(sent.sendMessage.__typename).toBe('SendMessageSuccess');
    const message = await waitFor(
      async () => (await query(app.graphqlUrl, SmsAttemptCount, { messageId: 'sms-parts' }, app.apiKey)).message,
      (m) => m?.status.groupName === 'DELIVERED',
    );
    expect(message?.attempts).toEqual([{ channel: 'SMS', messageCount: 2 }]);
  });
});
