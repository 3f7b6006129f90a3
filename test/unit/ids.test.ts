import { describe, expect, it } from 'vitest';
import { asAttemptId } from '../../src/domain/ids.js';

describe('asAttemptId: only a uuid is one of our attempt ids', () => {
  it('takes a uuid in either case, as the lower-case form the database stores', () => {
    expect(asAttemptId('0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B')).toBe('0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b');
  });

  it('refuses anything else, so it never reaches the uuid column', () => {
    for (const value of ['', '42', 'not-a-uuid', '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5', '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5bx', ' 0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b']) {
      expect(asAttemptId(value), JSON.stringify(value)).toBeNull();
    }
  });
});
