import { ConfigError } from '../../../src/errors';
import { CONFIG_KEYS, type ChallengeType, type ConfigSources } from '../../../src/config';
import { errorOf, resolve } from './_resolve';

const ALLOWED = 'expected http-01 or tls-alpn-01 (or http or tls)';

describe('resolveConfig() challengeType', () => {
  test.each<[string, Partial<ConfigSources>, ChallengeType]>([
    ['no source', {}, 'http-01'],
    ['--challenge-type http-01', { flags: { challengeType: 'http-01' } }, 'http-01'],
    ['--challenge-type tls-alpn-01', { flags: { challengeType: 'tls-alpn-01' } }, 'tls-alpn-01'],
    ['--challenge-type TLS-ALPN-01 (any case)', { flags: { challengeType: 'TLS-ALPN-01' } }, 'tls-alpn-01'],
    ['--challenge-type with spaces around', { flags: { challengeType: '  tls-alpn-01 ' } }, 'tls-alpn-01'],
    ['ACME_CHALLENGE_TYPE=tls-alpn-01', { env: { ACME_CHALLENGE_TYPE: 'tls-alpn-01' } }, 'tls-alpn-01'],
    ['ACME_CHALLENGE_TYPE=tls', { env: { ACME_CHALLENGE_TYPE: 'tls' } }, 'tls-alpn-01'],
    ['an empty ACME_CHALLENGE_TYPE', { env: { ACME_CHALLENGE_TYPE: '' } }, 'http-01'],
    ['snap option acme-challenge-type=tls', { snap: { 'acme-challenge-type': 'tls' } }, 'tls-alpn-01'],
    ['snap option acme-challenge-type=http', { snap: { 'acme-challenge-type': 'http' } }, 'http-01'],
    ['snap option acme-challenge-type=HTTP', { snap: { 'acme-challenge-type': 'HTTP' } }, 'http-01'],
    ['a null snap option', { snap: { 'acme-challenge-type': null } }, 'http-01'],
    ['a blank snap option', { snap: { 'acme-challenge-type': ' ' } }, 'http-01'],
    ['flag over env', { flags: { challengeType: 'http-01' }, env: { ACME_CHALLENGE_TYPE: 'tls' } }, 'http-01'],
    [
      'env over snap',
      { env: { ACME_CHALLENGE_TYPE: 'tls-alpn-01' }, snap: { 'acme-challenge-type': 'http' } },
      'tls-alpn-01',
    ],
    [
      'blank env falls through to snap',
      { env: { ACME_CHALLENGE_TYPE: ' ' }, snap: { 'acme-challenge-type': 'tls' } },
      'tls-alpn-01',
    ],
  ])('%s gives the type it names', (_what, sources, expected) => {
    expect(resolve(sources).challengeType).toBe(expected);
  });

  test.each<[Partial<ConfigSources>, string, string]>([
    [{ flags: { challengeType: '' } }, `Invalid --challenge-type "": ${ALLOWED}`, '--challenge-type'],
    [{ flags: { challengeType: '   ' } }, `Invalid --challenge-type "   ": ${ALLOWED}`, '--challenge-type'],
    [{ flags: { challengeType: 'dns-01' } }, `Invalid --challenge-type "dns-01": ${ALLOWED}`, '--challenge-type'],
    [
      { flags: { challengeType: 'tls-sni-01' } },
      `Invalid --challenge-type "tls-sni-01": ${ALLOWED}`,
      '--challenge-type',
    ],
    [
      { flags: { challengeType: 'tls-alpn-01,http-01' } },
      `Invalid --challenge-type "tls-alpn-01,http-01": ${ALLOWED}`,
      '--challenge-type',
    ],
    [{ flags: { challengeType: 'tls alpn' } }, `Invalid --challenge-type "tls alpn": ${ALLOWED}`, '--challenge-type'],
    [
      { flags: { challengeType: 'tls\nhttp' } },
      `Invalid --challenge-type "tls\\nhttp": ${ALLOWED}`,
      '--challenge-type',
    ],
    [
      { flags: { challengeType: 'tls\u0000' } },
      `Invalid --challenge-type "tls\\u0000": ${ALLOWED}`,
      '--challenge-type',
    ],
    [
      { flags: { challengeType: 'tls\u202e' } },
      `Invalid --challenge-type "tls\\u202e": ${ALLOWED}`,
      '--challenge-type',
    ],
    [{ flags: { challengeType: 'ｔｌｓ' } }, `Invalid --challenge-type "ｔｌｓ": ${ALLOWED}`, '--challenge-type'],
    [{ flags: { challengeType: '__proto__' } }, `Invalid --challenge-type "__proto__": ${ALLOWED}`, '--challenge-type'],
    [
      { flags: { challengeType: 'constructor' } },
      `Invalid --challenge-type "constructor": ${ALLOWED}`,
      '--challenge-type',
    ],
    [
      { env: { ACME_CHALLENGE_TYPE: 'https' } },
      `Invalid ACME_CHALLENGE_TYPE "https": ${ALLOWED}`,
      'ACME_CHALLENGE_TYPE',
    ],
    [
      { env: { ACME_CHALLENGE_TYPE: 'x'.repeat(40) } },
      `Invalid ACME_CHALLENGE_TYPE "${'x'.repeat(40)}": ${ALLOWED}`,
      'ACME_CHALLENGE_TYPE',
    ],
    [
      { snap: { 'acme-challenge-type': 'tls-alpn' } },
      `Invalid snap option acme-challenge-type "tls-alpn": ${ALLOWED}`,
      'snap option acme-challenge-type',
    ],
    [
      { snap: { 'acme-challenge-type': true } },
      `Invalid snap option acme-challenge-type "true": ${ALLOWED}`,
      'snap option acme-challenge-type',
    ],
    [
      { snap: { 'acme-challenge-type': 1 } },
      `Invalid snap option acme-challenge-type "1": ${ALLOWED}`,
      'snap option acme-challenge-type',
    ],
    [
      { snap: { 'acme-challenge-type': ['tls'] } },
      'Invalid snap option acme-challenge-type: expected text, a number or true/false',
      'snap option acme-challenge-type',
    ],
    [
      { snap: { 'acme-challenge-type': { type: 'tls' } } },
      'Invalid snap option acme-challenge-type {"type":"tls"}: expected text, a number or true/false',
      'snap option acme-challenge-type',
    ],
  ])('refuses %j: %s', (sources, message, source) => {
    const error = errorOf(sources);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
    expect(error.source).toBe(source);
  });

  test('CONFIG_KEYS names the option in every source', () => {
    expect(CONFIG_KEYS.find((key) => key.field === 'challengeType')).toEqual(
      expect.objectContaining({
        flag: '--challenge-type',
        valueName: 'TYPE',
        env: 'ACME_CHALLENGE_TYPE',
        snap: 'acme-challenge-type',
        defaultText: '`http-01`',
        defaultValue: 'http-01',
      }),
    );
  });
});
