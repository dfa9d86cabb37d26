/**
 * listCertificates() over many certificates: it reads each certificate's metadata (never its
 * PEMs), a bounded number of certificates at a time, and `acme list` turns a full file table into
 * STORAGE_OPEN_FILES_LIMIT with its own hint, never "move the damaged file aside".
 */
import { runCli, EXIT_FAILED } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import { StorageError } from '../../../src/errors';
import { listCertificates } from '../../../src/issuance';
import { CERTIFICATES_IN_FLIGHT } from '../../../src/issuance/_limit';
import {
  IO_CONCURRENCY,
  MemoryCertificateStore,
  MemoryLocalBundles,
  MemoryRenewalStateStore,
  type CertificateMeta,
  type RenewalState,
} from '../../../src/storage';
import { cliHarness } from '../cli/_harness';

const NOW = new Date('2026-12-01T00:00:00Z');
const COUNT = 1000;
const names = Array.from({ length: COUNT }, (_, i) => `site-${String(i).padStart(4, '0')}.test`);

function metaOf(name: string, index: number): CertificateMeta {
  return {
    name,
    domains: [name],
    keyType: 'ec256',
    serial: (0x1000 + index).toString(16).toUpperCase(),
    notBefore: '2026-11-30T00:00:00.000Z',
    notAfter: '2027-02-28T00:00:00.000Z',
    directoryUrl: 'https://ca.example.test/dir',
    issuedAt: '2026-11-30T00:00:00.000Z',
    sha1Fingerprint: 'AB'.repeat(20),
    version: `20261130T000000Z-${(0x1000 + index).toString(16)}`,
  };
}

/** Counts the reads in flight at once, across every store; each read waits a tick. */
function gauge(): { enter: () => Promise<void>; leave: () => void; most: () => number } {
  let running = 0;
  let most = 0;
  return {
    enter: async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
    },
    leave: () => {
      running -= 1;
    },
    most: () => most,
  };
}

