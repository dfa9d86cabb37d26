/**
 * What the CA issued is never thrown away: issueCertificate() keeps the download before anything
 * can fail, and the next run finishes from it without an order, or discards it (with the reason)
 * when it no longer stands for what is asked. A real signing CA (test/unit/issuance/_issuingCa.ts)
 * issues certificates without a subject, as Let's Encrypt does.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateError, KeptCertificateError, StorageError } from '../../../src/errors';
import { issueCertificate, type IssuanceDeps, type IssueRequest } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import { parseCertificate } from '../../../src/pem';
import {
  FileIssuedCertificateStore,
  MemoryCertificateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryLocks,
} from '../../../src/storage';
import { certs } from '../../fixtures/certs';
import { IssuingCa } from './_issuingCa';

const DIRECTORY = 'https://ca.example.test/dir';
const KEPT = '/srv/acme/issued/example.net.json';
const REQUEST: IssueRequest = { name: 'example.net', domains: ['example.net', '192.0.2.10'], keyType: 'ec256' };
const ENOSPC =
  'Cannot write certificate "example.net" to "/srv/acme/certificates/.versions/example.net": ENOSPC: no space left on device';

function setup() {
  let now = new Date('2026-12-01T00:00:00Z');
  const clock = { now: () => new Date(now.getTime()) };
  const ca = new IssuingCa({ now: clock.now });
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock });
  const issued = new MemoryIssuedCertificateStore('/srv/acme');
  const logger = new CapturingLogger();
  const deps: IssuanceDeps = {
    directoryUrl: DIRECTORY,
    store,
    bundles: new MemoryLocalBundles({ store }),
    locks: new MemoryLocks(),
    issued,
    acmeFor: () => ca.client(),
    responder: {
      acquire: async () => async () => undefined,
      present: async () => undefined,
      cleanup: async () => undefined,
    },
    clock,
    logger,
  };
  /** Makes the next `count` saves fail as a full disk does. */
  const failSaves = (count: number): void => {
    const save = store.saveCertificate.bind(store);
    let left = count;
    store.saveCertificate = async (input) => {
      if (left > 0) {
        left -= 1;
        throw new StorageError('STORAGE_IO', ENOSPC, { path: '/srv/acme/certificates/.versions/example.net' });
      }
      return save(input);
    };
  };
  const advance = (ms: number): void => {
    now = new Date(now.getTime() + ms);
  };
  return { ca, store, issued, logger, deps, failSaves, advance };
}

/** Issues once with the store failing: leaves a kept certificate and one order behind. */
async function keptByAFailedRun(context: ReturnType<typeof setup>): Promise<void> {
  context.failSaves(1);
  await expect(issueCertificate(REQUEST, context.deps)).rejects.toThrow(KeptCertificateError);
}

function warnings(logger: CapturingLogger): Array<[string, unknown]> {
  return logger.records.filter((r) => r.level === 'warn').map((r) => [r.message, r.fields.reason]);
}

