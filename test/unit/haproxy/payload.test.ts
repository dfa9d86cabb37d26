import { CertificateError, ConfigError, HaproxyError } from '../../../src/errors';
import {
  checkPayloadSize,
  commandLine,
  crtListLine,
  escapeArgument,
  sanitiseCertificatePayload,
} from '../../../src/haproxy';
import { certs } from '../../fixtures/certs';

const leaf = certs.ecLeaf;
const key = certs.ecLeafKey;
const chain = certs.ecIntermediate;
const canonical = leaf + chain + key;

describe('sanitiseCertificatePayload()', () => {
  test.each<[string, string, string]>([
    ['a canonical bundle', canonical, canonical],
    ['CRLF line ends', canonical.replace(/\n/g, '\r\n'), canonical],
    [
      'blank lines between and inside blocks',
      `${leaf}\n\n${chain.replace(/\n(?=[A-Za-z0-9+/])/, '\n\n')}\n${key}\n\n`,
      canonical,
    ],
    [
      'OpenSSL "Bag Attributes" and comments',
      `Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=/CN=example.com\n${leaf}# chain\n${chain}Key Attributes: <No Attributes>\n${key}`,
      canonical,
    ],
    ['the key first (kept first)', key + leaf + chain, key + leaf + chain],
    ['no final newline', canonical.trimEnd(), canonical],
    ['a PKCS#1 RSA key', certs.rsaLeaf + certs.rsaLeafPkcs1Key, certs.rsaLeaf + certs.rsaLeafPkcs1Key],
    ['a SEC1 EC key', leaf + certs.ecLeafSec1Key, leaf + certs.ecLeafSec1Key],
    [
      'a self-signed placeholder (a CA certificate)',
      certs.selfSigned + certs.mismatchKey,
      certs.selfSigned + certs.mismatchKey,
    ],
    [
      'a leaf without a subject (SANs only)',
      certs.noSubjectLeaf + certs.noSubjectIntermediate + certs.noSubjectLeafKey,
      certs.noSubjectLeaf + certs.noSubjectIntermediate + certs.noSubjectLeafKey,
    ],
  ])('sanitiseCertificatePayload() accepts %s', (_label, input, expected) => {
    const payload = sanitiseCertificatePayload(input);
    expect(payload).toBe(expected);
    expect(payload).not.toMatch(/\n\n|\r/);
    expect(payload.endsWith('-----\n')).toBe(true);
  });

  const prefix = 'Cannot send the certificate bundle to HAProxy: ';
  test.each<[string, string, string]>([
    ['an empty text', '', `${prefix}it contains no PEM block`],
    ['text without PEM', 'hello\nworld\n', `${prefix}it contains no PEM block`],
    ['no key', leaf + chain, `${prefix}it must contain exactly one private key, found 0`],
    ['two keys', leaf + key + certs.mismatchKey, `${prefix}it must contain exactly one private key, found 2`],
    ['no certificate', key, `${prefix}it contains no "CERTIFICATE" block`],
    [
      'the chain first',
      chain + leaf + key,
      `${prefix}its first certificate "O=haproxy-acme test, CN=Test Intermediate E1" issued "CN=example.com" that follows it; put the leaf first, then the chain`,
    ],
    [
      'the chain before a leaf without a subject',
      certs.noSubjectIntermediate + certs.noSubjectLeaf + certs.noSubjectLeafKey,
      `${prefix}its first certificate "O=haproxy-acme test, CN=Test Intermediate E2" issued "serial 9ABCDEF0123456789ABC (no subject)" that follows it; put the leaf first, then the chain`,
    ],
    [
      'an encrypted PKCS#8 key',
      leaf + certs.encryptedKey,
      `${prefix}its private key is encrypted and HAProxy cannot load it without a passphrase`,
    ],
    [
      'BEGIN inside a block',
      leaf.replace('-----END CERTIFICATE-----', '') + key,
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: no "-----END CERTIFICATE-----" line before line 15',
    ],
    [
      'a command smuggled into a block',
      leaf.replace(/\n(?=-----END)/, '\nshow ssl cert;\n') + key,
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: line 14 is not base64 (encrypted or corrupted block)',
    ],
  ])('sanitiseCertificatePayload() rejects %s', (_label, input, message) => {
    expect(() => sanitiseCertificatePayload(input)).toThrow(
      expect.objectContaining({ name: CertificateError.name, message }),
    );
  });
});

