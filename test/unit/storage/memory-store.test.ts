import { CertificateError, ConfigError } from '../../../src/errors';
import { fixedClock } from '../../../src/clock';
import { MemoryCertificateStore } from '../../../src/storage';
import { certs } from '../../fixtures/certs';

const DIRECTORY = 'https://127.0.0.1:14000/dir';
const clock = fixedClock(new Date('2026-11-27T10:00:00.000Z'));
const save = {
  name: 'Example.com',
  certPem: certs.ecLeaf + certs.ecIntermediate,
  chainPem: '',
  keyPem: certs.ecLeafKey,
  meta: { domains: ['example.com'], directoryUrl: DIRECTORY },
};

describe('MemoryCertificateStore', () => {
  test('saveCertificate() then loadCertificate() returns what the file store would', async () => {
    const store = new MemoryCertificateStore({ clock, home: '/h' });
    const meta = await store.saveCertificate(save);
    expect(meta.version).toBe('20261127T100000Z-87654321FEDCBA98');
    expect(await store.loadCertificate('example.com')).toMatchObject({
      certPem: certs.ecLeaf,
      chainPem: certs.ecIntermediate,
      keyPem: certs.ecLeafKey,
      meta: { name: 'example.com', serial: '87654321FEDCBA9876543210', version: '20261127T100000Z-87654321FEDCBA98' },
    });
    expect(store.saves).toBe(1);
  });

  test('loadCertificate() returns a copy the caller cannot use to change the store', async () => {
    const store = new MemoryCertificateStore({ clock });
    await store.saveCertificate(save);
    const loaded = await store.loadCertificate('example.com');
    loaded?.meta.domains.push('evil.example');
    expect((await store.loadCertificate('example.com'))?.meta.domains).toEqual(['example.com']);
  });

  test.each<[string, object, string]>([
    ['a mismatching key', { keyPem: certs.mismatchKey }, CertificateError.name],
    ['an uncovered name', { meta: { domains: ['other.example'], directoryUrl: DIRECTORY } }, CertificateError.name],
    ['a hostile name', { name: '../x' }, ConfigError.name],
  ])('saveCertificate() refuses %s like the file store', async (_label, override, name) => {
    const store = new MemoryCertificateStore({ clock });
    await expect(store.saveCertificate({ ...save, ...override })).rejects.toThrow(expect.objectContaining({ name }));
    expect(await store.listCertificateNames()).toEqual([]);
  });

  test('saveAccount() and loadAccount() round-trip; listCertificates() is sorted', async () => {
    const store = new MemoryCertificateStore({ clock });
    const account = {
      directoryUrl: DIRECTORY,
      accountUrl: 'https://x/acct/1',
      keyPem: certs.ec384Key,
      createdAt: '2026-11-27T10:00:00.000Z',
    };
    await store.saveAccount(account);
    await store.saveCertificate({ ...save, name: 'z.example.com' });
    await store.saveCertificate(save);
    expect(await store.loadAccount(DIRECTORY)).toEqual(account);
    expect(await store.loadAccount('https://other/dir')).toBeUndefined();
    expect((await store.listCertificates()).map((c) => c.meta.name)).toEqual(['example.com', 'z.example.com']);
  });
});
