import { generateKeyPairSync, verify, createPublicKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as acme from 'acme-client';
import { encodeCsr } from '../../../src/acme/_csr';

type KeySpec = ['ec', { namedCurve: string }] | ['rsa', { modulusLength: number }];

function keyPem([type, options]: KeySpec): string {
  const key =
    type === 'ec' ? generateKeyPairSync('ec', options).privateKey : generateKeyPairSync('rsa', options).privateKey;
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
}

/** The header and content of the DER element at `offset`. */
function element(der: Buffer, offset: number): { start: number; contentStart: number; end: number } {
  const first = der[offset + 1] ?? 0;
  let length = first;
  let header = 2;
  if (first & 0x80) {
    length = 0;
    for (let i = 0; i < (first & 0x7f); i += 1) length = length * 256 + (der[offset + 2 + i] ?? 0);
    header = 2 + (first & 0x7f);
  }
  return { start: offset, contentStart: offset + header, end: offset + header + length };
}

/** CertificationRequestInfo, signatureAlgorithm and signature of a CSR (RFC 2986 §4.2). */
function partsOf(pem: string): { info: Buffer; algorithm: Buffer; signature: Buffer } {
  const der = derOf(pem);
  const outer = element(der, 0);
  const info = element(der, outer.contentStart);
  const algorithm = element(der, info.end);
  const signature = element(der, algorithm.end);
  return {
    info: der.subarray(info.start, info.end),
    algorithm: der.subarray(algorithm.start, algorithm.end),
    // BIT STRING content after its "unused bits" octet.
    signature: der.subarray(signature.contentStart + 1, signature.end),
  };
}

const KEYS: [string, KeySpec, string][] = [
  ['ECDSA P-256', ['ec', { namedCurve: 'P-256' }], 'sha256'],
  ['ECDSA P-384', ['ec', { namedCurve: 'P-384' }], 'sha384'],
  ['ECDSA P-521', ['ec', { namedCurve: 'P-521' }], 'sha512'],
  ['RSA 2048', ['rsa', { modulusLength: 2048 }], 'sha256'],
];
const keys = new Map(KEYS.map(([name, spec]) => [name, keyPem(spec)]));

const NAMES: [string, string | undefined, string[]][] = [
  ['one DNS name with CN', 'a.example.com', ['a.example.com']],
  ['several DNS names with CN', 'a.example.com', ['a.example.com', 'b.example.com', '*.c.example.com']],
  ['IP literals only, empty subject', undefined, ['127.0.0.1', '::1', '2001:db8::1']],
  ['a CN of 64 characters', `${'x'.repeat(59)}.test`, [`${'x'.repeat(59)}.test`, 'y.test']],
  [
    'a long SAN list (long-form DER lengths)',
    'n0.example.com',
    Array.from({ length: 40 }, (_, i) => `n${i}.example.com`),
  ],
];

describe('encodeCsr()', () => {
  test.each(KEYS.flatMap(([keyName]) => NAMES.map(([names, cn, altNames]) => [keyName, names, cn, altNames] as const)))(
    'encodeCsr() with %s and %s encodes the request exactly as acme-client 5.4.0 does',
    async (keyName, _names, commonName, altNames) => {
      const key = keys.get(keyName)!;
      const [, theirs] = await acme.crypto.createCsr({ commonName, altNames: [...altNames] }, key);
      const ours = encodeCsr({ ...(commonName === undefined ? {} : { commonName }), altNames }, key);
      const [mine, reference] = [partsOf(ours), partsOf(theirs.toString())];
      expect([mine.info.toString('hex'), mine.algorithm.toString('hex')]).toEqual([
        reference.info.toString('hex'),
        reference.algorithm.toString('hex'),
      ]);
    },
  );

  test.each(KEYS)('encodeCsr() signs with %s and the hash of its curve (%s)', (keyName, _spec, hash) => {
    const key = keys.get(keyName)!;
    const { info, signature } = partsOf(encodeCsr({ commonName: 'a.test', altNames: ['a.test'] }, key));
    expect(verify(hash, info, { key: createPublicKey(key), dsaEncoding: 'der' }, signature)).toBe(true);
  });

  test('encodeCsr() writes a PEM that openssl verifies and reads back with its names', () => {
    const pem = encodeCsr(
      { commonName: 'a.test', altNames: ['a.test', '10.0.0.1', '2001:db8::ffff:1.2.3.4'] },
      keys.get('ECDSA P-256')!,
    );
    const text = execFileSync('openssl', ['req', '-verify', '-noout', '-text'], {
      input: pem,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect([
      pem.split('\n')[0],
      pem.endsWith('-----END CERTIFICATE REQUEST-----'),
      /Subject: CN\s?=\s?a\.test/.test(text),
    ]).toEqual(['-----BEGIN CERTIFICATE REQUEST-----', true, true]);
    // acme-client (through @peculiar/x509) encodes an IPv6 literal with an IPv4 tail wrongly; this is RFC 4291's reading.
    expect(text).toContain('DNS:a.test, IP Address:10.0.0.1, IP Address:2001:DB8:0:0:0:FFFF:102:304');
  });

  test.each<[string, { commonName?: string; altNames: string[] }, string, RegExp]>([
    ['no names', { altNames: [] }, keyPem(['ec', { namedCurve: 'P-256' }]), /^Cannot create a CSR: no name given$/],
    [
      'a public key instead of a private one',
      { altNames: ['a.test'] },
      createPublicKey(keyPem(['ec', { namedCurve: 'P-256' }]))
        .export({ type: 'spki', format: 'pem' })
        .toString(),
      /./,
    ],
    ['garbage instead of a key', { altNames: ['a.test'] }, 'not a key', /./],
  ])('encodeCsr() refuses %s', (_name, request, key, message) => {
    expect(() => encodeCsr(request, key)).toThrow(message);
  });
});
