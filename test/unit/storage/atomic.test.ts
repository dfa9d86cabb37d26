import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../../../src/errors';
import { ensureDir, FileSystem, writeFileAtomic } from '../../../src/storage';

let root: string;

beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-atomic-'));
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

function modeOf(stat: { mode: number }): number {
  return stat.mode & 0o777;
}

function failing(method: 'rename' | 'open', message: string): FileSystem {
  const error = Object.assign(new Error(message), { code: 'EIO' });
  return { ...fsp, [method]: async () => Promise.reject(error) } as FileSystem;
}

describe('writeFileAtomic()', () => {
  test.each<[number]>([[0o600], [0o644], [0o400]])(
    'writeFileAtomic() creates the file with mode %o whatever the umask',
    async (mode) => {
      const path = join(root, 'a.pem');
      await writeFileAtomic(path, 'data\n', { mode });
      expect(await fsp.readFile(path, 'utf8')).toBe('data\n');
      expect(modeOf(await fsp.stat(path))).toBe(mode);
    },
  );

  test('writeFileAtomic() replaces an existing file and leaves no temp file', async () => {
    const path = join(root, 'a.pem');
    await fsp.writeFile(path, 'old', { mode: 0o644 });
    await writeFileAtomic(path, 'new', { random: () => 'r1' });
    expect(await fsp.readFile(path, 'utf8')).toBe('new');
    expect(modeOf(await fsp.stat(path))).toBe(0o600);
    expect(await fsp.readdir(root)).toEqual(['a.pem']);
  });

  test.each<['rename' | 'open']>([['rename'], ['open']])(
    'writeFileAtomic() keeps the old file and removes the temp file when %s fails',
    async (method) => {
      const path = join(root, 'a.pem');
      await fsp.writeFile(path, 'old');
      const attempt = writeFileAtomic(path, 'new', { fs: failing(method, 'EIO: injected'), random: () => 'r1' });
      await expect(attempt).rejects.toThrow(
        expect.objectContaining({
          name: StorageError.name,
          code: 'STORAGE_IO',
          path,
          message: `Cannot write "${path}": EIO: injected`,
        }),
      );
      expect(await fsp.readFile(path, 'utf8')).toBe('old');
      expect(await fsp.readdir(root)).toEqual(['a.pem']);
    },
  );

  test('writeFileAtomic() gives the new file the owner and group asked for (running as root)', async () => {
    const path = join(root, 'list.txt');
    await fsp.writeFile(path, 'old');
    await writeFileAtomic(path, 'new', { mode: 0o640, owner: { uid: 65534, gid: 65533 }, random: () => 'r1' });
    const stat = await fsp.stat(path);
    expect([stat.uid, stat.gid, modeOf(stat), await fsp.readFile(path, 'utf8'), await fsp.readdir(root)]).toEqual([
      65534,
      65533,
      0o640,
      'new',
      ['list.txt'],
    ]);
  });

  test('writeFileAtomic() names the path when the directory is missing', async () => {
    const path = join(root, 'missing', 'a.pem');
    await expect(writeFileAtomic(path, 'x', { random: () => 'r1' })).rejects.toThrow(
      `Cannot write "${path}": ENOENT: no such file or directory, open '${join(root, 'missing', '.a.pem.tmp-r1')}'`,
    );
  });
});

describe('ensureDir()', () => {
  test('ensureDir() creates every missing level with mode 0700', async () => {
    const deep = join(root, 'a', 'b', 'c');
    await ensureDir(deep);
    const modes = await Promise.all(
      [join(root, 'a'), join(root, 'a', 'b'), deep].map(async (p) => modeOf(await fsp.stat(p))),
    );
    expect(modes).toEqual([0o700, 0o700, 0o700]);
  });

  test('ensureDir() leaves the mode of an existing directory alone', async () => {
    await fsp.chmod(root, 0o755);
    await ensureDir(join(root, 'x'));
    expect(modeOf(await fsp.stat(root))).toBe(0o755);
    expect(modeOf(await fsp.stat(join(root, 'x')))).toBe(0o700);
  });

  test('ensureDir() throws StorageError when a file is in the way', async () => {
    await fsp.writeFile(join(root, 'file'), '');
    const path = join(root, 'file', 'sub');
    await expect(ensureDir(path)).rejects.toThrow(
      expect.objectContaining({
        code: 'STORAGE_IO',
        message: `Cannot create directory "${path}": ENOTDIR: not a directory, mkdir '${path}'`,
      }),
    );
  });
});
