import { CertificateError, ConfigError, HaproxyError } from '../../../src/errors';
import { removeCertificate, type RemovalEndpoint, type RemoveDeps } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import { fixedClock } from '../../../src/clock';
import { MemoryCertificateStore, MemoryLocalBundles, MemoryLocks, type CrtList } from '../../../src/storage';
import { certs } from '../../fixtures/certs';

const BUNDLE = '/srv/acme/haproxy/site.pem';

/** Records every step in one shared log, so the order across adapters can be asserted. */
class FakeEndpoint implements RemovalEndpoint {
  readonly loaded = new Set([BUNDLE]);
  failWith: Error | undefined;
  constructor(
    readonly label: string,
    private readonly log: string[],
  ) {}
  async removeCertificate(path: string): Promise<{ deleted: boolean; removedFrom: string[] }> {
    this.log.push(`haproxy ${this.label} ${path}`);
    if (this.failWith) throw this.failWith;
    const deleted = this.loaded.delete(path);
    return { deleted, removedFrom: deleted ? ['/etc/haproxy/crt-list.txt'] : [] };
  }
}

class FakeCrtList implements CrtList {
  readonly path = '/etc/haproxy/crt-list.txt';
  readonly entries = [BUNDLE];
  constructor(private readonly log: string[]) {}
  async ensureEntry(): Promise<boolean> {
    throw new Error('not used');
  }
  async hasEntry(certificatePath: string): Promise<boolean> {
    return this.entries.includes(certificatePath);
  }
  async removeEntry(certificatePath: string): Promise<boolean> {
    this.log.push(`crt-list ${certificatePath}`);
    const index = this.entries.indexOf(certificatePath);
    if (index >= 0) this.entries.splice(index, 1);
    return index >= 0;
  }
}

async function setup() {
  const log: string[] = [];
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(new Date('2026-11-27T00:00:00Z')) });
  await store.saveCertificate({
    name: 'site',
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: { domains: ['example.com'], directoryUrl: 'https://ca.test/dir' },
  });
  const removeFromStore = store.removeCertificate.bind(store);
  store.removeCertificate = async (name, options) => {
    log.push(`archive ${name}`);
    return removeFromStore(name, options);
  };
  const bundles = new MemoryLocalBundles({ store, home: '/srv/acme' });
  await bundles.write((await store.loadCertificate('site'))!);
  const removeBundle = bundles.remove.bind(bundles);
  bundles.remove = async (name) => {
    log.push(`bundle ${name}`);
    return removeBundle(name);
  };
  const a = new FakeEndpoint('unix@/run/a.sock', log);
  const b = new FakeEndpoint('unix@/run/b.sock', log);
  const crtList = new FakeCrtList(log);
  const locks = new MemoryLocks();
  const deps: RemoveDeps = { store, bundles, endpoints: [a, b], crtList, locks, logger: new CapturingLogger() };
  return { deps, log, store, bundles, a, b, crtList, locks };
}

describe('removeCertificate()', () => {
  test('removeCertificate() removes from every HAProxy, then the crt-list line, then archives, then deletes the bundle', async () => {
    const { deps, log, store, bundles, crtList } = await setup();

    const result = await removeCertificate('site', deps);

    expect(log).toEqual([
      `haproxy unix@/run/a.sock ${BUNDLE}`,
      `haproxy unix@/run/b.sock ${BUNDLE}`,
      `crt-list ${BUNDLE}`,
      'archive site',
      'bundle site',
    ]);
    expect(result).toEqual({
      name: 'site',
      path: BUNDLE,
      removed: true,
      endpoints: [
        { endpoint: 'unix@/run/a.sock', outcome: 'removed', removedFrom: ['/etc/haproxy/crt-list.txt'] },
        { endpoint: 'unix@/run/b.sock', outcome: 'removed', removedFrom: ['/etc/haproxy/crt-list.txt'] },
      ],
      crtListEntryRemoved: true,
      archive: { archiveId: 'site-20261127T000000Z' },
      bundleRemoved: true,
    });
    expect([await store.listCertificateNames(), crtList.entries, bundles.bundles.size]).toEqual([[], [], 0]);
  });

  test('removeCertificate() touches nothing on disk when one HAProxy fails, so that a second run can retry', async () => {
    const { deps, log, store, a, b, crtList } = await setup();
    b.failWith = new HaproxyError('Cannot delete SSL cert "x": in use', {
      command: 'del ssl cert x',
      endpoint: b.label,
    });

    const result = await removeCertificate('site', deps);

    expect([
      result.removed,
      result.endpoints.map((e) => e.outcome),
      result.endpoints[1]!.error,
      result.archive,
    ]).toEqual([false, ['removed', 'failed'], 'Cannot delete SSL cert "x": in use', undefined]);
    expect([
      log.some((l) => l.startsWith('crt-list') || l.startsWith('archive')),
      await store.listCertificateNames(),
      crtList.entries,
    ]).toEqual([false, ['site'], [BUNDLE]]);

    b.failWith = undefined;
    const retried = await removeCertificate('site', deps);
    expect([
      retried.removed,
      retried.endpoints.map((e) => e.outcome),
      a.loaded.size,
      await store.listCertificateNames(),
    ]).toEqual([true, ['not-loaded', 'removed'], 0, []]);
  });

  test('removeCertificate() without HAProxy or crt-list only archives', async () => {
    const { deps, log } = await setup();
    const result = await removeCertificate('site', { ...deps, endpoints: [], crtList: undefined });
    expect([result.removed, result.crtListEntryRemoved, log]).toEqual([true, false, ['archive site', 'bundle site']]);
  });

  test('removeCertificate() waits for another holder of certificate/<name> and gives up with LOCK_BUSY, touching nothing', async () => {
    const { deps, log, locks } = await setup();
    const other = await locks.acquire('certificate/site');
    try {
      await expect(removeCertificate('site', { ...deps, lockTimeoutMs: 30 })).rejects.toMatchObject({
        code: 'LOCK_BUSY',
      });
      expect(log).toEqual([]);
    } finally {
      await other.release();
    }
  });

  test('removeCertificate() of a name nothing knows fails after checking everywhere', async () => {
    const { deps } = await setup();
    await expect(removeCertificate('nope', deps)).rejects.toThrow(
      new CertificateError('Cannot remove "nope": no such certificate in the store; run "acme list" to see the names'),
    );
  });

  test('removeCertificate() normalises the name and refuses an unsafe one before any step', async () => {
    const { deps, log } = await setup();
    expect((await removeCertificate('SITE', deps)).name).toBe('site');
    log.length = 0;
    await expect(removeCertificate('../site', deps)).rejects.toThrow(ConfigError);
    expect(log).toEqual([]);
  });
});
