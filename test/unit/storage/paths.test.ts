import { ConfigError } from '../../../src/errors';
import {
  accountDir,
  certificateDir,
  certificatePaths,
  haproxyBundlePath,
  tempName,
  versionLinkTarget,
} from '../../../src/storage/file/paths';
import { sanitiseName, versionName } from '../../../src/storage/_names';

const HOME = '/var/lib/haproxy-acme';
const CHARSET =
  'use only letters a-z, digits, ".", "_", "-" and "*" (write internationalised names in punycode, "xn--…")';

describe('sanitiseName()', () => {
  test.each<[string, string]>([
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['*.example.com', '_wildcard.example.com'],
    ['my_cert-1', 'my_cert-1'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['a'.repeat(64), 'a'.repeat(64)],
    ['a.', 'a.'],
  ])('sanitiseName(%j) returns %j', (input, expected) => {
    expect(sanitiseName(input)).toBe(expected);
  });

  test.each<[string, string]>([
    ['', 'Cannot use certificate name "": it is empty; pass --name or a --domain'],
    ['../../etc/passwd', `Cannot use certificate name "../../etc/passwd": ${CHARSET}`],
    ['a/b', `Cannot use certificate name "a/b": ${CHARSET}`],
    ['a\\b', `Cannot use certificate name "a\\\\b": ${CHARSET}`],
    ['..', 'Cannot use certificate name "..": it must not start with "."'],
    ['.hidden', 'Cannot use certificate name ".hidden": it must not start with "."'],
    ['a..b', 'Cannot use certificate name "a..b": it must not contain ".."'],
    ['bücher.example', `Cannot use certificate name "bücher.example": ${CHARSET}`],
    ['a b', `Cannot use certificate name "a b": ${CHARSET}`],
    ['line\nbreak', `Cannot use certificate name "line\\nbreak": ${CHARSET}`],
    ['nul\u0000byte', `Cannot use certificate name "nul\\u0000byte": ${CHARSET}`],
    [
      'a'.repeat(65),
      `Cannot use certificate name "${'a'.repeat(65)}": it is 65 characters long once sanitised, the limit is 64`,
    ],
    [
      `${'*.'.repeat(8)}x`,
      `Cannot use certificate name "${'*.'.repeat(8)}x": it is 81 characters long once sanitised, the limit is 64`,
    ],
    [
      'b'.repeat(200),
      `Cannot use certificate name "${'b'.repeat(80)}…": it is 200 characters long once sanitised, the limit is 64`,
    ],
  ])('sanitiseName(%j) throws', (input, message) => {
    expect(() => sanitiseName(input)).toThrow(
      expect.objectContaining({ name: ConfigError.name, message, source: 'certificate name' }),
    );
  });
});

describe('certificate paths', () => {
  test('certificatePaths() puts every file behind the certificate symlink and the bundle in haproxy/', () => {
    expect(certificatePaths(HOME, '*.Example.com')).toEqual({
      dir: `${HOME}/certificates/_wildcard.example.com`,
      cert: `${HOME}/certificates/_wildcard.example.com/cert.pem`,
      chain: `${HOME}/certificates/_wildcard.example.com/chain.pem`,
      fullchain: `${HOME}/certificates/_wildcard.example.com/fullchain.pem`,
      privkey: `${HOME}/certificates/_wildcard.example.com/privkey.pem`,
      meta: `${HOME}/certificates/_wildcard.example.com/meta.json`,
      bundle: `${HOME}/haproxy/_wildcard.example.com.pem`,
    });
  });

  test.each<[string, () => string, string]>([
    ['certificateDir()', () => certificateDir(HOME, 'example.com'), `${HOME}/certificates/example.com`],
    ['haproxyBundlePath()', () => haproxyBundlePath(HOME, 'Example.com'), `${HOME}/haproxy/example.com.pem`],
    [
      'versionLinkTarget()',
      () => versionLinkTarget('example.com', '20261127T003554Z-87654321FEDCBA98'),
      '.versions/example.com/20261127T003554Z-87654321FEDCBA98',
    ],
    ['tempName()', () => tempName('example.com.pem', 'abc123'), '.example.com.pem.tmp-abc123'],
  ])('%s returns the documented path', (_label, compute, expected) => {
    expect(compute()).toBe(expected);
  });

  test('haproxyBundlePath() refuses a traversal name', () => {
    expect(() => haproxyBundlePath(HOME, '../x')).toThrow(ConfigError);
  });
});

describe('versionName()', () => {
  test.each<[string, string, string]>([
    ['2026-11-27T00:35:54.123Z', '87654321FEDCBA9876543210', '20261127T003554Z-87654321FEDCBA98'],
    ['2026-01-02T03:04:05.000Z', '7f00aa', '20260102T030405Z-7F00AA'],
    ['2026-01-02T03:04:05.000Z', '87:65:43:21', '20260102T030405Z-87654321'],
  ])('versionName(%s, %s) returns %s', (at, serial, expected) => {
    expect(versionName(new Date(at), serial)).toBe(expected);
  });
});

describe('accountDir()', () => {
  test.each<[string, string]>([
    ['https://acme-v02.api.letsencrypt.org/directory', `${HOME}/accounts/acme-v02.api.letsencrypt.org_443/directory`],
    [
      'https://acme-staging-v02.api.letsencrypt.org/directory',
      `${HOME}/accounts/acme-staging-v02.api.letsencrypt.org_443/directory`,
    ],
    ['https://127.0.0.1:14000/dir', `${HOME}/accounts/127.0.0.1_14000/dir`],
    ['https://LOCALHOST:14000/a/b/', `${HOME}/accounts/localhost_14000/a_b`],
    ['http://ca.internal/', `${HOME}/accounts/ca.internal_80/_root`],
    ['https://[::1]:14000/dir', `${HOME}/accounts/___1__14000/dir`],
    ['https://ca.example/%2e%2e/x', `${HOME}/accounts/ca.example_443/x`],
    ['https://ca.example/../../x', `${HOME}/accounts/ca.example_443/x`],
    ['https://ca.example/.hidden', `${HOME}/accounts/ca.example_443/_hidden`],
  ])('accountDir(%j) is under accounts/', (url, expected) => {
    expect(accountDir(HOME, url)).toBe(expected);
  });

  test.each<[string, string]>([
    ['not a url', 'Cannot use ACME directory URL "not a url": it is not a URL'],
    ['', 'Cannot use ACME directory URL "": it is not a URL'],
    [
      'file:///etc/passwd',
      'Cannot use ACME directory URL "file:///etc/passwd": use https:// (or http:// for a local test CA)',
    ],
  ])('accountDir(%j) throws', (url, message) => {
    expect(() => accountDir(HOME, url)).toThrow(
      expect.objectContaining({ name: ConfigError.name, message, source: 'directory URL' }),
    );
  });
});
