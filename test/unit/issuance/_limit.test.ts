import { createLimiter } from '../../../src/issuance/_limit';

/** A task that records when it starts and finishes and completes when `release()` is called. */
function gate(log: string[], label: string): { task: () => Promise<string>; release: () => void; fail: () => void } {
  let settle: { resolve: (v: string) => void; reject: (e: Error) => void } | undefined;
  const task = (): Promise<string> => {
    log.push(`start ${label}`);
    return new Promise<string>((resolve, reject) => (settle = { resolve, reject })).finally(() =>
      log.push(`end ${label}`),
    );
  };
  return { task, release: () => settle?.resolve(label), fail: () => settle?.reject(new Error(`task ${label} failed`)) };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createLimiter()', () => {
  test.each<[number, number, string[]]>([
    [1, 3, ['start a']],
    [2, 3, ['start a', 'start b']],
    [4, 3, ['start a', 'start b', 'start c']],
  ])('createLimiter(%i) with %i tasks starts only the first ones', async (limit, count, expected) => {
    const log: string[] = [];
    const limited = createLimiter(limit);
    const gates = Array.from({ length: count }, (_, i) => gate(log, 'abc'[i]!));
    const results = gates.map((g) => limited(g.task));
    await flush();
    expect(log).toEqual(expected);
    gates.forEach((g) => g.release());
    for (let i = 0; i < count; i += 1) {
      await flush();
      gates.forEach((g) => g.release());
    }
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c'].slice(0, count));
  });

  test('createLimiter() starts the next task in call order when one finishes, even by failing', async () => {
    const log: string[] = [];
    const limited = createLimiter(1);
    const [a, b, c] = [gate(log, 'a'), gate(log, 'b'), gate(log, 'c')];
    const results = [limited(a.task), limited(b.task), limited(c.task)].map((p) => p.catch((e: Error) => e.message));
    await flush();
    a.fail();
    await flush();
    await flush();
    b.release();
    await flush();
    await flush();
    c.release();
    expect(await Promise.all(results)).toEqual(['task a failed', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
