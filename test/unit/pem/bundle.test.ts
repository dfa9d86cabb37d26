import { CertificateError } from '../../../src/errors';
import { assertKeyMatchesCertificate, buildHaproxyBundle, missingNames } from '../../../src/pem';
import { certs, NO_SUBJECT_NAMES } from '../../fixtures/certs';

describe('assertKeyMatchesCertificate()', () => {
  test.each<[string, string, string]>([
    ['the EC leaf and its PKCS#8 key', certs.ecLeaf, certs.ecLeafKey],
    ['the EC leaf and its SEC1 key', certs.ecLeaf, certs.ecLeafSec1Key],
    ['the RSA leaf and its PKCS#1 key', certs.rsaLeaf, certs.rsaLeafPkcs1Key],
    ['CRLF text', certs.ecLeaf.replace(/\n/g, '\r\n'), certs.ecLeafKey.replace(/\n/g, '\r\n')],
  ])('assertKeyMatchesCertificate() accepts %s', (_label, leaf, key) => {
    expect(() => assertKeyMatchesCertificate(leaf, key)).not.toThrow();
  });

  test.each<[string, string, string, string]>([
    [
      'an unrelated EC key',
      certs.ecLeaf,
      certs.mismatchKey,
      'Certificate and private key do not match: certificate "87654321FEDCBA9876543210" has a ec256 public key that does not belong to the given ec256 private key',
    ],
    [
      'an RSA key for an EC leaf',
      certs.ecLeaf,
      certs.rsaLeafKey,
      'Certificate and private key do not match: certificate "87654321FEDCBA9876543210" has a ec256 public key that does not belong to the given rsa2048 private key',
    ],
    [
      'a full chain as the leaf',
      certs.ecLeaf + certs.ecIntermediate,
      certs.ecLeafKey,
      'Cannot read leaf certificate: expected exactly one "CERTIFICATE" block, found "CERTIFICATE", "CERTIFICATE"',
    ],
    [
      'a key as the leaf',
      certs.ecLeafKey,
      certs.ecLeafKey,
      'Cannot read leaf certificate: expected exactly one "CERTIFICATE" block, found "PRIVATE KEY"',
    ],
    [
      'an empty leaf',
      '',
      certs.ecLeafKey,
      'Cannot read leaf certificate: expected exactly one "CERTIFICATE" block, found nothing',
    ],
  ])('assertKeyMatchesCertificate() rejects %s', (_label, leaf, key, message) => {
    expect(() => assertKeyMatchesCertificate(leaf, key)).toThrow(
      expect.objectContaining({ name: CertificateError.name, message }),
    );
  });

  test('assertKeyMatchesCertificate() puts no key material in its message', () => {
    const keyLines = certs.mismatchKey.split('\n').slice(1, -2);
    let message = '';
    try {
      assertKeyMatchesCertificate(certs.ecLeaf, certs.mismatchKey);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Certificate and private key do not match: /);
    expect(keyLines.filter((line) => message.includes(line.slice(0, 16)))).toEqual([]);
  });
});

