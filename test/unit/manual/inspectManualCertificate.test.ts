import {
  inspectManualCertificate,
  renderManualCrtList,
  type ManualCertificate,
  type ManualFiles,
} from '../../../src/manual';
import { certs } from '../../fixtures/certs';
import { mintCertificate, type MintedCertificate } from './_mint';

const PATH = '/srv/acme/haproxy/cert.crt';
const KEY_PATH = `${PATH}.key`;
const text = (value: string): { text: string } => ({ text: value });
const missing = { error: 'it does not exist (a dangling link?)', missing: true };

describe('inspectManualCertificate()', () => {
  let leaf: MintedCertificate;
  let other: MintedCertificate;
  let legacy: MintedCertificate;

  beforeAll(async () => {
    leaf = await mintCertificate({ names: ['photos.example.com', 'www.photos.example.com', '192.0.2.7'] });
    other = await mintCertificate();
    legacy = await mintCertificate({ names: [], subject: 'CN=legacy.example.com' });
  });

  function facts(minted: MintedCertificate, names: string[]): Omit<ManualCertificate, 'keyPath' | 'problem'> {
    return {
      path: PATH,
      names,
      serial: minted.serial,
      notBefore: minted.notBefore.toISOString(),
      notAfter: minted.notAfter.toISOString(),
    };
  }

  test.each<[string, () => ManualFiles, () => Partial<ManualCertificate>]>([
    [
      'the key in the file, after the chain',
      () => ({ path: PATH, file: text(leaf.certPem + certs.ecIntermediate + leaf.keyPem) }),
      () => ({
        ...facts(leaf, ['photos.example.com', 'www.photos.example.com', '192.0.2.7']),
        keyPath: PATH,
        problem: null,
      }),
    ],
    [
      'the key first, then the certificate',
      () => ({ path: PATH, file: text(leaf.keyPem + leaf.certPem) }),
      () => ({ keyPath: PATH, problem: null }),
    ],
    [
      'the key in the companion cert.crt.key',
      () => ({ path: PATH, file: text(leaf.certPem), companion: { path: KEY_PATH, ...text(leaf.keyPem) } }),
      () => ({ keyPath: KEY_PATH, problem: null }),
    ],
    [
      'no SANs: the subject CN names it',
      () => ({ path: PATH, file: text(legacy.certPem + legacy.keyPem) }),
      () => ({ names: ['legacy.example.com'], problem: null }),
    ],
    [
      'no key anywhere',
      () => ({ path: PATH, file: text(leaf.certPem), companion: { path: KEY_PATH, ...missing } }),
      () => ({
        ...facts(leaf, ['photos.example.com', 'www.photos.example.com', '192.0.2.7']),
        keyPath: null,
        problem: `no private key: the file holds none and there is no "${KEY_PATH}"`,
      }),
    ],
    [
      'an unreadable companion',
      () => ({
        path: PATH,
        file: text(leaf.certPem),
        companion: { path: KEY_PATH, error: 'it is not a regular file', missing: false },
      }),
      () => ({ keyPath: KEY_PATH, problem: `cannot read its key "${KEY_PATH}": it is not a regular file` }),
    ],
    [
      'a companion without a key',
      () => ({ path: PATH, file: text(leaf.certPem), companion: { path: KEY_PATH, ...text(certs.ecIntermediate) } }),
      () => ({ keyPath: KEY_PATH, problem: `its key file "${KEY_PATH}" holds no private key` }),
    ],
    [
      'a companion that is not PEM',
      () => ({
        path: PATH,
        file: text(leaf.certPem),
        companion: { path: KEY_PATH, ...text('-----BEGIN PRIVATE KEY-----\n@@@\n-----END PRIVATE KEY-----\n') },
      }),
      () => ({
        keyPath: KEY_PATH,
        problem: `its key "${KEY_PATH}" is not PEM: Cannot read PEM block "PRIVATE KEY" that begins on line 1: line 2 is not base64 (encrypted or corrupted block)`,
      }),
    ],
    [
      'the companion key of another certificate',
      () => ({ path: PATH, file: text(leaf.certPem), companion: { path: KEY_PATH, ...text(other.keyPem) } }),
      () => ({
        keyPath: KEY_PATH,
        problem: `its key "${KEY_PATH}" is not usable: Certificate and private key do not match: certificate "${leaf.serial}" has a ec256 public key that does not belong to the given ec256 private key`,
      }),
    ],
    [
      'the key of another certificate in the file',
      () => ({ path: PATH, file: text(leaf.certPem + other.keyPem) }),
      () => ({
        keyPath: PATH,
        problem: `the private key in the file is not usable: Certificate and private key do not match: certificate "${leaf.serial}" has a ec256 public key that does not belong to the given ec256 private key`,
      }),
    ],
    [
      'an encrypted key',
      () => ({ path: PATH, file: text(leaf.certPem + certs.encryptedKey) }),
      () => ({
        keyPath: PATH,
        problem:
          'the private key in the file is not usable: Cannot read private key: the block is "ENCRYPTED PRIVATE KEY", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
      }),
    ],
    [
      'an unreadable file',
      () => ({ path: PATH, file: { error: 'permission denied', missing: false } }),
      () => ({ names: [], serial: null, notAfter: null, keyPath: null, problem: 'cannot read it: permission denied' }),
    ],
    [
      'text that is not PEM',
      () => ({ path: PATH, file: text('-----END CERTIFICATE-----\n') }),
      () => ({
        serial: null,
        problem: 'it is not PEM: Cannot read PEM: "-----END CERTIFICATE-----" on line 1 has no BEGIN line',
      }),
    ],
    [
      'a key alone',
      () => ({ path: PATH, file: text(leaf.keyPem) }),
      () => ({ serial: null, keyPath: null, problem: 'it holds no "CERTIFICATE" block' }),
    ],
    [
      'an empty file',
      () => ({ path: PATH, file: text('') }),
      () => ({ serial: null, problem: 'it holds no "CERTIFICATE" block' }),
    ],
    [
      'a leaf that is not DER',
      () => ({ path: PATH, file: text('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') }),
      () => ({ serial: null, problem: expect.stringMatching(/^it does not parse: Cannot parse certificate: /) }),
    ],
    [
      'a chain certificate that is not DER',
      () => ({
        path: PATH,
        file: text(`${leaf.certPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n${leaf.keyPem}`),
      }),
      () => ({
        serial: null,
        problem: expect.stringMatching(
          /^it does not parse: chain certificate 1 does not parse: Cannot parse certificate: /,
        ),
      }),
    ],
  ])('inspectManualCertificate() with %s', (_what, files, expected) => {
    expect(inspectManualCertificate(files())).toEqual(expect.objectContaining({ path: PATH, ...expected() }));
  });

  test('inspectManualCertificate() never returns key material, also for a key that does not match', () => {
    const keyBody = leaf.keyPem.split('\n')[1]!;
    const results = [
      inspectManualCertificate({ path: PATH, file: text(leaf.certPem + leaf.keyPem) }),
      inspectManualCertificate({ path: PATH, file: text(other.certPem + leaf.keyPem) }),
      inspectManualCertificate({
        path: PATH,
        file: text(leaf.certPem),
        companion: { path: KEY_PATH, ...text(`${leaf.keyPem}junk`) },
      }),
    ];
    const shown = JSON.stringify(results);
    expect({ privateKey: shown.includes('PRIVATE KEY-----'), keyBody: shown.includes(keyBody) }).toEqual({
      privateKey: false,
      keyBody: false,
    });
  });
});

