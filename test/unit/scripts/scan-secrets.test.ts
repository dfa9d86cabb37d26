import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendTranscript,
  eabKeysIn,
  formatReport,
  scanText,
  scanTranscripts,
  transcriptDirectory,
  transcriptFileOf,
  TRANSCRIPTS_ENV,
  type SecretKind,
} from '../../../scripts/scan-secrets';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ecJwk = ec.privateKey.export({ format: 'jwk' });
const rsaJwk = rsa.privateKey.export({ format: 'jwk' });
const THUMBPRINT = createHash('sha256').update('{"crv":"P-256","kty":"EC","x":"a","y":"b"}').digest('base64url');
const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
const KEY_AUTHORIZATION = `${TOKEN}.${THUMBPRINT}`;
const EAB_KEY = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';

/** The kinds scanText() reports for `text`. */
const kindsIn = (text: string): SecretKind[] =>
  scanText(text, 'f.log', { eabKeys: [EAB_KEY] }).map((finding) => finding.kind);

describe('scanText()', () => {
  test.each<[string, string, SecretKind[]]>([
    ['a PKCS#8 EC key', ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, ['pem-private-key']],
    ['a SEC1 EC key', ec.privateKey.export({ format: 'pem', type: 'sec1' }) as string, ['pem-private-key']],
    ['a PKCS#1 RSA key', rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string, ['pem-private-key']],
    [
      'an encrypted key',
      rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }) as string,
      ['pem-private-key'],
    ],
    [
      'a key inside a JSON log line',
      JSON.stringify({ message: 'x', detail: ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) }),
      ['pem-private-key'],
    ],
    ['an EC JWK', JSON.stringify(ecJwk), ['jwk-private-member']],
    ['an RSA JWK (d, p, q, dp, dq, qi)', JSON.stringify(rsaJwk), Array<SecretKind>(6).fill('jwk-private-member')],
    ['a JWK written as a JSON string', JSON.stringify({ key: JSON.stringify(ecJwk) }), ['jwk-private-member']],
    ['a key authorization', `{"keyAuthorization":"${KEY_AUTHORIZATION}"}`, ['key-authorization']],
    ['a key authorization at the end of a sentence', `served ${KEY_AUTHORIZATION}.`, ['key-authorization']],
    ['an EAB key used in the tests', `flag value ${EAB_KEY} seen`, ['eab-hmac-key']],
    ['an EAB key in the environment', 'ACME_EAB_HMAC_KEY=c2VjcmV0LWtleS1mb3ItdGVzdHM', ['eab-hmac-key']],
    ['an EAB key in JSON', '{"kid":"k","hmacKey":"c2VjcmV0LWtleS1mb3ItdGVzdHM"}', ['eab-hmac-key']],
  ])('scanText() finds %s', (_label, text, expected) => {
    expect(kindsIn(`line one\n${text}\n`)).toEqual(expected);
  });

  test.each<[string, string]>([
    ['plain log lines', '{"level":"info","message":"Certificate renewed","certificate":"a.example.test"}'],
    ['a certificate (public)', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'],
    ['a public key', ec.publicKey.export({ format: 'pem', type: 'spki' }) as string],
    ['a public JWK', JSON.stringify(ec.publicKey.export({ format: 'jwk' }))],
    ['redacted output', `[redacted EC PRIVATE KEY] {"d":"[redacted]"} ${TOKEN}.[redacted]`],
    ['a challenge token alone', `/.well-known/acme-challenge/${TOKEN}`],
    ['a long dotted host name', `${'a'.repeat(30)}.${'b'.repeat(43)}.example.test`],
    ['a JWS compact serialisation', `${'h'.repeat(30)}.${'p'.repeat(43)}.${'s'.repeat(86)}`],
    [
      'a SHA-1 fingerprint and a serial',
      'SHA1 FingerPrint: 9996E402451126E574AB34FBC89EADA0698AF3C2 Serial: 7FB69016A6965EB00430',
    ],
  ])('scanText() passes %s', (_label, text) => {
    expect(kindsIn(text)).toEqual([]);
  });

  test('scanText() reports the line and column, never the secret', () => {
    const findings = scanText(`a\nbb\n  ${KEY_AUTHORIZATION}\n`, 'x.log');
    expect(findings).toEqual([{ file: 'x.log', line: 3, column: 3, kind: 'key-authorization' }]);
    expect(formatReport('/d', { files: 1, lines: 3, findings }, 0)).toBe(
      'Secrets scan: 1 transcript files, 3 lines in "/d" (0 EAB test keys known): 1 secrets found (values not shown)\n  x.log:3:3 key-authorization\n',
    );
  });
});

describe('eabKeysIn()', () => {
  test.each<[string, string[], string[]]>([
    ['a constant in a file that mentions HMAC', [`const HMAC_KEY = '${EAB_KEY}';`], [EAB_KEY]],
    ['nothing from a file without "hmac"', [`const OTHER = '${EAB_KEY}';`], []],
    ['no short literal', ["hmacKey: 'aGVsbG8'"], []],
    ['each key once', [`// hmac\nconst A = '${EAB_KEY}';`, `hmac: "${EAB_KEY}"`], [EAB_KEY]],
  ])('eabKeysIn() takes %s', (_label, sources, expected) => {
    expect(eabKeysIn(sources)).toEqual(expected);
  });
});

describe('appendTranscript() and scanTranscripts()', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-scan-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('transcriptDirectory() reads ACME_TEST_TRANSCRIPTS, else a directory under the temp dir', () => {
    expect(transcriptDirectory({ [TRANSCRIPTS_ENV]: dir })).toBe(dir);
    expect(transcriptDirectory({})).toMatch(new RegExp(`^${tmpdir()}/haproxy-acme-transcripts-`));
  });

  test('appendTranscript() appends entries under a header, one file per test file', async () => {
    const env = { [TRANSCRIPTS_ENV]: dir };
    const testPath = join(__dirname, 'x.test.ts');
    appendTranscript({ testPath, testName: 'first', stream: 'stdout', text: 'one' }, env);
    appendTranscript({ testPath, testName: 'second', stream: 'stderr', text: 'two\n' }, env);
    appendTranscript({ testPath, testName: 'empty', stream: 'stderr', text: '' }, env);
    const file = transcriptFileOf(testPath, dir);
    expect(file).toBe(join(dir, 'test__unit__scripts__x.test.ts.log'));
    expect(await readFile(file, 'utf8')).toBe('### first [stdout]\none\n### second [stderr]\ntwo\n');
  });

  test('scanTranscripts() counts files and lines and finds a planted secret of each kind', async () => {
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'clean.log'), 'a\nb\n');
    const planted = [
      ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      JSON.stringify(ecJwk),
      `hmac ${EAB_KEY}`,
      KEY_AUTHORIZATION,
    ].join('\n');
    await writeFile(join(dir, 'sub', 'leak.log'), planted);
    const result = scanTranscripts(dir, { eabKeys: [EAB_KEY] });
    expect({ files: result.files, kinds: result.findings.map((f) => `${f.file}:${f.line} ${f.kind}`) }).toEqual({
      files: 2,
      kinds: [
        'sub/leak.log:1 pem-private-key',
        'sub/leak.log:7 jwk-private-member',
        'sub/leak.log:8 eab-hmac-key',
        'sub/leak.log:9 key-authorization',
      ],
    });
    expect(result.lines).toBe(2 + planted.split('\n').length);
    expect(formatReport(dir, result, 1)).not.toContain(EAB_KEY);
  });
});
