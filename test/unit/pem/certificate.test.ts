import { X509Certificate } from 'node:crypto';
import { CertificateError } from '../../../src/errors';
import { certificateLabel, keyTypeOf, parseCertificate, parseChain } from '../../../src/pem';
import { oneLineName, slashName } from '../../../src/pem/_certificate';
import { certs, NO_SUBJECT_NAMES } from '../../fixtures/certs';

// Serial, fingerprint, subject, issuer and key type were checked against HAProxy 2.6.12
// `show ssl cert` for ec-leaf.pem, ec-leaf-2.pem and rsa-leaf.pem bundles (key type upper-cased
// is HAProxy's `Algorithm:`).
describe('parseCertificate()', () => {
  test('parseCertificate() reads the EC leaf as HAProxy prints it', () => {
    expect(parseCertificate(certs.ecLeaf)).toEqual({
      serial: '87654321FEDCBA9876543210',
      sha1Fingerprint: '291C4BC3DD314CD3828CA4B8F605528C5CC7489D',
      notBefore: new Date('2026-11-27T00:35:54.000Z'),
      notAfter: new Date('2126-11-03T00:35:54.000Z'),
      dnsNames: ['example.com', 'www.example.com', '*.apps.example.com'],
      ipAddresses: ['127.0.0.1', '0:0:0:0:0:0:0:1'],
      subject: '/CN=example.com',
      issuer: '/O=haproxy-acme test/CN=Test Intermediate E1',
      keyType: 'ec256',
      isSelfSigned: false,
    });
  });

  test("parseCertificate() reads a leaf with an empty subject (no CN, SANs only, no AIA) as Let's Encrypt issues today", () => {
    expect(parseCertificate(certs.noSubjectLeaf)).toEqual({
      serial: '9ABCDEF0123456789ABC',
      sha1Fingerprint: expect.stringMatching(/^[0-9A-F]{40}$/),
      notBefore: expect.any(Date),
      notAfter: expect.any(Date),
      dnsNames: NO_SUBJECT_NAMES.slice(0, 2),
      ipAddresses: ['192.0.2.10', '2001:DB8:0:0:0:0:0:10'],
      subject: '',
      issuer: '/O=haproxy-acme test/CN=Test Intermediate E2',
      keyType: 'ec256',
      isSelfSigned: false,
    });
  });

  test.each<[string, string, Partial<ReturnType<typeof parseCertificate>>]>([
    [
      'the RSA leaf',
      certs.rsaLeaf,
      { serial: '7F00AA', keyType: 'rsa2048', dnsNames: ['rsa.example.org'], ipAddresses: [] },
    ],
    ['a serial with a leading zero nibble', certs.ecLeaf2, { serial: '0123456789ABCDEF0011' }],
    [
      'the intermediate',
      certs.ecIntermediate,
      { serial: '0A1B2C', dnsNames: [], isSelfSigned: false, issuer: '/O=haproxy-acme test/CN=Test Root EC' },
    ],
    ['the root', certs.ecRoot, { serial: '01', keyType: 'ec384', isSelfSigned: true }],
    [
      'a self-signed leaf',
      certs.selfSigned,
      { serial: '42', isSelfSigned: true, sha1Fingerprint: '8B769607FB98FB602F76487B9AC6D2099DF05C59' },
    ],
    ['the first of several blocks', certs.ecLeafKey + certs.rsaLeaf + certs.ecLeaf, { serial: '7F00AA' }],
    [
      'CRLF text with Bag Attributes',
      `Bag Attributes\r\n${certs.ecLeaf.replace(/\n/g, '\r\n')}`,
      { serial: '87654321FEDCBA9876543210' },
    ],
  ])('parseCertificate() reads %s', (_label, pem, expected) => {
    expect(parseCertificate(pem)).toMatchObject(expected);
  });

  test.each<[string, string, string]>([
    ['the empty string', '', 'Cannot parse certificate: the text holds no "CERTIFICATE" block'],
    ['only a key', certs.ecLeafKey, 'Cannot parse certificate: the text holds no "CERTIFICATE" block'],
    [
      'a key labelled as a certificate',
      certs.ecLeafKey.replace(/PRIVATE KEY/g, 'CERTIFICATE'),
      'Cannot parse certificate: error:068000A8:asn1 encoding routines::wrong tag',
    ],
    [
      'a truncated certificate',
      certs.ecLeaf.replace(/\n[^\n]*\n-----END/, '\n-----END'),
      'Cannot parse certificate: error:0680009B:asn1 encoding routines::too long',
    ],
  ])('parseCertificate() rejects %s', (_label, pem, message) => {
    expect(() => parseCertificate(pem)).toThrow(expect.objectContaining({ name: CertificateError.name, message }));
  });
});