describe('checkPayloadSize()', () => {
  const command = 'set ssl cert /srv/x.pem';
  // "set severity-output number; " (28) + command (23) + " <<\n" (4) + payload + "\n" (1)
  const overhead = 28 + command.length + 4 + 1;

  test.each<[number, number]>([
    [100, 16384],
    [16384 - overhead - 1, 16384],
    [32768 - overhead - 1, 32768],
  ])('checkPayloadSize() accepts a %i-byte payload with bufsize %i', (payloadBytes, bufferSize) => {
    expect(() =>
      checkPayloadSize(command, 'x'.repeat(payloadBytes), { bufferSize, endpoint: 'unix@/s' }),
    ).not.toThrow();
  });

  test.each<[number, number | undefined, number]>([
    [16384 - overhead, undefined, 16384],
    [17108, undefined, 17108 + overhead],
    [9000, 8192, 9000 + overhead],
  ])('checkPayloadSize() rejects a %i-byte payload with bufsize %s', (payloadBytes, bufferSize, total) => {
    const effective = bufferSize ?? 16384;
    expect(() =>
      checkPayloadSize(command, 'x'.repeat(payloadBytes), {
        ...(bufferSize === undefined ? {} : { bufferSize }),
        endpoint: 'unix@/s',
      }),
    ).toThrow(
      expect.objectContaining({
        name: HaproxyError.name,
        code: 'HAPROXY',
        command,
        endpoint: 'unix@/s',
        reply: undefined,
        message: `Cannot send "${command}": the payload is ${total} bytes but HAProxy's buffer (tune.bufsize) is ${effective}; use an ECDSA key or raise tune.bufsize and --haproxy-bufsize`,
      }),
    );
  });

  test('checkPayloadSize() counts bytes, not characters', () => {
    const payload = 'é'.repeat(8200); // 16400 bytes, 8200 characters
    expect(() => checkPayloadSize(command, payload, { endpoint: 'unix@/s' })).toThrow(HaproxyError);
  });
});

describe('escapeArgument() and commandLine()', () => {
  test.each<[string, string]>([
    ['/srv/hap/certs/a.pem', '/srv/hap/certs/a.pem'],
    ['/srv/a;show info.pem', '/srv/a\\;show\\ info.pem'],
    ['/srv/back\\slash.pem', '/srv/back\\\\slash.pem'],
    ['/srv/tab\there.pem', '/srv/tab\\\there.pem'],
    ['*/srv/a.pem', '*/srv/a.pem'],
  ])('escapeArgument(%j) is %j', (argument, escaped) => {
    expect(escapeArgument(argument)).toBe(escaped);
  });

  test.each<[string]>([[''], ['/srv/a\n.pem'], ['/srv/a\r.pem'], ['/srv/a\0.pem']])(
    'escapeArgument(%j) refuses it',
    (argument) => {
      expect(() => escapeArgument(argument)).toThrow(
        expect.objectContaining({
          name: ConfigError.name,
          message: `Cannot send ${JSON.stringify(argument)} to HAProxy as a command argument: it is empty or contains a line break or NUL`,
        }),
      );
    },
  );

  test('commandLine() escapes arguments, not words', () => {
    expect(commandLine('commit ssl cert', '/srv/a b;c.pem')).toBe('commit ssl cert /srv/a\\ b\\;c.pem');
  });
});

describe('crtListLine()', () => {
  test.each<[Parameters<typeof crtListLine>[0], string]>([
    [{ path: '/srv/d.pem' }, '/srv/d.pem\n'],
    [
      { path: '/srv/d.pem', sni: ['d.example.test', '!www.d.example.test'] },
      '/srv/d.pem d.example.test !www.d.example.test\n',
    ],
    [
      { path: '/srv/d.pem', options: 'alpn h2,http/1.1', sni: ['d.example.test'] },
      '/srv/d.pem [alpn h2,http/1.1] d.example.test\n',
    ],
  ])('crtListLine(%j) is %j', (entry, line) => {
    expect(crtListLine(entry)).toBe(line);
  });

  test.each<[Parameters<typeof crtListLine>[0], string]>([
    [
      { path: '' },
      'Cannot add "" to a HAProxy crt-list: a path or SNI filter must be non-empty without whitespace or NUL',
    ],
    [
      { path: '/srv/a b.pem' },
      'Cannot add "/srv/a b.pem" to a HAProxy crt-list: a path or SNI filter must be non-empty without whitespace or NUL',
    ],
    [
      { path: '/srv/d.pem', sni: ['a.test\nshow info'] },
      'Cannot add "a.test\\nshow info" to a HAProxy crt-list: a path or SNI filter must be non-empty without whitespace or NUL',
    ],
    [
      { path: '/srv/d.pem', options: 'alpn h2] x [y' },
      'Cannot add the crt-list options "alpn h2] x [y": they must not contain "[", "]", a line break or NUL',
    ],
    [
      { path: '/srv/d.pem', options: 'alpn h2\n\nshow info' },
      'Cannot add the crt-list options "alpn h2\\n\\nshow info": they must not contain "[", "]", a line break or NUL',
    ],
  ])('crtListLine(%j) refuses it', (entry, message) => {
    expect(() => crtListLine(entry)).toThrow(expect.objectContaining({ name: ConfigError.name, message }));
  });
});
