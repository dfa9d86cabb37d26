import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log';
import {
  bundleOf,
  FileLocalBundles,
  MemoryCertificateStore,
  MemoryLocalBundles,
  openFileBackend,
  type SaveCertificateInput,
} from '../../../src/storage';
import { certs } from '../../fixtures/certs';

const T0 = new Date('2026-11-27T10:00:00.000Z');
const NAME = 'example.com';
const TEMP = `.${NAME}.pem.tmp-0123456789ab`;

let root: string;
let home: string;
let logger: CapturingLogger;

beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-bundles-'));
  home = join(root, 'home');
  logger = new CapturingLogger();
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

function input(which: 1 | 2, name = NAME): SaveCertificateInput {
  return {
    name,
    certPem: which === 1 ? certs.ecLeaf : certs.ecLeaf2,
    chainPem: certs.ecIntermediate,
    keyPem: which === 1 ? certs.ecLeafKey : certs.ecLeaf2Key,
    meta: { domains: ['example.com'], directoryUrl: 'https://ca.test/dir' },
  };
}

function backend(at = T0): ReturnType<typeof openFileBackend> {
  return openFileBackend({ home, clock: fixedClock(at), logger });
}

const bundlePath = (): string => join(home, 'haproxy', `${NAME}.pem`);

describe('FileLocalBundles', () => {
  test('write() puts leaf, chain and key into <home>/haproxy/<name>.pem, 0600 in a 0700 folder', async () => {
    const { store, bundles } = backend();
    await store.saveCertificate(input(1));
    const path = await bundles.write((await store.loadCertificate(NAME))!);
    expect(path).toBe(bundlePath());
    expect(bundles.pathOf('*.Example.com')).toBe(join(home, 'haproxy', '_wildcard.example.com.pem'));
    expect(await fsp.readFile(path, 'utf8')).toBe(certs.ecLeaf + certs.ecIntermediate + certs.ecLeafKey);
    expect([(await fsp.stat(path)).mode & 0o777, (await fsp.stat(join(home, 'haproxy'))).mode & 0o777]).toEqual([
      0o600, 0o700,
    ]);
  });

  test('write() aborted leaves the previous bundle', async () => {
    const { store, bundles } = backend();
    await store.saveCertificate(input(1));
    await bundles.write((await store.loadCertificate(NAME))!);
    await store.saveCertificate(input(2));
    const controller = new AbortController();
    controller.abort(new Error('Cancelled'));
    await expect(bundles.write((await store.loadCertificate(NAME))!, { signal: controller.signal })).rejects.toThrow(
      'Cancelled',
    );
    expect(await fsp.readFile(bundlePath(), 'utf8')).toBe(certs.ecLeaf + certs.ecIntermediate + certs.ecLeafKey);
  });

  test('remove() deletes the bundle once and is then false', async () => {
    const { store, bundles } = backend();
    await store.saveCertificate(input(1));
    await bundles.write((await store.loadCertificate(NAME))!);
    expect([await bundles.remove(NAME), await bundles.remove(NAME)]).toEqual([true, false]);
    await expect(fsp.stat(bundlePath())).rejects.toThrow('ENOENT');
  });

  test.each([
    ['the live bundle is the previous version’s', true],
    ['there is no bundle yet (a first issue)', false],
  ])(
    'reconcile() rewrites the bundle of the current version when a run was killed after the save and %s',
    async (_label, hadOld) => {
      const first = backend();
      await first.store.saveCertificate(input(1));
      if (hadOld) await first.bundles.write((await first.store.loadCertificate(NAME))!);
      // Killed between the save (the commit point) and the bundle write.
      await backend(new Date(T0.getTime() + 1000)).store.saveCertificate(input(2));

      const next = backend();
      expect(await next.bundles.reconcile()).toEqual([NAME]);

      expect(await fsp.readFile(bundlePath(), 'utf8')).toBe(bundleOf((await next.store.loadCertificate(NAME))!));
      expect(logger.records.map((r) => r.message)).toContain(
        'Rewrote the HAProxy bundle to the current version (a killed run, or another node, stored it)',
      );
    },
  );

  test('reconcile() deletes the temp bundles of a killed write and leaves a current bundle alone', async () => {
    const { store, bundles } = backend();
    await store.saveCertificate(input(1));
    const path = await bundles.write((await store.loadCertificate(NAME))!);
    const { mtimeMs } = await fsp.stat(path);
    await fsp.writeFile(join(home, 'haproxy', TEMP), 'partial');
    await fsp.writeFile(join(home, 'haproxy', 'manual.example.org.pem'), 'a manual bundle is not ours');

    expect(await backend().bundles.reconcile()).toEqual([]);

    expect((await fsp.readdir(join(home, 'haproxy'))).sort()).toEqual(['example.com.pem', 'manual.example.org.pem']);
    expect((await fsp.stat(path)).mtimeMs).toBe(mtimeMs);
  });

  test('reconcile() reads nothing of a certificate whose bundle was written after its version was committed', async () => {
    const { store, bundles } = backend();
    await store.saveCertificate(input(1));
    await bundles.write((await store.loadCertificate(NAME))!);
    // File times come from a coarse clock: make "written after" unambiguous.
    const committed = (await fsp.lstat(join(home, 'certificates', NAME))).mtimeMs / 1000;
    await fsp.utimes(bundlePath(), committed + 5, committed + 5);
    const reads: string[] = [];
    const counting = {
      ...fsp,
      readFile: ((path: string, ...rest: unknown[]) => {
        reads.push(String(path));
        return (fsp.readFile as (...args: unknown[]) => Promise<unknown>)(path, ...rest);
      }) as typeof fsp.readFile,
    };
    const next = openFileBackend({ home, clock: fixedClock(T0), logger, fs: counting });

    expect(await next.bundles.reconcile()).toEqual([]);
    expect(reads).toEqual([]);
  });

  test('reconcile() rewrites a previous version’s bundle whose time equals the new version’s commit (coarse file times)', async () => {
    const first = backend();
    await first.store.saveCertificate(input(1));
    await first.bundles.write((await first.store.loadCertificate(NAME))!);
    await backend(new Date(T0.getTime() + 1000)).store.saveCertificate(input(2));
    // The same whole second on the link and on the old bundle, as a file system with coarse times shows them.
    const second = Math.floor(Date.now() / 1000);
    await fsp.lutimes(join(home, 'certificates', NAME), second, second);
    await fsp.utimes(bundlePath(), second, second);

    const next = backend();
    expect(await next.bundles.reconcile()).toEqual([NAME]);
    expect(await fsp.readFile(bundlePath(), 'utf8')).toBe(bundleOf((await next.store.loadCertificate(NAME))!));
  });

  test('reconcile() also runs the file store’s own recovery (openFileBackend wiring)', async () => {
    const { store } = backend();
    await store.saveCertificate(input(1));
    const staleLink = join(home, 'certificates', `.${NAME}.tmp-0123456789ab`);
    await fsp.symlink('.versions/example.com/x', staleLink);

    await backend().bundles.reconcile();

    await expect(fsp.lstat(staleLink)).rejects.toThrow('ENOENT');
  });

  test('reconcile() runs once per instance: a temp written later by this live process is not touched', async () => {
    const { bundles } = backend();
    await bundles.reconcile();
    await fsp.mkdir(join(home, 'haproxy'), { recursive: true });
    await fsp.writeFile(join(home, 'haproxy', TEMP), 'being written by this process');
    await bundles.reconcile();
    expect(await fsp.readdir(join(home, 'haproxy'))).toEqual([TEMP]);
  });

  test('reconcile(names) checks only those certificates', async () => {
    const { store, bundles } = backend();
    await store.saveCertificate(input(1));
    await store.saveCertificate(input(1, 'other.example.com'));
    expect(await bundles.reconcile(['other.example.com'])).toEqual(['other.example.com']);
    await expect(fsp.stat(bundlePath())).rejects.toThrow('ENOENT');
  });

  test('reconcile() logs a certificate it cannot read and carries on with the others', async () => {
    const { store, bundles } = backend();
    await store.saveCertificate(input(1, 'broken.example.com'));
    await store.saveCertificate(input(1));
    await fsp.unlink(join(home, 'certificates', 'broken.example.com', 'privkey.pem'));

    expect(await bundles.reconcile()).toEqual([NAME]);

    expect(logger.records.find((r) => r.message === 'Cannot check the HAProxy bundle of a stored certificate')).toEqual(
      expect.objectContaining({ fields: expect.objectContaining({ certificate: 'broken.example.com' }) }),
    );
    expect(JSON.stringify(logger.records)).not.toContain('PRIVATE KEY-----');
  });

  test('FileLocalBundles without recoverStore reconciles bundles only', async () => {
    const { store } = backend();
    await store.saveCertificate(input(1));
    const bundles = new FileLocalBundles({ home, store, logger });
    expect(await bundles.reconcile()).toEqual([NAME]);
  });
});

describe('MemoryLocalBundles', () => {
  test('write(), remove() and reconcile() keep bundles by path and count reconciles', async () => {
    const store = new MemoryCertificateStore({ clock: fixedClock(T0) });
    const bundles = new MemoryLocalBundles({ store, home: '/srv/acme' });
    await store.saveCertificate(input(1));
    expect(await bundles.reconcile()).toEqual([NAME]);
    expect([...bundles.bundles.keys(), bundles.reconciles]).toEqual(['/srv/acme/haproxy/example.com.pem', 1]);
    expect(await bundles.reconcile()).toEqual([]);
    expect([await bundles.remove(NAME), bundles.bundles.size]).toEqual([true, 0]);
  });
});
