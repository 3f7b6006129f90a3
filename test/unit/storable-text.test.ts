import { describe, expect, it } from 'vitest';
import { unstorableTextProblem } from '../../src/domain/storable-text.js';

describe('text PostgreSQL can store', () => {
  it.each([
    ['', 'empty'],
    ['Your parcel is on its way', 'ASCII'],
    ['Grüezi, Straße, İstanbul, 東京', 'accents and CJK'],
    ['😀 👩‍👩‍👧‍👦 𝕏', 'astral characters as proper surrogate pairs'],
    ['\uFEFF\u200b\u202e\u007f\u001b', 'other control and format characters'],
    ['\\u0000', 'a backslash-u escape written out, not a NUL'],
  ])('accepts %j (%s)', (text) => {
    expect(unstorableTextProblem(text)).toBeNull();
  });

  it('refuses NUL anywhere and says where', () => {
    expect(unstorableTextProblem('\u0000')).toBe('must not contain the NUL character (U+0000, at position 0)');
    expect(unstorableTextProblem('order-\u000042')).toBe('must not contain the NUL character (U+0000, at position 6)');
  });

  it('refuses a high surrogate without its low half, at the end or before another character', () => {
    expect(unstorableTextProblem('ok\uD83D')).toBe('must not contain an unpaired UTF-16 surrogate (U+D83D, at position 2)');
    expect(unstorableTextProblem('\uD83Dx')).toBe('must not contain an unpaired UTF-16 surrogate (U+D83D, at position 0)');
    expect(unstorableTextProblem('\uD800\uD800\uDC00')).toMatch(/U\+D800, at position 0/);
  });

  it('refuses a low surrogate without its high half', () => {
    expect(unstorableTextProblem('\uDE00ok')).toBe('must not contain an unpaired UTF-16 surrogate (U+DE00, at position 0)');
    expect(unstorableTextProblem('😀\uDE00')).toMatch(/U\+DE00, at position 2/);
  });
});
