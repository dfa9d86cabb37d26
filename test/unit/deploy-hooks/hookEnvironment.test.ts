import {
  DEFAULT_HOOK_PATH,
  HOOK_ENV_PREFIX,
  hookEnvironment,
  type HookBaseEnvironment,
} from '../../../src/deploy-hooks';
import { HookError } from '../../../src/errors';
import { SAMPLE_CERT } from './_hooks';

/** The part of the environment that comes from the parent process. */
function inherited(env: Record<string, string>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of ['PATH', 'LD_LIBRARY_PATH', 'LANG', 'TZ']) if (name in env) picked[name] = env[name]!;
  return picked;
}

test('hookEnvironment() sets exactly the documented variables', () => {
  expect(HOOK_ENV_PREFIX).toBe('ACME_HOOK_');
  expect(hookEnvironment(SAMPLE_CERT, { PATH: '/usr/bin:/bin' })).toEqual({
    ACME_HOOK_NAME: 'example.com',
    ACME_HOOK_DOMAINS: 'example.com www.example.com 127.0.0.1',
    ACME_HOOK_CERT_PATH: '/var/lib/haproxy-acme/certificates/example.com/cert.pem',
    ACME_HOOK_KEY_PATH: '/var/lib/haproxy-acme/certificates/example.com/privkey.pem',
    ACME_HOOK_CHAIN_PATH: '/var/lib/haproxy-acme/certificates/example.com/chain.pem',
    ACME_HOOK_FULLCHAIN_PATH: '/var/lib/haproxy-acme/certificates/example.com/fullchain.pem',
    ACME_HOOK_BUNDLE_PATH: '/var/lib/haproxy-acme/haproxy/example.com.pem',
    ACME_HOOK_SERIAL: '87654321FEDCBA9876543210',
    ACME_HOOK_NOT_AFTER: '2026-03-01T12:00:00.000Z',
    RENEWED_LINEAGE: '/var/lib/haproxy-acme/certificates/example.com',
    RENEWED_DOMAINS: 'example.com www.example.com 127.0.0.1',
    PATH: '/usr/bin:/bin',
  });
});

test('hookEnvironment() inherits nothing else from a process.env-like parent', () => {
  const parent: Record<string, string> = {
    PATH: '/usr/bin',
    HOME: '/root',
    SECRET: 's3cret',
    NODE_OPTIONS: '--require /tmp/evil.js',
    ACME_EAB_HMAC_KEY: 'aGVsbG8',
    SNAP_DATA: '/var/snap/haproxy-acme/12',
    ACME_HOOK_NAME: 'spoofed',
    LC_ALL: 'C',
  };
  const env = hookEnvironment(SAMPLE_CERT, parent);
  expect(Object.keys(env).sort()).toEqual([
    'ACME_HOOK_BUNDLE_PATH',
    'ACME_HOOK_CERT_PATH',
    'ACME_HOOK_CHAIN_PATH',
    'ACME_HOOK_DOMAINS',
    'ACME_HOOK_FULLCHAIN_PATH',
    'ACME_HOOK_KEY_PATH',
    'ACME_HOOK_NAME',
    'ACME_HOOK_NOT_AFTER',
    'ACME_HOOK_SERIAL',
    'PATH',
    'RENEWED_DOMAINS',
    'RENEWED_LINEAGE',
  ]);
  expect(env.ACME_HOOK_NAME).toBe('example.com');
});

const SNAP = '/snap/haproxy-acme/12';

