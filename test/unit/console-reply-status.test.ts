import { describe, expect, it } from 'vitest';
import { replyStatus } from '../../src/console/reply-status.js';

const viber = { step: 1, channel: 'VIBER' };
const sms = { step: 2, channel: 'SMS' };

describe("the console's reply status", () => {
  it.each([
    ['not yet dispatched', { status: { groupName: 'ACCEPTED' }, attempts: [viber] }, 'queued', 'Queued'],
    ['with the provider', { status: { groupName: 'PENDING' }, sentAt: '2026-12-01T10:00:00Z', attempts: [viber] }, 'sent', 'Sent'],
    ['accepted, already sent', { status: { groupName: 'ACCEPTED' }, sentAt: '2026-12-01T10:00:00Z', attempts: [viber] }, 'sent', 'Sent'],
    ['delivered', { status: { groupName: 'DELIVERED' }, attempts: [viber] }, 'delivered', 'Delivered'],
    ['delivered and seen', { status: { groupName: 'DELIVERED' }, seenAt: '2026-12-01T10:00:02Z', attempts: [viber] }, 'seen', 'Seen'],
    ['rejected', { status: { groupName: 'REJECTED' }, attempts: [viber] }, 'failed', 'Failed'],
    ['undeliverable', { status: { groupName: 'UNDELIVERABLE' }, attempts: [viber, sms] }, 'failed', 'Failed'],
    ['expired', { status: { groupName: 'EXPIRED' }, attempts: [viber] }, 'failed', 'Failed'],
  ] as const)('%s', (_name, message, status, label) => {
    expect(replyStatus(message)).toMatchObject({ status, label });
  });

  it('says a reply failed over to SMS when the flow moved on from Viber, in whatever order attempts are listed', () => {
    expect(replyStatus({ status: { groupName: 'DELIVERED' }, attempts: [sms, viber] })).toMatchObject({ status: 'delivered', failedOver: true });
    expect(replyStatus({ status: { groupName: 'PENDING' }, attempts: [viber, sms] }).failedOver).toBe(true);
  });

  it('does not call a single-channel reply failed over', () => {
    expect(replyStatus({ status: { groupName: 'DELIVERED' }, attempts: [viber] }).failedOver).toBe(false);
    expect(replyStatus({ status: { groupName: 'DELIVERED' }, attempts: [{ step: 1, channel: 'SMS' }] }).failedOver).toBe(false);
    expect(replyStatus({ status: { groupName: 'PENDING' }, attempts: [] }).failedOver).toBe(false);
    // A second Viber step (another connection) is a failover, but not to SMS.
    expect(replyStatus({ status: { groupName: 'DELIVERED' }, attempts: [viber, { step: 2, channel: 'VIBER' }] }).failedOver).toBe(false);
  });

  it('carries the precise status name for a tooltip', () => {
    expect(replyStatus({ status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' } }).detail).toBe('DELIVERED_TO_HANDSET');
  });
});
