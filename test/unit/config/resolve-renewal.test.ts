import { errorOf, resolve } from './_resolve';
import { type Config, type ConfigSources, type RawFlags } from '../../../src/config';
import { checkProfile } from '../../../src/config/_fields';

const PROFILE_CHARS = 'is not allowed; use a-z, 0-9, ".", "_" and "-"';
const HOOK_TIMEOUT = 'expected a whole number of milliseconds from 1000 to 3600000';
const NO_COMMAND = 'expected a command, e.g. "snapctl restart mysnap.haproxy"';
const SHELL = (c: string) =>
  `"${c}" is shell syntax, but no shell is run; put it in single quotes, or put the commands in a script and give its path`;
const PROGRAM = (p: string) => `the program must be an absolute path or a bare command name found on PATH, not "${p}"`;

describe('checkProfile()', () => {
  test.each<[string, string]>([
    ['tlsserver', 'tlsserver'],
    ['ShortLived', 'shortlived'],
    ['  classic  ', 'classic'],
    ['a', 'a'],
    ['v1.2_beta-3', 'v1.2_beta-3'],
    ['x'.repeat(64), 'x'.repeat(64)],
  ])('checkProfile() accepts %j as %j', (input, expected) => {
    expect(checkProfile(input)).toEqual({ ok: true, value: expected });
  });

  test.each<[string, string]>([
    ['', 'expected a profile name such as "tlsserver" or "shortlived"'],
    ['   ', 'expected a profile name such as "tlsserver" or "shortlived"'],
    ['x'.repeat(65), 'the profile name is 65 characters long; the limit is 64'],
    ['tls server', `character " " ${PROFILE_CHARS}`],
    ['../etc', `character "/" ${PROFILE_CHARS}`],
    ['short\nlived', `character "\\n" ${PROFILE_CHARS}`],
    ['tls\u0000', `character "\\u0000" ${PROFILE_CHARS}`],
    ['tls\u200bserver', `character "\\u200b" ${PROFILE_CHARS}`],
    // KELVIN SIGN lower-cases to an ASCII "k": refused, not silently turned into "tlsk".
    ['tls\u212a', `character "\u212a" ${PROFILE_CHARS}`],
    ['prøfile', `character "ø" ${PROFILE_CHARS}`],
  ])('checkProfile() rejects %j', (input, detail) => {
    expect(checkProfile(input)).toEqual({ ok: false, detail });
  });
});

describe('resolveConfig() renewal settings: flag > env > snap > default', () => {
  type Row = [keyof Config, RawFlags, Record<string, string>, Record<string, unknown>, unknown];
  test.each<Row>([
    ['profile', { profile: 'tlsserver' }, { ACME_PROFILE: 'shortlived' }, { 'acme-profile': 'classic' }, 'tlsserver'],
    ['profile', {}, { ACME_PROFILE: 'ShortLived' }, { 'acme-profile': 'classic' }, 'shortlived'],
    ['profile', {}, { ACME_PROFILE: ' ' }, { 'acme-profile': 'classic' }, 'classic'],
    ['profile', {}, {}, {}, undefined],
    ['hookTimeoutMs', { hookTimeout: '1000' }, { ACME_HOOK_TIMEOUT_MS: '5000' }, { 'acme-hook-timeout': 7000 }, 1000],
    ['hookTimeoutMs', {}, { ACME_HOOK_TIMEOUT_MS: '3600000' }, { 'acme-hook-timeout': 7000 }, 3600000],
    ['hookTimeoutMs', {}, {}, { 'acme-hook-timeout': 7000 }, 7000],
    ['hookTimeoutMs', {}, {}, {}, 120000],
    [
      'deployHooks',
      { deployHook: ['/bin/f'] },
      { ACME_DEPLOY_HOOK: '/bin/e' },
      { 'acme-deploy-hook': '/bin/s' },
      [['/bin/f']],
    ],
    ['deployHooks', {}, { ACME_DEPLOY_HOOK: '/bin/e x' }, { 'acme-deploy-hook': ['/bin/s'] }, [['/bin/e', 'x']]],
    ['deployHooks', { deployHook: [] }, { ACME_DEPLOY_HOOK: '/bin/e' }, {}, [['/bin/e']]],
    ['deployHooks', {}, { ACME_DEPLOY_HOOK: '  ' }, { 'acme-deploy-hook': '/bin/s' }, [['/bin/s']]],
    ['deployHooks', {}, {}, {}, []],
  ])('resolveConfig() picks %s from flags %j, env %j, snap %j', (field, flags, env, snap, expected) => {
    expect(resolve({ flags, env, snap })[field]).toEqual(expected);
  });

  test.each<[Partial<ConfigSources>, string[][]]>([
    // A flag is one command: its comma is part of an argument, not a separator.
    [
      { flags: { deployHook: ['/usr/local/bin/notify a,b', '/bin/x'] } },
      [['/usr/local/bin/notify', 'a,b'], ['/bin/x']],
    ],
    [{ flags: { deployHook: ['/usr/local/bin/notify "a, b"'] } }, [['/usr/local/bin/notify', 'a, b']]],
    [{ flags: { deployHook: ['/bin/x', '/bin/x'] } }, [['/bin/x'], ['/bin/x']]],
    [{ env: { ACME_DEPLOY_HOOK: '/usr/bin/snapctl restart a.b,c.d' } }, [['/usr/bin/snapctl', 'restart', 'a.b,c.d']]],
    [{ env: { ACME_DEPLOY_HOOK: '/bin/a /bin/b' } }, [['/bin/a', '/bin/b']]],
    [{ snap: { 'acme-deploy-hook': '/bin/x a,b c' } }, [['/bin/x', 'a,b', 'c']]],
    [
      { snap: { 'acme-deploy-hook': ['/opt/copy "my cert.pem"', '/usr/bin/snapctl restart x.y', "/bin/echo 'a;b'"] } },
      [
        ['/opt/copy', 'my cert.pem'],
        ['/usr/bin/snapctl', 'restart', 'x.y'],
        ['/bin/echo', 'a;b'],
      ],
    ],
  ])('resolveConfig() splits deploy hooks from %j', (sources, expected) => {
    expect(resolve(sources).deployHooks).toEqual(expected);
  });

  test('resolveConfig() deeply freezes the deploy hooks', () => {
    const { deployHooks } = resolve({ flags: { deployHook: ['/bin/a x', '/bin/b'] } });
    expect(Object.isFrozen(deployHooks)).toBe(true);
    expect(deployHooks.every((argv) => Object.isFrozen(argv))).toBe(true);
  });
});

