import type { Logger } from '../log';
import { certificateLockName, DEFAULT_LOCK_TIMEOUT_MS, type HeldLock, type Locks } from '../storage';

/** What holding a certificate's lock needs. */
export interface CertificateLockDeps {
  locks: Locks;
  logger: Logger;
  /** How long to wait for another holder of the same certificate. Default: DEFAULT_LOCK_TIMEOUT_MS (60 s). */
  lockTimeoutMs?: number;
}

/**
 * Runs `body` while holding `certificate/<name>`: the lock that serialises work on one certificate
 * across every process and node sharing the store (the home lock serialises only this node's
 * local state). The body gets one signal that aborts when the caller's `signal` does or when the
 * lease is lost, and MUST pass it to every request, write and HAProxy command, so that work whose
 * lease is gone stops before it writes more.
 * @throws LockError LOCK_BUSY when another holder keeps it past the timeout; the signal's reason when aborted
 */
export async function withCertificateLock<T>(
  name: string,
  deps: CertificateLockDeps,
  signal: AbortSignal | undefined,
  body: (signal: AbortSignal, lock: HeldLock) => Promise<T>,
): Promise<T> {
  let announced = false;
  const lock = await deps.locks.acquire(certificateLockName(name), {
    timeoutMs: deps.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    ...(signal === undefined ? {} : { signal }),
    onWait: ({ holder }) => {
      if (announced) return;
      announced = true;
      deps.logger.info('Waiting for another run working on this certificate', {
        certificate: name,
        holderPid: holder?.pid,
        holderHost: holder?.hostname,
        holderCommand: holder?.command,
      });
    },
  });
  try {
    return await body(signal === undefined ? lock.signal : AbortSignal.any([signal, lock.signal]), lock);
  } finally {
    await lock.release();
  }
}
