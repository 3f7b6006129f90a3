import { describe, expect, it } from 'vitest';
import { unstorableStrings } from '../../../src/graphql/input-text-plugin.js';

describe('arguments PostgreSQL cannot store', () => {
  it('names the path of every refused string inside nested inputs and lists', () => {
    const args = {
      input: {
        bulkId: 'ok',
        destinations: [{ to: { phoneNumber: '+41793026724' } }, { to: { phoneNumber: '+4179\u0000' }, messageId: 'm\uD800' }],
        sendAt: new Date('2026-11-21T09:30:00Z'),
        viber: { text: { text: 'fine 😀' } },
      },
      first: 10,
    };
    expect(unstorableStrings(args)).toEqual([
      { path: ['input', 'destinations', '1', 'to', 'phoneNumber'], message: 'must not contain the NUL character (U+0000, at position 5)' },
      { path: ['input', 'destinations', '1', 'messageId'], message: 'must not contain an unpaired UTF-16 surrogate (U+D800, at position 1)' },
    ]);
  });

  it('finds nothing in clean arguments, null values and non-strings', () => {
    expect(unstorableStrings({ input: { name: 'x', isDefault: true, flow: [], none: null, amount: 0 } })).toEqual([]);
  });

  it('reports at most 50 refused strings, so a huge list cannot make a huge answer', () => {
    const args = { input: { destinations: Array.from({ length: 10_000 }, () => ({ messageId: '\u0000' })) } };
    expect(unstorableStrings(args)).toHaveLength(50);
  });
});
