import { CertificateError } from '../../../src/errors';
import { splitPemBlocks } from '../../../src/pem';
import { certs } from '../../fixtures/certs';

const leaf = certs.ecLeaf;
const key = certs.ecLeafKey;
const leafBody = leaf.split('\n').slice(1, -2);

describe('splitPemBlocks()', () => {
  test.each<[string, string, string[]]>([
    ['a canonical certificate', leaf, [leaf]],
    ['a certificate then a key', leaf + key, [leaf, key]],
    ['CRLF line endings', (leaf + key).replace(/\n/g, '\r\n'), [leaf, key]],
    ['old Mac CR line endings', leaf.replace(/\n/g, '\r'), [leaf]],
    ['blank lines between and around blocks', `\n\n${leaf}\n\n\n${key}\n\n`, [leaf, key]],
    ['blank lines and spaces inside a block', leaf.replace(leafBody[2] ?? '', `\n  ${leafBody[2]}  \n\n`), [leaf]],
    [
      'OpenSSL Bag Attributes and comments',
      `Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=/CN=example.com\n${leaf}# trailing comment\n`,
      [leaf],
    ],
    ['no final newline', leaf.trimEnd(), [leaf]],
    [
      'trailing spaces on BEGIN and END lines',
      leaf.replace('-----\n', '-----   \n').replace(/-----\n$/, '-----\t\n'),
      [leaf],
    ],
    [
      'a body joined on one line',
      `-----BEGIN CERTIFICATE-----\n${leafBody.join('')}\n-----END CERTIFICATE-----`,
      [leaf],
    ],
    ['garbage only', 'hello world\nnot a pem\n', []],
    ['the empty string', '', []],
  ])('splitPemBlocks() reads %s', (_label, input, expected) => {
    expect(splitPemBlocks(input).map((b) => b.pem)).toEqual(expected);
  });

  test('splitPemBlocks() returns the block types in order', () => {
    expect(splitPemBlocks(leaf + certs.rsaLeafPkcs1Key + certs.ecLeafSec1Key + key).map((b) => b.type)).toEqual([
      'CERTIFICATE',
      'RSA PRIVATE KEY',
      'EC PRIVATE KEY',
      'PRIVATE KEY',
    ]);
  });

  test.each<[string, string, string]>([
    [
      'a mismatched END line',
      leaf.replace('-----END CERTIFICATE-----', '-----END PRIVATE KEY-----'),
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: line 14 ends it with "-----END PRIVATE KEY-----"',
    ],
    [
      'a truncated block (no END)',
      leaf.split('\n').slice(0, 5).join('\n'),
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: no "-----END CERTIFICATE-----" line before the end of the text',
    ],
    [
      'a BEGIN inside a block',
      leaf.replace('-----END CERTIFICATE-----\n', '') + key,
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: no "-----END CERTIFICATE-----" line before line 14',
    ],
    [
      'an END without BEGIN',
      `hello\n-----END CERTIFICATE-----\n`,
      'Cannot read PEM: "-----END CERTIFICATE-----" on line 2 has no BEGIN line',
    ],
    [
      'a body line that is not base64',
      leaf.replace(leafBody[3] ?? '', 'this is not base64!'),
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: line 5 is not base64 (encrypted or corrupted block)',
    ],
    [
      'a traditional encrypted key header',
      '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n',
      'Cannot read PEM block "EC PRIVATE KEY" that begins on line 1: line 2 is not base64 (encrypted or corrupted block)',
    ],
    [
      'an empty block',
      '-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n',
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: its base64 body is empty',
    ],
    [
      'a body with a line missing',
      leaf.replace(`${leafBody[3]}\n`, '').replace(leafBody[0] ?? '', `${leafBody[0]}A`),
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: its base64 body is truncated or malformed',
    ],
    [
      'padding in the middle of the body',
      `-----BEGIN CERTIFICATE-----\nAA==\nAAAA\n-----END CERTIFICATE-----\n`,
      'Cannot read PEM block "CERTIFICATE" that begins on line 1: its base64 body is truncated or malformed',
    ],
  ])('splitPemBlocks() rejects %s', (_label, input, message) => {
    expect(() => splitPemBlocks(input)).toThrow(expect.objectContaining({ name: CertificateError.name, message }));
    expect(() => splitPemBlocks(input)).toThrow(CertificateError);
  });

  test('splitPemBlocks() never puts key material in an error message', () => {
    const broken = key.replace('-----END PRIVATE KEY-----', '-----END CERTIFICATE-----');
    const bodyLine = key.split('\n')[1] ?? '';
    expect(() => splitPemBlocks(broken)).toThrow(CertificateError);
    expect(() => splitPemBlocks(broken)).not.toThrow(bodyLine.slice(0, 20));
  });

  test.each<[string, string]>([
    ['1 MB of garbage on one line', 'A'.repeat(1 << 20)],
    ['1 MB of BEGIN prefixes on one line', '-----BEGIN '.repeat(100_000)],
    ['1 MB of blank lines', '\n'.repeat(1 << 20)],
    ['1 MB of dashes', '-'.repeat(1 << 20)],
  ])('splitPemBlocks() reads %s quickly', (_label, input) => {
    const started = process.hrtime.bigint();
    expect(splitPemBlocks(input)).toEqual([]);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });

  test('splitPemBlocks() reads a 1 MB body quickly and rewraps it at 64 columns', () => {
    const body = 'QUJD'.repeat(1 << 18);
    const started = process.hrtime.bigint();
    const [block] = splitPemBlocks(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
    expect(block?.pem.split('\n')[1]).toBe('QUJD'.repeat(16));
    expect(block?.pem.length).toBe(body.length + body.length / 64 + 28 + 26);
  });
});
