import { describe, it, expect } from 'vitest';
import {
  analyzeSms,
  isGsm7Char,
  GSM7_BASIC_CHARS,
  GSM7_EXTENSION_CHARS,
  type SmsAnalysis,
} from '../../src/domain/sms-encoding.js';

/** Invariants every analysis must satisfy, whatever the input. */
function expectConsistent(text: string, a: SmsAnalysis): void {
  expect(a.parts.join('')).toBe(text);
  expect(a.parts).toHaveLength(a.segments);
  expect(a.characters).toBe(a.units);
  const unitsOf = (s: string) =>
    a.encoding === 'GSM7'
      ? Array.from(s).reduce((n, ch) => n + (GSM7_EXTENSION_CHARS.includes(ch) ? 2 : 1), 0)
      : s.length;
  expect(a.parts.reduce((n, p) => n + unitsOf(p), 0)).toBe(a.units);
  for (const p of a.parts) expect(unitsOf(p)).toBeLessThanOrEqual(a.unitsPerSegment);
  const last = a.parts[a.parts.length - 1] ?? '';
  expect(a.remainingInLastSegment).toBe(a.unitsPerSegment - unitsOf(last));
  for (const p of a.parts) {
    // No part may start with a low surrogate or end with a high surrogate.
    expect(/^[\uDC00-\uDFFF]/.test(p) && p !== text).toBe(false);
    expect(/[\uD800-\uDBFF]$/.test(p) && p !== text).toBe(false);
  }
}

function analyze(text: string): SmsAnalysis {
  const a = analyzeSms(text);
  expectConsistent(text, a);
  return a;
}

describe('GSM-7 alphabet', () => {
  it('has 127 basic characters (128 minus ESC) and 10 extension characters', () => {
    expect(new Set(GSM7_BASIC_CHARS).size).toBe(127);
    expect(Array.from(GSM7_BASIC_CHARS)).toHaveLength(127);
    expect(Array.from(GSM7_EXTENSION_CHARS)).toHaveLength(10);
    for (const ch of GSM7_EXTENSION_CHARS) expect(GSM7_BASIC_CHARS.includes(ch)).toBe(false);
  });

  it('accepts every basic and extension character as GSM-7', () => {
    for (const ch of GSM7_BASIC_CHARS) {
      expect(isGsm7Char(ch)).toBe(true);
      expect(analyzeSms(ch)).toMatchObject({ encoding: 'GSM7', units: 1 });
    }
    for (const ch of GSM7_EXTENSION_CHARS) {
      expect(isGsm7Char(ch)).toBe(true);
      expect(analyzeSms(ch)).toMatchObject({ encoding: 'GSM7', units: 2 });
    }
  });

  it('rejects look-alikes that are not in the alphabet', () => {
    // Lower-case ç, backtick, á, the ASCII control characters other than LF/CR/FF, tab.
    for (const ch of ['ç', '`', 'á', 'ê', '\t', '\u0000', '\u001b', '´', '’', '“', '…', '\u00a0']) {
      expect(isGsm7Char(ch)).toBe(false);
      expect(analyzeSms(`abc${ch}`).encoding).toBe('UCS2');
    }
  });
});

describe('analyzeSms: empty text', () => {
  it('is 0 characters in 1 segment', () => {
    expect(analyze('')).toEqual({
      encoding: 'GSM7',
      characters: 0,
      units: 0,
      segments: 1,
      parts: [''],
      unitsPerSegment: 160,
      remainingInLastSegment: 160,
    });
  });
});

describe('analyzeSms: GSM-7 segmentation', () => {
  it('fits exactly 160 characters in one segment', () => {
    const a = analyze('a'.repeat(160));
    expect(a).toMatchObject({
      encoding: 'GSM7',
      characters: 160,
      units: 160,
      segments: 1,
      unitsPerSegment: 160,
      remainingInLastSegment: 0,
    });
  });

  it('needs two segments of 153 for 161 characters', () => {
    const a = analyze('a'.repeat(161));
    expect(a).toMatchObject({ segments: 2, unitsPerSegment: 153, remainingInLastSegment: 145 });
    expect(a.parts.map((p) => p.length)).toEqual([153, 8]);
  });

  it('fills 306 characters into exactly two parts and 307 into three', () => {
    expect(analyze('a'.repeat(306))).toMatchObject({ segments: 2, remainingInLastSegment: 0 });
    expect(analyze('a'.repeat(307))).toMatchObject({ segments: 3, remainingInLastSegment: 152 });
  });

  it('counts the euro sign as two septets', () => {
    expect(analyze('€')).toMatchObject({ encoding: 'GSM7', characters: 2, units: 2, segments: 1 });
    expect(analyze('Price: 10€')).toMatchObject({ units: 11, remainingInLastSegment: 149 });
  });

  it('lets extension characters push a 160-character text over one segment', () => {
    // 159 + 1 euro = 161 septets.
    const a = analyze(`${'a'.repeat(159)}€`);
    expect(a).toMatchObject({ encoding: 'GSM7', units: 161, segments: 2 });
    // 158 + 1 euro = 160 septets still fits.
    expect(analyze(`${'a'.repeat(158)}€`)).toMatchObject({ units: 160, segments: 1, remainingInLastSegment: 0 });
  });

  it('never splits an escape pair across the 153 boundary', () => {
    // 152 septets, then the euro would take septets 153 and 154: it moves whole to part 2.
    const text = `${'a'.repeat(152)}€${'b'.repeat(10)}`;
    const a = analyze(text);
    expect(a.units).toBe(164);
    expect(a.segments).toBe(2);
    expect(a.parts[0]).toBe('a'.repeat(152));
    expect(a.parts[1]).toBe(`€${'b'.repeat(10)}`);
    expect(a.remainingInLastSegment).toBe(153 - 12);
  });

  it('keeps an extension character that ends exactly at the 153 boundary in the first part', () => {
    const text = `${'a'.repeat(151)}€${'b'.repeat(10)}`;
    const a = analyze(text);
    expect(a.parts[0]).toBe(`${'a'.repeat(151)}€`);
    expect(a.parts[1]).toBe('b'.repeat(10));
  });

  it('may need an extra segment because a short part cannot be filled', () => {
    // 306 septets would fit 2 × 153, but with '€' at every odd boundary the first part holds 152.
    const text = `${'a'.repeat(152)}€${'a'.repeat(152)}`;
    const a = analyze(text);
    expect(a.units).toBe(306);
    expect(a.segments).toBe(3);
    expect(a.parts.map((p) => p.length)).toEqual([152, 152, 1]);
  });

  it('handles texts made only of extension characters', () => {
    const a = analyze('{}'.repeat(50)); // 100 chars, 200 septets
    expect(a).toMatchObject({ encoding: 'GSM7', units: 200, segments: 2 });
    expect(a.parts[0]).toHaveLength(76); // 152 septets; the 77th pair would overflow 153
  });

  it('keeps line breaks and form feed as GSM-7', () => {
    expect(analyze('line 1\r\nline 2\f')).toMatchObject({ encoding: 'GSM7', units: 16 });
  });
});

