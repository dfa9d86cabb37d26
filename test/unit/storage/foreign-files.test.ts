/**
 * Another client's files in --home (lego, when its --path was our --home): storage lists,
 * recovers and saves around them and never reads, changes or deletes one.
 */
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log/logger';
import { FileCertificateStore, isForeignAccountFolder } from '../../../src/storage';
import { recoverHome } from '../../../src/storage/file/_leftovers';
import { certs } from '../../fixtures/certs';

const T0 = new Date('2026-11-27T10:00:00.000Z');
const LEGO_FIXTURE = join(__dirname, '..', '..', 'fixtures', 'lego', 'pebble-4.9.1');

let home: string;
const logger = new CapturingLogger();

beforeEach(async () => {
  home = join(await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-foreign-')), 'home');
  await fsp.cp(LEGO_FIXTURE, home, { recursive: true });
});

afterEach(async () => {
  await fsp.rm(join(home, '..'), { recursive: true, force: true });
});

const store = (): FileCertificateStore => new FileCertificateStore({ home, clock: fixedClock(T0), logger });

async function save(name = 'example.com', meta: { adoptedFrom?: 'lego' } = {}): Promise<void> {
  await store().saveCertificate({
    name,
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: { domains: ['example.com'], directoryUrl: 'https://ca.test/dir', ...meta },
  });
}

/** Every file under home that is not ours, with its SHA-256. */
async function legoDigest(): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(home, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && (path.includes('@') || entry.parentPath === join(home, 'certificates')))
      out.push(
        `${path} ${createHash('sha256')
          .update(await fsp.readFile(path))
          .digest('hex')}`,
      );
  }
  return out.sort();
}

describe('isForeignAccountFolder()', () => {
  test.each<[string, boolean]>([
    ['admin@example.com', true],
    ['noemail@example.com', true],
    ['dir', false],
    ['directory', false],
    ['_root', false],
    ['acme_v02', false],
  ])('isForeignAccountFolder(%j) is %s', (name, expected) => {
    expect(isForeignAccountFolder(name)).toBe(expected);
  });
});

describe('FileCertificateStore next to lego files', () => {
  test("listCertificateNames() and listCertificates() skip lego's regular files in certificates/ and list ours", async () => {
    await save();
    const listed = await store().listCertificates();
    expect([await store().listCertificateNames(), listed.map((c) => c.meta.name)]).toEqual([
      ['example.com'],
      ['example.com'],
    ]);
  });

  test('listCertificateNames() of a home holding only lego files is empty', async () => {
    expect(await store().listCertificateNames()).toEqual([]);
  });

  test("saveCertificate() refuses a name that is one of lego's files and leaves it byte-identical", async () => {
    const before = await legoDigest();
    await expect(save('one.example.test.crt')).rejects.toThrow('is not a symlink to a version directory');
    expect(await legoDigest()).toEqual(before);
  });

  test('saveCertificate() keeps adoptedFrom in meta.json; loadCertificateMeta() reads it back', async () => {
    await save('example.com', { adoptedFrom: 'lego' });
    await save('other.example.com');
    expect([
      (await store().loadCertificateMeta('example.com'))?.adoptedFrom,
      (await store().loadCertificateMeta('other.example.com'))?.adoptedFrom,
    ]).toEqual(['lego', undefined]);
  });
});

describe('recoverHome() next to lego files', () => {
  test("recoverHome() never enters lego's account folders, and still removes our own temps", async () => {
    const legoAccount = join(home, 'accounts', '127.0.0.1_33595', 'admin@example.test');
    await fsp.writeFile(join(legoAccount, '.account.json.tmp-abc123'), 'lego-owned');
    const ours = join(home, 'accounts', '127.0.0.1_33595', 'dir');
    await fsp.mkdir(ours, { recursive: true });
    await fsp.writeFile(join(ours, '.account.json.tmp-abc123'), 'ours');
    const before = await legoDigest();
    const recovery = await recoverHome(home, { fs: fsp, logger });
    expect([recovery.removed, await legoDigest(), (await fsp.readdir(legoAccount)).sort()]).toEqual([
      [join(ours, '.account.json.tmp-abc123')],
      before,
      ['.account.json.tmp-abc123', 'account.json', 'keys'],
    ]);
  });
});