describe('parseChain()', () => {
  test.each<[string, string, { leaf: string; chain: string[] }]>([
    ['leaf + intermediate', certs.ecLeaf + certs.ecIntermediate, { leaf: certs.ecLeaf, chain: [certs.ecIntermediate] }],
    [
      'leaf + intermediate + root (root dropped)',
      certs.ecLeaf + certs.ecIntermediate + certs.ecRoot,
      { leaf: certs.ecLeaf, chain: [certs.ecIntermediate] },
    ],
    ['a lone leaf', certs.rsaLeaf, { leaf: certs.rsaLeaf, chain: [] }],
    ['a self-signed leaf (kept as leaf)', certs.selfSigned, { leaf: certs.selfSigned, chain: [] }],
    [
      'a leaf without a subject + intermediate + root',
      certs.noSubjectLeaf + certs.noSubjectIntermediate + certs.noSubjectRoot,
      { leaf: certs.noSubjectLeaf, chain: [certs.noSubjectIntermediate] },
    ],
    [
      'CRLF and blank lines',
      `${certs.ecLeaf}\n\n${certs.ecIntermediate}`.replace(/\n/g, '\r\n'),
      { leaf: certs.ecLeaf, chain: [certs.ecIntermediate] },
    ],
  ])('parseChain() splits %s', (_label, pem, expected) => {
    expect(parseChain(pem)).toEqual(expected);
  });

  test.each<[string, string, string]>([
    ['the empty string', '', 'Cannot read certificate chain: the text holds no "CERTIFICATE" block'],
    ['garbage', 'not a chain', 'Cannot read certificate chain: the text holds no "CERTIFICATE" block'],
    [
      'a chain with a key in it',
      certs.ecLeaf + certs.ecLeafKey,
      'Cannot read certificate chain: block 2 is "PRIVATE KEY"; a chain holds only "CERTIFICATE" blocks',
    ],
    [
      'a chain with a broken certificate',
      certs.ecLeaf + certs.ecLeafKey.replace(/PRIVATE KEY/g, 'CERTIFICATE'),
      'Cannot parse certificate 2 of 2 in the chain: error:068000A8:asn1 encoding routines::wrong tag',
    ],
  ])('parseChain() rejects %s', (_label, pem, message) => {
    expect(() => parseChain(pem)).toThrow(expect.objectContaining({ name: CertificateError.name, message }));
  });
});

describe('certificateLabel()', () => {
  test.each<[string, X509Certificate, string]>([
    ['a subject', new X509Certificate(certs.ecIntermediate), 'O=haproxy-acme test, CN=Test Intermediate E1'],
    ['an empty subject', new X509Certificate(certs.noSubjectLeaf), 'serial 9ABCDEF0123456789ABC (no subject)'],
  ])('certificateLabel() names a certificate with %s', (_label, x509, expected) => {
    expect(certificateLabel(x509)).toBe(expected);
  });
});

// Node 20 gives `undefined` as the subject of a certificate without one, Node 24 gives ''.
describe('slashName() and oneLineName()', () => {
  test.each<[string, string | undefined, string, string]>([
    [
      'a subject',
      'O=haproxy-acme test\nCN=Test Intermediate E1',
      '/O=haproxy-acme test/CN=Test Intermediate E1',
      'O=haproxy-acme test, CN=Test Intermediate E1',
    ],
    ['an empty subject as Node 24 gives it', '', '', ''],
    ['an empty subject as Node 20 gives it (undefined)', undefined, '', ''],
  ])('slashName() and oneLineName() write %s', (_label, name, slash, oneLine) => {
    expect([slashName(name), oneLineName(name)]).toEqual([slash, oneLine]);
  });
});

describe('keyTypeOf()', () => {
  test.each<[string, string, string]>([
    ['a PKCS#8 P-256 key', certs.ecLeafKey, 'ec256'],
    ['a SEC1 P-256 key', certs.ecLeafSec1Key, 'ec256'],
    ['a P-384 key', certs.ec384Key, 'ec384'],
    ['a PKCS#8 RSA key', certs.rsaLeafKey, 'rsa2048'],
    ['a PKCS#1 RSA key', certs.rsaLeafPkcs1Key, 'rsa2048'],
    ['a key with CRLF and Bag Attributes', `Bag Attributes\r\n${certs.ecLeafKey.replace(/\n/g, '\r\n')}`, 'ec256'],
  ])('keyTypeOf() names %s', (_label, pem, expected) => {
    expect(keyTypeOf(pem)).toBe(expected);
  });

  test.each<[string, string, string]>([
    ['the empty string', '', 'Cannot read private key: the text holds 0 PEM blocks, expected exactly one'],
    [
      'a certificate',
      certs.ecLeaf,
      'Cannot read private key: the block is "CERTIFICATE", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
    ],
    [
      'two keys',
      certs.ecLeafKey + certs.mismatchKey,
      'Cannot read private key: the text holds 2 PEM blocks, expected exactly one',
    ],
    [
      'an encrypted PKCS#8 key',
      certs.encryptedKey,
      'Cannot read private key: the block is "ENCRYPTED PRIVATE KEY", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
    ],
    [
      'a key with a corrupt body',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      'Cannot read private key: error:1E08010C:DECODER routines::unsupported',
    ],
  ])('keyTypeOf() rejects %s', (_label, pem, message) => {
    expect(() => keyTypeOf(pem)).toThrow(expect.objectContaining({ name: CertificateError.name, message }));
  });
});