describe('issueCertificate() and the certificate the CA issued', () => {
  test('issueCertificate() keeps the download when storing fails, says where, and the next run stores it without a new order', async () => {
    const context = setup();
    const { ca, store, issued, deps, failSaves } = context;
    failSaves(1);

    const failure = await issueCertificate(REQUEST, deps).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(KeptCertificateError);
    expect(failure).toMatchObject({
      code: 'CERTIFICATE_KEPT',
      retryable: true,
      keptPath: KEPT,
      message: `Cannot finish "example.net" after the CA issued it: ${ENOSPC}; the certificate and its key are kept in "${KEPT}": fix the cause, then run "acme issue" or "acme renew" again to finish from it without a new order`,
      cause: expect.objectContaining({ code: 'STORAGE_IO' }),
    });
    expect(await issued.load('example.net')).toEqual({
      name: 'example.net',
      domains: REQUEST.domains,
      keyType: 'ec256',
      directoryUrl: DIRECTORY,
      accountUrl: 'https://ca.example.test/acct/1',
      downloadedAt: '2026-12-01T00:00:00.000Z',
      fullchainPem: ca.issued[0],
      keyPem: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----/),
    });

    const result = await issueCertificate(REQUEST, deps);

    expect([result.resumed, result.serial, ca.orders.length]).toEqual([
      true,
      parseCertificate(ca.issued[0]!).serial,
      1,
    ]);
    expect((await store.loadCertificateMeta('example.net'))?.serial).toBe(result.serial);
    expect(await issued.listNames()).toEqual([]);
  });

  test('issueCertificate() retries a save that failed for a reason that may pass (a shared store restarting), without a new order', async () => {
    const { ca, store, deps, logger } = setup();
    const save = store.saveCertificate.bind(store);
    let failures = 2;
    store.saveCertificate = async (input, options) => {
      if (failures > 0) {
        failures -= 1;
        throw new StorageError('STORAGE_IO', 'Cannot connect in the PostgreSQL store: ECONNREFUSED', {
          path: 'postgres://127.0.0.1:5432/acme',
          retryable: true,
        });
      }
      return save(input, options);
    };

    const result = await issueCertificate(REQUEST, deps);

    expect([result.stored, ca.orders.length]).toEqual([true, 1]);
    expect(logger.records.filter((r) => r.message === 'Cannot store the certificate yet; retrying')).toHaveLength(2);
    expect((await store.loadCertificateMeta('example.net'))?.serial).toBe(result.serial);
  });

  test('issueCertificate() keeps a download it cannot read; the next run discards it with the reason and orders again', async () => {
    const { ca, issued, logger, deps } = setup();
    const unreadable = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    ca.tamper = () => unreadable;

    await expect(issueCertificate(REQUEST, deps)).rejects.toThrow(
      expect.objectContaining({ name: 'KeptCertificateError', keptPath: KEPT, cause: expect.any(CertificateError) }),
    );
    expect((await issued.load('example.net'))?.fullchainPem).toBe(unreadable);

    ca.tamper = undefined;
    const result = await issueCertificate(REQUEST, deps);

    expect([result.resumed, ca.orders.length]).toEqual([false, 2]);
    expect(warnings(logger)).toEqual([
      [
        'Discarding the certificate kept from an earlier run',
        expect.stringMatching(/^it cannot be read: Cannot parse certificate 1 of 1 in the chain: /),
      ],
    ]);
  });

  test.each<[string, (context: ReturnType<typeof setup>) => Promise<Partial<IssueRequest>>, string]>([
    [
      'it came from another CA',
      async ({ deps }) => ((deps.directoryUrl = 'https://other.example.test/dir'), {}),
      `it was issued by "${DIRECTORY}", not by "https://other.example.test/dir"`,
    ],
    [
      'other names are asked for',
      async () => ({ domains: ['example.net'] }),
      'it was ordered as example.net, 192.0.2.10 (ec256, profile default), but example.net (ec256, profile default) is asked for now',
    ],
    [
      'another key type is asked for',
      async () => ({ keyType: 'ec384' }),
      'it was ordered as example.net, 192.0.2.10 (ec256, profile default), but example.net, 192.0.2.10 (ec384, profile default) is asked for now',
    ],
    [
      'another profile is asked for',
      async () => ({ profile: 'shortlived' }),
      'it was ordered as example.net, 192.0.2.10 (ec256, profile default), but example.net, 192.0.2.10 (ec256, profile shortlived) is asked for now',
    ],
    ['it expired', async ({ advance }) => (advance(91 * 86_400_000), {}), 'it expired on 2027-03-01T00:00:00.000Z'],
    [
      'its key does not match',
      async ({ issued }) => {
        issued.kept.get('example.net')!.keyPem = certs.ecLeafKey;
        return {};
      },
      expect.stringMatching(/^it cannot be read: Certificate and private key do not match: /) as unknown as string,
    ],
  ])(
    'issueCertificate() discards what an earlier run kept when %s, with that reason, and orders again',
    async (_label, change, reason) => {
      const context = setup();
      await keptByAFailedRun(context);
      const changed = await change(context);

      const result = await issueCertificate({ ...REQUEST, ...changed }, context.deps);

      expect([result.resumed, context.ca.orders.length]).toEqual([false, 2]);
      expect(warnings(context.logger)).toEqual([['Discarding the certificate kept from an earlier run', reason]]);
    },
  );

  test('issueCertificate() discards a kept certificate that is already stored (a run killed after storing it), without storing it twice', async () => {
    const context = setup();
    const { ca, store, issued, deps, logger } = context;
    await keptByAFailedRun(context);
    const kept = (await issued.load('example.net'))!;
    await store.saveCertificate({
      name: 'example.net',
      certPem: kept.fullchainPem,
      chainPem: '',
      keyPem: kept.keyPem,
      meta: { domains: REQUEST.domains, directoryUrl: DIRECTORY },
    });

    await issueCertificate(REQUEST, deps);

    expect(warnings(logger)).toEqual([
      [
        'Discarding the certificate kept from an earlier run',
        `it is already stored (serial ${parseCertificate(kept.fullchainPem).serial})`,
      ],
    ]);
    expect(ca.orders).toHaveLength(2);
  });

  test('issueCertificate() discards a kept certificate when another node stored a newer one meanwhile, never replacing newer work', async () => {
    const context = setup();
    const { store, issued, deps, logger, advance } = context;
    await keptByAFailedRun(context);
    const kept = parseCertificate((await issued.load('example.net'))!.fullchainPem);
    advance(3_600_000);
    // Another node (its own kept-certificate folder) orders and stores a newer certificate.
    const other = await issueCertificate(REQUEST, { ...deps, issued: new MemoryIssuedCertificateStore('/srv/other') });

    const result = await issueCertificate(REQUEST, deps);

    expect(warnings(logger)).toContainEqual([
      'Discarding the certificate kept from an earlier run',
      `a newer certificate is stored (serial ${other.serial}, valid from ${other.notBefore.toISOString()})`,
    ]);
    expect(result.serial).not.toBe(kept.serial);
    expect((await store.loadCertificateMeta('example.net'))?.serial).not.toBe(kept.serial);
    expect(await issued.listNames()).toEqual([]);
  });

  test('issueCertificate() keeps the download when releasing the HTTP-01 responder fails after it, and the next run stores it without a new order', async () => {
    const { ca, deps } = setup();
    deps.responder = {
      ...deps.responder,
      acquire: async () => async () => {
        throw new Error('Cannot close the HTTP-01 responder on "127.0.0.1:34000": ERR_SERVER_NOT_RUNNING');
      },
    };
    await expect(issueCertificate(REQUEST, deps)).rejects.toThrow(
      expect.objectContaining({
        name: 'KeptCertificateError',
        message: expect.stringMatching(
          /^Cannot finish "example\.net" after the CA issued it: Cannot close the HTTP-01 responder/,
        ),
      }),
    );
    const result = await issueCertificate(REQUEST, deps);
    expect([result.resumed, ca.orders.length]).toEqual([true, 1]);
  });

  test('issueCertificate() stores what it could not keep, and logs that it could not', async () => {
    const { issued, logger, deps, store } = setup();
    issued.failKeep = new StorageError(
      'STORAGE_IO',
      'Cannot write "/srv/acme/issued/example.net.json": EACCES: permission denied',
      { path: KEPT },
    );

    const result = await issueCertificate(REQUEST, deps);

    expect((await store.loadCertificateMeta('example.net'))?.serial).toBe(result.serial);
    expect(logger.records.filter((r) => r.level === 'error').map((r) => [r.message, r.fields.error])).toEqual([
      [
        'Cannot keep the certificate the CA issued; storing it anyway',
        'Cannot write "/srv/acme/issued/example.net.json": EACCES: permission denied',
      ],
    ]);
  });

  test('issueCertificate() fails with the storage error itself when the certificate could be neither kept nor stored', async () => {
    const context = setup();
    context.issued.failKeep = new StorageError(
      'STORAGE_IO',
      'Cannot write "/srv/acme/issued/example.net.json": ENOSPC',
      { path: KEPT },
    );
    context.failSaves(1);
    await expect(issueCertificate(REQUEST, context.deps)).rejects.toThrow(
      expect.objectContaining({ name: 'StorageError', message: ENOSPC }),
    );
  });

  test('issueCertificate() with dryRun neither keeps nor uses a kept certificate', async () => {
    const context = setup();
    await keptByAFailedRun(context);
    const before = await context.issued.load('example.net');

    const result = await issueCertificate(REQUEST, context.deps, { dryRun: true });

    expect([result.stored, result.resumed, context.ca.orders.length]).toEqual([false, false, 2]);
    expect(await context.issued.load('example.net')).toEqual(before);
  });

  test('issueCertificate() discards a kept file that is not JSON (FileIssuedCertificateStore) and orders again', async () => {
    const home = await mkdtemp(join(tmpdir(), 'haproxy-acme-kept-'));
    try {
      const { ca, logger, deps } = setup();
      deps.issued = new FileIssuedCertificateStore({ home });
      await mkdir(join(home, 'issued'), { mode: 0o700 });
      await writeFile(join(home, 'issued', 'example.net.json'), '{"name": "exa', { mode: 0o600 });

      await issueCertificate(REQUEST, deps);

      expect(ca.orders).toHaveLength(1);
      expect(warnings(logger)).toEqual([
        [
          'Discarding the certificate kept from an earlier run',
          `Cannot read the kept certificate "${join(home, 'issued', 'example.net.json')}": it is not JSON; move it aside to order a new certificate`,
        ],
      ]);
      expect(await deps.issued.listNames()).toEqual([]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
