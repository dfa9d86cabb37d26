import { runCli } from '../../../src/cli';
import {
  EXIT_SIGINT,
  EXIT_SIGTERM,
  exitCodeOfSignal,
  interruptedMessage,
  type InterruptSignal,
} from '../../../src/cli/_cancel';
import { MemoryLocks } from '../../../src/storage';
import { cliHarness } from './_harness';

const NOTHING_LOST =
  'nothing was lost (every file is written whole or not at all, and the lock is released); run the command again to finish';

describe('interruptedMessage() and exitCodeOfSignal()', () => {
  test.each<[InterruptSignal, string | undefined, string]>([
    [
      'SIGTERM',
      'create an order for "a.test"',
      `Cannot finish the command: interrupted by SIGTERM while it was trying to create an order for "a.test"; ${NOTHING_LOST}`,
    ],
    ['SIGINT', undefined, `Cannot finish the command: interrupted by SIGINT; ${NOTHING_LOST}`],
  ])('interruptedMessage(%j, %j) is %j', (signal, step, message) => {
    expect(interruptedMessage(signal, step)).toBe(message);
  });

  test.each<[InterruptSignal, number]>([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('exitCodeOfSignal(%j) is %d', (signal, code) => {
    expect([exitCodeOfSignal(signal), EXIT_SIGINT, EXIT_SIGTERM]).toEqual([code, 130, 143]);
  });
});

describe('runCli() interrupted by a signal', () => {
  test.each<[InterruptSignal, number]>([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ])(
    '"acme issue" waiting for the home lock stops at once on %s, exits %d and never takes the lock',
    async (signal, code) => {
      const locks = new MemoryLocks({ command: 'acme renew' });
      const other = await locks.acquire('home');
      let interrupt: ((signal: InterruptSignal) => void) | undefined;
      let unsubscribed = false;
      const exits: number[] = [];
      const { deps, stderr } = cliHarness(
        { locks },
        {
          exitNow: (exit) => void exits.push(exit),
          onInterrupt: (listener) => {
            interrupt = listener;
            return () => void (unsubscribed = true);
          },
        },
      );
      const run = runCli(['issue', '-d', 'a.test', '--home', '/srv/acme', '--lock-timeout', '60000'], deps);
      for (let i = 0; i < 200 && !stderr().includes('Waiting for another acme command'); i += 1)
        await new Promise((done) => setTimeout(done, 5));
      const started = Date.now();
      interrupt?.(signal);
      expect(await run).toBe(code);
      expect(Date.now() - started).toBeLessThan(1000);
      expect([exits, unsubscribed]).toEqual([[code], true]);
      expect(stderr()).toContain(
        `Error: Cannot finish the command: interrupted by ${signal} while it was trying to wait for another acme command (pid ${process.pid}, "acme renew") to finish; ${NOTHING_LOST}\n`,
      );
      await other.release();
      expect(locks.isHeld('home')).toBe(false);
    },
  );
});
