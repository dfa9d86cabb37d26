/**
 * withHomeLock(): the home lock around every state-changing command, the home brought to this
 * release's layout before the work, and one signal for the work that stops with the command or
 * with the lease.
 */
import { withHomeLock } from '../../../src/cli/_lock';
import { CapturingLogger } from '../../../src/log';
import { MemoryLocks } from '../../../src/storage';
import { abortOf } from '../_abort';

function setup() {
  const steps: string[] = [];
  const locks = new MemoryLocks({ staleMs: 60, refreshMs: 5, pollMs: 5 });
  const home = {
    locks,
    prepareHome: async () => {
      steps.push(`prepare (home lock held: ${locks.isHeld('home')})`);
    },
  };
  return { steps, locks, home, options: { timeoutMs: 1_000, logger: new CapturingLogger() } };
}

describe('withHomeLock()', () => {
  test('withHomeLock() prepares the home under the lock, then runs the body, then releases', async () => {
    const { steps, locks, home, options } = setup();
    await withHomeLock(home, options, async () => {
      steps.push('body');
    });
    expect([steps, locks.isHeld('home')]).toEqual([['prepare (home lock held: true)', 'body'], false]);
  });

  test('a home the release cannot read stops the command before the body, and the lock is released', async () => {
    const { steps, locks, home, options } = setup();
    home.prepareHome = async () => {
      throw new Error('written by a newer release');
    };
    await expect(
      withHomeLock(home, options, async () => {
        steps.push('body');
      }),
    ).rejects.toThrow('written by a newer release');
    expect([steps, locks.isHeld('home')]).toEqual([[], false]);
  });

  test("the body's signal aborts with LOCK_LOST when the home lock is taken over", async () => {
    const { locks, home, options } = setup();
    const reason = await withHomeLock(home, options, async (_lock, signal) => {
      locks.takeOver('home');
      return abortOf(signal);
    });
    expect(reason).toMatchObject({ code: 'LOCK_LOST' });
  });

  test("the body's signal aborts with the command's reason when the command is interrupted", async () => {
    const { home, options } = setup();
    const controller = new AbortController();
    const reason = await withHomeLock(home, { ...options, signal: controller.signal }, async (_lock, signal) => {
      controller.abort(new Error('SIGTERM'));
      return abortOf(signal);
    });
    expect(reason).toEqual(new Error('SIGTERM'));
  });
});
