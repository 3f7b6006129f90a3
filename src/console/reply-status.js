// What an agent needs to know about a reply, from the message's status and attempts. A pure function, so
// it is unit-tested (test/unit/console-reply-status.test.ts) apart from the page.

const FAILED_GROUPS = new Set(['REJECTED', 'UNDELIVERABLE', 'EXPIRED']);

const LABELS = { queued: 'Queued', sent: 'Sent', delivered: 'Delivered', seen: 'Seen', failed: 'Failed' };

/**
 * @param {{ status?: { groupName: string, name?: string } | null, sentAt?: string | null, seenAt?: string | null,
 *           attempts?: Array<{ step: number, channel: string }> | null }} message
 * @returns {{ status: 'queued' | 'sent' | 'delivered' | 'seen' | 'failed', label: string, failedOver: boolean, detail: string }}
 */
export function replyStatus(message) {
  const group = message.status?.groupName;
  const attempts = [...(message.attempts ?? [])].sort((a, b) => a.step - b.step);
  const first = attempts[0];
  const last = attempts[attempts.length - 1];
  // The flow moved on from Viber to SMS: the message is (or was) carried by SMS, whatever came of it.
  const failedOver = Boolean(first && last && first !== last && first.channel === 'VIBER' && last.channel === 'SMS');
  let status;
  if (group === 'DELIVERED') status = message.seenAt ? 'seen' : 'delivered';
  else if (group && FAILED_GROUPS.has(group)) status = 'failed';
  else if (message.sentAt || group === 'PENDING') status = 'sent';
  else status = 'queued';
  return { status, label: LABELS[status], failedOver, detail: message.status?.name ?? '' };
}
