import { fixedClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log';
import { type CrtList, MemoryCertificateStore, MemoryDeployStateStore, MemoryLocalBundles } from '../../../src/storage';
import {
  deployCertificate,
  type CertificateDelivery,
  type DeployDeps,
  type HaproxyEndpoint,
  type ServedCertificate,
} from '../../../src/issuance';
import { parseCertificate } from '../../../src/pem';
import { certs, EC_LEAF_NAMES } from '../../fixtures/certs';

/** An in-memory HAProxy: what it serves by path, and every command it was sent. */
class FakeHaproxy implements HaproxyEndpoint {
  readonly served = new Map<string, ServedCertificate>();
  readonly commands: string[] = [];
  /** Paths in the runtime crt-list. */
  readonly listed = new Set<string>();
  failWith: Error | undefined;
  constructor(readonly label: string) {}
  async servedCertificate(path: string): Promise<ServedCertificate | undefined> {
    if (this.failWith) throw this.failWith;
    return this.served.get(path);
  }
  async swapCertificate(delivery: CertificateDelivery, options: { dryRun: boolean }): Promise<void> {
    this.commands.push(`${options.dryRun ? 'set+abort' : 'set+commit'} ${delivery.path}`);
    if (!options.dryRun)
      this.served.set(delivery.path, { serial: delivery.expectedSerial, sha1Fingerprint: delivery.expectedSha1 });
  }
  async addCertificate(delivery: CertificateDelivery, crtListPath: string): Promise<void> {
    this.commands.push(`new+set+commit+add ${delivery.path} ${crtListPath}`);
    this.served.set(delivery.path, { serial: delivery.expectedSerial, sha1Fingerprint: delivery.expectedSha1 });
    this.listed.add(delivery.path);
  }
  async ensureListed(delivery: CertificateDelivery, crtListPath: string): Promise<boolean> {
    if (this.listed.has(delivery.path)) return false;
    this.commands.push(`add ssl crt-list ${crtListPath} ${delivery.path}`);
    this.listed.add(delivery.path);
    return true;
  }
}

class RecordingCrtList implements CrtList {
  readonly path = '/etc/haproxy/crt-list.txt';
  readonly entries: string[] = [];
  async ensureEntry(certificatePath: string): Promise<boolean> {
    if (this.entries.includes(certificatePath)) return false;
    this.entries.push(certificatePath);
    return true;
  }
  async hasEntry(certificatePath: string): Promise<boolean> {
    return this.entries.includes(certificatePath);
  }
  async removeEntry(certificatePath: string): Promise<boolean> {
    const index = this.entries.indexOf(certificatePath);
    if (index >= 0) this.entries.splice(index, 1);
    return index >= 0;
  }
}

const NOW = new Date('2026-11-27T00:00:00Z');
const LEAF = parseCertificate(certs.ecLeaf);

async function setup(extra: Partial<DeployDeps> = {}) {
  const store = new MemoryCertificateStore({ home: '/srv/acme' });
  await store.saveCertificate({
    name: 'site',
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: { domains: EC_LEAF_NAMES.slice(0, 2), directoryUrl: 'https://ca.example.test/dir' },
  });
  const deployState = new MemoryDeployStateStore();
  const a = new FakeHaproxy('unix@/run/a.sock');
  const b = new FakeHaproxy('unix@/run/b.sock');
  const bundles = new MemoryLocalBundles({ store, home: '/srv/acme' });
  const deps: DeployDeps = {
    store,
    bundles,
    deployState,
    node: 'node-1',
    endpoints: [a, b],
    clock: fixedClock(NOW),
    logger: new CapturingLogger(),
    ...extra,
  };
  return { deps, a, b, deployState, bundlePath: bundles.pathOf('site') };
}

describe('deployCertificate()', () => {
  test('deployCertificate() swaps a known path on every endpoint and records it deployed', async () => {
    const { deps, a, b, deployState, bundlePath } = await setup();
    for (const endpoint of [a, b]) endpoint.served.set(bundlePath, { serial: 'OLD', sha1Fingerprint: 'OLDSHA' });

    const outcomes = await deployCertificate('site', deps);

    expect(outcomes).toEqual([
      { endpoint: 'unix@/run/a.sock', outcome: 'swapped', serial: LEAF.serial },
      { endpoint: 'unix@/run/b.sock', outcome: 'swapped', serial: LEAF.serial },
    ]);
    expect(a.served.get(bundlePath)).toEqual({ serial: LEAF.serial, sha1Fingerprint: LEAF.sha1Fingerprint });
    expect((await deployState.load('site', 'node-1')).endpoints['unix@/run/b.sock']).toEqual({
      status: 'deployed',
      serial: LEAF.serial,
      method: 'swap',
      at: NOW.toISOString(),
    });
  });

  test('deployCertificate() leaves an endpoint alone when it already serves the certificate', async () => {
    const { deps, a, b, bundlePath } = await setup();
    for (const endpoint of [a, b])
      endpoint.served.set(bundlePath, { serial: LEAF.serial, sha1Fingerprint: LEAF.sha1Fingerprint });

    const outcomes = await deployCertificate('site', deps);

    expect(outcomes.map((o) => o.outcome)).toEqual(['unchanged', 'unchanged']);
    expect([...a.commands, ...b.commands]).toEqual([]);
  });

  // A run killed after `commit ssl cert` but before `add ssl crt-list` (test/integration/crash-safety.test.ts).
  test.each<[string, boolean, boolean, string[]]>([
    [
      "lists again a served certificate our crt-list names but HAProxy's runtime list lacks",
      true,
      false,
      ['add ssl crt-list /etc/haproxy/crt-list.txt BUNDLE'],
    ],
    ["sends nothing when HAProxy's runtime list already names it", true, true, []],
    ['never lists a certificate our crt-list does not name (HAProxy loads it from elsewhere)', false, false, []],
  ])('deployCertificate() %s', async (_label, inOurList, inRuntimeList, expected) => {
    const crtList = new RecordingCrtList();
    const { deps, a, bundlePath } = await setup({ crtList, endpoints: [] });
    deps.endpoints.push(a);
    a.served.set(bundlePath, { serial: LEAF.serial, sha1Fingerprint: LEAF.sha1Fingerprint });
    if (inOurList) crtList.entries.push(bundlePath);
    if (inRuntimeList) a.listed.add(bundlePath);

    const outcomes = await deployCertificate('site', deps);

    expect([outcomes.map((o) => o.outcome), a.commands]).toEqual([
      ['unchanged'],
      expected.map((c) => c.replace('BUNDLE', bundlePath)),
    ]);
  });

  test('deployCertificate() writes the crt-list entry before adding a certificate HAProxy has never seen', async () => {
    const crtList = new RecordingCrtList();
    const { deps, a, bundlePath } = await setup({ crtList });

    const outcomes = await deployCertificate('site', deps);

    expect(outcomes.map((o) => o.outcome)).toEqual(['added', 'added']);
    expect(crtList.entries).toEqual([bundlePath]);
    expect(a.commands).toEqual([`new+set+commit+add ${bundlePath} /etc/haproxy/crt-list.txt`]);
  });

  test('deployCertificate() marks an unknown path pending with the fix when no crt-list is configured', async () => {
    const { deps, deployState, bundlePath } = await setup();

    const outcomes = await deployCertificate('site', deps);

    expect(outcomes[0]).toEqual({
      endpoint: 'unix@/run/a.sock',
      outcome: 'pending',
      serial: LEAF.serial,
      error: `HAProxy does not know "${bundlePath}"; list it in HAProxy's configuration or pass --haproxy-crt-list so it can be added`,
    });
    expect((await deployState.load('site', 'node-1')).endpoints['unix@/run/a.sock']!.status).toBe('pending');
  });

  test('deployCertificate() keeps delivering to healthy endpoints when one socket is down, then reloads through the fallback', async () => {
    const reloads: string[] = [];
    let served: ServedCertificate | undefined;
    // The master socket's view: after the reload, the new worker serves what is on disk.
    const fallback = {
      label: 'master socket /run/haproxy-master.sock',
      reload: async () => {
        reloads.push('reload');
        served = { serial: LEAF.serial, sha1Fingerprint: LEAF.sha1Fingerprint };
      },
      servedCertificate: async () => served,
    };
    const { deps, a, b, bundlePath } = await setup({ fallback, reloadCheck: { attempts: 3, intervalMs: 1 } });
    a.failWith = new Error('Cannot connect to "unix@/run/a.sock": ENOENT');
    b.served.set(bundlePath, { serial: 'OLD', sha1Fingerprint: 'OLDSHA' });

    const outcomes = await deployCertificate('site', deps);

    expect(outcomes.map((o) => [o.endpoint, o.outcome])).toEqual([
      ['unix@/run/a.sock', 'reloaded'],
      ['unix@/run/b.sock', 'swapped'],
    ]);
    expect(reloads).toEqual(['reload']);
  });

  test.each<[string, (a: FakeHaproxy, path: string) => void, string]>([
    [
      'still serves the old certificate',
      (a, path) => a.served.set(path, { serial: 'OLD', sha1Fingerprint: 'OLDSHA' }),
      `; reload fallback "command "/usr/bin/true"" ran, but HAProxy still serves serial OLD, not ${LEAF.serial} (checked 3 times over 0 s)`,
    ],
    [
      'does not know the path',
      () => undefined,
      '; reload fallback "command "/usr/bin/true"" ran, but HAProxy does not know "/srv/acme/haproxy/site.pem" (checked 3 times over 0 s)',
    ],
    [
      'cannot be asked',
      (a) => {
        a.failWith = new Error('ECONNREFUSED');
      },
      '; reload fallback "command "/usr/bin/true"" ran, but what HAProxy serves cannot be read: ECONNREFUSED (checked 3 times over 0 s)',
    ],
  ])(
    'deployCertificate() keeps an endpoint pending, exit 1, when a reload command ran but HAProxy %s',
    async (_name, afterReload, error) => {
      const { deps, a, b, bundlePath, deployState } = await setup({ reloadCheck: { attempts: 3, intervalMs: 1 } });
      deps.endpoints = [a];
      a.failWith = new Error('ECONNREFUSED');
      deps.fallback = {
        label: 'command "/usr/bin/true"',
        reload: async () => {
          a.failWith = undefined;
          afterReload(a, bundlePath);
        },
      };
      expect(b.commands).toEqual([]);

      const outcomes = await deployCertificate('site', deps);

      expect(outcomes).toEqual([
        { endpoint: 'unix@/run/a.sock', outcome: 'pending', serial: LEAF.serial, error: `ECONNREFUSED${error}` },
      ]);
      expect((await deployState.load('site', 'node-1')).endpoints['unix@/run/a.sock']).toMatchObject({
        status: 'pending',
        lastError: `ECONNREFUSED${error}`,
      });
    },
  );

  test('deployCertificate() records pending with both causes when the fallback fails too', async () => {
    const fallback = {
      label: 'command "snapctl restart x.haproxy"',
      reload: async () => {
        throw new Error('exit code 1');
      },
    };
    const { deps, a, b, deployState } = await setup({ fallback });
    a.failWith = new Error('ECONNREFUSED');
    b.failWith = new Error('ECONNREFUSED');

    const outcomes = await deployCertificate('site', deps);

    expect(outcomes.map((o) => o.outcome)).toEqual(['pending', 'pending']);
    expect((await deployState.load('site', 'node-1')).endpoints['unix@/run/a.sock']!.lastError).toBe(
      'ECONNREFUSED; reload fallback "command "snapctl restart x.haproxy"" failed: exit code 1',
    );
  });

  test('deployCertificate() with dryRun sends set + abort, changes nothing and records nothing', async () => {
    const { deps, a, b, deployState, bundlePath } = await setup();
    for (const endpoint of [a, b]) endpoint.served.set(bundlePath, { serial: 'OLD', sha1Fingerprint: 'OLDSHA' });

    const outcomes = await deployCertificate('site', deps, { dryRun: true });

    expect(outcomes.map((o) => o.outcome)).toEqual(['dry-run', 'dry-run']);
    expect(a.commands).toEqual([`set+abort ${bundlePath}`]);
    expect(a.served.get(bundlePath)).toEqual({ serial: 'OLD', sha1Fingerprint: 'OLDSHA' });
    expect(deployState.states.size).toBe(0);
  });

  test('deployCertificate() with dryRun for a path HAProxy does not know yet sends nothing and touches no crt-list', async () => {
    const crtList = new RecordingCrtList();
    const { deps, a, b } = await setup({ crtList });

    const outcomes = await deployCertificate('site', deps, { dryRun: true });

    expect(outcomes.map((o) => o.outcome)).toEqual(['dry-run', 'dry-run']);
    expect([...a.commands, ...b.commands]).toEqual([]);
    expect(crtList.entries).toEqual([]);
  });

  test('deployCertificate() of an unknown name throws a CertificateError naming it', async () => {
    const { deps } = await setup();
    await expect(deployCertificate('nope', deps)).rejects.toThrow(
      'Cannot deploy "nope": no such certificate in the store; run "acme list" to see the names',
    );
  });
});
