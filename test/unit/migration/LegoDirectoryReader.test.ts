import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import {
  LegoDirectoryReader,
  MAX_LEGO_DIR_ENTRIES,
  MAX_LEGO_FILE_BYTES,
  type LegoReaderFileSystem,
} from '../../../src/migration';
import { copyFixture, fixtureSnapshot, LEGO_FIXTURE } from './_lego';

const reader = new LegoDirectoryReader();
const ACCOUNT_DIR = 'accounts/127.0.0.1_33595/admin@example.test';

/** The real file system, whose listing of every `certificates/` directory also holds `names` (which do not exist). */
function withExtraCertificateNames(names: readonly string[]): LegoReaderFileSystem {
  const readdir = (async (path: string) => {
    const real = await fsp.readdir(path);
    return basename(path) === 'certificates' ? [...real, ...names] : real;
  }) as LegoReaderFileSystem['readdir'];
  return { stat: fsp.stat, lstat: fsp.lstat, realpath: fsp.realpath, open: fsp.open, readdir };
}

describe('LegoDirectoryReader', () => {
  let lego: string;
  let outside: string;

  beforeEach(async () => {
    lego = copyFixture();
    outside = await mkdtemp(join(tmpdir(), 'haproxy-acme-lego-outside-'));
    await writeFile(join(outside, 'secret.key'), 'outside');
  });
  afterEach(async () => {
    await rm(dirname(lego), { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  test('read() returns what lego 4.9.1 wrote: two accounts, three certificates, the .pem ignored', async () => {
    const snapshot = await reader.read(LEGO_FIXTURE);
    expect({ ...snapshot, root: '/srv/lego' }).toEqual(fixtureSnapshot());
  });

  test('read() follows a symbolic link that stays inside the directory', async () => {
    await rm(join(lego, 'certificates', 'one.example.test.issuer.crt'));
    await symlink('two.example.test.issuer.crt', join(lego, 'certificates', 'one.example.test.issuer.crt'));
    const snapshot = await reader.read(lego);
    const one = snapshot.certificates.find((c) => c.base === 'one.example.test');
    expect([snapshot.problems, one?.issuer?.path]).toEqual([[], 'certificates/one.example.test.issuer.crt']);
  });

  type Hostile = [string, (lego: string, outside: string) => Promise<void>, Array<{ file: string; message: string }>];
  const hostile: Hostile[] = [
    [
      'a key that is a symbolic link out of the directory',
      async (l, o) => {
        await unlink(join(l, ACCOUNT_DIR, 'keys', 'admin@example.test.key'));
        await symlink(join(o, 'secret.key'), join(l, ACCOUNT_DIR, 'keys', 'admin@example.test.key'));
      },
      [
        {
          file: `${ACCOUNT_DIR}/keys/admin@example.test.key`,
          message: 'it leads through a symbolic link to "OUTSIDE/secret.key", outside the lego directory',
        },
      ],
    ],
    [
      'a keys directory that is a symbolic link out of the directory',
      async (l, o) => {
        await rm(join(l, ACCOUNT_DIR, 'keys'), { recursive: true });
        await writeFile(join(o, 'admin@example.test.key'), 'outside');
        await symlink(o, join(l, ACCOUNT_DIR, 'keys'));
      },
      [
        {
          file: `${ACCOUNT_DIR}/keys/admin@example.test.key`,
          message: 'it leads through a symbolic link to "OUTSIDE/admin@example.test.key", outside the lego directory',
        },
      ],
    ],
    [
      'a certificates directory that is a symbolic link out of the directory',
      async (l, o) => {
        await rm(join(l, 'certificates'), { recursive: true });
        await symlink(o, join(l, 'certificates'));
      },
      [{ file: 'certificates', message: 'it leads through a symbolic link to "OUTSIDE", outside the lego directory' }],
    ],
    [
      'a symbolic link loop',
      async (l) => {
        await rm(join(l, 'certificates', 'one.example.test.crt'));
        await symlink('one.example.test.crt', join(l, 'certificates', 'one.example.test.crt'));
      },
      [{ file: 'certificates/one.example.test.crt', message: 'it is a symbolic link loop' }],
    ],
    [
      'a file larger than the cap',
      async (l) => writeFile(join(l, 'certificates', 'one.example.test.crt'), 'A'.repeat(MAX_LEGO_FILE_BYTES + 1)),
      [
        {
          file: 'certificates/one.example.test.crt',
          message: `it is larger than ${MAX_LEGO_FILE_BYTES} bytes, more than any lego file`,
        },
      ],
    ],
    [
      'a directory where a file belongs',
      async (l) => {
        await rm(join(l, 'certificates', 'one.example.test.key'));
        await mkdir(join(l, 'certificates', 'one.example.test.key'));
      },
      [{ file: 'certificates/one.example.test.key', message: 'it is not a regular file' }],
    ],
    [
      'a FIFO where a file belongs (it would block a read)',
      async (l) => {
        await rm(join(l, 'certificates', 'one.example.test.json'));
        execFileSync('mkfifo', [join(l, 'certificates', 'one.example.test.json')]);
      },
      [{ file: 'certificates/one.example.test.json', message: 'it is neither a regular file nor a directory' }],
    ],
    [
      'a file where the certificates directory belongs',
      async (l) => {
        await rm(join(l, 'certificates'), { recursive: true });
        await writeFile(join(l, 'certificates'), '');
      },
      [{ file: 'certificates', message: 'it is not a directory' }],
    ],
  ];

  test(`readHome() counts only lego's names against the limit: our ${MAX_LEGO_DIR_ENTRIES + 1} links beside them do not stop it`, async () => {
    const before = await reader.readHome(lego);
    const ours = Array.from({ length: MAX_LEGO_DIR_ENTRIES + 1 }, (_, i) => `site-${i}.example.test`);
    const after = await new LegoDirectoryReader({ fs: withExtraCertificateNames(ours) }).readHome(lego);
    expect([after?.problems, after?.certificates.length]).toEqual([[], before?.certificates.length]);
    expect(after?.certificates.length).toBeGreaterThan(0);
  });

  test(`read() refuses more than ${MAX_LEGO_DIR_ENTRIES} entries in a directory and names it`, async () => {
    const extra = Array.from({ length: MAX_LEGO_DIR_ENTRIES }, (_, i) => `x${i}.txt`);
    const snapshot = await new LegoDirectoryReader({ fs: withExtraCertificateNames(extra) }).read(lego);
    expect(snapshot.problems).toEqual([
      {
        file: 'certificates',
        message: `it holds ${MAX_LEGO_DIR_ENTRIES + 13} entries; the limit is ${MAX_LEGO_DIR_ENTRIES}`,
      },
    ]);
  });

  test.each(hostile)('read() refuses %s and names it', async (_name, prepare, expected) => {
    await prepare(lego, outside);
    const snapshot = await reader.read(lego);
    expect(JSON.parse(JSON.stringify(snapshot.problems).replaceAll(outside, 'OUTSIDE'))).toEqual(expected);
  });

  test('read() ignores stray files where lego keeps folders', async () => {
    await writeFile(join(lego, 'accounts', '.DS_Store'), 'x');
    await writeFile(join(lego, 'accounts', '127.0.0.1_33595', 'notes.txt'), 'x');
    const snapshot = await reader.read(lego);
    expect([snapshot.problems, snapshot.accounts.length, snapshot.ignored]).toEqual([
      [],
      2,
      ['accounts/.DS_Store', 'accounts/127.0.0.1_33595/notes.txt', 'certificates/two.example.test.pem'],
    ]);
  });

  test('read() without accounts/ still reads certificates/', async () => {
    await rm(join(lego, 'accounts'), { recursive: true });
    const snapshot = await reader.read(lego);
    expect([snapshot.accounts, snapshot.certificates.length, snapshot.problems]).toEqual([[], 3, []]);
  });

  test.each([
    [
      'a path that does not exist',
      (l: string) => join(l, 'missing'),
      'Cannot import lego directory "LEGO/missing": it does not exist',
    ],
    [
      'a file',
      (l: string) => join(l, 'certificates', 'one.example.test.crt'),
      'Cannot import lego directory "LEGO/certificates/one.example.test.crt": it is not a directory',
    ],
    [
      'a directory without accounts/ or certificates/',
      (l: string) => join(l, 'accounts'),
      'Cannot import lego directory "LEGO/accounts": it holds neither "accounts" nor "certificates"; pass the directory lego\'s --path pointed at',
    ],
  ])('read() of %s throws ConfigError', async (_name, pathOf, message) => {
    const error = await reader.read(pathOf(lego)).catch((e: unknown) => e);
    expect([
      error instanceof ConfigError,
      (error as ConfigError).source,
      (error as Error).message.replace(lego, 'LEGO'),
    ]).toEqual([true, '--path', message]);
  });
});
