import { mapBounded } from '../../../src/acme/_fanOut';

/** Runs mapBounded over `count` items whose tasks take `delayMs` (failing where `fails` says); records the most in flight. */
async function trial(count: number, limit: number, fails: (item: number) => boolean = () => false) {
  let inFlight = 0;
  let peak = 0;
  const started: number[] = [];
  const outcome = await mapBounded(
    Array.from({ length: count }, (_, i) => i),
    limit,
    async (item) => {
      started.push(item);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      if (fails(item)) throw new Error(`item ${item} failed`);
      return item * 10;
    },
  ).then(
    (results) => ({ results }),
    (error: Error) => ({ error: error.message }),
  );
  return { outcome, peak, started: started.length };
}

describe('mapBounded()', () => {
  test.each<[string, number, number, number]>([
    ['1000 items, 4 at a time', 1000, 4, 4],
    ['3 items with room for 4', 3, 4, 3],
    ['10 items, 1 at a time', 10, 1, 1],
    ['10 items with a limit of 0 (taken as 1)', 10, 0, 1],
    ['10 items with a negative limit (taken as 1)', 10, -5, 1],
  ])('mapBounded() over %s keeps the order and never exceeds the limit', async (_name, count, limit, peak) => {
    const result = await trial(count, limit);
    expect(result).toEqual({
      outcome: { results: Array.from({ length: count }, (_, i) => i * 10) },
      peak,
      started: count,
    });
  });

  test('mapBounded() over no items resolves to an empty list without calling the task', async () => {
    expect(await trial(0, 4)).toEqual({ outcome: { results: [] }, peak: 0, started: 0 });
  });

  test('mapBounded() rejects with the first failure and starts no task after it', async () => {
    const result = await trial(1000, 4, (item) => item === 2);
    // Items 0-3 run first; item 2 fails; the three others in flight or next in line finish, nothing more starts.
    expect(result.outcome).toEqual({ error: 'item 2 failed' });
    expect(result.started).toBeLessThanOrEqual(8);
  });
});
