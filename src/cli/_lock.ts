import type { Logger } from '../log';
import type { HeldLock, Locks } from '../storage';

/** Locks withHomeLock() holds right now: what releaseHeldLocks() gives up when the command must stop. */
const held = new Set<HeldLock>();
/** What withHomeLock() is waiting for right now, as a step ("wait for …"), for the interruption message. */
let waiting: string | undefined;

/** The lock wait in progress, e.g. `wait for another acme command (pid 42, "acme renew") to finish`; undefined when none. */
export function lockWaitStep(): string | undefined {
  return waiting;
}

/** Options of withHomeLock(). */
export interface WithHomeLockOptions {
  /** How long to wait for another acme command (`--lock-timeout`). */
  timeoutMs: number;
  logger: Logger;
  /** The command's signal: stops the wait (and the body, which SHOULD pass it on). Default: none. */
  signal?: AbortSignal;
}

/** What withHomeLock() needs of the services: the locks, and the step that readies the home. */
export interface HomeAccess {
  locks: Locks;
  /** Brings the home to the layout this release writes; run once the lock is held, before the body. */
  prepareHome: () => Promise<void>;
}

/**
 * Runs `body` while holding the `home` lock, logging while it waits for another acme command.
 * Once the lock is held, the home is brought to this release's layout (prepareHome) before the
 * body runs. The body gets the HeldLock and the signal its work must pass on: aborted when the
 * command's `signal` is, or when the home lock's lease is lost (LOCK_LOST).
 * @throws LockError LOCK_BUSY when the wait times out; the signal's reason when it is aborted while waiting;
 * ConfigError when the home was written by a newer release
 */
export async function withHomeLock<T>(
  home: HomeAccess,
  options: WithHomeLockOptions,
  body: (lock: HeldLock, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { locks } = home;
  let announced = false;
  const lock = await locks
    .acquire('home', {
      timeoutMs: options.timeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onWait: ({ holder }) => {
        const who = [
          ...(holder?.pid === undefined ? [] : [`pid ${holder.pid}`]),
          ...(holder?.command === undefined ? [] : [JSON.stringify(holder.command)]),
        ];
        waiting = `wait for another acme command${who.length === 0 ? '' : ` (${who.join(', ')})`} to finish`;
        if (announced) return;
        announced = true;
        options.logger.info('Waiting for another acme command to finish', {
          holderPid: holder?.pid,
          holderCommand: holder?.command,
        });
      },
    })
    .finally(() => (waiting = undefined));
  held.add(lock);
  try {
    await home.prepareHome();
    return await body(
      lock,
      options.signal === undefined ? lock.signal : AbortSignal.any([options.signal, lock.signal]),
    );
  } finally {
    held.delete(lock);
    await lock.release();
  }
}

/**
 * Releases every lock withHomeLock() holds, while the body that took it may still be running:
 * the command is past its deadline or interrupted and about to stop, and the next command must
 * not wait for a lock whose holder is gone. A failure is logged, never thrown (the process stops
 * anyway, and a lock left by a dead process is taken over at once on this host).
 */
export async function releaseHeldLocks(logger: Logger | undefined): Promise<void> {
  const locks = [...held];
  held.clear();
  await Promise.all(
    locks.map((lock) =>
      lock
        .release()
        .catch((error: unknown) =>
          logger?.warn('Cannot release the lock', { lockPath: lock.where, error: (error as Error).message }),
        ),
    ),
  );
}
