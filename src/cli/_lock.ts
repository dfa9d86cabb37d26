import type { Logger } from '../log';
import type { Lock } from '../storage';

/** Runs `body` while holding the home lock, logging while it waits for another acme command. */
export async function withHomeLock<T>(lock: Lock, options: { timeoutMs: number; logger: Logger }, body: () => Promise<T>): Promise<T> {
  let announced = false;
  const lease = await lock.acquire({
    timeoutMs: options.timeoutMs,
    onWait: ({ holder }) => {
      if (announced) return;
      announced = true;
      options.logger.info('Waiting for another acme command to finish', { holderPid: holder?.pid, holderCommand: holder?.command });
    },
  });
  try {
    return await body();
  } finally {
    await lease.release();
  }
}
