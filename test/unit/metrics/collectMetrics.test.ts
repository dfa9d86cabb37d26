import { chmod, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log';
import { collectMetrics, recordMetrics, renderMetrics, writeMetricsFile } from '../../../src/metrics';
import {
  type DeployState,
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryLocalBundles,
  MemoryRenewalStateStore,
} from '../../../src/storage';
import { certs, EC_LEAF_NAMES, NO_SUBJECT_NAMES } from '../../fixtures/certs';

// The fixture leaf: serial 87654321FEDCBA9876543210, notAfter 2126-11-03T00:35:54Z, lifetime rule on 2093-07-11T08:35:54Z.
const NOW = new Date('2026-12-01T00:00:00Z');
const SERIAL = '87654321FEDCBA9876543210';
const SOCKET = 'unix@/run/haproxy/admin.sock';

async function stores(deploy?: DeployState) {
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
  await store.saveCertificate({
    name: 'site',
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: { domains: EC_LEAF_NAMES.slice(0, 2), directoryUrl: 'https://ca.example.test/dir' },
  });
  const deployState = new MemoryDeployStateStore();
  if (deploy !== undefined) await deployState.save('site', 'node-1', deploy);
  const renewalState = new MemoryRenewalStateStore();
  renewalState.states.set('site', {
    lastSuccessAt: '2026-11-01T00:00:00.000Z',
    failure: {
      failures: 2,
      lastFailureAt: '2026-11-30T00:00:00.000Z',
      lastError: 'boom',
      nextAttemptAt: '2026-11-30T00:10:00.000Z',
    },
  });
  return {
    store,
    bundles: new MemoryLocalBundles({ store }),
    deployState,
    node: 'node-1',
    renewalState,
    clock: fixedClock(NOW),
  };
}

describe('collectMetrics()', () => {
  test('collectMetrics() reads dates, failures and the renewal time from stored state', async () => {
    const snapshot = await collectMetrics(await stores());
    expect(snapshot).toEqual({
      generatedAt: NOW,
      certificates: [
        {
          name: 'site',
          notAfter: new Date('2126-11-03T00:35:54.000Z'),
          nextRenewalAt: new Date('2093-07-11T08:35:54.000Z'),
          lastSuccessAt: new Date('2026-11-01T00:00:00.000Z'),
          lastFailureAt: new Date('2026-11-30T00:00:00.000Z'),
          failures: 2,
          failuresTotal: 2,
          endpoints: [],
        },
      ],
    });
  });

  test('collectMetrics() and renderMetrics() cover a certificate without a subject (SANs only)', async () => {
    const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
    await store.saveCertificate({
      name: 'example.net',
      certPem: certs.noSubjectLeaf,
      chainPem: certs.noSubjectIntermediate,
      keyPem: certs.noSubjectLeafKey,
      meta: { domains: NO_SUBJECT_NAMES, directoryUrl: 'https://ca.example.test/dir' },
    });
    const snapshot = await collectMetrics({
      store,
      bundles: new MemoryLocalBundles({ store }),
      deployState: new MemoryDeployStateStore(),
      node: 'node-1',
      renewalState: new MemoryRenewalStateStore(),
      clock: fixedClock(NOW),
    });
    const { notAfter } = (await store.loadCertificateMeta('example.net'))!;
    expect(snapshot.certificates).toEqual([
      expect.objectContaining({ name: 'example.net', notAfter: new Date(notAfter) }),
    ]);
    expect(renderMetrics(snapshot)).toMatch(
      /^haproxy_acme_certificate_not_after_timestamp_seconds\{name="example\.net"\} \d+$/m,
    );
  });

  test.each<[string, DeployState | undefined, string[], Array<{ endpoint: string; servedSerialMatches: boolean }>]>([
    [
      'deployed with the stored serial',
      { endpoints: { [SOCKET]: { status: 'deployed', serial: SERIAL, at: '2026-11-01T00:00:00.000Z' } } },
      [],
      [{ endpoint: SOCKET, servedSerialMatches: true }],
    ],
    [
      'deployed with an older serial',
      { endpoints: { [SOCKET]: { status: 'deployed', serial: '01', at: '2026-11-01T00:00:00.000Z' } } },
      [],
      [{ endpoint: SOCKET, servedSerialMatches: false }],
    ],
    [
      'pending with the stored serial',
      {
        endpoints: { [SOCKET]: { status: 'pending', serial: SERIAL, at: '2026-11-01T00:00:00.000Z', lastError: 'x' } },
      },
      [],
      [{ endpoint: SOCKET, servedSerialMatches: false }],
    ],
    ['configured but never deployed to', undefined, [SOCKET], [{ endpoint: SOCKET, servedSerialMatches: false }]],
    [
      'configured and recorded once each',
      {
        endpoints: {
          [SOCKET]: { status: 'deployed', serial: SERIAL, at: '2026-11-01T00:00:00.000Z' },
          'ipv4@127.0.0.1:9999': { status: 'deployed', serial: SERIAL, at: '2026-11-01T00:00:00.000Z' },
        },
      },
      [SOCKET],
      [
        { endpoint: SOCKET, servedSerialMatches: true },
        { endpoint: 'ipv4@127.0.0.1:9999', servedSerialMatches: true },
      ],
    ],
  ])('collectMetrics() reports an endpoint %s', async (_what, deploy, endpointLabels, expected) => {
    const snapshot = await collectMetrics({ ...(await stores(deploy)), endpointLabels });
    expect(snapshot.certificates[0]!.endpoints).toEqual(expected);
  });
});

describe('writeMetricsFile() and recordMetrics()', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-metrics-'));
  });
  afterEach(async () => {
    await chmod(dir, 0o700).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  test('writeMetricsFile() replaces the file with mode 0644 and leaves no temp file', async () => {
    const path = join(dir, 'acme.prom');
    await writeMetricsFile(path, 'old\n');
    await chmod(path, 0o600);
    await writeMetricsFile(path, 'new\n');
    expect(await readFile(path, 'utf8')).toBe('new\n');
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(await readdir(dir)).toEqual(['acme.prom']);
  });

  test('recordMetrics() writes the rendered file and resolves true', async () => {
    const path = join(dir, 'acme.prom');
    const logger = new CapturingLogger();
    await expect(recordMetrics(path, { ...(await stores()), logger })).resolves.toBe(true);
    expect(await readFile(path, 'utf8')).toContain('haproxy_acme_certificate_failures{name="site"} 2\n');
  });

  test('recordMetrics() logs a warning and resolves false when the directory is missing', async () => {
    const path = join(dir, 'missing', 'acme.prom');
    const logger = new CapturingLogger();
    await expect(recordMetrics(path, { ...(await stores()), logger })).resolves.toBe(false);
    const warnings = logger.records.filter((r) => r.level === 'warn').map((r) => r.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Cannot write metrics file "[^"]+\/missing\/acme\.prom": ENOENT: no such file or directory, open '[^']+\/missing\/\.acme\.prom\.tmp-[0-9a-f]{12}'$/,
    );
  });
});
