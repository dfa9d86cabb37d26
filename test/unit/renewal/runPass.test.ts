/**
 * runPass() with real child processes (test/fixtures/passes/pass.js): a pass that reports its
 * deadline and then blocks its event loop is killed after deadline + grace, and the daemon's
 * later ticks run again.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CapturingLogger } from '../../../src/log';
import { systemClock } from '../../../src/clock';
import { PASS_DEADLINE_KIND, RenewalDaemon, reportedDeadlineMs, runPass } from '../../../src/renewal';

const PASS = resolve(__dirname, '../../fixtures/passes/pass.js');
const EVERY_SECOND = '* * * * * *';

function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const poll = async (): Promise<void> => {
      if (await condition()) done();
      else if (Date.now() - started > timeoutMs) fail(new Error(`condition not met within ${timeoutMs} ms`));
      else setTimeout(() => void poll(), 50);
    };
    void poll();
  });
}

describe('reportedDeadlineMs()', () => {
  test.each<[unknown, number | undefined]>([
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: 1_800_000 }, 1_800_000],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: 1 }, 1],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: 86_400_000 }, 86_400_000],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: 86_400_001 }, undefined],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: 0 }, undefined],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: -5 }, undefined],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: 1.5 }, undefined],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: Number.POSITIVE_INFINITY }, undefined],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: Number.NaN }, undefined],
    [{ kind: PASS_DEADLINE_KIND, timeoutMs: '1800000' }, undefined],
    [{ kind: PASS_DEADLINE_KIND }, undefined],
    [{ kind: 'other', timeoutMs: 1000 }, undefined],
    [{ timeoutMs: 1000 }, undefined],
    [[PASS_DEADLINE_KIND, 1000], undefined],
    ['haproxy-acme:deadline 1000', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('reportedDeadlineMs(%j) is %p', (message, expected) => {
    expect(reportedDeadlineMs(message)).toBe(expected);
  });
});

describe('runPass()', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-run-pass-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const killed = (logger: CapturingLogger): string[] =>
    logger.records.filter((r) => r.level === 'error').map((r) => r.message);

  test.each<[string, string[], string[]]>([
    [
      'a pass that reports a 300 ms deadline, then blocks its event loop, after deadline + grace',
      ['hang', '300'],
      ['Killed the renewal pass: it ran 200 ms past its own deadline of 300 ms (--timeout)'],
    ],
    [
      'a pass that never reports its deadline, after the limit',
      ['silent'],
      ['Killed the renewal pass: it did not report its deadline (--timeout) in time'],
    ],
    [
      'a pass that reports something else, after the limit',
      ['bogus'],
      ['Killed the renewal pass: it did not report its deadline (--timeout) in time'],
    ],
  ])('runPass() kills %s, and resolves 1', async (_name, args, errors) => {
    const logger = new CapturingLogger();
    const exitCode = await runPass(process.execPath, [PASS, ...args], {
      logger,
      graceMs: 200,
      unreportedLimitMs: 1000,
    });
    expect([exitCode, killed(logger)]).toEqual([1, errors]);
  });

  test('runPass() resolves the exit code of a pass that ends in time, and kills nothing', async () => {
    const logger = new CapturingLogger();
    const exitCode = await runPass(process.execPath, [PASS, 'exit', '3', '60000'], {
      logger,
      graceMs: 200,
      unreportedLimitMs: 1000,
    });
    expect([exitCode, killed(logger)]).toEqual([3, []]);
  });

  test('runPass() resolves 1 and logs when the pass cannot start', async () => {
    const logger = new CapturingLogger();
    const exitCode = await runPass(join(dir, 'no-such-node'), [PASS], { logger });
    expect([exitCode, killed(logger)]).toEqual([1, ['Cannot start the renewal pass']]);
  });

  test('a daemon whose pass is stuck kills it and runs a later pass', async () => {
    const countFile = join(dir, 'runs');
    const logger = new CapturingLogger();
    const exitCodes: number[] = [];
    const daemon = new RenewalDaemon({
      schedule: EVERY_SECOND,
      maxRandomDelayMs: 0,
      logger,
      clock: systemClock,
      tick: async () => {
        exitCodes.push(
          await runPass(process.execPath, [PASS, 'first-hangs', '300', countFile], {
            logger,
            graceMs: 200,
            unreportedLimitMs: 5000,
          }),
        );
      },
    });
    await daemon.start();
    await waitFor(async () => exitCodes.length >= 2, 10_000);
    await daemon.stop();
    const runs = (await readFile(countFile, 'utf8')).split('\n').filter(Boolean).length;
    expect([exitCodes.slice(0, 2), runs >= 2, killed(logger)]).toEqual([
      [1, 0],
      true,
      ['Killed the renewal pass: it ran 200 ms past its own deadline of 300 ms (--timeout)'],
    ]);
  });
});
