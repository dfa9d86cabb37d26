/**
 * Resolves once `signal` aborts (at once when it already has), with its reason; rejects after 2 s,
 * so a signal that never fires fails the test instead of hanging it.
 */
export function abortOf(signal: AbortSignal | undefined): Promise<unknown> {
  if (signal?.aborted === true) return Promise.resolve(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the signal never aborted')), 2_000);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });
}
