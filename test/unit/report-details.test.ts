import { describe, expect, it } from 'vitest';
import type { StepContent } from '../../src/domain/content.js';
import { messagePrice, type AttemptBilling } from '../../src/domain/price.js';
import { defaultViberLabel, viberLabelFor } from '../../src/domain/sending-options.js';
import { networkFailure } from '../../src/messaging/webhook-post.js';
import { InfobipCallbacks } from '../../src/providers/infobip/callbacks.js';
import type { WebhookRequest } from '../../src/providers/types.js';
import { deliveryReport } from '../fakes/infobip.js';

const billed = (pricePerMessage: string | null, priceCurrency: string | null, messageCount: number | null = 1): AttemptBilling => ({
  pricePerMessage,
  priceCurrency,
  messageCount,
});

describe('messagePrice: what a message cost in all', () => {
  it('sums each attempt\'s price per part times its parts, as exact decimals', () => {
    expect(messagePrice([billed('0.0104', 'EUR', 1), billed('0.01', 'EUR', 2)])).toEqual({ pricePerMessage: '0.0304', currency: 'EUR' });
    // 0.1 + 0.2 in floating point is 0.30000000000000004.
    expect(messagePrice([billed('0.1', 'EUR'), billed('0.2', 'EUR')])).toEqual({ pricePerMessage: '0.3', currency: 'EUR' });
  });

  it('counts an attempt without a part count as one part', () => {
    expect(messagePrice([billed('0.05', 'CHF', null)])).toEqual({ pricePerMessage: '0.05', currency: 'CHF' });
  });

  it('is null unless EVERY attempt has a price', () => {
    expect(messagePrice([billed('0.01', 'EUR'), billed(null, null)])).toBeNull();
    expect(messagePrice([billed(null, null), billed('0.01', 'EUR')])).toBeNull();
  });

  it('is null when the attempts were priced in different currencies', () => {
    expect(messagePrice([billed('0.01', 'EUR'), billed('0.01', 'USD')])).toBeNull();
  });

  it('is null for a message with no attempts, and zero-priced attempts sum to zero', () => {
    expect(messagePrice([])).toBeNull();
    expect(messagePrice([billed('0', 'EUR'), billed('0', 'EUR')])).toEqual({ pricePerMessage: '0', currency: 'EUR' });
  });
});

describe('the Viber label', () => {
  const text: StepContent = { type: 'TEXT', text: 'Hi' };
  const rich: StepContent = { type: 'RICH', text: 'Sale', imageUrl: 'https://shop.example/a.png', button: { text: 'Shop', url: 'https://shop.example' } };
  const carousel: StepContent = { type: 'CAROUSEL', items: [{ title: 'A', imageUrl: 'https://shop.example/a.png', buttonText: 'Buy', buttonUrl: 'https://shop.example/a' }] };

  it('defaults to PROMOTIONAL for rich and carousel content, TRANSACTIONAL for the rest', () => {
    expect([defaultViberLabel(text), defaultViberLabel(rich), defaultViberLabel(carousel)]).toEqual(['TRANSACTIONAL', 'PROMOTIONAL', 'PROMOTIONAL']);
  });

  it('is the client\'s when given', () => {
    expect(viberLabelFor(text, 'PROMOTIONAL')).toBe('PROMOTIONAL');
    expect(viberLabelFor(rich, 'TRANSACTIONAL')).toBe('TRANSACTIONAL');
    expect(viberLabelFor(rich, null)).toBe('PROMOTIONAL');
  });
});

describe('Infobip delivery report details', () => {
  const SECRET = 'details-secret-0123456789';
  const callbacks = new InfobipCallbacks({ webhookSecret: SECRET });
  const parse = (entry: Record<string, unknown>) => {
    const request: WebhookRequest = {
      subPath: '/delivery',
      headers: { authorization: `App ${SECRET}` },
      query: new URLSearchParams(),
      rawBody: Buffer.from(JSON.stringify({ results: [entry] })),
    };
    const [report] = callbacks.parse(request);
    if (report?.kind !== 'status') throw new Error(`not a status report: ${JSON.stringify(report)}`);
    return report;
  };
  const base = { messageId: 'MSG-1', to: '41793026727' };

  it('keeps a tiny price exactly, in plain decimal notation', () => {
    expect(parse(deliveryReport({ ...base, price: { pricePerMessage: 1e-7, currency: 'EUR' } })).details?.price).toEqual({ pricePerMessage: '0.0000001', currency: 'EUR' });
  });

  it('leaves out what it cannot read instead of refusing the report', () => {
    const entry = { ...deliveryReport(base), price: { pricePerMessage: 'ten', currency: 'EUR' }, mccMnc: 'n/a', messageCount: 2 };
    const report = parse(entry);
    expect(report.status.groupName).toBe('DELIVERED');
    expect(report.details).toEqual({ messageCount: 2 });
  });

  it('has no details when the report carries none', () => {
    const { price: _p, mccMnc: _m, messageCount: _c, ...bare } = deliveryReport(base);
    expect(parse(bare)).not.toHaveProperty('details');
  });
});

describe('a report push network failure names the code and the address tried', () => {
  const url = new URL('http://hooks.example:8080/reports');

  it('uses the address and port Node tried', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 });
    expect(networkFailure(err, url)).toEqual({ kind: 'failed', code: 'ECONNREFUSED', error: 'ECONNREFUSED 127.0.0.1:9' });
  });

  it('brackets an IPv6 address, and reads the first error of a happy-eyeballs AggregateError', () => {
    const v6 = Object.assign(new Error('connect ECONNREFUSED ::1:9'), { code: 'ECONNREFUSED', address: '::1', port: 9 });
    const aggregate = Object.assign(new AggregateError([v6], ''), { code: 'ECONNREFUSED' });
    expect(networkFailure(aggregate, url)).toEqual({ kind: 'failed', code: 'ECONNREFUSED', error: 'ECONNREFUSED [::1]:9' });
  });

  it('falls back to the URL\'s host when Node names no address (DNS, a reset)', () => {
    const err = Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example'), { code: 'ENOTFOUND', hostname: 'hooks.example' });
    expect(networkFailure(err, url)).toEqual({ kind: 'failed', code: 'ENOTFOUND', error: 'ENOTFOUND hooks.example:8080' });
  });

  it('keeps the message of an error without a code', () => {
    expect(networkFailure(new Error('something odd'), url)).toEqual({ kind: 'failed', code: 'ERROR', error: 'ERROR hooks.example:8080 (something odd)' });
  });
});