describe('listCertificates() over 1,000 certificates', () => {
  test('listCertificates() reads metadata only, for at most IO_CONCURRENCY certificates at once, in name order', async () => {
    const reads = gauge();
    const calls = { meta: 0, pem: 0 };
    const store = {
      listCertificateNames: async () => [...names].reverse().sort(),
      loadCertificateMeta: async (name: string) => {
        calls.meta += 1;
        await reads.enter();
        reads.leave();
        return metaOf(name, names.indexOf(name));
      },
      loadCertificate: async () => {
        calls.pem += 1;
        throw new Error('listCertificates() must not read a certificate, chain or key');
      },
    };
    const states = new MemoryRenewalStateStore();
    const renewalState = {
      load: async (name: string) => {
        await reads.enter();
        reads.leave();
        return states.load(name);
      },
      save: states.save.bind(states),
    };
    const rows = await listCertificates({
      store,
      bundles: new MemoryLocalBundles({ home: '/srv/acme' }),
      clock: fixedClock(NOW),
      renewalState: renewalState as unknown as MemoryRenewalStateStore,
    });
    expect({
      count: rows.length,
      first: rows[0]?.name,
      last: rows.at(-1)?.name,
      calls,
      boundedBy: reads.most() <= IO_CONCURRENCY,
      parallel: reads.most() > 1,
    }).toEqual({
      count: COUNT,
      first: 'site-0000.test',
      last: 'site-0999.test',
      calls: { meta: COUNT, pem: 0 },
      boundedBy: true,
      parallel: true,
    });
  });

  test('listCertificates() works on at most CERTIFICATES_IN_FLIGHT (16) certificates at once, from metadata to renewal state', async () => {
    const inFlight = gauge();
    const store = {
      listCertificateNames: async () => names,
      loadCertificateMeta: async (name: string) => {
        await inFlight.enter();
        return metaOf(name, names.indexOf(name));
      },
    };
    const states = new MemoryRenewalStateStore();
    const renewalState = {
      load: async (name: string) => {
        await new Promise((resolve) => setImmediate(resolve));
        inFlight.leave();
        return states.load(name);
      },
      save: states.save.bind(states),
    };
    const rows = await listCertificates({
      store,
      bundles: new MemoryLocalBundles({ home: '/srv/acme' }),
      clock: fixedClock(NOW),
      renewalState: renewalState as unknown as MemoryRenewalStateStore,
    });
    expect({ count: rows.length, most: inFlight.most(), limit: CERTIFICATES_IN_FLIGHT }).toEqual({
      count: COUNT,
      most: 16,
      limit: 16,
    });
  });

  test("listCertificates() uses a stored ARI window whose CertID carries the certificate's serial, and ignores one of another serial", async () => {
    const renewalState = new MemoryRenewalStateStore();
    const window = {
      start: '2027-01-01T00:00:00.000Z',
      end: '2027-01-03T00:00:00.000Z',
      chosenAt: '2027-01-02T12:00:00.000Z',
      retryAfter: '2026-12-01T06:00:00.000Z',
    };
    // CertID = base64url(AKI) "." base64url(serial); serial 0x1000 is site-0000's, 0x1001 site-0001's.
    const certId = (serialHex: string): string => `AAAA.${Buffer.from(serialHex, 'hex').toString('base64url')}`;
    renewalState.states.set('a', { ari: { certId: certId('1000'), ...window } } as RenewalState);
    renewalState.states.set('b', { ari: { certId: certId('2000'), ...window } } as RenewalState);
    const store = {
      listCertificateNames: async () => ['a', 'b'],
      loadCertificateMeta: async (name: string) => ({ ...metaOf(name, 0), name }),
    };
    const rows = await listCertificates({
      store,
      bundles: new MemoryLocalBundles({ home: '/srv/acme' }),
      clock: fixedClock(NOW),
      renewalState,
    });
    expect(rows.map((r) => [r.name, r.ari?.chosenAt ?? null, r.nextRenewal.reason])).toEqual([
      ['a', '2027-01-02T12:00:00.000Z', 'ari-window'],
      ['b', null, 'lifetime'],
    ]);
  });

  test('listCertificates() still fails on a damaged certificate (STORAGE_CORRUPT), naming it', async () => {
    const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
    store.corrupt.add('broken.test');
    await expect(
      listCertificates({ store, bundles: new MemoryLocalBundles({ home: '/srv/acme' }), clock: fixedClock(NOW) }),
    ).rejects.toMatchObject({ code: 'STORAGE_CORRUPT', message: expect.stringContaining('broken.test') });
  });
});

describe('acme list when the file table is full', () => {
  test('runCli(["list", "--json"]) reports STORAGE_OPEN_FILES_LIMIT with the open-files hint, never the damaged-file hint', async () => {
    const store = new MemoryCertificateStore({ home: '/srv/acme' });
    store.listCertificateNames = async () => ['site.test'];
    store.loadCertificateMeta = async () => {
      throw new StorageError(
        'STORAGE_OPEN_FILES_LIMIT',
        'Cannot read "/srv/acme/certificates/site.test/meta.json": this process reached its open-files limit (EMFILE, its soft limit 1024); raise it',
        { path: '/srv/acme/certificates/site.test/meta.json', retryable: true },
      );
    };
    const { deps, stdout } = cliHarness({ store });
    expect(await runCli(['list', '--json'], deps)).toBe(EXIT_FAILED);
    const { error } = JSON.parse(stdout()) as { error: { code: string; hint: string; retryable: boolean } };
    expect(error).toMatchObject({
      code: 'STORAGE_OPEN_FILES_LIMIT',
      hint: 'The files are fine: raise the open-files limit ("ulimit -n 4096", or LimitNOFILE= for a service), then run the command again',
      retryable: true,
    });
    expect(JSON.stringify(error)).not.toMatch(/damaged|move .* aside/i);
  });
});