describe('resolveConfig() renewal error messages name the source', () => {
  test.each<[Partial<ConfigSources>, string, string]>([
    [
      { flags: { profile: '' } },
      'Invalid --profile "": expected a profile name such as "tlsserver" or "shortlived"',
      '--profile',
    ],
    [
      { env: { ACME_PROFILE: 'tls server' } },
      `Invalid ACME_PROFILE "tls server": character " " ${PROFILE_CHARS}`,
      'ACME_PROFILE',
    ],
    [
      { snap: { 'acme-profile': 'p'.repeat(65) } },
      `Invalid snap option acme-profile "${'p'.repeat(65)}": the profile name is 65 characters long; the limit is 64`,
      'snap option acme-profile',
    ],
    [
      { snap: { 'acme-profile': ['tlsserver'] } },
      'Invalid snap option acme-profile: expected text, a number or true/false',
      'snap option acme-profile',
    ],
    [{ flags: { hookTimeout: '999' } }, `Invalid --hook-timeout "999": ${HOOK_TIMEOUT}`, '--hook-timeout'],
    [
      { env: { ACME_HOOK_TIMEOUT_MS: '3600001' } },
      `Invalid ACME_HOOK_TIMEOUT_MS "3600001": ${HOOK_TIMEOUT}`,
      'ACME_HOOK_TIMEOUT_MS',
    ],
    [
      { env: { ACME_HOOK_TIMEOUT_MS: '1e4' } },
      `Invalid ACME_HOOK_TIMEOUT_MS "1e4": ${HOOK_TIMEOUT}`,
      'ACME_HOOK_TIMEOUT_MS',
    ],
    [
      { snap: { 'acme-hook-timeout': 1500.5 } },
      `Invalid snap option acme-hook-timeout "1500.5": ${HOOK_TIMEOUT}`,
      'snap option acme-hook-timeout',
    ],
    [{ flags: { deployHook: [''] } }, `Invalid --deploy-hook "": ${NO_COMMAND}`, '--deploy-hook'],
    [
      { flags: { deployHook: ['/bin/ok', './rel.sh'] } },
      `Invalid --deploy-hook "./rel.sh": ${PROGRAM('./rel.sh')}`,
      '--deploy-hook',
    ],
    [
      { flags: { deployHook: ['/bin/x\ty'] } },
      'Invalid --deploy-hook "/bin/x\\ty": the command contains a control character or an invisible character',
      '--deploy-hook',
    ],
    [
      { env: { ACME_DEPLOY_HOOK: 'systemctl reload postfix; echo done' } },
      `Invalid ACME_DEPLOY_HOOK "systemctl reload postfix; echo done": ${SHELL(';')}`,
      'ACME_DEPLOY_HOOK',
    ],
    [
      { snap: { 'acme-deploy-hook': ['/bin/ok', "/bin/x 'y"] } },
      'Invalid snap option acme-deploy-hook "/bin/x \'y": the command has an unbalanced single quote',
      'snap option acme-deploy-hook',
    ],
    [
      { snap: { 'acme-deploy-hook': [] } },
      `Invalid snap option acme-deploy-hook "": ${NO_COMMAND}`,
      'snap option acme-deploy-hook',
    ],
    [
      { snap: { 'acme-deploy-hook': { command: '/bin/x' } } },
      'Invalid snap option acme-deploy-hook {"command":"/bin/x"}: expected text, a number or true/false',
      'snap option acme-deploy-hook',
    ],
  ])('resolveConfig() rejects %j', (sources, message, source) => {
    const error = errorOf(sources);
    expect(error.message).toBe(message);
    expect(error.source).toBe(source);
    expect(error.code).toBe('CONFIG_INVALID');
  });

  test('resolveConfig() names the winning deploy hook source, not a lower one that is also invalid', () => {
    const error = errorOf({
      flags: { deployHook: ['bin/x'] },
      env: { ACME_DEPLOY_HOOK: 'a|b' },
      snap: { 'acme-deploy-hook': '' },
    });
    expect(error.message).toBe(`Invalid --deploy-hook "bin/x": ${PROGRAM('bin/x')}`);
  });
});
