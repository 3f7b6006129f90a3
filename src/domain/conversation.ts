/** How a conversation's person is addressed: a phone number (E.164), or a Viber bot user id. */
export type AddressKind = 'PHONE_NUMBER' | 'VIBER_USER_ID';

/** What a provider addresses its messages by (ProviderModule.addressing). */
export type Addressing = 'phoneNumber' | 'viberUserId';

/**
 * The person a sent message belongs to: the address its first step reaches them by. A destination with
 * both a number and a Viber user id, sent through a bot, is the bot user's conversation (that is who gets
 * it, and who would answer through the bot); sent through anything else, the number's. Null when the
 * destination lacks the address its step needs (the send refuses such a destination anyway).
 */
export function conversationAddress(
  addressing: Addressing,
  to: { phoneNumber?: string | null; viberUserId?: string | null },
): { address: string; kind: AddressKind } | null {
  if (addressing === 'viberUserId') return to.viberUserId ? { address: to.viberUserId, kind: 'VIBER_USER_ID' } : null;
  return to.phoneNumber ? { address: to.phoneNumber, kind: 'PHONE_NUMBER' } : null;
}