test.each<[string, HookBaseEnvironment, Record<string, string>]>([
  [
    'keeps PATH as is outside a snap',
    { PATH: '/usr/local/bin:/usr/bin:/bin' },
    { PATH: '/usr/local/bin:/usr/bin:/bin' },
  ],
  [
    'strips $SNAP entries from PATH',
    { SNAP, PATH: `${SNAP}/usr/sbin:${SNAP}/usr/bin:/usr/bin:${SNAP}/bin:/bin` },
    { PATH: '/usr/bin:/bin' },
  ],
  ['strips $SNAP itself and a trailing slash', { SNAP: `${SNAP}/`, PATH: `${SNAP}:${SNAP}/:/bin` }, { PATH: '/bin' }],
  [
    'keeps another revision whose path starts alike',
    { SNAP, PATH: `${SNAP}3/bin:/snap/haproxy-acme/1/bin` },
    { PATH: `${SNAP}3/bin:/snap/haproxy-acme/1/bin` },
  ],
  [
    'ignores a SNAP of "/", which would strip everything',
    { SNAP: '/', PATH: '/usr/bin:/bin' },
    { PATH: '/usr/bin:/bin' },
  ],
  ['ignores a relative SNAP', { SNAP: 'snap/x', PATH: '/usr/bin:snap/x/bin' }, { PATH: '/usr/bin' }],
  ['ignores an empty SNAP', { SNAP: '', PATH: '/usr/bin' }, { PATH: '/usr/bin' }],
  [
    'drops empty and relative PATH entries (the current directory)',
    { PATH: ':/usr/bin::.:bin:./x:/bin:' },
    { PATH: '/usr/bin:/bin' },
  ],
  ['falls back to the default PATH when none is set', {}, { PATH: DEFAULT_HOOK_PATH }],
  [
    'falls back to the default PATH when only $SNAP entries were set',
    { SNAP, PATH: `${SNAP}/bin` },
    { PATH: DEFAULT_HOOK_PATH },
  ],
  [
    'strips $SNAP entries from LD_LIBRARY_PATH',
    { SNAP, PATH: '/bin', LD_LIBRARY_PATH: `${SNAP}/lib:/opt/lib:${SNAP}/usr/lib/x86_64-linux-gnu` },
    { PATH: '/bin', LD_LIBRARY_PATH: '/opt/lib' },
  ],
  [
    'leaves LD_LIBRARY_PATH out when only $SNAP entries were set',
    { SNAP, PATH: '/bin', LD_LIBRARY_PATH: `${SNAP}/lib` },
    { PATH: '/bin' },
  ],
  [
    'keeps LD_LIBRARY_PATH outside a snap',
    { PATH: '/bin', LD_LIBRARY_PATH: '/opt/lib' },
    { PATH: '/bin', LD_LIBRARY_PATH: '/opt/lib' },
  ],
  [
    'keeps LANG and TZ',
    { PATH: '/bin', LANG: 'de_DE.UTF-8', TZ: 'Europe/Berlin' },
    { PATH: '/bin', LANG: 'de_DE.UTF-8', TZ: 'Europe/Berlin' },
  ],
  ['leaves out an empty LANG and TZ', { PATH: '/bin', LANG: '', TZ: '' }, { PATH: '/bin' }],
])('hookEnvironment() %s', (_name, base, expected) => {
  expect(inherited(hookEnvironment(SAMPLE_CERT, base))).toEqual(expected);
});

test.each<[string, Partial<typeof SAMPLE_CERT>, Record<string, string>]>([
  ['joins no domains to an empty string', { domains: [] }, { ACME_HOOK_DOMAINS: '', RENEWED_DOMAINS: '' }],
  [
    'writes notAfter in UTC with milliseconds',
    { notAfter: new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 6)) },
    { ACME_HOOK_NOT_AFTER: '2030-01-02T03:04:05.006Z' },
  ],
  [
    'passes an IPv6 name through',
    { domains: ['::1', 'example.com'] },
    { ACME_HOOK_DOMAINS: '::1 example.com', RENEWED_DOMAINS: '::1 example.com' },
  ],
])('hookEnvironment() %s', (_name, change, expected) => {
  expect(hookEnvironment({ ...SAMPLE_CERT, ...change }, {})).toEqual(expect.objectContaining(expected));
});

test('hookEnvironment() refuses an invalid notAfter', () => {
  const build = (): unknown => hookEnvironment({ ...SAMPLE_CERT, notAfter: new Date('not a date') }, {});
  expect(build).toThrow(HookError);
  expect(build).toThrow(
    new Error('Cannot build the deploy hook environment for "example.com": notAfter is not a valid date'),
  );
});
