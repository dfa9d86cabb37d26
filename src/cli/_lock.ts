import type { Logger } from '../log';
import type { Lock, LockLease } from '../storage';

/** Leases withHomeLock() holds right now: what releaseHeldLocks() gives up when the deadline passes. */
const held = new Set<LockLease>();

/** Runs `body` while holding the home lock, logging while it waits for another acme command. */
export async function withHomeLock<T>(
  lock: Lock,
  options: { timeoutMs: number; logger: Logger },
  body: () => Promise<T>,
): Promise<T> {
  let announced = false;
  const lease = await lock.acquire({
    timeoutMs: options.timeoutMs,
    onWait: ({ holder }) => {
      if (announced) return;
      announced = true;
      options.logger.info('Waiting for another acme command to finish', {
        holderPid: holder?.pid,
        holderCommand: holder?.command,
      });
    },
  });
  held.add(lease);
  try {
    return await body();
  } finally {
    held.delete(lease);
    await lease.release();
  }
}

/**
 * Releases every lease withHomeLock() holds, while the body that took it may still be running:
 * the command is past its deadline and about to stop, and the next command must not wait for a
 * lock whose holder is gone. A failure is logged, never thrown (the process stops anyway, and a
 * lock left by a dead process is taken over at once on this host).
 */
export async function releaseHeldLocks(logger: Logger | undefined): Promise<void> {
  const leases = [...held];
  held.clear();
  await Promise.all(
    leases.map((lease) =>
      lease
        .release()
        .catch((error: unknown) =>
          logger?.warn('Cannot release the lock', { lockPath: lease.lockPath, error: (error as Error).message }),
        ),
    ),
  );
}
