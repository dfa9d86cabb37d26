import { fixedClock } from '../../../src/clock';
import { HaproxyError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import {
  type CrtList,
  type EndpointDeployState,
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryRenewalStateStore,
  MemoryLocks,
} from '../../../src/storage';
import {
  deployCertificate,
  renewCertificates,
  type CertificateDelivery,
  type DeployDeps,
  type HaproxyEndpoint,
  type RenewalDeps,
  type ServedCertificate,
} from '../../../src/issuance';
import { deployIfOwed, storedButUndelivered } from '../../../src/issuance/_owedDeploy';
import { parseCertificate } from '../../../src/pem';
import { certs, EC_LEAF_NAMES } from '../../fixtures/certs';

/** An in-memory HAProxy; `readError` makes `show ssl cert` fail as a half-added store does. */
class FakeHaproxy implements HaproxyEndpoint {
  readonly served = new Map<string, ServedCertificate>();
  readonly commands: string[] = [];
  readError: Error | undefined;
  constructor(readonly label: string) {}
  async servedCertificate(path: string): Promise<ServedCertificate | undefined> {
    if (this.readError) throw this.readError;
    return this.served.get(path);
  }
  async swapCertificate(delivery: CertificateDelivery): Promise<void> {
    this.commands.push(`swap ${delivery.expectedSerial}`);
    this.served.set(delivery.path, { serial: delivery.expectedSerial, sha1Fingerprint: delivery.expectedSha1 });
  }
  async addCertificate(delivery: CertificateDelivery): Promise<void> {
    this.commands.push(`add ${delivery.expectedSerial}`);
    this.readError = undefined;
    this.served.set(delivery.path, { serial: delivery.expectedSerial, sha1Fingerprint: delivery.expectedSha1 });
  }

  /** This HAProxy lists every certificate it serves, so there is never one to list again. */
  async ensureListed(): Promise<boolean> {
    return false;
  }
}

const crtList: CrtList = {
  path: '/etc/haproxy/crt-list.txt',
  ensureEntry: async () => false,
  hasEntry: async () => false,
  removeEntry: async () => false,
};
const NOW = new Date('2026-12-01T00:00:00Z');
const SERIAL = parseCertificate(certs.ecLeaf).serial;
const EMPTY_STORE = new HaproxyError(
  'Cannot show SSL cert "/srv/acme/haproxy/site.pem": HAProxy replied "Filename: /srv/acme/haproxy/site.pem Status: Empty"',
  {
    command: 'show ssl cert /srv/acme/haproxy/site.pem',
    endpoint: 'unix@/run/a.sock',
    retryable: false,
  },
);
const UNREACHABLE = new HaproxyError(
  'Cannot run "show ssl cert" on HAProxy socket "unix@/run/a.sock": connect ECONNREFUSED',
  {
    command: 'show ssl cert',
    endpoint: 'unix@/run/a.sock',
    retryable: true,
  },
);

async function setup(recorded?: EndpointDeployState) {
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
  await store.saveCertificate({
    name: 'site',
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: { domains: EC_LEAF_NAMES.slice(0, 2), directoryUrl: 'https://ca.example.test/dir' },
  });
  const deployState = new MemoryDeployStateStore();
  const haproxy = new FakeHaproxy('unix@/run/a.sock');
  if (recorded !== undefined) await deployState.save('site', 'node-1', { endpoints: { [haproxy.label]: recorded } });
  const bundles = new MemoryLocalBundles({ store, home: '/srv/acme' });
  const deps: DeployDeps = {
    store,
    bundles,
    deployState,
    node: 'node-1',
    endpoints: [haproxy],
    crtList,
    clock: fixedClock(NOW),
    logger: new CapturingLogger(),
  };
  return { deps, haproxy, store, bundles, deployState };
}

describe('deployIfOwed()', () => {
  test.each<[string, EndpointDeployState | undefined, string[]]>([
    ['no record for the endpoint', undefined, []],
    ['deployed with the stored serial', { status: 'deployed', serial: SERIAL, at: NOW.toISOString() }, []],
    [
      'deployed with an older serial (a run killed before it deployed)',
      { status: 'deployed', serial: '01', at: NOW.toISOString() },
      [`add ${SERIAL}`],
    ],
    [
      'pending with the stored serial (HAProxy was down)',
      { status: 'pending', serial: SERIAL, at: NOW.toISOString(), lastError: 'down' },
      [`add ${SERIAL}`],
    ],
  ])('deployIfOwed() with %s', async (_label, recorded, commands) => {
    const { deps, haproxy, deployState } = await setup(recorded);
    const outcomes = await deployIfOwed('site', SERIAL, deps);
    expect(haproxy.commands).toEqual(commands);
    expect(outcomes === undefined).toBe(commands.length === 0);
    expect((await deployState.load('site', 'node-1')).endpoints[haproxy.label]?.status).toBe(
      recorded === undefined ? undefined : commands.length > 0 ? 'deployed' : recorded.status,
    );
  });

  test('deployIfOwed() does nothing without endpoints', async () => {
    const { deps } = await setup({ status: 'pending', serial: SERIAL, at: NOW.toISOString() });
    expect(await deployIfOwed('site', SERIAL, { ...deps, endpoints: [] })).toBeUndefined();
  });
});

describe('storedButUndelivered()', () => {
  const request = { name: 'site', domains: EC_LEAF_NAMES.slice(0, 2), keyType: 'ec256' as const };
  const pending: EndpointDeployState = { status: 'pending', serial: SERIAL, at: NOW.toISOString(), lastError: 'down' };

  test('storedButUndelivered() returns the stored certificate, as resumed, when the request matches and a deploy is owed', async () => {
    const { deps } = await setup(pending);
    const result = await storedButUndelivered(request, { ...deps, directoryUrl: 'https://ca.example.test/dir' });
    expect(result).toMatchObject({
      name: 'site',
      serial: SERIAL,
      stored: true,
      resumed: true,
      delivery: { expectedSerial: SERIAL, path: '/srv/acme/haproxy/site.pem' },
    });
  });

  test.each<[string, Partial<typeof request> & { profile?: string }, EndpointDeployState | undefined, string, Date]>([
    ['no deploy is owed (no record)', {}, undefined, 'https://ca.example.test/dir', NOW],
    [
      'no deploy is owed (deployed)',
      {},
      { status: 'deployed', serial: SERIAL, at: NOW.toISOString() },
      'https://ca.example.test/dir',
      NOW,
    ],
    ['other names are asked for', { domains: ['example.com'] }, pending, 'https://ca.example.test/dir', NOW],
    ['another key type is asked for', { keyType: 'rsa2048' as 'ec256' }, pending, 'https://ca.example.test/dir', NOW],
    ['a profile is asked for', { profile: 'shortlived' }, pending, 'https://ca.example.test/dir', NOW],
    ['another CA is used', {}, pending, 'https://other.example.test/dir', NOW],
    ['the stored certificate expired', {}, pending, 'https://ca.example.test/dir', new Date('2127-01-01T00:00:00Z')],
  ])('storedButUndelivered() returns undefined when %s', async (_label, change, recorded, directoryUrl, now) => {
    const { deps } = await setup(recorded);
    expect(
      await storedButUndelivered({ ...request, ...change }, { ...deps, directoryUrl, clock: fixedClock(now) }),
    ).toBeUndefined();
  });
});

describe('deployCertificate() after a run killed while adding', () => {
  test('deployCertificate() adds again when HAProxy answers but its store cannot be read (empty store, open transaction)', async () => {
    const { deps, haproxy } = await setup();
    haproxy.readError = EMPTY_STORE;
    expect(await deployCertificate('site', deps)).toEqual([
      { endpoint: haproxy.label, outcome: 'added', serial: SERIAL },
    ]);
    expect(haproxy.commands).toEqual([`add ${SERIAL}`]);
  });

  test.each([
    ['HAProxy is unreachable (retryable)', UNREACHABLE, { crtList }],
    ['no crt-list is configured', EMPTY_STORE, { crtList: undefined }],
  ])('deployCertificate() leaves it pending when %s', async (_label, error, extra) => {
    const { deps, haproxy } = await setup();
    haproxy.readError = error;
    expect(await deployCertificate('site', { ...deps, ...extra })).toEqual([
      { endpoint: haproxy.label, outcome: 'pending', serial: SERIAL, error: error.message },
    ]);
    expect(haproxy.commands).toEqual([]);
  });
});

describe('renewCertificates() and what a killed run left', () => {
  function renewalDeps(base: Awaited<ReturnType<typeof setup>>): RenewalDeps {
    return {
      directoryUrl: 'https://ca.example.test/dir',
      store: base.store,
      bundles: base.bundles,
      locks: new MemoryLocks(),
      issued: new MemoryIssuedCertificateStore(),
      acmeFor: () => {
        throw new Error('no ACME call expected: nothing is due');
      },
      responder: {
        acquire: async () => async () => undefined,
        present: async () => undefined,
        cleanup: async () => undefined,
      },
      clock: fixedClock(NOW),
      logger: new CapturingLogger(),
      renewalState: new MemoryRenewalStateStore(),
      deploy: { deployState: base.deployState, node: 'node-1', endpoints: base.deps.endpoints, crtList },
      random: () => 0.5,
    };
  }

  test('renewCertificates() reconciles the bundles of this node first and delivers a certificate whose deploy is owed although it is not due', async () => {
    const base = await setup({ status: 'deployed', serial: '01', at: NOW.toISOString() });
    const outcomes = await renewCertificates(renewalDeps(base), { nextCheckAt: NOW });
    expect(base.bundles.reconciles).toBe(1);
    expect(outcomes).toEqual([
      expect.objectContaining({
        name: 'site',
        decision: expect.objectContaining({ due: false }),
        deploy: [{ endpoint: base.haproxy.label, outcome: 'added', serial: SERIAL }],
      }),
    ]);
  });

  test('renewCertificates() neither deploys nor reports a deploy when the endpoint already has the stored serial', async () => {
    const base = await setup({ status: 'deployed', serial: SERIAL, at: NOW.toISOString() });
    const [outcome] = await renewCertificates(renewalDeps(base), { nextCheckAt: NOW });
    expect(outcome).not.toHaveProperty('deploy');
    expect(base.haproxy.commands).toEqual([]);
  });

  test('renewCertificates() reports the renewal’s own error when recording the backoff fails too (a full disk)', async () => {
    const base = await setup();
    const deps = renewalDeps(base);
    deps.acmeFor = () => {
      throw new Error('Cannot reach the CA: connect ECONNREFUSED');
    };
    deps.renewalState.save = async () => {
      throw new Error('Cannot write "/srv/acme/renewal/site.json": ENOSPC: no space left on device, write');
    };
    const [outcome] = await renewCertificates(deps, { nextCheckAt: NOW, force: true });
    expect(outcome?.error).toBe('Cannot reach the CA: connect ECONNREFUSED');
  });
});
