import { lstatSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanHome, type HomeEntry } from '../../../src/doctor';
import { IO_CONCURRENCY } from '../../../src/storage';

/** Breadth first, names sorted: the order scanHome() promises, computed the plain way. */
function breadthFirst(home: string): string[] {
  const order: string[] = [];
  const queue = ['.'];
  while (queue.length > 0) {
    const path = queue.shift()!;
    order.push(path);
    const full = path === '.' ? home : join(home, path);
    if (!lstatSync(full).isDirectory()) continue;
    for (const name of readdirSync(full).sort()) queue.push(path === '.' ? name : `${path}/${name}`);
  }
  return order;
}

describe('scanHome() over more entries than one batch', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-scan-batches-'));
    // Directories wider and narrower than a batch, nested, so that batches start and end inside them.
    for (const [dir, files] of [
      ['wide', IO_CONCURRENCY + 7],
      ['narrow', 2],
      ['wide/inner', 3],
      ['empty', 0],
      ['narrow/deep/er', IO_CONCURRENCY * 2 + 1],
    ] as const) {
      await mkdir(join(home, dir), { recursive: true, mode: 0o700 });
      for (let n = 0; n < files; n += 1) await writeFile(join(home, dir, `f${n}`), 'x', { mode: 0o600 });
    }
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('scanHome() takes in every entry once, breadth first in name order, across batches', async () => {
    const seen: HomeEntry[] = [];
    const scan = await scanHome(home, { onEntry: (entry) => seen.push(entry) });
    const expected = breadthFirst(home);
    expect(expected.length).toBeGreaterThan(3 * IO_CONCURRENCY);
    expect({ order: seen.map((e) => e.path), counted: scan.tally.entries, truncated: scan.truncated }).toEqual({
      order: expected,
      counted: expected.length,
      truncated: false,
    });
  });

  test.each([1, IO_CONCURRENCY - 1, IO_CONCURRENCY, IO_CONCURRENCY + 1, 150])(
    'scanHome() with maxEntries %i stops after exactly that many entries, the first ones in order',
    async (maxEntries) => {
      const seen: string[] = [];
      const scan = await scanHome(home, { maxEntries, onEntry: (entry) => seen.push(entry.path) });
      expect({ seen, counted: scan.tally.entries, truncated: scan.truncated }).toEqual({
        seen: breadthFirst(home).slice(0, maxEntries),
        counted: maxEntries,
        truncated: true,
      });
    },
  );
});
