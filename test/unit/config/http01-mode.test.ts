/**
 * resolveConfig() http01Mode: each source, and the combinations a mode cannot work with (shared
 * tokens need a store every node reads; HAProxy answers HTTP-01 only).
 */
import { ConfigError } from '../../../src/errors';
import type { ConfigSources, Http01Mode } from '../../../src/config';
import { errorOf, resolve } from './_resolve';

const ALLOWED = 'expected local, shared, stateless';
const POSTGRES = 'postgres://acme@db.example:5432/acme';
const SHARED_NEEDS_POSTGRES =
  'Cannot use --http01-mode shared with the file store: shared tokens live in a store every node reads; set --storage postgres://… or use --http01-mode stateless';
const onlyHttp01 = (mode: string): string =>
  `Cannot use --http01-mode ${mode} with --challenge-type tls-alpn-01: that mode answers HTTP-01 only; use --challenge-type http-01`;
const STATELESS_IS_HTTP01 = onlyHttp01('stateless');

describe('resolveConfig() http01Mode', () => {
  test.each<[string, Partial<ConfigSources>, Http01Mode]>([
    ['no source', {}, 'local'],
    ['--http01-mode local', { flags: { http01Mode: 'local' } }, 'local'],
    ['--http01-mode stateless', { flags: { http01Mode: 'stateless' } }, 'stateless'],
    ['--http01-mode STATELESS (any case)', { flags: { http01Mode: 'STATELESS' } }, 'stateless'],
    ['--http01-mode with spaces around', { flags: { http01Mode: ' stateless ' } }, 'stateless'],
    ['--http01-mode shared with --storage postgres', { flags: { http01Mode: 'shared', storage: POSTGRES } }, 'shared'],
    [
      '--http01-mode stateless with --storage postgres',
      { flags: { http01Mode: 'stateless', storage: POSTGRES } },
      'stateless',
    ],
    ['--http01-mode local with --storage postgres', { flags: { http01Mode: 'local', storage: POSTGRES } }, 'local'],
    [
      '--http01-mode stateless with --challenge-type http-01',
      { flags: { http01Mode: 'stateless', challengeType: 'http-01' } },
      'stateless',
    ],
    [
      '--http01-mode local with --challenge-type tls-alpn-01',
      { flags: { http01Mode: 'local', challengeType: 'tls-alpn-01' } },
      'local',
    ],
    ['ACME_HTTP01_MODE=stateless', { env: { ACME_HTTP01_MODE: 'stateless' } }, 'stateless'],
    ['snap option acme-http01-mode=stateless', { snap: { 'acme-http01-mode': 'stateless' } }, 'stateless'],
    ['an empty ACME_HTTP01_MODE', { env: { ACME_HTTP01_MODE: '' } }, 'local'],
    ['flag over env', { flags: { http01Mode: 'local' }, env: { ACME_HTTP01_MODE: 'stateless' } }, 'local'],
    ['env over snap', { env: { ACME_HTTP01_MODE: 'stateless' }, snap: { 'acme-http01-mode': 'local' } }, 'stateless'],
  ])('%s gives the mode it names', (_what, sources, expected) => {
    expect(resolve(sources).http01Mode).toBe(expected);
  });

  test.each<[string, Partial<ConfigSources>, string, string]>([
    ['shared with the default file store', { flags: { http01Mode: 'shared' } }, SHARED_NEEDS_POSTGRES, '--http01-mode'],
    [
      'shared with --storage file',
      { flags: { http01Mode: 'shared', storage: 'file' } },
      SHARED_NEEDS_POSTGRES,
      '--http01-mode',
    ],
    [
      'shared from the environment with the file store',
      { env: { ACME_HTTP01_MODE: 'shared' } },
      SHARED_NEEDS_POSTGRES,
      'ACME_HTTP01_MODE',
    ],
    [
      'stateless with --challenge-type tls-alpn-01',
      { flags: { http01Mode: 'stateless', challengeType: 'tls-alpn-01' } },
      STATELESS_IS_HTTP01,
      '--http01-mode',
    ],
    [
      'stateless with --challenge-type tls-alpn-01 and postgres',
      { flags: { http01Mode: 'stateless', challengeType: 'tls-alpn-01', storage: POSTGRES } },
      STATELESS_IS_HTTP01,
      '--http01-mode',
    ],
    [
      'shared with --challenge-type tls-alpn-01 and postgres',
      { flags: { http01Mode: 'shared', challengeType: 'tls-alpn-01', storage: POSTGRES } },
      onlyHttp01('shared'),
      '--http01-mode',
    ],
    [
      'an unknown mode',
      { flags: { http01Mode: 'bogus' } },
      `Invalid --http01-mode "bogus": ${ALLOWED}`,
      '--http01-mode',
    ],
    ['a blank flag', { flags: { http01Mode: '   ' } }, `Invalid --http01-mode "   ": ${ALLOWED}`, '--http01-mode'],
    [
      'two modes at once',
      { flags: { http01Mode: 'shared,stateless' } },
      `Invalid --http01-mode "shared,stateless": ${ALLOWED}`,
      '--http01-mode',
    ],
    [
      'a newline',
      { flags: { http01Mode: 'local\nstateless' } },
      `Invalid --http01-mode "local\\nstateless": ${ALLOWED}`,
      '--http01-mode',
    ],
    [
      'a NUL byte',
      { flags: { http01Mode: 'local\u0000' } },
      `Invalid --http01-mode "local\\u0000": ${ALLOWED}`,
      '--http01-mode',
    ],
    [
      'full-width letters',
      { flags: { http01Mode: 'ｌｏｃａｌ' } },
      `Invalid --http01-mode "ｌｏｃａｌ": ${ALLOWED}`,
      '--http01-mode',
    ],
    [
      '__proto__',
      { flags: { http01Mode: '__proto__' } },
      `Invalid --http01-mode "__proto__": ${ALLOWED}`,
      '--http01-mode',
    ],
    [
      'an unknown mode in the environment',
      { env: { ACME_HTTP01_MODE: 'x' } },
      `Invalid ACME_HTTP01_MODE "x": ${ALLOWED}`,
      'ACME_HTTP01_MODE',
    ],
    [
      'an unknown mode in the snap option',
      { snap: { 'acme-http01-mode': 'haproxy' } },
      `Invalid snap option acme-http01-mode "haproxy": ${ALLOWED}`,
      'snap option acme-http01-mode',
    ],
  ])('refuses %s', (_what, sources, message, source) => {
    const error = errorOf(sources);
    expect(error).toBeInstanceOf(ConfigError);
    expect([error.message, error.source]).toEqual([message, source]);
  });
});
