import { HOSTNAME, resolve } from './_resolve';
import {
  LETSENCRYPT_DIRECTORY_URL,
  LETSENCRYPT_STAGING_DIRECTORY_URL,
  type Config,
  type ConfigSources,
  type RawFlags,
} from '../../../src/config';

describe('resolveConfig() defaults', () => {
  test('resolveConfig() returns the documented defaults when nothing is set', () => {
    expect(resolve()).toEqual({
      home: '/var/lib/haproxy-acme',
      storage: { kind: 'file' },
      http01Mode: 'local',
      syncIntervalMs: 600000,
      leaseMs: 30000,
      nodeId: HOSTNAME,
      directoryUrl: LETSENCRYPT_DIRECTORY_URL,
      caBundlePath: undefined,
      email: undefined,
      domains: [],
      name: undefined,
      keyType: 'ec256',
      challengeType: 'http-01',
      httpAddress: { kind: 'tcp', host: '127.0.0.1', port: 34000 },
      preflightUrl: undefined,
      requestTimeoutMs: 30000,
      timeoutMs: 1800000,
      output: { json: false, verbosity: 'normal' },
      haproxy: {
        sockets: [],
        crtList: undefined,
        masterSocket: undefined,
        reloadCommand: undefined,
        allowRemote: false,
        bufferSize: 16384,
      },
      lockTimeoutMs: 60000,
      profile: undefined,
      deployHooks: [],
      hookTimeoutMs: 120000,
      eab: undefined,
      metricsFile: undefined,
      localPorts: [3001, 3002, 3003, 5432, 6379, 8108, 34000],
    });
  });

  test('resolveConfig() defaults home to $SNAP_COMMON/acme inside a snap', () => {
    expect(resolve({ env: { SNAP_COMMON: '/var/snap/haproxy/common' } }).home).toBe('/var/snap/haproxy/common/acme');
  });

  test('resolveConfig() returns a deeply frozen Config', () => {
    const config = resolve({ flags: { domain: ['a.example.com'] } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.domains)).toBe(true);
    expect(Object.isFrozen(config.httpAddress)).toBe(true);
    expect(Object.isFrozen(config.output)).toBe(true);
  });
});

