import { parseLegoCertificate, type LegoCertificateFiles } from '../../../src/migration';
import { certs, NO_SUBJECT_NAMES } from '../../fixtures/certs';
import { certificateFiles, extraFile, legoFile, ONE_SERIAL, TWO_SERIAL, WILD_SERIAL, withJson } from './_lego';

const ONE = 'certificates/one.example.test';

function one(change: Partial<LegoCertificateFiles> = {}): LegoCertificateFiles {
  return { ...certificateFiles('one.example.test'), ...change };
}

/** The .crt of one.example.test cut to its leaf: what `lego run --no-bundle` writes. */
function leafOnly(): { path: string; text: string } {
  const text = legoFile(`${ONE}.crt`).text;
  return {
    path: `${ONE}.crt`,
    text: text.slice(0, text.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----\n'.length),
  };
}

describe('parseLegoCertificate()', () => {
  test.each([
    [
      'one.example.test (ec256, chain in the .crt)',
      certificateFiles('one.example.test'),
      ['one.example.test', ONE_SERIAL, 'ec256', ['one.example.test', 'www.one.example.test'], 1],
    ],
    [
      'two.example.test (rsa2048)',
      certificateFiles('two.example.test'),
      ['two.example.test', TWO_SERIAL, 'rsa2048', ['two.example.test'], 1],
    ],
    [
      'the wildcard, named by its .json',
      certificateFiles('_.wild.example.test'),
      ['*.wild.example.test', WILD_SERIAL, 'rsa2048', ['*.wild.example.test', 'wild.example.test'], 1],
    ],
    [
      'a --no-bundle .crt: the chain comes from .issuer.crt',
      one({ crt: leafOnly() }),
      ['one.example.test', ONE_SERIAL, 'ec256', ['one.example.test', 'www.one.example.test'], 1],
    ],
    [
      'a --no-bundle .crt and no .issuer.crt: no chain',
      one({ crt: leafOnly(), issuer: undefined }),
      ['one.example.test', ONE_SERIAL, 'ec256', ['one.example.test', 'www.one.example.test'], 0],
    ],
    [
      'no .json: the name comes from the file base',
      { ...certificateFiles('_.wild.example.test'), json: undefined },
      ['*.wild.example.test', WILD_SERIAL, 'rsa2048', ['*.wild.example.test', 'wild.example.test'], 1],
    ],
  ])('parseLegoCertificate() reads %s', (_name, files, [legoName, serial, keyType, names, chainLength]) => {
    const result = parseLegoCertificate(files);
    expect(
      result.kind === 'ok' && [
        result.certificate.legoName,
        result.certificate.serial,
        result.certificate.keyType,
        result.certificate.names,
        (result.certificate.chainPem.match(/BEGIN CERTIFICATE/g) ?? []).length,
      ],
    ).toEqual([legoName, serial, keyType, names, chainLength]);
  });

  test("parseLegoCertificate() reads a certificate without a subject (SANs only, DNS and IP) as lego stores Let's Encrypt's today", () => {
    const base = 'certificates/example.net';
    const files: LegoCertificateFiles = {
      base: 'example.net',
      crt: { path: `${base}.crt`, text: certs.noSubjectLeaf + certs.noSubjectIntermediate },
      key: { path: `${base}.key`, text: certs.noSubjectLeafKey },
      issuer: { path: `${base}.issuer.crt`, text: certs.noSubjectIntermediate },
      json: {
        path: `${base}.json`,
        text: JSON.stringify({ domain: 'example.net', certUrl: 'https://ca.example.test/cert/1' }),
      },
    };
    const result = parseLegoCertificate(files);
    expect(
      result.kind === 'ok' && [
        result.certificate.legoName,
        result.certificate.serial,
        result.certificate.names,
        result.certificate.chainPem,
      ],
    ).toEqual([
      'example.net',
      '9ABCDEF0123456789ABC',
      [...NO_SUBJECT_NAMES.slice(0, 3), '2001:DB8:0:0:0:0:0:10'],
      certs.noSubjectIntermediate,
    ]);
  });

  test('parseLegoCertificate() keeps certUrl and the validity from the files', () => {
    const result = parseLegoCertificate(certificateFiles('one.example.test'));
    expect(
      result.kind === 'ok' && [
        result.certificate.certUrl,
        result.certificate.notAfter.toISOString(),
        result.certificate.files,
      ],
    ).toEqual([
      'https://127.0.0.1:33595/certZ/11a7bcc9af5e90c8',
      '2031-11-27T02:58:28.000Z',
      [`${ONE}.crt`, `${ONE}.key`, `${ONE}.issuer.crt`, `${ONE}.json`],
    ]);
  });

  test('parseLegoCertificate() reports a certificate without its key (lego --csr) as no-key, not invalid', () => {
    expect(parseLegoCertificate(one({ key: undefined }))).toEqual({
      kind: 'no-key',
      base: 'one.example.test',
      legoName: 'one.example.test',
      files: [`${ONE}.crt`],
    });
  });

  const text = (suffix: string, value: string) => ({ path: `${ONE}${suffix}`, text: value });
  test.each([
    [
      'a .key without its .crt',
      one({ crt: undefined }),
      `${ONE}.crt`,
      'the certificate file is missing while other files of it exist',
    ],
    [
      'a .crt that is not PEM',
      one({ crt: text('.crt', 'not a certificate') }),
      `${ONE}.crt`,
      'Cannot read certificate chain: the text holds no "CERTIFICATE" block',
    ],
    [
      'a .crt that is binary',
      one({ crt: text('.crt', '\u0000\u0001\u00ff') }),
      `${ONE}.crt`,
      'Cannot read certificate chain: the text holds no "CERTIFICATE" block',
    ],
    [
      'a .crt holding a key',
      one({ crt: text('.crt', certs.ecLeafKey) }),
      `${ONE}.crt`,
      'Cannot read certificate chain: block 1 is "PRIVATE KEY"; a chain holds only "CERTIFICATE" blocks',
    ],
    [
      'a truncated .crt',
      one({ crt: text('.crt', legoFile(`${ONE}.crt`).text.slice(0, 300)) }),
      `${ONE}.crt`,
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: no "-----END CERTIFICATE-----" line before the end of the text',
    ],
    [
      'a .key of another certificate',
      one({ key: text('.key', legoFile('certificates/two.example.test.key').text) }),
      `${ONE}.key`,
      `Certificate and private key do not match: certificate "${ONE_SERIAL}" has a ec256 public key that does not belong to the given rsa2048 private key`,
    ],
    [
      'a .key that is not PEM',
      one({ key: text('.key', 'secret') }),
      `${ONE}.key`,
      'Cannot read private key: the text holds 0 PEM blocks, expected exactly one',
    ],
    [
      'an encrypted .key',
      one({ key: text('.key', certs.encryptedKey) }),
      `${ONE}.key`,
      'Cannot read private key: the block is "ENCRYPTED PRIVATE KEY", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
    ],
    ['a .json that is not JSON', one({ json: text('.json', '{') }), `${ONE}.json`, 'it is not JSON'],
    [
      'a .json without domain',
      one({ json: withJson(one().json, () => ({ certUrl: 'x' })) }),
      `${ONE}.json`,
      'field "domain" is missing or invalid (Invalid input: expected string, received undefined)',
    ],
    [
      'a .json naming another domain',
      one({ json: withJson(one().json, (v) => ({ ...v, domain: 'evil.example' })) }),
      `${ONE}.json`,
      '"domain" "evil.example" does not belong to files named "one.example.test.*"',
    ],
    [
      'a .json with a path in domain',
      one({ json: withJson(one().json, (v) => ({ ...v, domain: '../../etc/passwd' })) }),
      `${ONE}.json`,
      '"domain" "../../etc/passwd" does not belong to files named "one.example.test.*"',
    ],
    [
      'an .issuer.crt holding a key',
      one({ crt: leafOnly(), issuer: text('.issuer.crt', certs.ecLeafKey) }),
      `${ONE}.issuer.crt`,
      'it holds a "PRIVATE KEY" block; expected only "CERTIFICATE" blocks',
    ],
    [
      'an .issuer.crt that is garbage PEM',
      one({
        crt: leafOnly(),
        issuer: text('.issuer.crt', '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n'),
      }),
      `${ONE}.issuer.crt`,
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: line 2 is not base64 (encrypted or corrupted block)',
    ],
    [
      'a certificate that does not cover its lego name',
      {
        base: 'x.example.test',
        crt: extraFile('ed25519.crt', 'certificates/x.example.test.crt'),
        key: extraFile('ed25519.key', 'certificates/x.example.test.key'),
      },
      'certificates/x.example.test.crt',
      'the certificate does not cover its own name "x.example.test"',
    ],
  ])('parseLegoCertificate() rejects %s, naming the file', (_name, files, file, message) => {
    const result = parseLegoCertificate(files);
    expect(result.kind === 'invalid' ? result.problems : result.kind).toEqual([{ file, message }]);
  });
});
