import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { ConfigError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import {
  FileCertificateStore,
  FileDeployStateStore,
  FileIssuedCertificateStore,
  FileLocalBundles,
  FileRenewalStateStore,
  MemoryCertificateStore,
  archiveFolderName,
} from '../../../src/storage';
import { certs } from '../../fixtures/certs';

const DIRECTORY = 'https://127.0.0.1:14000/dir';
const NOW = new Date('2026-11-27T10:00:00.000Z');
const saveInput = (name: string) => ({
  name,
  certPem: certs.ecLeaf,
  chainPem: certs.ecIntermediate,
  keyPem: certs.ecLeafKey,
  meta: { domains: ['example.com'], directoryUrl: DIRECTORY },
});

describe('archiveFolderName()', () => {
  test.each<[string, Date, string]>([
    ['example.com', NOW, 'example.com-20261127T100000Z'],
    ['*.Example.com', new Date('2027-01-02T03:04:05.678Z'), '_wildcard.example.com-20270102T030405Z'],
  ])('archiveFolderName(%j) is %j', (name, at, expected) => {
    expect(archiveFolderName(name, at)).toBe(expected);
  });

  test.each(['../etc', 'a/b', '', '.hidden'])('archiveFolderName(%j) refuses an unsafe name', (name) => {
    expect(() => archiveFolderName(name, NOW)).toThrow(ConfigError);
  });
});

describe('FileCertificateStore.removeCertificate() archives', () => {
  let root: string;
  let home: string;
  beforeEach(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-archive-'));
    home = join(root, 'home');
  });
  afterEach(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  async function populated() {
    const logger = new CapturingLogger();
    const store = new FileCertificateStore({ home, clock: fixedClock(NOW), logger, random: () => 'r1' });
    const bundles = new FileLocalBundles({ home, store, logger });
    for (const name of ['example.com', 'other.example.com']) {
      await store.saveCertificate(saveInput(name));
      await bundles.write((await store.loadCertificate(name))!);
    }
    await new FileDeployStateStore({ home, node: 'node-a' }).save('example.com', 'node-a', { endpoints: {} });
    await new FileRenewalStateStore({ home }).save(
      'example.com',
      { lastSuccessAt: NOW.toISOString() },
      { expectedRevision: 0 },
    );
    const archive = { archive: (name: string) => store.removeCertificate(name) };
    return { store, archive };
  }

  test('removeCertificate() moves link, versions, bundle and states into archive/<name>-<stamp>/, mirroring the home layout', async () => {
    const { store, archive } = await populated();
    const before = await store.loadCertificate('example.com');

    const result = await archive.archive('example.com');

    const dir = join(home, 'archive', 'example.com-20261127T100000Z');
    expect(result).toEqual({
      archiveId: 'example.com-20261127T100000Z',
      dir,
      moved: [
        'certificates/example.com',
        'certificates/.versions/example.com',
        'haproxy/example.com.pem',
        'deploy/example.com.json',
        'renewal/example.com.json',
      ],
    });
    expect([await store.loadCertificate('example.com'), await store.listCertificateNames()]).toEqual([
      undefined,
      ['other.example.com'],
    ]);
    expect(store.archiveDir(result!.archiveId)).toBe(dir);
    // The relative link still resolves inside the archive: restoring is moving the folders back.
    const archivedKey = await fsp.readFile(join(dir, 'certificates', 'example.com', 'privkey.pem'), 'utf8');
    expect([archivedKey, await fsp.readFile(join(dir, 'haproxy', 'example.com.pem'), 'utf8')]).toEqual([
      before!.keyPem,
      expect.stringContaining(before!.certPem.trim()),
    ]);
    const modes = await Promise.all(
      [join(home, 'archive'), dir, join(dir, 'certificates'), join(dir, 'renewal')].map(
        async (p) => (await fsp.stat(p)).mode & 0o777,
      ),
    );
    expect(modes).toEqual([0o700, 0o700, 0o700, 0o700]);
    expect((await fsp.stat(join(dir, 'haproxy', 'example.com.pem'))).mode & 0o777).toBe(0o600);
  });

  test('removeCertificate() also moves a certificate the CA issued that is kept under issued/, so that no renewal finishes it again', async () => {
    const logger = new CapturingLogger();
    const issued = new FileIssuedCertificateStore({ home });
    await issued.keep({
      name: 'example.net',
      domains: ['example.net'],
      keyType: 'ec256',
      directoryUrl: DIRECTORY,
      accountUrl: `${DIRECTORY}/acct/1`,
      downloadedAt: NOW.toISOString(),
      fullchainPem: certs.noSubjectLeaf + certs.noSubjectIntermediate,
      keyPem: certs.noSubjectLeafKey,
    });
    const store = new FileCertificateStore({ home, clock: fixedClock(NOW), logger });

    const result = await store.removeCertificate('example.net');

    expect(result).toEqual({
      archiveId: 'example.net-20261127T100000Z',
      dir: join(home, 'archive', 'example.net-20261127T100000Z'),
      moved: ['issued/example.net.json'],
    });
    expect(await issued.listNames()).toEqual([]);
    expect((await fsp.stat(join(result!.dir, 'issued', 'example.net.json'))).mode & 0o777).toBe(0o600);
  });

  test('removeCertificate() leaves the other certificates alone', async () => {
    const { store, archive } = await populated();
    await archive.archive('example.com');
    expect((await store.loadCertificate('other.example.com'))?.meta.name).toBe('other.example.com');
  });

  test('removeCertificate() a second time finds nothing left and creates no folder', async () => {
    const { archive } = await populated();
    await archive.archive('example.com');
    expect(await archive.archive('example.com')).toBeUndefined();
    expect(await fsp.readdir(join(home, 'archive'))).toEqual(['example.com-20261127T100000Z']);
  });

  test('removeCertificate() finishes a crashed run: only what is left moves, into a suffixed folder in the same second', async () => {
    const { archive } = await populated();
    await fsp.mkdir(join(home, 'archive', 'example.com-20261127T100000Z'), { recursive: true });
    await fsp.rename(
      join(home, 'certificates', 'example.com'),
      join(home, 'archive', 'example.com-20261127T100000Z', 'link'),
    );
    const result = await archive.archive('example.com');
    expect(result).toEqual({
      archiveId: 'example.com-20261127T100000Z-r1',
      dir: join(home, 'archive', 'example.com-20261127T100000Z-r1'),
      moved: [
        'certificates/.versions/example.com',
        'haproxy/example.com.pem',
        'deploy/example.com.json',
        'renewal/example.com.json',
      ],
    });
  });

  test('removeCertificate() refuses an unsafe name before touching anything', async () => {
    const { archive } = await populated();
    await expect(archive.archive('../certificates')).rejects.toThrow(ConfigError);
    await expect(fsp.stat(join(home, 'archive'))).rejects.toThrow('ENOENT');
  });
});

describe('MemoryCertificateStore.removeCertificate()', () => {
  test('removeCertificate() drops the certificate, records it in archived and names the archive like the file store', async () => {
    const store = new MemoryCertificateStore({ clock: fixedClock(NOW) });
    await store.saveCertificate(saveInput('example.com'));
    const before = await store.loadCertificate('example.com');

    const result = await store.removeCertificate('example.com');

    expect(result).toEqual({ archiveId: 'example.com-20261127T100000Z' });
    expect([await store.listCertificateNames(), store.archived]).toEqual([
      [],
      [{ archiveId: 'example.com-20261127T100000Z', certificate: before }],
    ]);
    expect(await store.removeCertificate('example.com')).toBeUndefined();
  });
});
