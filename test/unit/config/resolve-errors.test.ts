import { errorOf } from './_resolve';
import { type ConfigSources } from '../../../src/config';

const PORT = 'expected a whole number from 1 to 65535';
const TIMEOUT = 'expected a whole number of milliseconds from 1000 to 600000';
const WILDCARD = 'HTTP-01 cannot validate wildcard names; list each host name instead';
const EMAIL = 'expected an email address such as "admin@example.com"';
const BOOLEAN = 'expected true, false, 1, 0, yes or no';
const KEY_TYPE = 'expected one of ec256, ec384, rsa2048, rsa3072, rsa4096';
const DIRECTORY = 'expected an https URL, or the shortcut letsencrypt or letsencrypt-staging';
const PREFLIGHT_PATH = 'expected only a scheme, host and port; the challenge path is added automatically';
const ADDRESS = 'expected HOST, HOST:PORT, [IPv6]:PORT or unix:/absolute/path';

describe('resolveConfig() error messages name the source', () => {
  test.each<[Partial<ConfigSources>, string, string]>([
    [{ flags: { httpPort: '80abc' } }, `Invalid --http-port "80abc": ${PORT}`, '--http-port'],
    [{ env: { ACME_PORT: '0' } }, `Invalid ACME_PORT "0": ${PORT}`, 'ACME_PORT'],
    [{ env: { ACME_PORT: '-1' } }, `Invalid ACME_PORT "-1": ${PORT}`, 'ACME_PORT'],
    [{ env: { ACME_PORT: '1e3' } }, `Invalid ACME_PORT "1e3": ${PORT}`, 'ACME_PORT'],
    [{ flags: { httpPort: '65536' } }, `Invalid --http-port "65536": ${PORT}`, '--http-port'],
    [{ snap: { 'acme-port': 0 } }, `Invalid snap option acme-port "0": ${PORT}`, 'snap option acme-port'],
    [{ snap: { 'acme-port': 80.5 } }, `Invalid snap option acme-port "80.5": ${PORT}`, 'snap option acme-port'],
    [
      { snap: { 'acme-domain': '*.example.com' } },
      `Invalid snap option acme-domain "*.example.com": ${WILDCARD}`,
      'snap option acme-domain',
    ],
    [
      { flags: { domain: ['ok.example.com,*.example.com'] } },
      `Invalid --domain "*.example.com": ${WILDCARD}`,
      '--domain',
    ],
    [
      { env: { ACME_DOMAIN: 'ok.example.com 1.2.3' } },
      'Invalid ACME_DOMAIN "1.2.3": expected an IPv4 address: four numbers from 0 to 255 separated by dots, e.g. "192.0.2.1"',
      'ACME_DOMAIN',
    ],
    [{ flags: { domain: [''] } }, 'Invalid --domain "": expected a domain name', '--domain'],
    [
      { flags: { domain: ['exa mple.com'] } },
      'Invalid --domain "exa mple.com": the name contains whitespace',
      '--domain',
    ],
    [
      { flags: { domain: [`${'a'.repeat(63)}.${'b'.repeat(10)}.com`] } },
      `Invalid --domain "${'a'.repeat(63)}.${'b'.repeat(10)}.com": the name is too long to be the certificate name (at most 64 characters); set --name`,
      '--domain',
    ],
    [
      { flags: { domain: Array.from({ length: 101 }, (_, i) => `h${i}.example.com`) } },
      "Invalid --domain: expected at most 100 distinct names (Let's Encrypt's limit), got 101",
      '--domain',
    ],
    [
      { snap: { 'acme-domain': { a: 1 } } },
      'Invalid snap option acme-domain {"a":1}: expected text, a number or true/false',
      'snap option acme-domain',
    ],
    [{ flags: { email: 'x' } }, `Invalid --email "x": ${EMAIL}`, '--email'],
    [
      { env: { ACME_EMAIL: 'a@b.com\u0000' } },
      'Invalid ACME_EMAIL "a@b.com\\u0000": the address contains a control character',
      'ACME_EMAIL',
    ],
    [
      { snap: { 'acme-email': `${'a'.repeat(250)}@example.com` } },
      `Invalid snap option acme-email "${'a'.repeat(250)}@example.com": the address is longer than 254 characters`,
      'snap option acme-email',
    ],
    [{ flags: { keyType: 'rsa1024' } }, `Invalid --key-type "rsa1024": ${KEY_TYPE}`, '--key-type'],
    [{ env: { ACME_KEY_TYPE: 'ed25519' } }, `Invalid ACME_KEY_TYPE "ed25519": ${KEY_TYPE}`, 'ACME_KEY_TYPE'],
    [
      { flags: { directory: 'ftp://example.com/dir' } },
      `Invalid --directory "ftp://example.com/dir": ${DIRECTORY}`,
      '--directory',
    ],
    [
      { env: { ACME_DIRECTORY: 'http://example.com/dir' } },
      'Invalid ACME_DIRECTORY "http://example.com/dir": plain http is only allowed to 127.0.0.1, localhost or [::1]; use https',
      'ACME_DIRECTORY',
    ],
    [
      { snap: { 'acme-directory': 'https://u:p@example.com/dir' } },
      'Invalid snap option acme-directory "https://u:p@example.com/dir": the URL must not contain a user name or password',
      'snap option acme-directory',
    ],
    [{ env: { ACME_STAGING: 'maybe' } }, `Invalid ACME_STAGING "maybe": ${BOOLEAN}`, 'ACME_STAGING'],
    [{ snap: { 'acme-staging': 2 } }, `Invalid snap option acme-staging "2": ${BOOLEAN}`, 'snap option acme-staging'],
    [{ flags: { home: '' } }, 'Invalid --home "": expected a directory path', '--home'],
    [
      { env: { ACME_CA_BUNDLE: 'a\u0000b' } },
      'Invalid ACME_CA_BUNDLE "a\\u0000b": the CA bundle path contains a NUL character',
      'ACME_CA_BUNDLE',
    ],
    [{ flags: { name: '../etc' } }, 'Invalid --name "../etc": the name must not contain ".."', '--name'],
    [
      { snap: { 'acme-name': 'a/b' } },
      'Invalid snap option acme-name "a/b": expected 1 to 64 characters from a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
      'snap option acme-name',
    ],
    [{ flags: { httpAddress: 'host name:80' } }, `Invalid --http-address "host name:80": ${ADDRESS}`, '--http-address'],
    [
      { env: { ACME_HTTP_ADDRESS: '127.0.0.1:80abc' } },
      'Invalid ACME_HTTP_ADDRESS "127.0.0.1:80abc": expected a port from 1 to 65535 after the colon',
      'ACME_HTTP_ADDRESS',
    ],
    [
      { env: { ACME_HTTP_ADDRESS: '::1' } },
      'Invalid ACME_HTTP_ADDRESS "::1": put an IPv6 address in brackets, e.g. "[::1]:34000"',
      'ACME_HTTP_ADDRESS',
    ],
    [
      { snap: { 'acme-http-address': 'unix:relative.sock' } },
      'Invalid snap option acme-http-address "unix:relative.sock": expected an absolute socket path after "unix:", e.g. "unix:/run/acme.sock"',
      'snap option acme-http-address',
    ],
    [
      { flags: { httpAddress: `unix:/${'s'.repeat(107)}` } },
      `Invalid --http-address "unix:/${'s'.repeat(107)}": the socket path is longer than 107 bytes, the limit for unix sockets`,
      '--http-address',
    ],
    [
      { flags: { httpAddress: ':80' } },
      'Invalid --http-address ":80": expected a host before the port, e.g. "127.0.0.1:34000"',
      '--http-address',
    ],
    [
      { flags: { preflight: 'http://127.0.0.1/x?y' } },
      `Invalid --preflight "http://127.0.0.1/x?y": ${PREFLIGHT_PATH}`,
      '--preflight',
    ],
    [
      { env: { ACME_PREFLIGHT: 'ftp://127.0.0.1' } },
      'Invalid ACME_PREFLIGHT "ftp://127.0.0.1": expected an http(s) URL such as "http://127.0.0.1:80", or off',
      'ACME_PREFLIGHT',
    ],
    [
      { snap: { 'acme-preflight': 'http://127.0.0.1/?' } },
      `Invalid snap option acme-preflight "http://127.0.0.1/?": ${PREFLIGHT_PATH}`,
      'snap option acme-preflight',
    ],
    [{ flags: { requestTimeout: '999' } }, `Invalid --request-timeout "999": ${TIMEOUT}`, '--request-timeout'],
    [
      { env: { ACME_REQUEST_TIMEOUT_MS: '1e4' } },
      `Invalid ACME_REQUEST_TIMEOUT_MS "1e4": ${TIMEOUT}`,
      'ACME_REQUEST_TIMEOUT_MS',
    ],
    [
      { env: { ACME_REQUEST_TIMEOUT_MS: '600001' } },
      `Invalid ACME_REQUEST_TIMEOUT_MS "600001": ${TIMEOUT}`,
      'ACME_REQUEST_TIMEOUT_MS',
    ],
    [{ flags: { verbose: true, quiet: true } }, 'Cannot combine --verbose and --quiet: choose one', '--quiet'],
  ])('resolveConfig() rejects %j', (sources, message, source) => {
    const error = errorOf(sources);
    expect(error.message).toBe(message);
    expect(error.source).toBe(source);
    expect(error.code).toBe('CONFIG_INVALID');
  });

  test('resolveConfig() names the winning source, not a lower one that is also invalid', () => {
    expect(errorOf({ flags: { httpPort: 'x' }, env: { ACME_PORT: 'y' }, snap: { 'acme-port': 'z' } }).message).toBe(
      `Invalid --http-port "x": ${PORT}`,
    );
  });

  test('resolveConfig() reports every invalid setting in one error, one per line, after a summary', () => {
    const error = errorOf({
      flags: { httpPort: '80abc', verbose: true, quiet: true },
      env: { ACME_EMAIL: 'not-an-email', ACME_STAGING: 'maybe' },
      snap: { 'acme-domain': 'ok.example.com,*.example.com' },
    });
    expect(error.message).toBe(
      [
        'Cannot load configuration: 5 settings are invalid',
        `Invalid ACME_STAGING "maybe": ${BOOLEAN}`,
        `Invalid ACME_EMAIL "not-an-email": ${EMAIL}`,
        `Invalid snap option acme-domain "*.example.com": ${WILDCARD}`,
        `Invalid --http-port "80abc": ${PORT}`,
        'Cannot combine --verbose and --quiet: choose one',
      ].join('\n'),
    );
    expect(error.source).toBe('ACME_STAGING, ACME_EMAIL, snap option acme-domain, --http-port, --quiet');
  });

  test('resolveConfig() rejects a relative cwd instead of reading the process directory', () => {
    expect(errorOf({ cwd: 'relative' }).message).toBe('Invalid cwd "relative": expected an absolute working directory');
  });
});