describe('renderManualCrtList()', () => {
  const fine = (path: string): ManualCertificate => ({
    path,
    names: ['a.test'],
    serial: '10',
    notBefore: null,
    notAfter: null,
    keyPath: path,
    problem: null,
  });

  test.each<
    [
      string,
      ManualCertificate[],
      { text: string; written: string[]; skipped: Array<{ path: string; problem: string }> },
    ]
  >([
    ['none: an empty file', [], { text: '', written: [], skipped: [] }],
    [
      'two, in the given order, one path a line',
      [fine('/srv/acme/haproxy/b.crt'), fine('/srv/acme/haproxy/a.crt')],
      {
        text: '/srv/acme/haproxy/b.crt\n/srv/acme/haproxy/a.crt\n',
        written: ['/srv/acme/haproxy/b.crt', '/srv/acme/haproxy/a.crt'],
        skipped: [],
      },
    ],
    [
      'one with a problem is left out with it',
      [fine('/srv/acme/haproxy/a.crt'), { ...fine('/srv/acme/haproxy/bad.crt'), problem: 'no private key' }],
      {
        text: '/srv/acme/haproxy/a.crt\n',
        written: ['/srv/acme/haproxy/a.crt'],
        skipped: [{ path: '/srv/acme/haproxy/bad.crt', problem: 'no private key' }],
      },
    ],
    [
      'a path with a space would be two words',
      [fine('/srv/acme/haproxy/my cert.crt')],
      {
        text: '',
        written: [],
        skipped: [
          {
            path: '/srv/acme/haproxy/my cert.crt',
            problem:
              'its path cannot be a crt-list line: it contains a space, which HAProxy would not read as part of one word; rename the file',
          },
        ],
      },
    ],
    [
      'a path with a newline would be a second line',
      [fine('/srv/acme/haproxy/a.crt\n/etc/shadow')],
      {
        text: '',
        written: [],
        skipped: [
          {
            path: '/srv/acme/haproxy/a.crt\n/etc/shadow',
            problem:
              'its path cannot be a crt-list line: it contains a newline, which HAProxy would not read as part of one word; rename the file',
          },
        ],
      },
    ],
    [
      'a bracket would open SSL options',
      [fine('/srv/acme/haproxy/a[1].crt')],
      {
        text: '',
        written: [],
        skipped: [
          {
            path: '/srv/acme/haproxy/a[1].crt',
            problem:
              'its path cannot be a crt-list line: it contains "[", which HAProxy would read as a bracket around SSL options in a crt-list line; rename the file',
          },
        ],
      },
    ],
  ])('renderManualCrtList() with %s', (_what, certificates, expected) => {
    expect(renderManualCrtList(certificates)).toEqual(expected);
  });
});
