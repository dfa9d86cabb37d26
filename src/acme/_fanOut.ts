/**
 * Bounded fan-out for lists the CA hands us. acme-client's getAuthorizations() fetches every URL
 * of an order at once (`Promise.all`, client.js), one TLS connection and one nonce each: a
 * hostile or broken order must never turn into thousands of parallel requests.
 */

/** Authorizations fetched at once for one order. */
export const AUTHORIZATION_FETCH_CONCURRENCY = 4;

/**
 * Maps `items` through `task` with at most `limit` tasks in flight; the results keep the order
 * of `items`. After the first failure no new task starts, and the call rejects with that failure
 * once the tasks in flight have settled.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await task(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
