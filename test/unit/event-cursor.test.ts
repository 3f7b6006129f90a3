import { describe, expect, it } from 'vitest';
import { decodeEventCursor, encodeEventCursor, eventPosition } from '../../src/domain/event-cursor.js';

const A = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const B = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';

describe('event cursors: a position bound to its account', () => {
  it('round-trips any position of the account it was made for', () => {
    for (const p of [0, 1, 2, 1_000, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      expect(decodeEventCursor(A, encodeEventCursor(A, eventPosition(p)))).toEqual({ ok: true, position: p });
    }
  });

  it("refuses another account's cursor", () => {
    expect(decodeEventCursor(B, encodeEventCursor(A, eventPosition(42)))).toEqual({ ok: false });
  });

  it('refuses every one-character edit, and anything that is not one of its cursors', () => {
    const good = encodeEventCursor(A, eventPosition(42));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < good.length; i += 1) {
      for (const c of alphabet) {
        if (c === good[i]) continue;
        const edited = good.slice(0, i) + c + good.slice(i + 1);
        expect(decodeEventCursor(A, edited).ok, edited).toBe(false);
      }
    }
    for (const bad of ['', 'x', 'not a cursor', good + 'A', good.slice(1), `${good}==`, Buffer.from('message:1').toString('base64url')]) {
      expect(decodeEventCursor(A, bad).ok, bad).toBe(false);
    }
  });

  it('does not show the position in clear', () => {
    expect(encodeEventCursor(A, eventPosition(12345))).not.toContain('12345');
  });
});