describe('analyzeSms: UCS-2', () => {
  it('switches the whole text to UCS-2 for a single Cyrillic letter', () => {
    const a = analyze(`${'a'.repeat(100)}Ж`);
    expect(a).toMatchObject({ encoding: 'UCS2', units: 101, characters: 101, segments: 2, unitsPerSegment: 67 });
  });

  it('fits exactly 70 code units in one segment and 71 in two', () => {
    expect(analyze('Ж'.repeat(70))).toMatchObject({
      encoding: 'UCS2',
      segments: 1,
      unitsPerSegment: 70,
      remainingInLastSegment: 0,
    });
    const a = analyze('Ж'.repeat(71));
    expect(a).toMatchObject({ segments: 2, unitsPerSegment: 67, remainingInLastSegment: 63 });
    expect(a.parts.map((p) => p.length)).toEqual([67, 4]);
  });

  it('counts an extension character as one unit once the text is UCS-2', () => {
    expect(analyze('€Ж')).toMatchObject({ encoding: 'UCS2', units: 2 });
  });

  it('counts an emoji as two code units', () => {
    expect(analyze('😀')).toMatchObject({ encoding: 'UCS2', characters: 2, units: 2, segments: 1 });
    expect(analyze('Hi 👋')).toMatchObject({ units: 5 });
  });

  it('fits 35 emoji in one segment but not 36', () => {
    expect(analyze('😀'.repeat(35))).toMatchObject({ units: 70, segments: 1 });
    expect(analyze('😀'.repeat(36))).toMatchObject({ units: 72, segments: 2 });
  });

  it('never splits a surrogate pair across the 67 boundary', () => {
    // 66 units, then an emoji would occupy units 67 and 68: it moves whole to part 2.
    const text = `${'Ж'.repeat(66)}😀${'Ж'.repeat(5)}`;
    const a = analyze(text);
    expect(a.units).toBe(73);
    expect(a.parts[0]).toBe('Ж'.repeat(66));
    expect(a.parts[1]).toBe(`😀${'Ж'.repeat(5)}`);
    expect(a.remainingInLastSegment).toBe(67 - 7);
  });

  it('keeps an emoji that ends exactly at the 67 boundary in the first part', () => {
    const text = `${'Ж'.repeat(65)}😀${'Ж'.repeat(5)}`;
    const a = analyze(text);
    expect(a.parts).toEqual([`${'Ж'.repeat(65)}😀`, 'Ж'.repeat(5)]);
  });

  it('splits a long all-emoji text into parts of 66 units', () => {
    const a = analyze('😀'.repeat(100)); // 200 units, 33 emoji per part
    expect(a.segments).toBe(4);
    expect(a.parts.map((p) => p.length)).toEqual([66, 66, 66, 2]);
  });

  it('treats a lone surrogate as one UCS-2 unit', () => {
    expect(analyze('a\uD83D')).toMatchObject({ encoding: 'UCS2', units: 2 });
  });

  it('keeps ZWJ sequences intact in the joined output', () => {
    const family = '👨‍👩‍👧';
    expect(analyze(family)).toMatchObject({ encoding: 'UCS2', units: family.length, segments: 1 });
  });
});

describe('analyzeSms: generated texts', () => {
  it('satisfies the invariants for many mixed texts', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const pool = ['a', 'Z', '0', ' ', '€', '{', '\\', 'é', 'Ж', '😀', '🇭🇷', 'ç', '\n'];
    for (let n = 0; n < 300; n++) {
      const len = Math.floor(rand() * 400);
      let text = '';
      for (let i = 0; i < len; i++) text += pool[Math.floor(rand() * pool.length)];
      const a = analyze(text);
      const expectedEncoding = Array.from(text).every(isGsm7Char) ? 'GSM7' : 'UCS2';
      expect(a.encoding).toBe(expectedEncoding);
    }
  });
});
