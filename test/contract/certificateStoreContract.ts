/**
 * The CertificateStore contract as a reusable suite: every backend's test file calls
 * certificateStoreContract() with a factory for a fresh, empty store. A new backend (a database
 * shared by several HAProxy nodes) is done when it passes this suite unchanged.
 */
import { AppError } from '../../src/errors';
import type { CertificateStore, SaveCertificateInput } from '../../src/storage';
import { certs } from '../fixtures/certs';

/** What the factory gives each test: a fresh, empty store of the backend under test. */
export interface CertificateStoreUnderTest {
  store: CertificateStore;
  /** Damages the stored entry of `name` the way this backend can be damaged (a missing file, a broken row). */
  corrupt(name: string): Promise<void>;
  /** Advances the store's clock by `ms` (version ids carry the time). */
  advance(ms: number): void;
  cleanup(): Promise<void>;
}

const DIRECTORY = 'https://127.0.0.1:14000/dir';
const SECOND_MS = 1000;

function input(name: string, which: 1 | 2 = 1): SaveCertificateInput {
  return {
    name,
    certPem: which === 1 ? certs.ecLeaf : certs.ecLeaf2,
    chainPem: certs.ecIntermediate,
    keyPem: which === 1 ? certs.ecLeafKey : certs.ecLeaf2Key,
    meta: { domains: ['example.com'], directoryUrl: DIRECTORY },
  };
}

