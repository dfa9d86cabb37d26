/** readManualCertificates() and writeManualCrtList() on real temp homes laid out as a lego-inherited snap home. */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../../../src/errors';
import {
  MAX_MANUAL_CERTIFICATES,
  MAX_MANUAL_FILE_BYTES,
  readManualCertificates,
  writeManualCrtList,
} from '../../../src/manual';
import { mintCertificate, type MintedCertificate } from './_mint';

describe('manual certificates in a real home', () => {
  let root: string;
  let home: string;
  let dir: string;
  let mine: MintedCertificate;
  let inline: MintedCertificate;
  let outside: MintedCertificate;

  beforeAll(async () => {
    [mine, inline, outside] = await Promise.all([
      mintCertificate({ names: ['photos.example.com'] }),
      mintCertificate({ names: ['inline.example.com'] }),
      mintCertificate({ names: ['outside.example.com'] }),
    ]);
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haproxy-acme-manual-'));
    home = join(root, 'acme');
    dir = join(home, 'haproxy');
    await mkdir(dir, { recursive: true });
    // A stored certificate, as the store keeps it: certificates/site -> .versions/site/<version>.
    await mkdir(join(home, 'certificates', '.versions', 'site', '20261127T003554Z-10'), { recursive: true });
    await symlink(join('.versions', 'site', '20261127T003554Z-10'), join(home, 'certificates', 'site'));
    // What the lego-based release left: lego's copy, and cert.crt / cert.crt.key linked to it.
    await writeFile(join(home, 'certificates', 'photos.example.com.crt'), mine.certPem);
    await writeFile(join(home, 'certificates', 'photos.example.com.key'), mine.keyPem);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function layOut(): Promise<void> {
    await symlink(join(home, 'certificates', 'photos.example.com.crt'), join(dir, 'cert.crt'));
    await symlink('../certificates/photos.example.com.key', join(dir, 'cert.crt.key'));
    await writeFile(join(dir, 'site.pem'), 'our bundle, never read');
    await writeFile(join(dir, '.site.pem.tmp-0123456789ab'), 'a temp file');
    await writeFile(join(dir, 'mine.crt'), mine.certPem);
    await writeFile(join(dir, 'mine.crt.key'), mine.keyPem);
    await writeFile(join(dir, 'inline.pem'), inline.certPem + inline.keyPem);
    await writeFile(join(dir, 'broken.crt'), inline.certPem);
    await writeFile(join(dir, 'big.crt'), 'x'.repeat(MAX_MANUAL_FILE_BYTES + 1));
    await mkdir(join(dir, 'old'));
    await writeFile(join(root, 'outside.pem'), outside.certPem + outside.keyPem);
    await symlink(join(root, 'outside.pem'), join(dir, 'outside.crt'));
    await symlink(join(root, 'gone.pem'), join(dir, 'gone.crt'));
  }

  test("readManualCertificates() lists the files users dropped in, sorted, and leaves out our bundles, lego's links, companions, dot files and directories", async () => {
    await layOut();
    const scan = await readManualCertificates(home, { names: ['site'] });
    expect(scan).toEqual({
      directory: dir,
      notInspected: [],
      truncated: false,
      certificates: [
        {
          path: join(dir, 'big.crt'),
          names: [],
          serial: null,
          notBefore: null,
          notAfter: null,
          keyPath: null,
          problem: `cannot read it: it is ${MAX_MANUAL_FILE_BYTES + 1} bytes, more than the ${MAX_MANUAL_FILE_BYTES} a certificate file may hold`,
        },
        {
          path: join(dir, 'broken.crt'),
          names: ['inline.example.com'],
          serial: inline.serial,
          notBefore: inline.notBefore.toISOString(),
          notAfter: inline.notAfter.toISOString(),
          keyPath: null,
          problem: `no private key: the file holds none and there is no "${join(dir, 'broken.crt.key')}"`,
        },
        {
          path: join(dir, 'gone.crt'),
          names: [],
          serial: null,
          notBefore: null,
          notAfter: null,
          keyPath: null,
          problem: 'cannot read it: it does not exist (a dangling link?)',
        },
        {
          path: join(dir, 'inline.pem'),
          names: ['inline.example.com'],
          serial: inline.serial,
          notBefore: inline.notBefore.toISOString(),
          notAfter: inline.notAfter.toISOString(),
          keyPath: join(dir, 'inline.pem'),
          problem: null,
        },
        {
          path: join(dir, 'mine.crt'),
          names: ['photos.example.com'],
          serial: mine.serial,
          notBefore: mine.notBefore.toISOString(),
          notAfter: mine.notAfter.toISOString(),
          keyPath: join(dir, 'mine.crt.key'),
          problem: null,
        },
        {
          path: join(dir, 'outside.crt'),
          names: ['outside.example.com'],
          serial: outside.serial,
          notBefore: outside.notBefore.toISOString(),
          notAfter: outside.notAfter.toISOString(),
          keyPath: join(dir, 'outside.crt'),
          problem: null,
        },
      ],
    });
  });

  test('readManualCertificates() treats site.pem as manual when no stored certificate is named site', async () => {
    await writeFile(join(dir, 'site.pem'), inline.certPem + inline.keyPem);
    const scan = await readManualCertificates(home, { names: ['other'] });
    expect(scan.certificates.map((c) => [c.path, c.problem])).toEqual([[join(dir, 'site.pem'), null]]);
  });

  test('readManualCertificates() finds none in a home without a haproxy directory', async () => {
    await rm(dir, { recursive: true });
    expect(await readManualCertificates(home, { names: [] })).toEqual({
      directory: dir,
      certificates: [],
      notInspected: [],
      truncated: false,
    });
  });

  test('readManualCertificates() fails with a StorageError when haproxy/ is not a directory', async () => {
    await rm(dir, { recursive: true });
    await writeFile(dir, '');
    const failure = readManualCertificates(home, { names: [] });
    await expect(failure).rejects.toBeInstanceOf(StorageError);
    await expect(failure).rejects.toMatchObject({
      code: 'STORAGE_IO',
      path: dir,
      message: `Cannot list the manual certificates in "${dir}": not a directory`,
    });
  });

  test(`readManualCertificates() reads at most ${MAX_MANUAL_CERTIFICATES} and names the others`, async () => {
    const names = Array.from({ length: MAX_MANUAL_CERTIFICATES + 2 }, (_, i) => `m${String(i).padStart(3, '0')}.crt`);
    await Promise.all(names.map((name) => writeFile(join(dir, name), 'not a certificate')));
    const scan = await readManualCertificates(home, { names: [] });
    expect({
      read: scan.certificates.length,
      last: scan.certificates.at(-1)?.path,
      notInspected: scan.notInspected,
    }).toEqual({
      read: MAX_MANUAL_CERTIFICATES,
      last: join(dir, names[MAX_MANUAL_CERTIFICATES - 1]!),
      notInspected: names.slice(MAX_MANUAL_CERTIFICATES).map((name) => join(dir, name)),
    });
  });

  test('writeManualCrtList() writes one line per loadable manual certificate, mode 0600, and returns the others with their reasons', async () => {
    await layOut();
    const target = join(root, 'manual-crt-list.txt');
    const result = await writeManualCrtList(home, target);
    expect(result).toEqual({
      written: 3,
      skipped: [
        { path: join(dir, 'big.crt'), problem: expect.stringMatching(/^cannot read it: it is \d+ bytes/) },
        { path: join(dir, 'broken.crt'), problem: expect.stringMatching(/^no private key/) },
        { path: join(dir, 'gone.crt'), problem: 'cannot read it: it does not exist (a dangling link?)' },
      ],
    });
    expect(await readFile(target, 'utf8')).toBe(
      `${join(dir, 'inline.pem')}\n${join(dir, 'mine.crt')}\n${join(dir, 'outside.crt')}\n`,
    );
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  test('writeManualCrtList() writes an empty file when there are none, replacing an old list', async () => {
    const target = join(root, 'manual-crt-list.txt');
    await writeFile(target, '/old/line.crt\n', { mode: 0o644 });
    expect(await writeManualCrtList(home, target)).toEqual({ written: 0, skipped: [] });
    expect({ text: await readFile(target, 'utf8'), mode: (await stat(target)).mode & 0o777 }).toEqual({
      text: '',
      mode: 0o600,
    });
  });

  test('writeManualCrtList() writes an empty list and says why when haproxy/ cannot be listed', async () => {
    await rm(dir, { recursive: true });
    await writeFile(dir, '');
    const target = join(root, 'manual-crt-list.txt');
    expect(await writeManualCrtList(home, target)).toEqual({
      written: 0,
      skipped: [
        { path: dir, problem: `none is served: Cannot list the manual certificates in "${dir}": not a directory` },
      ],
    });
    expect(await readFile(target, 'utf8')).toBe('');
  });

  test('writeManualCrtList() never lists its own file when it is written into haproxy/', async () => {
    await writeFile(join(dir, 'mine.crt'), mine.certPem + mine.keyPem);
    const target = join(dir, 'manual-crt-list.txt');
    await writeManualCrtList(home, target);
    expect(await writeManualCrtList(home, target)).toEqual({ written: 1, skipped: [] });
    expect(await readFile(target, 'utf8')).toBe(`${join(dir, 'mine.crt')}\n`);
  });

  test('writeManualCrtList() fails with a StorageError when the target directory does not exist', async () => {
    await expect(writeManualCrtList(home, join(root, 'missing', 'list.txt'))).rejects.toThrow(StorageError);
  });
});
