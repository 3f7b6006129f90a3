// Types for the unit test (the page itself is plain JavaScript).
export interface ReplyStatusInput {
  status?: { groupName: string; name?: string } | null;
  sentAt?: string | null;
  seenAt?: string | null;
  attempts?: ReadonlyArray<{ step: number; channel: string }> | null;
}
export type ReplyStatusName = 'queued' | 'sent' | 'delivered' | 'seen' | 'failed';
export function replyStatus(message: ReplyStatusInput): { status: ReplyStatusName; label: string; failedOver: boolean; detail: string };
