/**
 * The Locks contract (src/storage/_lock.ts) as a reusable suite: each backend's test file calls
 * locksContract() with a factory for fresh locks built with short timings (staleMs of a few
 * hundred ms), and the means to play another holder: one that takes a lock over, a lease whose
 * refreshes fail, a holder that died.
 */
import { ConfigError, LockError } from '../../src/errors';
import type { HeldLock, LockName, Locks } from '../../src/storage';

/** What locksContract() needs of one backend. */
export interface LocksFixture {
  locks: Locks;
  /** The stale limit the locks were built with (ms); a few hundred keeps the suite fast. */
  staleMs: number;
  /** Another holder takes `name` over behind its current holder's back, and stays live. */
  takeOver(name: LockName): Promise<void>;
  /** Every later refresh of the current lease of `name` fails (a lost disk or connection). */
  breakRefresh(name: LockName): Promise<void>;
  /** `name` is held by a holder that died without releasing it. */
  plantDeadHolder(name: LockName): Promise<void>;
  /** Removes what the fixture made; MUST succeed whatever the test left. */
  cleanup(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Resolves with the signal's reason once it aborts; rejects after `ms`. */
function abortedWithin(signal: AbortSignal, ms: number): Promise<unknown> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the signal did not abort within ${ms} ms`)), ms);
    const finish = (): void => {
      clearTimeout(timer);
      done(signal.reason);
    };
    if (signal.aborted) finish();
    else signal.addEventListener('abort', finish, { once: true });
  });
}

/** Registers the contract tests for one Locks backend. */
export function locksContract(backend: string, make: () => Promise<LocksFixture>): void {
  describe(`${backend} (Locks contract)`, () => {
    let fixture: LocksFixture;
    let locks: Locks;
    const held: HeldLock[] = [];

    beforeEach(async () => {
      fixture = await make();
      locks = fixture.locks;
    });

    afterEach(async () => {
      await Promise.all(held.splice(0).map((lock) => lock.release().catch(() => undefined)));
      await fixture.cleanup();
    });

    async function hold(name: LockName, timeoutMs = 2000): Promise<HeldLock> {
      const lock = await locks.acquire(name, { timeoutMs });
      held.push(lock);
      return lock;
    }

    test('acquire() hands one name to one holder at a time, every waiter in turn', async () => {
      let active = 0;
      let maxActive = 0;
      const worker = async (): Promise<void> => {
        const lock = await locks.acquire('certificate/a.test', { timeoutMs: 10_000 });
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(5);
        active -= 1;
        await lock.release();
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      expect(maxActive).toBe(1);
    });

    test('acquire() of different names never waits: home and two certificates at once', async () => {
      const home = await hold('home');
      const a = await hold('certificate/a.test', 0);
      const b = await hold('certificate/_wildcard.b.test', 0);
      expect([home.name, a.name, b.name]).toEqual(['home', 'certificate/a.test', 'certificate/_wildcard.b.test']);
      expect(new Set([home.where, a.where, b.where]).size).toBe(3);
    });

    test('acquire() of a held name waits at most timeoutMs, calls onWait, then fails with LOCK_BUSY naming the holder', async () => {
      const first = await hold('home');
      let waits = 0;
      const started = Date.now();
      const attempt = locks.acquire('home', { timeoutMs: 150, onWait: () => (waits += 1) });
      await expect(attempt).rejects.toThrow(LockError);
      await expect(attempt).rejects.toMatchObject({ code: 'LOCK_BUSY', retryable: true, lockPath: first.where });
      await expect(attempt).rejects.toThrow(
        new RegExp(`^Cannot take the lock ".+": held by pid \\d+ on host .+; waited 0.15 s; retry later`),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(waits).toBeGreaterThanOrEqual(1);
    });

    test('acquire() stops waiting when its signal aborts, rejects with the reason and holds nothing', async () => {
      const first = await hold('certificate/a.test');
      const controller = new AbortController();
      const reason = new Error('stopped by the test');
      const attempt = locks.acquire('certificate/a.test', { timeoutMs: 10_000, signal: controller.signal });
      setTimeout(() => controller.abort(reason), 50);
      const started = Date.now();
      await expect(attempt).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(1000);
      await first.release();
      await (await locks.acquire('certificate/a.test', { timeoutMs: 0 })).release();
    });

    test('release() is idempotent and a second call never frees the next holder', async () => {
      const first = await locks.acquire('home', { timeoutMs: 0 });
      await first.release();
      const second = await hold('home', 0);
      await first.release();
      await expect(locks.acquire('home', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'LOCK_BUSY' });
      expect(second.signal.aborted).toBe(false);
      expect(() => second.assertHeld()).not.toThrow();
    });

    test('a lease another holder took over aborts its signal with LOCK_LOST, and release() leaves the new holder alone', async () => {
      const lock = await hold('certificate/a.test');
      await fixture.takeOver('certificate/a.test');
      const reason = await abortedWithin(lock.signal, fixture.staleMs * 4);
      expect(reason).toBeInstanceOf(LockError);
      expect(reason).toMatchObject({ code: 'LOCK_LOST', lockPath: lock.where });
      expect(() => lock.assertHeld()).toThrow(reason as Error);
      await lock.release();
      await expect(locks.acquire('certificate/a.test', { timeoutMs: 50 })).rejects.toMatchObject({
        code: 'LOCK_BUSY',
      });
    });

    test('a lease whose refreshes keep failing aborts its signal with LOCK_LOST before it goes stale to others', async () => {
      const lock = await hold('home');
      const started = Date.now();
      await fixture.breakRefresh('home');
      const reason = await abortedWithin(lock.signal, fixture.staleMs * 4);
      expect(reason).toMatchObject({ name: 'LockError', code: 'LOCK_LOST' });
      expect(Date.now() - started).toBeLessThanOrEqual(fixture.staleMs + 100);
      await expect(lock.release()).resolves.toBeUndefined();
    });

    test('a holder that died without releasing blocks only until its lease is stale', async () => {
      await fixture.plantDeadHolder('certificate/a.test');
      const started = Date.now();
      const lock = await hold('certificate/a.test', fixture.staleMs * 10);
      expect(Date.now() - started).toBeLessThan(fixture.staleMs * 10);
      expect(lock.signal.aborted).toBe(false);
    });

    test.each(['certificate/../x', 'certificate/A.test', 'certificate/', 'certificate/.x', 'homes', ''])(
      'acquire(%j) is refused with a ConfigError',
      async (name) => {
        await expect(locks.acquire(name as LockName, { timeoutMs: 0 })).rejects.toThrow(ConfigError);
      },
    );
  });
}
