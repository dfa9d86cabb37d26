import { createPrivateKey, createPublicKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as acme from 'acme-client';
import {
  CERTIFICATE_KEY_TYPES,
  createAccountKey,
  createCertificateKey,
  createCsr,
  type CertificateKeyType,
} from '../../../src/acme';
import { AppError } from '../../../src/errors';

describe('createAccountKey()', () => {
  test('createAccountKey() returns an ECDSA P-256 PKCS#8 PEM', async () => {
    const pem = await createAccountKey();
    const key = createPrivateKey(pem);
    expect([pem.split('\n')[0], key.asymmetricKeyType, key.asymmetricKeyDetails]).toEqual([
      '-----BEGIN PRIVATE KEY-----',
      'ec',
      { namedCurve: 'prime256v1' },
    ]);
  });

  test('createAccountKey() returns a different key each time', async () => {
    expect(await createAccountKey()).not.toBe(await createAccountKey());
  });
});

describe('createCertificateKey()', () => {
  test.each<[CertificateKeyType, string, Record<string, unknown>]>([
    ['ec256', 'ec', { namedCurve: 'prime256v1' }],
    ['ec384', 'ec', { namedCurve: 'secp384r1' }],
    ['rsa2048', 'rsa', { modulusLength: 2048, publicExponent: 65537n }],
    ['rsa3072', 'rsa', { modulusLength: 3072, publicExponent: 65537n }],
    ['rsa4096', 'rsa', { modulusLength: 4096, publicExponent: 65537n }],
  ])(
    'createCertificateKey(%p) returns a PKCS#8 PEM of that type',
    async (keyType, type, details) => {
      const pem = await createCertificateKey(keyType);
      const key = createPrivateKey(pem);
      expect([
        pem.startsWith('-----BEGIN PRIVATE KEY-----\n'),
        key.asymmetricKeyType,
        key.asymmetricKeyDetails,
      ]).toEqual([true, type, details]);
    },
    30_000,
  );

  test('CERTIFICATE_KEY_TYPES lists every supported type', () => {
    expect(CERTIFICATE_KEY_TYPES).toEqual(['ec256', 'ec384', 'rsa2048', 'rsa3072', 'rsa4096']);
  });

  test.each(['rsa1024', 'ed25519', '', 'EC256'])(
    'createCertificateKey() rejects the unknown type %p',
    async (keyType) => {
      const failure = createCertificateKey(keyType as CertificateKeyType);
      await expect(failure).rejects.toThrow(AppError);
      await expect(failure).rejects.toThrow(
        `Cannot create a certificate key: unknown key type "${keyType}"; use one of ec256, ec384, rsa2048, rsa3072, rsa4096`,
      );
    },
  );
});

describe('createCsr()', () => {
  let ecKey: string;
  let rsaKey: string;
  beforeAll(async () => {
    [ecKey, rsaKey] = await Promise.all([createCertificateKey('ec256'), createCertificateKey('rsa2048')]);
  });

  test.each<[string, string[], { commonName: string; altNames: string[] }]>([
    ['one name', ['a.test'], { commonName: 'a.test', altNames: ['a.test'] }],
    [
      'several names, CN = first',
      ['a.test', 'b.test', 'c.a.test'],
      { commonName: 'a.test', altNames: ['a.test', 'b.test', 'c.a.test'] },
    ],
    [
      'an IDN in A-label form',
      ['xn--bcher-kva.test'],
      { commonName: 'xn--bcher-kva.test', altNames: ['xn--bcher-kva.test'] },
    ],
  ])('createCsr() covers %s', async (_name, domains, expected) => {
    const csr = await createCsr(domains, ecKey);
    expect([csr.split('\n')[0], acme.crypto.readCsrDomains(csr)]).toEqual([
      '-----BEGIN CERTIFICATE REQUEST-----',
      expected,
    ]);
  });

  test.each<[string, string[], string, Array<{ type: string; value: string }>]>([
    ['an IPv4 address, without a CN', ['127.0.0.1'], '', [{ type: 'ip', value: '127.0.0.1' }]],
    [
      'IPv6 addresses, without a CN',
      ['::1', '2001:DB8:0:0:0:0:0:1'],
      '',
      [
        { type: 'ip', value: '::1' },
        { type: 'ip', value: '2001:db8::1' },
      ],
    ],
    [
      'a DNS name then an IP, CN = the name',
      ['a.test', '192.0.2.1'],
      'CN=a.test',
      [
        { type: 'dns', value: 'a.test' },
        { type: 'ip', value: '192.0.2.1' },
      ],
    ],
    [
      'an IP then a DNS name, without a CN',
      ['192.0.2.1', 'a.test'],
      '',
      [
        { type: 'ip', value: '192.0.2.1' },
        { type: 'dns', value: 'a.test' },
      ],
    ],
  ])('createCsr() covers %s with IP Address SANs', async (_name, identifiers, subject, sans) => {
    const csr = new x509.Pkcs10CertificateRequest(await createCsr(identifiers, ecKey));
    const san = csr.extensions.find(
      (e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension,
    );
    expect([csr.subject, san?.names.toJSON()]).toEqual([subject, sans]);
  });

  test('createCsr() leaves CN empty when the first name is longer than 64 characters', async () => {
    const long = `${'a'.repeat(60)}.example.test`;
    const csr = await createCsr([long, 'b.test'], ecKey);
    expect(acme.crypto.readCsrDomains(csr).altNames).toEqual([long, 'b.test']);
    expect(acme.crypto.readCsrDomains(csr).commonName).toBeFalsy();
  });

  test("createCsr() does not mutate the caller's domain list", async () => {
    const domains = Object.freeze(['b.test', 'a.test']);
    await createCsr(domains, rsaKey);
    expect(domains).toEqual(['b.test', 'a.test']);
  });

  test.each(['ec256', 'rsa2048'] as const)(
    'createCsr() carries the public half of the %s key and verifies',
    async (type) => {
      const keyPem = type === 'ec256' ? ecKey : rsaKey;
      // @peculiar/x509 is acme-client's own CSR library (a transitive dependency, tests only).
      const csr = new x509.Pkcs10CertificateRequest(await createCsr(['a.test'], keyPem));
      const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
      expect([Buffer.from(csr.publicKey.rawData).equals(spki), await csr.verify()]).toEqual([true, true]);
    },
  );

  test('createCsr() rejects an empty domain list', async () => {
    await expect(createCsr([], ecKey)).rejects.toThrow('Cannot create a CSR: no domain given');
  });
});
