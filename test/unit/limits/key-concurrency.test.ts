import { describe, expect, it } from 'vitest';
import { KeyConcurrency } from '../../../src/graphql/limits/key-concurrency.js';

describe('KeyConcurrency', () => {
  it('admits up to the cap per key and refuses the next at once', () => {
    const slots = new KeyConcurrency(2);
    const a = slots.tryAcquire('k');
    const b = slots.tryAcquire('k');
    expect(a).toBeTypeOf('function');
    expect(b).toBeTypeOf('function');
    expect(slots.tryAcquire('k')).toBeNull();
    expect(slots.inFlight('k')).toBe(2);
  });

  it('counts each key on its own', () => {
    const slots = new KeyConcurrency(1);
    expect(slots.tryAcquire('one')).not.toBeNull();
    expect(slots.tryAcquire('two')).not.toBeNull();
    expect(slots.tryAcquire('one')).toBeNull();
  });

  it('frees a slot on release, once however often release is called', () => {
    const slots = new KeyConcurrency(2);
    const a = slots.tryAcquire('k')!;
    slots.tryAcquire('k');
    a();
    a();
    expect(slots.inFlight('k')).toBe(1);
    expect(slots.tryAcquire('k')).not.toBeNull();
    expect(slots.tryAcquire('k')).toBeNull();
  });
});
