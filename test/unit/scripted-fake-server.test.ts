/**
 * The scripting every provider fake shares: per-destination one-shot outcomes first, then the
 * destination's persistent outcome, then the default; reset() forgets all of it.
 */
import { describe, expect, it } from 'vitest';
import { jsonReply, type FakeReply, type RecordedRequest } from '../fakes/fake-server.js';
import { ScriptedFakeServer } from '../fakes/scripted-server.js';

/** Answers each POST with the outcome scripted for its `to`, and keeps what it took. */
class Scripted extends ScriptedFakeServer<string, string> {
  protected handle(req: RecordedRequest): FakeReply {
    const to = (req.body as { to: string }).to;
    const outcome = this.outcomeFor(to);
    if (outcome === 'accept') this.sent.push(to);
    return jsonReply(200, { outcome });
  }

  /** The outcomes the next `n` sends to `to` would get, used up as a send would use them. */
  take(to: string, n: number): string[] {
    return Array.from({ length: n }, () => this.outcomeFor(to));
  }
}

describe('ScriptedFakeServer', () => {
  it('uses one-shot outcomes in order, then the persistent script, then the default', () => {
    const fake = new Scripted('accept');
    fake.script('a', 'reject').scriptOnce('a', 'busy', 'down').scriptOnce('a', 'slow');
    expect(fake.take('a', 5)).toEqual(['busy', 'down', 'slow', 'reject', 'reject']);
    expect(fake.take('b', 2)).toEqual(['accept', 'accept']);
    fake.setDefaultOutcome('down');
    expect(fake.take('b', 1)).toEqual(['down']);
    expect(fake.take('a', 1)).toEqual(['reject']);
  });

  it('keeps one-shot outcomes per destination', () => {
    const fake = new Scripted('accept');
    fake.scriptOnce('a', 'busy');
    expect(fake.take('b', 1)).toEqual(['accept']);
    expect(fake.take('a', 2)).toEqual(['busy', 'accept']);
  });

  it('reset() forgets requests, sent messages, scripts and the changed default', async () => {
    const fake = new Scripted('accept');
    await fake.start();
    try {
      const post = (to: string) =>
        fetch(fake.baseUrl, { method: 'POST', body: JSON.stringify({ to }) }).then((r) => r.json() as Promise<{ outcome: string }>);
      expect(await post('a')).toEqual({ outcome: 'accept' });
      expect(fake.sent).toEqual(['a']);
      fake.script('a', 'reject').scriptOnce('b', 'busy').setDefaultOutcome('down');
      fake.reset();
      expect(fake.requests).toEqual([]);
      expect(fake.sent).toEqual([]);
      expect(fake.take('a', 1)).toEqual(['accept']);
      expect(fake.take('b', 1)).toEqual(['accept']);
      expect(fake.take('c', 1)).toEqual(['accept']);
    } finally {
      await fake.stop();
    }
  });
});
