/** Runs tasks with at most `limit` of them in flight; the rest wait in call order. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** A counting semaphore as a function (pure in-process coordination, no I/O). */
export function createLimiter(limit: number): Limiter {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    running -= 1;
    waiting.shift()?.();
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
