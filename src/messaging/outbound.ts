import type { AttemptRow } from '../db/schema.js';
import type { OutboundMessage } from '../providers/types.js';

/** A claimed attempt with the message fields its provider needs. */
export type Claimed = AttemptRow & { messageId: string; toNumber: string | null; toViberUserId: string | null; callbackData: string | null };

/** The attempt as its provider sees it, or null when it has no address that provider can use. */
export function outboundMessage(attempt: Claimed): OutboundMessage | null {
  // Viber bots address subscribers by their bot-specific id; everyone else by phone number.
  const to = attempt.provider === 'VIBER_BOT' ? attempt.toViberUserId : attempt.toNumber;
  if (!to) return null;
  return {
    attemptId: attempt.attemptId,
    messageId: attempt.messageId,
    channel: attempt.channel,
    from: attempt.sender,
    to: attempt.provider === 'VIBER_BOT' ? { viberUserId: to } : { phoneNumber: to },
    content: attempt.content,
    validitySeconds: attempt.validitySeconds,
    callbackData: attempt.callbackData,
    viberLabel: attempt.content.type === 'RICH' || attempt.content.type === 'CAROUSEL' ? 'PROMOTIONAL' : 'TRANSACTIONAL',
  };
}
