import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeInfobip } from '../../fakes/infobip.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { query } from '../../support/graphql-client.js';
import { configureInfobip, FaultsSendMessage, swissMobile } from '../faults/support.js';

/**
 * One service minute per 20 real seconds. The limit's margin is 2% of the unit (1.2 s a minute) for the
 * delay between our send and the provider's receipt; a faster clock magnifies that delay as much as it
 * speeds the test (at 10×, one request held 600 ms on a loaded CI machine broke the window). At 3× the
 * margin still covers only 400 ms of real delay, a third of what it covers in production.
 */
const SPEED = 3;
const MINUTE = 60_000;

/** The most receive times (in service ms) that fall in any half-open window of `lengthMs`. */
function busiestWindow(times: number[], lengthMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i += 1) {
    while (t[i]! - t[j]! >= lengthMs) j += 1;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('sending speed limit, as the provider sees it', () => {
  let app: TestApp & { dropDatabase(): Promise<void> };
  const fake = new FakeInfobip({ apiKey: 'speed-limit-key' });

  beforeAll(async () => {
    await fake.start();
    app = await startTestApp({ CLOCK_SPEED: String(SPEED) });
    await configureInfobip(app.graphqlUrl, app.apiKey, fake);
  });
  afterAll(async () => {
    await app.stop();
    await app.dropDatabase();
    await fake.stop();
  });

  it('never lets the fake Infobip receive more than 5 first attempts in any service minute at 5 per MINUTE', async () => {
    const destinations = Array.from({ length: 15 }, (_, i) => ({ to: { phoneNumber: swissMobile(4100 + i) } }));
    const sent = await query(
      app.graphqlUrl,
      FaultsSendMessage,
      { input: { from: 'Omnishop', destinations, viber: { text: { text: 'Paced' } }, sendingSpeedLimit: { amount: 5, timeUnit: 'MINUTE' } } },
      app.apiKey,
    );
    expect(sent.sendMessage.__typename).toBe('SendMessageSuccess');

    const received = await fake.waitForRequests(15, 90_000, (r) => r.path === '/viber/2/messages');
    // Receive times are real milliseconds; the service's clock runs SPEED times faster.
    const serviceTimes = received.map((r) => (r.at - received[0]!.at) * SPEED);
    const report = JSON.stringify(serviceTimes.map((t) => Math.round(t / 100) / 10));
    expect(received, report).toHaveLength(15);
    expect(busiestWindow(serviceTimes, MINUTE), report).toBeLessThanOrEqual(5);
    // 15 at 5 a minute cannot take less than two full minutes from first to last.
    expect(Math.max(...serviceTimes), report).toBeGreaterThanOrEqual(2 * MINUTE);
    fake.assertNoViolations();
  }, 120_000);
});