describe('missingNames()', () => {
  test.each<[string, string[], string[]]>([
    ['all covered', ['example.com', 'www.example.com'], []],
    ['case-insensitive', ['EXAMPLE.com', 'Www.Example.COM'], []],
    ['one label under a wildcard', ['a.apps.example.com', 'x-1.apps.example.com'], []],
    ['the wildcard itself', ['*.apps.example.com'], []],
    ['the apex of a wildcard', ['apps.example.com'], ['apps.example.com']],
    ['two labels under a wildcard', ['a.b.apps.example.com'], ['a.b.apps.example.com']],
    ['a wildcard not in the SANs', ['*.example.com'], ['*.example.com']],
    ['a sibling domain', ['example.org', 'mail.example.com'], ['example.org', 'mail.example.com']],
    ['a suffix trick', ['evilexample.com', 'example.com.evil'], ['evilexample.com', 'example.com.evil']],
    ['IP addresses', ['127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '::0001'], []],
    ['an IP not in the SANs', ['127.0.0.2', '::2'], ['127.0.0.2', '::2']],
    ['an IP written as a DNS name', ['1.0.0.127.in-addr.arpa'], ['1.0.0.127.in-addr.arpa']],
    ['nothing asked', [], []],
    ['order kept', ['z.example.net', 'example.com', 'a.example.net'], ['z.example.net', 'a.example.net']],
  ])('missingNames() with %s', (_label, names, expected) => {
    expect(missingNames(certs.ecLeaf, names)).toEqual(expected);
  });

  test('missingNames() finds every DNS and IP name of a leaf without a subject covered, and nothing more', () => {
    expect(missingNames(certs.noSubjectLeaf, [...NO_SUBJECT_NAMES, '2001:DB8:0:0:0:0:0:10', 'example.com'])).toEqual([
      'example.com',
    ]);
  });

  test('missingNames() reports every name for a leaf without SANs', () => {
    expect(missingNames(certs.ecIntermediate, ['example.com'])).toEqual(['example.com']);
  });
});

describe('buildHaproxyBundle()', () => {
  test('buildHaproxyBundle() writes leaf, chain, key in that order with LF only', () => {
    const bundle = buildHaproxyBundle({ leaf: certs.ecLeaf, chain: [certs.ecIntermediate], key: certs.ecLeafKey });
    expect(bundle).toBe(certs.ecLeaf + certs.ecIntermediate + certs.ecLeafKey);
    expect(bundle).not.toMatch(/\r|\n\n/);
    expect(bundle.endsWith('-----END PRIVATE KEY-----\n')).toBe(true);
  });

  test.each<[string, Parameters<typeof buildHaproxyBundle>[0], string]>([
    [
      'CRLF, blank lines and Bag Attributes',
      {
        leaf: `Bag Attributes\r\n\r\n${certs.ecLeaf.replace(/\n/g, '\r\n')}\r\n`,
        chain: [`\n\n${certs.ecIntermediate}\n\n`],
        key: `Key Attributes: <No Attributes>\n${certs.ecLeafSec1Key}`,
      },
      certs.ecLeaf + certs.ecIntermediate + certs.ecLeafSec1Key,
    ],
    [
      'an empty chain',
      { leaf: certs.rsaLeaf, chain: [], key: certs.rsaLeafPkcs1Key },
      certs.rsaLeaf + certs.rsaLeafPkcs1Key,
    ],
    [
      'a leaf without a subject',
      { leaf: certs.noSubjectLeaf, chain: [certs.noSubjectIntermediate], key: certs.noSubjectLeafKey },
      certs.noSubjectLeaf + certs.noSubjectIntermediate + certs.noSubjectLeafKey,
    ],
    [
      'a chain string with an empty element',
      { leaf: certs.rsaLeaf, chain: ['', certs.ecIntermediate], key: certs.rsaLeafKey },
      certs.rsaLeaf + certs.ecIntermediate + certs.rsaLeafKey,
    ],
  ])('buildHaproxyBundle() normalises %s', (_label, parts, expected) => {
    expect(buildHaproxyBundle(parts)).toBe(expected);
  });

  test.each<[string, Parameters<typeof buildHaproxyBundle>[0], string]>([
    [
      'a root in the chain',
      { leaf: certs.ecLeaf, chain: [certs.ecIntermediate, certs.ecRoot], key: certs.ecLeafKey },
      'Cannot build HAProxy bundle: chain certificate 2 ("O=haproxy-acme test, CN=Test Root EC") is a self-signed root; remove it from the chain',
    ],
    [
      'a root after the intermediate of a leaf without a subject',
      {
        leaf: certs.noSubjectLeaf,
        chain: [certs.noSubjectIntermediate, certs.noSubjectRoot],
        key: certs.noSubjectLeafKey,
      },
      'Cannot build HAProxy bundle: chain certificate 2 ("O=haproxy-acme test, CN=Test Root EC 2") is a self-signed root; remove it from the chain',
    ],
    [
      'a mismatching key for a leaf without a subject',
      { leaf: certs.noSubjectLeaf, chain: [certs.noSubjectIntermediate], key: certs.ecLeafKey },
      'Certificate and private key do not match: certificate "9ABCDEF0123456789ABC" has a ec256 public key that does not belong to the given ec256 private key',
    ],
    [
      'a key in the chain',
      { leaf: certs.ecLeaf, chain: [certs.ecIntermediate + certs.ecLeafKey], key: certs.ecLeafKey },
      'Cannot build HAProxy bundle: chain certificate 2 is a "PRIVATE KEY" block, expected "CERTIFICATE"',
    ],
    [
      'an encrypted key',
      { leaf: certs.ecLeaf, chain: [], key: certs.encryptedKey },
      'Cannot read private key: the block is "ENCRYPTED PRIVATE KEY", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
    ],
    [
      'a public key as the key',
      { leaf: certs.ecLeaf, chain: [], key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' },
      'Cannot read private key: the block is "PUBLIC KEY", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
    ],
    [
      'a mismatching key',
      { leaf: certs.ecLeaf, chain: [certs.ecIntermediate], key: certs.mismatchKey },
      'Certificate and private key do not match: certificate "87654321FEDCBA9876543210" has a ec256 public key that does not belong to the given ec256 private key',
    ],
    [
      'no key',
      { leaf: certs.ecLeaf, chain: [], key: '' },
      'Cannot read private key: the text holds 0 PEM blocks, expected exactly one',
    ],
    [
      'a full chain as leaf',
      { leaf: certs.ecLeaf + certs.ecIntermediate, chain: [], key: certs.ecLeafKey },
      'Cannot read leaf certificate: expected exactly one "CERTIFICATE" block, found "CERTIFICATE", "CERTIFICATE"',
    ],
    [
      'a mismatched END in the leaf',
      { leaf: certs.ecLeaf.replace('END CERTIFICATE', 'END X509 CRL'), chain: [], key: certs.ecLeafKey },
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: line 14 ends it with "-----END X509 CRL-----"',
    ],
  ])('buildHaproxyBundle() refuses %s', (_label, parts, message) => {
    expect(() => buildHaproxyBundle(parts)).toThrow(expect.objectContaining({ name: CertificateError.name, message }));
  });
});