/** The code of an AppError a promise rejected with ('resolved' when it did not reject). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof AppError ? error.code : `not an AppError: ${String(error)}`;
  }
}

/** Registers the contract tests for one CertificateStore backend. */
export function certificateStoreContract(name: string, make: () => Promise<CertificateStoreUnderTest>): void {
  describe(`${name} (CertificateStore contract)`, () => {
    let subject: CertificateStoreUnderTest;
    let store: CertificateStore;
    beforeEach(async () => {
      subject = await make();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    test('saveCertificate() returns the metadata loadCertificate() and loadCertificateMeta() read back', async () => {
      const meta = await store.saveCertificate(input('example.com'));
      expect(await store.loadCertificate('example.com')).toEqual({
        meta,
        certPem: certs.ecLeaf,
        chainPem: certs.ecIntermediate,
        keyPem: certs.ecLeafKey,
      });
      expect(await store.loadCertificateMeta('example.com')).toEqual(meta);
      expect(meta).toMatchObject({ name: 'example.com', serial: '87654321FEDCBA9876543210', keyType: 'ec256' });
    });

    test('loadCertificate(), loadCertificateMeta() are undefined and the lists empty for a new store', async () => {
      expect([
        await store.loadCertificate('example.com'),
        await store.loadCertificateMeta('example.com'),
        await store.listCertificateNames(),
        await store.listCertificates(),
      ]).toEqual([undefined, undefined, [], []]);
    });

    test('listCertificateNames() and listCertificates() are sorted by name', async () => {
      for (const n of ['b.example.com', 'a.example.com', 'c.example.com']) await store.saveCertificate(input(n));
      expect(await store.listCertificateNames()).toEqual(['a.example.com', 'b.example.com', 'c.example.com']);
      expect((await store.listCertificates()).map((c) => c.meta.name)).toEqual([
        'a.example.com',
        'b.example.com',
        'c.example.com',
      ]);
    });

    test('names are sanitised: a wildcard and upper case are stored and found under the safe name', async () => {
      await store.saveCertificate(input('*.Example.COM'));
      expect(await store.listCertificateNames()).toEqual(['_wildcard.example.com']);
      expect((await store.loadCertificate('*.example.com'))?.meta.name).toBe('_wildcard.example.com');
    });

    test.each(['../etc/passwd', 'a/b', '', '.hidden'])('every method refuses the unsafe name %j', async (bad) => {
      const codes = await Promise.all([
        codeOf(store.saveCertificate(input(bad))),
        codeOf(store.loadCertificate(bad)),
        codeOf(store.loadCertificateMeta(bad)),
        codeOf(store.removeCertificate(bad)),
      ]);
      expect(codes).toEqual(['CONFIG_INVALID', 'CONFIG_INVALID', 'CONFIG_INVALID', 'CONFIG_INVALID']);
      expect(await store.listCertificateNames()).toEqual([]);
    });

    test('a second save makes a new current version with another id', async () => {
      const first = await store.saveCertificate(input('example.com', 1));
      subject.advance(SECOND_MS);
      const second = await store.saveCertificate(input('example.com', 2));
      expect(second.version).not.toBe(first.version);
      expect(await store.loadCertificateMeta('example.com')).toEqual(second);
      expect((await store.loadCertificate('example.com'))?.keyPem).toBe(certs.ecLeaf2Key);
    });

    test('the same certificate saved twice in one second still gets a new version id', async () => {
      const first = await store.saveCertificate(input('example.com'));
      const again = await store.saveCertificate(input('example.com'));
      expect(again.version).not.toBe(first.version);
    });

    test('expectedVersion null saves a first version and refuses when one exists (STORAGE_CONFLICT)', async () => {
      const first = await store.saveCertificate(input('example.com'), { expectedVersion: null });
      subject.advance(SECOND_MS);
      expect(await codeOf(store.saveCertificate(input('example.com', 2), { expectedVersion: null }))).toBe(
        'STORAGE_CONFLICT',
      );
      expect(await store.loadCertificateMeta('example.com')).toEqual(first);
    });

    test('expectedVersion of the current version saves; a stale one is refused and writes nothing', async () => {
      const first = await store.saveCertificate(input('example.com', 1));
      subject.advance(SECOND_MS);
      const second = await store.saveCertificate(input('example.com', 2), { expectedVersion: first.version });
      subject.advance(SECOND_MS);
      // Another writer renewed from `first` as well: it must not silently replace `second`.
      expect(await codeOf(store.saveCertificate(input('example.com', 1), { expectedVersion: first.version }))).toBe(
        'STORAGE_CONFLICT',
      );
      expect(await store.loadCertificateMeta('example.com')).toEqual(second);
      expect(await codeOf(store.saveCertificate(input('absent.example.com'), { expectedVersion: 'v1' }))).toBe(
        'STORAGE_CONFLICT',
      );
      expect(await store.listCertificateNames()).toEqual(['example.com']);
    });

    test('a STORAGE_CONFLICT names the certificate and is retryable', async () => {
      await store.saveCertificate(input('example.com'));
      const error = await store.saveCertificate(input('example.com'), { expectedVersion: null }).catch((e) => e);
      expect(error).toMatchObject({ code: 'STORAGE_CONFLICT', retryable: true });
      expect((error as Error).message).toContain('"example.com"');
    });

    test.each<[string, Partial<SaveCertificateInput>]>([
      ['a key that does not match', { keyPem: certs.mismatchKey }],
      ['a name the leaf does not cover', { meta: { domains: ['other.example'], directoryUrl: DIRECTORY } }],
      ['no certificate at all', { certPem: '', chainPem: '' }],
    ])('a save with %s fails with CERTIFICATE_INVALID and writes nothing', async (_label, override) => {
      const before = await store.saveCertificate(input('example.com'));
      subject.advance(SECOND_MS);
      const code = await codeOf(store.saveCertificate({ ...input('example.com', 2), ...override }));
      expect(code).toBe('CERTIFICATE_INVALID');
      expect(await store.loadCertificateMeta('example.com')).toEqual(before);
      expect(await codeOf(store.saveCertificate({ ...input('new.example.com'), ...override }))).toBe(
        'CERTIFICATE_INVALID',
      );
      expect(await store.listCertificateNames()).toEqual(['example.com']);
    });

    test('an aborted save writes nothing', async () => {
      const controller = new AbortController();
      controller.abort(new Error('Cancelled'));
      await expect(store.saveCertificate(input('example.com'), { signal: controller.signal })).rejects.toThrow(
        'Cancelled',
      );
      expect(await store.listCertificateNames()).toEqual([]);
    });

    test('a corrupt entry is listed by name, fails to load with STORAGE_CORRUPT, and fails listCertificates()', async () => {
      await store.saveCertificate(input('good.example.com'));
      await store.saveCertificate(input('bad.example.com'));
      await subject.corrupt('bad.example.com');
      expect(await store.listCertificateNames()).toEqual(['bad.example.com', 'good.example.com']);
      expect(await codeOf(store.loadCertificate('bad.example.com'))).toBe('STORAGE_CORRUPT');
      expect(await codeOf(store.listCertificates())).toBe('STORAGE_CORRUPT');
      expect((await store.loadCertificate('good.example.com'))?.meta.name).toBe('good.example.com');
    });

    test('a corrupt entry is replaced by a new save', async () => {
      await store.saveCertificate(input('example.com'));
      await subject.corrupt('example.com');
      subject.advance(SECOND_MS);
      const meta = await store.saveCertificate(input('example.com', 2));
      expect(await store.loadCertificateMeta('example.com')).toEqual(meta);
    });

    test('removeCertificate() archives the certificate: gone from loads and lists, idempotent', async () => {
      await store.saveCertificate(input('example.com'));
      await store.saveCertificate(input('other.example.com'));
      const removed = await store.removeCertificate('example.com');
      expect(removed).toEqual(expect.objectContaining({ archiveId: expect.stringMatching(/^example\.com-/) }));
      expect([
        await store.loadCertificate('example.com'),
        await store.loadCertificateMeta('example.com'),
        await store.listCertificateNames(),
      ]).toEqual([undefined, undefined, ['other.example.com']]);
      expect(await store.removeCertificate('example.com')).toBeUndefined();
    });

    test('removeCertificate() with a stale expectedVersion fails with STORAGE_CONFLICT and removes nothing', async () => {
      const first = await store.saveCertificate(input('example.com', 1));
      subject.advance(SECOND_MS);
      const second = await store.saveCertificate(input('example.com', 2));
      expect(await codeOf(store.removeCertificate('example.com', { expectedVersion: first.version }))).toBe(
        'STORAGE_CONFLICT',
      );
      expect(await store.loadCertificateMeta('example.com')).toEqual(second);
      expect(await store.removeCertificate('example.com', { expectedVersion: second.version })).toBeDefined();
      expect(await store.listCertificateNames()).toEqual([]);
    });

    test('a name removed can be issued again from scratch (expectedVersion null)', async () => {
      await store.saveCertificate(input('example.com'));
      await store.removeCertificate('example.com');
      subject.advance(SECOND_MS);
      const meta = await store.saveCertificate(input('example.com', 2), { expectedVersion: null });
      expect(await store.loadCertificateMeta('example.com')).toEqual(meta);
    });

    test('saveAccount() and loadAccount() round-trip; another directory has none', async () => {
      const account = {
        directoryUrl: DIRECTORY,
        accountUrl: 'https://127.0.0.1:14000/my-account/1',
        email: 'ops@example.com',
        keyPem: certs.ec384Key,
        createdAt: '2026-11-27T10:00:00.000Z',
      };
      await store.saveAccount(account);
      expect(await store.loadAccount(DIRECTORY)).toEqual(account);
      expect(await store.loadAccount('https://127.0.0.1:14001/dir')).toBeUndefined();
    });

    test('no error message ever holds key material', async () => {
      await store.saveCertificate(input('example.com'));
      const failures = await Promise.all([
        store.saveCertificate({ ...input('example.com'), keyPem: certs.mismatchKey }).catch((e: unknown) => e),
        store.saveCertificate({ ...input('example.com'), keyPem: certs.encryptedKey }).catch((e: unknown) => e),
        store.saveCertificate({ ...input('example.com'), keyPem: 'not a key' }).catch((e: unknown) => e),
        store.saveCertificate(input('example.com'), { expectedVersion: null }).catch((e: unknown) => e),
      ]);
      await subject.corrupt('example.com');
      failures.push(await store.loadCertificate('example.com').catch((e: unknown) => e));
      const keyLines = [certs.ecLeafKey, certs.mismatchKey, certs.encryptedKey]
        .flatMap((pem) => pem.split('\n'))
        .filter((line) => line.length > 16 && !line.startsWith('-----'));
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(AppError);
        const text = `${(failure as Error).message} ${String((failure as Error).cause ?? '')}`;
        expect(text).not.toContain('-----BEGIN');
        expect(keyLines.filter((line) => text.includes(line))).toEqual([]);
      }
    });
  });
}
