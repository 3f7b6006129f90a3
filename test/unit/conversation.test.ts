import { describe, expect, it } from 'vitest';
import { conversationAddress } from '../../src/domain/conversation.js';
import { asConversationId } from '../../src/domain/ids.js';

describe('conversationAddress: a sent message belongs to the person its first step reaches', () => {
  const both = { phoneNumber: '+41793026720', viberUserId: 'u-01234567890A=' };

  it('through a Viber bot, the bot user', () => {
    expect(conversationAddress('viberUserId', both)).toEqual({ address: 'u-01234567890A=', kind: 'VIBER_USER_ID' });
  });

  it('through anything else, the number', () => {
    expect(conversationAddress('phoneNumber', both)).toEqual({ address: '+41793026720', kind: 'PHONE_NUMBER' });
  });

  it('nobody when the destination lacks the address the step needs', () => {
    expect(conversationAddress('viberUserId', { phoneNumber: '+41793026720', viberUserId: null })).toBeNull();
    expect(conversationAddress('phoneNumber', { viberUserId: 'u-1' })).toBeNull();
  });
});

describe('asConversationId: only a uuid names a conversation', () => {
  it('takes a uuid in either case, lower-cased as stored', () => {
    expect(asConversationId('0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B')).toBe('0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b');
  });

  it('refuses anything else', () => {
    for (const value of ['', '42', 'not-a-uuid', '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5', ' 0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b']) {
      expect(asConversationId(value), JSON.stringify(value)).toBeNull();
    }
  });
});
