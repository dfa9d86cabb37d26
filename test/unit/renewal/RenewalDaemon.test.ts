import { RenewalDaemon, checkSchedule } from '../../../src/renewal/RenewalDaemon';
import { CapturingLogger } from '../../../src/log';
import { systemClock } from '../../../src/clock';

const EVERY_SECOND = '* * * * * *';

function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const poll = (): void => {
      if (condition()) done();
      else if (Date.now() - started > timeoutMs) fail(new Error(`condition not met within ${timeoutMs} ms`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

describe('RenewalDaemon', () => {
  test('start() runs a pass at once with the next check time, then on schedule', async () => {
    const seen: Date[] = [];
    const daemon = new RenewalDaemon({
      schedule: EVERY_SECOND,
      maxRandomDelayMs: 0,
      logger: new CapturingLogger(),
      clock: systemClock,
      tick: async (next) => void seen.push(next),
    });
    await daemon.start();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.getTime()).toBeGreaterThan(Date.now() - 1000);
    await waitFor(() => seen.length >= 2, 3000);
    await daemon.stop();
    const count = seen.length;
    await new Promise((done) => setTimeout(done, 1200));
    expect(seen.length).toBe(count);
  });

  test('a failing pass is logged and the daemon keeps scheduling', async () => {
    const logger = new CapturingLogger();
    let calls = 0;
    const daemon = new RenewalDaemon({
      schedule: EVERY_SECOND,
      maxRandomDelayMs: 0,
      logger,
      clock: systemClock,
      tick: async () => {
        calls += 1;
        throw new Error('CA unreachable');
      },
    });
    await daemon.start();
    await waitFor(() => calls >= 2, 3000);
    await daemon.stop();
    expect(
      logger.records.filter((r) => r.message === 'Renewal pass failed; the daemon carries on').length,
    ).toBeGreaterThanOrEqual(2);
  });

  test('stop() waits for a pass in flight to finish', async () => {
    let entered = false;
    let finished = false;
    let release: () => void = () => undefined;
    const daemon = new RenewalDaemon({
      schedule: '0 0 1 1 *',
      maxRandomDelayMs: 0,
      logger: new CapturingLogger(),
      clock: systemClock,
      tick: () =>
        new Promise<void>((done) => {
          entered = true;
          release = () => {
            finished = true;
            done();
          };
        }),
    });
    const started = daemon.start();
    await waitFor(() => entered, 1000);
    const stopped = daemon.stop({ timeoutMs: 5000 });
    setTimeout(() => release(), 100);
    await stopped;
    expect(finished).toBe(true);
    await started;
  });

  test.each([['61 * * * *'], ['every hour'], ['']])('checkSchedule(%j) names --schedule', (expression) => {
    expect(() => checkSchedule(expression)).toThrow(`Invalid --schedule "${expression}": expected a cron expression`);
  });
});
