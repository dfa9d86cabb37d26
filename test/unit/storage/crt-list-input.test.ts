import { execFileSync } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../../../src/errors';
import { MAX_HAPROXY_WORD_CHARS } from '../../../src/haproxyWord';
import { FileCrtList, type FileSystem } from '../../../src/storage';

const ORIGINAL = '/srv/default.pem [alpn h2]\n# kept as is\n/srv/acme/haproxy/old.pem\n';
const SITE = '/srv/acme/haproxy/site.pem';
const FIX = 'choose a --home of printable ASCII without spaces, "#", quotes, "\\", "$", "[" or "]"';
const ONE_WORD = 'which HAProxy would not read as part of one word';
const BRACKET = 'which HAProxy would read as a bracket around SSL options in a crt-list line';
const NOBODY = 65534;

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-crt-list-input-'));
  file = join(dir, 'crt-list.txt');
  await writeFile(file, ORIGINAL, { mode: 0o600 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileCrtList.ensureEntry() refuses a path that is not one crt-list word', () => {
  test.each<[string, string, string, string]>([
    ['a space', '/srv/a b/haproxy/site.pem', '"/srv/a b/haproxy/site.pem"', `it contains a space, ${ONE_WORD}`],
    [
      'a newline that would add a line',
      '/srv/x\n[verify none] x/haproxy/site.pem',
      '"/srv/x\\n[verify none] x/haproxy/site.pem"',
      `it contains a newline, ${ONE_WORD}`,
    ],
    ['a tab', '/srv/a\tb.pem', '"/srv/a\\tb.pem"', `it contains a tab, ${ONE_WORD}`],
    ['a carriage return', '/srv/a\rb.pem', '"/srv/a\\rb.pem"', `it contains a control character (U+000D), ${ONE_WORD}`],
    ['"#"', '/srv/a#b.pem', '"/srv/a#b.pem"', `it contains "#", ${ONE_WORD}`],
    ['a double quote', '/srv/"a".pem', '"/srv/\\"a\\".pem"', `it contains """, ${ONE_WORD}`],
    ['a single quote', "/srv/a'b.pem", `"/srv/a'b.pem"`, `it contains "'", ${ONE_WORD}`],
    ['a backslash', '/srv/a\\b.pem', '"/srv/a\\\\b.pem"', `it contains "\\", ${ONE_WORD}`],
    ['"$"', '/srv/$x.pem', '"/srv/$x.pem"', `it contains "$", ${ONE_WORD}`],
    ['NUL', '/srv/a\0b.pem', '"/srv/a\\u0000b.pem"', `it contains a control character (U+0000), ${ONE_WORD}`],
    [
      'a C1 control',
      '/srv/a\u0085b.pem',
      '"/srv/a\\u{85}b.pem"',
      `it contains a non-ASCII character (U+0085), ${ONE_WORD}`,
    ],
    [
      'a non-ASCII letter',
      '/srv/caf\u00e9.pem',
      '"/srv/caf\u00e9.pem"',
      `it contains a non-ASCII character (U+00E9), ${ONE_WORD}`,
    ],
    [
      'a right-to-left override',
      '/srv/a\u202eb.pem',
      '"/srv/a\\u{202e}b.pem"',
      `it contains a non-ASCII character (U+202E), ${ONE_WORD}`,
    ],
    ['"["', '/srv/a[1]/site.pem', '"/srv/a[1]/site.pem"', `it contains "[", ${BRACKET}`],
    ['"]"', '/srv/a]/site.pem', '"/srv/a]/site.pem"', `it contains "]", ${BRACKET}`],
    ['nothing at all', '', '""', 'it is empty'],
    [
      'too many characters',
      `/${'a'.repeat(MAX_HAPROXY_WORD_CHARS)}`,
      `"/${'a'.repeat(299)}…"`,
      `it is longer than ${MAX_HAPROXY_WORD_CHARS} characters`,
    ],
  ])(
    'ensureEntry() refuses a path with %s and leaves the file byte-identical',
    async (_case, entry, shown, problem) => {
      const before = await readFile(file);
      const attempt = new FileCrtList(file).ensureEntry(entry);
      await expect(attempt).rejects.toThrow(StorageError);
      await expect(attempt).rejects.toMatchObject({
        code: 'STORAGE_IO',
        path: file,
        retryable: false,
        message: `Cannot list ${shown} in HAProxy crt-list ${JSON.stringify(file)}: ${problem}; ${FIX}`,
      });
      expect([(await readFile(file)).equals(before), await readdir(dir)]).toEqual([true, ['crt-list.txt']]);
    },
  );

  test('ensureEntry() refuses a bad path before touching the list, even a missing one', async () => {
    const missing = join(dir, 'missing.txt');
    await expect(new FileCrtList(missing).ensureEntry('/srv/a b.pem')).rejects.toThrow(
      `Cannot list "/srv/a b.pem" in HAProxy crt-list "${missing}": it contains a space`,
    );
    expect(await readdir(dir)).toEqual(['crt-list.txt']);
  });

  test('ensureEntry() writes a path of every other printable ASCII character as one line', async () => {
    const entry = '/srv/a!%&()*+,-.:;<=>?@^_`{|}~/site.pem';
    expect(await new FileCrtList(file).ensureEntry(entry)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(`${ORIGINAL}${entry}\n`);
  });
});

describe('FileCrtList refuses a crt-list that is a symbolic link', () => {
  const operations: [string, (list: FileCrtList) => Promise<boolean>][] = [
    ['ensureEntry()', (list) => list.ensureEntry(SITE)],
    ['hasEntry()', (list) => list.hasEntry('/srv/acme/haproxy/old.pem')],
    ['removeEntry()', (list) => list.removeEntry('/srv/acme/haproxy/old.pem')],
  ];

  test.each(operations)(
    '%s refuses a link, naming its target, and leaves the link and the target alone',
    async (_name, operate) => {
      const link = join(dir, 'link.txt');
      await symlink('crt-list.txt', link);
      const attempt = operate(new FileCrtList(link));
      await expect(attempt).rejects.toThrow(
        expect.objectContaining({
          name: 'StorageError',
          code: 'STORAGE_IO',
          path: link,
          message: `Cannot use HAProxy crt-list "${link}": it is a symbolic link to "${file}", which an update would replace with a regular file; point --haproxy-crt-list at the real file "${file}"`,
        }),
      );
      expect([await readlink(link), await readFile(file, 'utf8')]).toEqual(['crt-list.txt', ORIGINAL]);
    },
  );

  test('ensureEntry() refuses a link planted between its read and its write, and leaves it alone', async () => {
    const moved = join(dir, 'real.txt');
    let planted = false;
    // After the list is opened for reading (numeric flags; writes open their temp file with "wx"), the file is
    // swapped for a link to a copy, as a process with write access to the directory could do at that moment.
    const fs: FileSystem = {
      ...fsp,
      open: (async (path: string, flags?: string | number, mode?: number) => {
        const handle = await fsp.open(path, flags, mode);
        if (typeof flags === 'number' && !planted) {
          planted = true;
          await fsp.rename(file, moved);
          await fsp.symlink(moved, file);
        }
        return handle;
      }) as FileSystem['open'],
    };
    await expect(new FileCrtList(file, { fs }).ensureEntry(SITE)).rejects.toThrow(
      `Cannot use HAProxy crt-list "${file}": it is a symbolic link to "${moved}"`,
    );
    expect([planted, await readlink(file), await readFile(moved, 'utf8'), (await readdir(dir)).sort()]).toEqual([
      true,
      moved,
      ORIGINAL,
      ['crt-list.txt', 'real.txt'],
    ]);
  });

  test('ensureEntry() refuses a dangling link without creating its target', async () => {
    const link = join(dir, 'link.txt');
    const target = join(dir, 'gone.txt');
    await symlink(target, link);
    await expect(new FileCrtList(link).ensureEntry(SITE)).rejects.toThrow(`it is a symbolic link to "${target}"`);
    expect((await readdir(dir)).sort()).toEqual(['crt-list.txt', 'link.txt']);
  });

  test('ensureEntry() refuses a FIFO without blocking on it', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(new FileCrtList(fifo).ensureEntry(SITE)).rejects.toThrow(
      `Cannot read HAProxy crt-list "${fifo}": expected a crt-list file or a crt directory`,
    );
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  test('ensureEntry() reads a crt-list through a linked parent directory (only the file itself may not be a link)', async () => {
    await mkdir(join(dir, 'real'));
    await writeFile(join(dir, 'real', 'list.txt'), '');
    await symlink(join(dir, 'real'), join(dir, 'etc'));
    expect(await new FileCrtList(join(dir, 'etc', 'list.txt')).ensureEntry(SITE)).toBe(true);
    expect(await readFile(join(dir, 'real', 'list.txt'), 'utf8')).toBe(`${SITE}\n`);
  });
});

describe('FileCrtList keeps the mode, owner and group of the file it replaces', () => {
  const writes: [string, (list: FileCrtList) => Promise<boolean>][] = [
    ['ensureEntry()', (list) => list.ensureEntry(SITE)],
    ['removeEntry()', (list) => list.removeEntry('/srv/acme/haproxy/old.pem')],
  ];

  beforeAll(() => {
    // The owner can only be given away by root; the suite runs as root in CI and in the dev container.
    expect(process.getuid?.()).toBe(0);
  });

  test.each(writes)('%s keeps uid 65534, gid 65534 and mode 0640', async (_name, write) => {
    await chown(file, NOBODY, NOBODY);
    await chmod(file, 0o640);
    expect(await write(new FileCrtList(file))).toBe(true);
    const info = await stat(file);
    expect([info.uid, info.gid, info.mode & 0o777, await readdir(dir)]).toEqual([
      NOBODY,
      NOBODY,
      0o640,
      ['crt-list.txt'],
    ]);
  });

  test('ensureEntry() keeps a group different from the owner, and mode 0604', async () => {
    await chown(file, 0, NOBODY);
    await chmod(file, 0o604);
    await new FileCrtList(file).ensureEntry(SITE);
    const info = await stat(file);
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([0, NOBODY, 0o604]);
  });
});
