import { X509Certificate } from 'node:crypto';
import { fixedClock } from '../../../src/clock';
import { AcmeError, CertificateError, ConfigError } from '../../../src/errors';
import { revokeCertificate, type RevokeDeps } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import { MemoryCertificateStore, MemoryLocks, MemoryRenewalStateStore } from '../../../src/storage';
import { certs } from '../../fixtures/certs';
import { FakeCa } from './_fakeCa';

const DIRECTORY = 'https://ca.example.test/dir';
const NOW = new Date('2026-11-27T10:00:00.000Z');
const SERIAL = new X509Certificate(certs.ecLeaf).serialNumber.toUpperCase();
const ACCOUNT_KEY = certs.ecLeaf2Key;

async function setup(options: { account?: boolean; known?: boolean } = {}) {
  const store = new MemoryCertificateStore();
  await store.saveCertificate({
    name: 'site',
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: { domains: ['example.com'], directoryUrl: DIRECTORY },
  });
  if (options.account !== false)
    await store.saveAccount({
      directoryUrl: DIRECTORY,
      accountUrl: 'https://ca.example.test/acct/1',
      keyPem: ACCOUNT_KEY,
      createdAt: NOW.toISOString(),
    });
  const ca = new FakeCa();
  if (options.known !== false) ca.accounts.set(ACCOUNT_KEY, 'https://ca.example.test/acct/1');
  const renewalState = new MemoryRenewalStateStore();
  const deps: RevokeDeps = {
    directoryUrl: DIRECTORY,
    store,
    renewalState,
    locks: new MemoryLocks(),
    acmeFor: (key) => ca.client(key),
    clock: fixedClock(NOW),
    logger: new CapturingLogger(),
  };
  return { deps, ca, store, renewalState };
}

describe('revokeCertificate()', () => {
  test.each<[string, { name: string; code: number } | undefined, object]>([
    ['with reason superseded', { name: 'superseded', code: 4 }, { reason: 'superseded', reasonCode: 4 }],
    ['without a reason', undefined, {}],
  ])(
    'revokeCertificate() revokes %s with the stored account and records it in the renewal state',
    async (_label, reason, recorded) => {
      const { deps, ca, renewalState } = await setup();
      renewalState.states.set('site', { lastSuccessAt: '2026-11-01T00:00:00.000Z' });

      const result = await revokeCertificate('site', deps, { reason });

      expect(result).toEqual({
        name: 'site',
        serial: SERIAL,
        directoryUrl: DIRECTORY,
        accountUrl: 'https://ca.example.test/acct/1',
        reason,
        revokedAt: NOW,
      });
      expect([...ca.revoked]).toEqual([[SERIAL, reason?.code ?? null]]);
      expect((await renewalState.load('site')).value).toEqual({
        lastSuccessAt: '2026-11-01T00:00:00.000Z',
        revocation: { serial: SERIAL, revokedAt: NOW.toISOString(), ...recorded },
      });
    },
  );

  test('revokeCertificate() waits for another holder of certificate/<name> and gives up with LOCK_BUSY before asking the CA', async () => {
    const { deps, ca } = await setup();
    const locks = new MemoryLocks();
    const other = await locks.acquire('certificate/site');
    try {
      await expect(revokeCertificate('site', { ...deps, locks, lockTimeoutMs: 30 })).rejects.toMatchObject({
        code: 'LOCK_BUSY',
      });
      expect(ca.calls).toEqual([]);
    } finally {
      await other.release();
    }
  });

  test('revokeCertificate() keeps the certificate stored', async () => {
    const { deps, store } = await setup();
    await revokeCertificate('site', deps);
    expect((await store.loadCertificate('site'))?.meta.serial).toBe(SERIAL);
  });

  test('revokeCertificate() passes the CA refusal on and records nothing', async () => {
    const { deps, ca, renewalState } = await setup();
    ca.revoked.set(SERIAL, 0);
    await expect(revokeCertificate('site', deps)).rejects.toThrow(AcmeError);
    expect(await renewalState.load('site')).toEqual({ value: {}, revision: 0 });
  });

  test.each<[string, Parameters<typeof setup>[0], Partial<RevokeDeps>, string, new (...args: never[]) => Error]>([
    [
      'an unknown name',
      {},
      {},
      'Cannot revoke "nope": no such certificate in the store; run "acme list" to see the names',
      CertificateError,
    ],
    [
      'another --directory than the issuing CA',
      {},
      { directoryUrl: 'https://other.example.test/dir' },
      `Cannot revoke "site": it was issued through "${DIRECTORY}" but --directory is "https://other.example.test/dir"; pass --directory ${DIRECTORY}`,
      ConfigError,
    ],
    [
      'no stored account',
      { account: false },
      {},
      `Cannot revoke "site": no ACME account for "${DIRECTORY}" is stored in --home, and only the issuing account (or the certificate key) may revoke`,
      CertificateError,
    ],
    [
      'an account key the CA does not know',
      { known: false },
      {},
      `Cannot revoke "site": the CA at "${DIRECTORY}" does not know the stored account key; if a key rollover was interrupted, run "acme account rollover" to finish it`,
      AcmeError,
    ],
  ])(
    'revokeCertificate() refuses %s before any revocation request',
    async (label, setupOptions, overrides, message, type) => {
      const { deps, ca } = await setup(setupOptions);
      const name = label === 'an unknown name' ? 'nope' : 'site';
      const error = await revokeCertificate(name, { ...deps, ...overrides }).catch((e: unknown) => e);
      expect([error instanceof type, (error as Error).message, ca.calls.filter((c) => c.startsWith('revoke'))]).toEqual(
        [true, message, []],
      );
    },
  );
});