describe('resolveConfig() priority: flag > env > snap > default', () => {
  type Row = [keyof Config, RawFlags, Record<string, string>, Record<string, unknown>, unknown];
  test.each<Row>([
    [
      'email',
      { email: 'f@example.com' },
      { ACME_EMAIL: 'e@example.com' },
      { 'acme-email': 's@example.com' },
      'f@example.com',
    ],
    ['email', {}, { ACME_EMAIL: 'e@example.com' }, { 'acme-email': 's@example.com' }, 'e@example.com'],
    ['email', {}, {}, { 'acme-email': 's@example.com' }, 's@example.com'],
    ['email', {}, { ACME_EMAIL: '' }, { 'acme-email': 's@example.com' }, 's@example.com'],
    ['keyType', { keyType: 'rsa4096' }, { ACME_KEY_TYPE: 'ec384' }, { 'acme-key-type': 'rsa2048' }, 'rsa4096'],
    ['keyType', {}, { ACME_KEY_TYPE: 'EC384' }, { 'acme-key-type': 'rsa2048' }, 'ec384'],
    ['keyType', {}, {}, { 'acme-key-type': 'rsa2048' }, 'rsa2048'],
    ['keyType', {}, {}, {}, 'ec256'],
    [
      'domains',
      { domain: ['f.example.com'] },
      { ACME_DOMAIN: 'e.example.com' },
      { 'acme-domain': 's.example.com' },
      ['f.example.com'],
    ],
    ['domains', {}, { ACME_DOMAIN: 'e.example.com' }, { 'acme-domain': 's.example.com' }, ['e.example.com']],
    ['domains', {}, { ACME_DOMAIN: '  ' }, { 'acme-domain': 's.example.com' }, ['s.example.com']],
    ['home', { home: '/f' }, { ACME_HOME: '/e' }, { 'acme-home': '/s' }, '/f'],
    ['home', {}, { ACME_HOME: '/e' }, { 'acme-home': '/s' }, '/e'],
    ['home', {}, {}, { 'acme-home': '/s' }, '/s'],
    ['home', { home: 'relative/dir' }, {}, {}, '/srv/app/relative/dir'],
    ['caBundlePath', { caBundle: 'roots.pem' }, { ACME_CA_BUNDLE: '/e.pem' }, {}, '/srv/app/roots.pem'],
    ['caBundlePath', {}, {}, { 'acme-ca-bundle': '/s.pem' }, '/s.pem'],
    ['requestTimeoutMs', { requestTimeout: '5000' }, { ACME_REQUEST_TIMEOUT_MS: '6000' }, {}, 5000],
    ['requestTimeoutMs', {}, { ACME_REQUEST_TIMEOUT_MS: '6000' }, {}, 6000],
    ['preflightUrl', { preflight: 'off' }, { ACME_PREFLIGHT: 'http://127.0.0.1:8080' }, {}, undefined],
    [
      'preflightUrl',
      {},
      { ACME_PREFLIGHT: 'http://127.0.0.1:8080' },
      { 'acme-preflight': 'off' },
      'http://127.0.0.1:8080/',
    ],
    ['preflightUrl', {}, {}, { 'acme-preflight': 'https://[::1]:8443/' }, 'https://[::1]:8443/'],
    ['name', { name: 'Flag-Name' }, {}, { 'acme-name': 'snap-name' }, 'flag-name'],
    ['name', {}, {}, { 'acme-name': 'snap-name' }, 'snap-name'],
    ['name', { name: '*.example.com' }, {}, {}, '_wildcard.example.com'],
    ['name', { domain: ['WWW.Example.com', 'example.com'] }, {}, {}, 'www.example.com'],
  ])('resolveConfig() picks %s from flags %j, env %j, snap %j', (field, flags, env, snap, expected) => {
    expect(resolve({ flags, env, snap })[field]).toEqual(expected);
  });

  test.each<[RawFlags, Record<string, string>, Record<string, unknown>, string]>([
    [
      { directory: 'letsencrypt-staging' },
      { ACME_DIRECTORY: 'https://e.test/dir' },
      {},
      LETSENCRYPT_STAGING_DIRECTORY_URL,
    ],
    [{}, { ACME_DIRECTORY: 'https://e.test/dir' }, { 'acme-directory': 'https://s.test/dir' }, 'https://e.test/dir'],
    [{}, {}, { 'acme-directory': 'LetsEncrypt' }, LETSENCRYPT_DIRECTORY_URL],
    [{}, {}, { 'acme-staging': true }, LETSENCRYPT_STAGING_DIRECTORY_URL],
    [{}, {}, { 'acme-staging': 'yes' }, LETSENCRYPT_STAGING_DIRECTORY_URL],
    [{}, { ACME_STAGING: 'false' }, { 'acme-staging': true }, LETSENCRYPT_DIRECTORY_URL],
    [{}, { ACME_STAGING: 'TRUE' }, {}, LETSENCRYPT_STAGING_DIRECTORY_URL],
    [{}, { ACME_STAGING: '1' }, { 'acme-directory': 'https://s.test/dir' }, 'https://s.test/dir'],
    [{ directory: 'http://127.0.0.1:14000/dir' }, {}, {}, 'http://127.0.0.1:14000/dir'],
    [{ directory: 'http://localhost:14000/dir' }, {}, {}, 'http://localhost:14000/dir'],
    [{ directory: 'http://[::1]:14000/dir' }, {}, {}, 'http://[::1]:14000/dir'],
  ])('resolveConfig() resolves the directory from flags %j, env %j, snap %j', (flags, env, snap, expected) => {
    expect(resolve({ flags, env, snap }).directoryUrl).toBe(expected);
  });

  test.each<[RawFlags, Record<string, string>, Record<string, unknown>, Config['httpAddress']]>([
    [
      { httpPort: '8080' },
      { ACME_PORT: '9090' },
      { 'acme-port': 7070 },
      { kind: 'tcp', host: '127.0.0.1', port: 8080 },
    ],
    [{}, { ACME_PORT: '9090' }, { 'acme-port': 7070 }, { kind: 'tcp', host: '127.0.0.1', port: 9090 }],
    [{}, {}, { 'acme-port': 7070 }, { kind: 'tcp', host: '127.0.0.1', port: 7070 }],
    [{ httpAddress: '0.0.0.0:80' }, { ACME_PORT: '9090' }, {}, { kind: 'tcp', host: '0.0.0.0', port: 80 }],
    [{ httpAddress: '0.0.0.0:80', httpPort: '8080' }, {}, {}, { kind: 'tcp', host: '0.0.0.0', port: 8080 }],
    [{ httpPort: '8080' }, { ACME_HTTP_ADDRESS: '0.0.0.0:80' }, {}, { kind: 'tcp', host: '0.0.0.0', port: 8080 }],
    [{}, { ACME_HTTP_ADDRESS: 'LocalHost' }, { 'acme-port': '7070' }, { kind: 'tcp', host: 'localhost', port: 7070 }],
    [{}, { ACME_HTTP_ADDRESS: '[::1]:9000' }, { 'acme-port': 7070 }, { kind: 'tcp', host: '::1', port: 9000 }],
    [{}, {}, { 'acme-http-address': '[::]' }, { kind: 'tcp', host: '::', port: 34000 }],
    [
      { httpAddress: 'unix:/run/acme/http.sock', httpPort: '8080' },
      {},
      {},
      { kind: 'unix', path: '/run/acme/http.sock' },
    ],
  ])('resolveConfig() resolves the HTTP address from flags %j, env %j, snap %j', (flags, env, snap, expected) => {
    expect(resolve({ flags, env, snap }).httpAddress).toEqual(expected);
  });

  test.each<[RawFlags, Config['output']]>([
    [{}, { json: false, verbosity: 'normal' }],
    [{ json: true }, { json: true, verbosity: 'normal' }],
    [{ verbose: true }, { json: false, verbosity: 'verbose' }],
    [
      { quiet: true, json: true },
      { json: true, verbosity: 'quiet' },
    ],
  ])('resolveConfig() maps output flags %j', (flags, expected) => {
    expect(resolve({ flags }).output).toEqual(expected);
  });

  test.each<[Partial<ConfigSources>, string[]]>([
    [{ flags: { domain: ['a.example.com,B.example.com', 'a.example.com'] } }, ['a.example.com', 'b.example.com']],
    [{ flags: { domain: ['a.example.com,,b.example.com,'] } }, ['a.example.com', 'b.example.com']],
    [
      { env: { ACME_DOMAIN: 'a.example.com b.example.com,\tc.example.com' } },
      ['a.example.com', 'b.example.com', 'c.example.com'],
    ],
    [{ snap: { 'acme-domain': ['ä.example', 'xn--4ca.example'] } }, ['xn--4ca.example']],
    [
      { flags: { domain: Array.from({ length: 150 }, (_, i) => `h${i % 100}.example.com`) } },
      Array.from({ length: 100 }, (_, i) => `h${i}.example.com`),
    ],
  ])('resolveConfig() splits, normalises and de-duplicates domains from %j', (sources, expected) => {
    expect(resolve(sources).domains).toEqual(expected);
  });
});
