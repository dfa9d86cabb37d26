import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileSystem, writeFileAtomic } from '../../../src/storage';

let root: string;
let path: string;

beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-atomic-signal-'));
  path = join(root, 'a.pem');
  await fsp.writeFile(path, 'old certificate\n', { mode: 0o600 });
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('writeFileAtomic() with a signal', () => {
  test('writeFileAtomic() aborted while the temp file is written rejects with the reason, keeps the old file and leaves no temp file', async () => {
    const controller = new AbortController();
    const reason = new Error('interrupted by the test');
    // The abort lands after the data is written and synced, just before the rename.
    const fs: FileSystem = {
      ...fsp,
      chmod: async (...args: Parameters<typeof fsp.chmod>) => {
        await fsp.chmod(...args);
        controller.abort(reason);
      },
    };
    await expect(
      writeFileAtomic(path, 'new certificate\n', { fs, signal: controller.signal, random: () => 'r1' }),
    ).rejects.toBe(reason);
    expect(await fsp.readFile(path, 'utf8')).toBe('old certificate\n');
    expect(await fsp.readdir(root)).toEqual(['a.pem']);
  });

  test('writeFileAtomic() with an aborted signal writes nothing at all', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already stopped'));
    let opened = 0;
    const fs: FileSystem = {
      ...fsp,
      open: (async (...args: Parameters<typeof fsp.open>) => ((opened += 1), fsp.open(...args))) as FileSystem['open'],
    };
    await expect(writeFileAtomic(path, 'new certificate\n', { fs, signal: controller.signal })).rejects.toThrow(
      'already stopped',
    );
    expect([opened, await fsp.readFile(path, 'utf8'), await fsp.readdir(root)]).toEqual([
      0,
      'old certificate\n',
      ['a.pem'],
    ]);
  });

  test('writeFileAtomic() with a signal that never aborts replaces the file as without one', async () => {
    await writeFileAtomic(path, 'new certificate\n', { signal: new AbortController().signal });
    expect([await fsp.readFile(path, 'utf8'), await fsp.readdir(root)]).toEqual(['new certificate\n', ['a.pem']]);
  });
});
