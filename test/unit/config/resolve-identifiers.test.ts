import { errorOf, resolve } from './_resolve';
import { type ConfigSources } from '../../../src/config';
import { checkIpAddress, defaultNameOf, looksLikeIpAddress } from '../../../src/config/_ip';
import { checkEabHmacKey, checkEabKid } from '../../../src/config/_eab';

/** pebble's sample key (test/config/pebble-config-external-account-bindings.json): 48 bytes. */
const HMAC_KEY = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';
const BASE64URL = 'the value must be base64url: only A-Z, a-z, 0-9, "-" and "_"';
const TOO_SHORT = 'the value is too short or cut off; an HMAC key has at least 16 bytes (22 base64url characters)';
const PAIR = 'Cannot use external account binding: --eab-kid and --eab-hmac-key must be set together, but only';

describe('looksLikeIpAddress()', () => {
  test.each<[string, boolean]>([
    ['1.2.3.4', true],
    ['1.2.3', true],
    ['::1', true],
    ['fe80::1%eth0', true],
    ['[a.com]', true],
    ['2001:DB8::1', true],
    ['123.example.com', false],
    ['example.com:80', false],
    ['cafe.be', false],
    ['a:b', false],
    ['0x7f.1', false],
  ])('looksLikeIpAddress(%j) is %j', (input, expected) => {
    expect(looksLikeIpAddress(input)).toBe(expected);
  });
});

describe('checkIpAddress()', () => {
  test.each<[string, string]>([
    ['10.0.0.1', '10.0.0.1'],
    ['[::]', '::'],
    ['FE80::A:B', 'fe80::a:b'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ])('checkIpAddress(%j) gives %j', (input, expected) => {
    expect(checkIpAddress(input)).toEqual({ ok: true, value: expected });
  });
});

describe('defaultNameOf()', () => {
  test.each<[string, string]>([
    ['example.com', 'example.com'],
    ['127.0.0.1', '127.0.0.1'],
    ['::1', 'ip6---1'],
    ['::', 'ip6---'],
    ['2001:db8::1', 'ip6-2001-db8--1'],
    ['2001:db8::1:0:0:1', 'ip6-2001-db8--1-0-0-1'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ip6-ffff-ffff-ffff-ffff-ffff-ffff-ffff-ffff'],
  ])('defaultNameOf(%j) is %j', (input, expected) => {
    expect(defaultNameOf(input)).toBe(expected);
  });

  test('defaultNameOf() maps addresses that differ to names that differ', () => {
    const addresses = ['1::', '::1', '1::1', '1:0:0:1::', '::1:0:0:1', '1:1::', '::1:1'];
    expect(new Set(addresses.map(defaultNameOf)).size).toBe(addresses.length);
  });
});

describe('resolveConfig() with IP identifiers', () => {
  test.each<[string[], string[], string]>([
    [['127.0.0.1'], ['127.0.0.1'], '127.0.0.1'],
    [['::1'], ['::1'], 'ip6---1'],
    [['[2001:DB8::1],2001:db8:0:0:0:0:0:1'], ['2001:db8::1'], 'ip6-2001-db8--1'],
    [['192.0.2.1,www.example.com,::1'], ['192.0.2.1', 'www.example.com', '::1'], '192.0.2.1'],
    [['www.example.com', '192.0.2.1'], ['www.example.com', '192.0.2.1'], 'www.example.com'],
  ])('resolveConfig() takes --domain %j as %j named %j', (domain, domains, name) => {
    expect(resolve({ flags: { domain } })).toMatchObject({ domains, name });
  });

  test('resolveConfig() takes IP addresses from ACME_DOMAIN and the snap option, split on spaces', () => {
    expect(resolve({ env: { ACME_DOMAIN: '127.0.0.1 [::1]' } }).domains).toEqual(['127.0.0.1', '::1']);
    expect(resolve({ snap: { 'acme-domain': ['::1', '127.0.0.1'] } }).domains).toEqual(['::1', '127.0.0.1']);
  });

  test('resolveConfig() keeps an explicit --name for an IPv6 identifier', () => {
    expect(resolve({ flags: { domain: ['::1'], name: 'loopback6' } }).name).toBe('loopback6');
  });

  test.each<[Partial<ConfigSources>, string]>([
    [
      { flags: { domain: ['01.2.3.4'] } },
      'Invalid --domain "01.2.3.4": a number with a leading zero is ambiguous (some software reads it as octal); write "1.2.3.4"',
    ],
    [
      { env: { ACME_DOMAIN: 'fe80::1%eth0' } },
      'Invalid ACME_DOMAIN "fe80::1%eth0": an IPv6 zone ID cannot be certified; remove "%eth0"',
    ],
    [
      { snap: { 'acme-domain': '::ffff:10.0.0.1' } },
      'Invalid snap option acme-domain "::ffff:10.0.0.1": an IPv4-mapped IPv6 address cannot be certified; use the IPv4 address "10.0.0.1"',
    ],
    [
      { flags: { domain: ['::1', 'a.example.com'], name: '::1' } },
      'Invalid --name "::1": expected 1 to 64 characters from a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
    ],
  ])('resolveConfig() rejects %j', (partial, message) => {
    expect(errorOf(partial).message).toBe(message);
  });
});

describe('checkEabKid()', () => {
  test.each<[string, string]>([
    ['kid-1', 'kid-1'],
    ['  V4rqyQ_3kF  ', 'V4rqyQ_3kF'],
    ['k'.repeat(256), 'k'.repeat(256)],
  ])('checkEabKid(%j) gives %j', (input, expected) => {
    expect(checkEabKid(input)).toEqual({ ok: true, value: expected });
  });

  test.each<[string, string]>([
    ['', 'expected the key ID your CA gave you'],
    ['   ', 'expected the key ID your CA gave you'],
    ['kid 1', 'character " " is not allowed; a key ID is visible ASCII characters without spaces'],
    ['kid\u0000', 'character "\\u0000" is not allowed; a key ID is visible ASCII characters without spaces'],
    ['kid\u202e1', 'character "\\u202e" is not allowed; a key ID is visible ASCII characters without spaces'],
    ['kïd', 'character "ï" is not allowed; a key ID is visible ASCII characters without spaces'],
    ['k'.repeat(257), 'the key ID is 257 characters long; the limit is 256'],
  ])('checkEabKid(%j) fails', (input, detail) => {
    expect(checkEabKid(input)).toEqual({ ok: false, detail });
  });
});

describe('checkEabHmacKey()', () => {
  test.each<[string, string]>([
    [HMAC_KEY, HMAC_KEY],
    [`  ${HMAC_KEY}\n`, HMAC_KEY],
    ['AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAA'],
    ['AAAAAAAAAAAAAAAAAAAAAA==', 'AAAAAAAAAAAAAAAAAAAAAA'],
    ['-_-_-_-_-_-_-_-_-_-_-_-_', '-_-_-_-_-_-_-_-_-_-_-_-_'],
  ])('checkEabHmacKey() accepts %j', (input, expected) => {
    expect(checkEabHmacKey(input)).toEqual({ ok: true, value: expected });
  });

  test.each<[string, string]>([
    ['', 'expected the HMAC key your CA gave you'],
    ['==', 'expected the HMAC key your CA gave you'],
    [
      'zWNDZM6eQGHWpSRT+al5eIUYFTu7/ajV',
      'the value is standard base64; write it as base64url, with "-" for "+" and "_" for "/"',
    ],
    ['zWNDZM6eQGHWpSRT al5eIUYFTu7EajV', BASE64URL],
    ['zWNDZM6eQGHWpSRT\u0000al5eIUYFTu7EajV', BASE64URL],
    ['zWNDZM6eQGHWpSRTPal5eIUYFTu7Eaj\u00e9', BASE64URL],
    ['AAAAAAAAAAAAAAAAAAAAA', TOO_SHORT],
    ['AAAAAAAAAAAAAAAAAAAAAAAAA', TOO_SHORT],
  ])('checkEabHmacKey(%j) fails without echoing the value', (input, detail) => {
    expect(checkEabHmacKey(input)).toEqual({ ok: false, detail });
  });
});

describe('resolveConfig() with external account binding', () => {
  test.each<[Partial<ConfigSources>]>([
    [{ flags: { eabKid: 'kid-1', eabHmacKey: HMAC_KEY } }],
    [{ env: { ACME_EAB_KID: 'kid-1', ACME_EAB_HMAC_KEY: HMAC_KEY } }],
    [{ snap: { 'acme-eab-kid': 'kid-1', 'acme-eab-hmac-key': HMAC_KEY } }],
    [{ flags: { eabKid: 'kid-1' }, snap: { 'acme-eab-hmac-key': HMAC_KEY } }],
  ])('resolveConfig() reads both halves from %j', (partial) => {
    const config = resolve(partial);
    expect(config.eab).toEqual({ kid: 'kid-1', hmacKey: HMAC_KEY });
    expect(Object.isFrozen(config.eab)).toBe(true);
  });

  test('resolveConfig() leaves eab undefined when neither half is set', () => {
    expect(resolve({ env: { ACME_EAB_KID: ' ', ACME_EAB_HMAC_KEY: '' } }).eab).toBeUndefined();
  });

  test.each<[Partial<ConfigSources>, string, string]>([
    [{ flags: { eabKid: 'kid-1' } }, `${PAIR} the key ID is set (by --eab-kid)`, '--eab-kid'],
    [
      { env: { ACME_EAB_HMAC_KEY: HMAC_KEY } },
      `${PAIR} the HMAC key is set (by ACME_EAB_HMAC_KEY)`,
      'ACME_EAB_HMAC_KEY',
    ],
    [
      { snap: { 'acme-eab-hmac-key': HMAC_KEY } },
      `${PAIR} the HMAC key is set (by snap option acme-eab-hmac-key)`,
      'snap option acme-eab-hmac-key',
    ],
  ])('resolveConfig() refuses one half of EAB: %j', (partial, message, source) => {
    const error = errorOf(partial);
    expect([error.message, error.source]).toEqual([message, source]);
  });

  test.each<[Partial<ConfigSources>, string]>([
    [
      { flags: { eabKid: 'k', eabHmacKey: `${HMAC_KEY.slice(0, 20)}+/` } },
      `Invalid --eab-hmac-key: the value is standard base64; write it as base64url, with "-" for "+" and "_" for "/"`,
    ],
    [
      { env: { ACME_EAB_KID: 'k', ACME_EAB_HMAC_KEY: `${HMAC_KEY.slice(0, 40)}!` } },
      `Invalid ACME_EAB_HMAC_KEY: ${BASE64URL}`,
    ],
    [
      { snap: { 'acme-eab-kid': 'k', 'acme-eab-hmac-key': HMAC_KEY.slice(0, 21) } },
      `Invalid snap option acme-eab-hmac-key: ${TOO_SHORT}`,
    ],
    [
      { snap: { 'acme-eab-kid': 'k', 'acme-eab-hmac-key': { key: HMAC_KEY } } },
      'Invalid snap option acme-eab-hmac-key: expected text, a number or true/false',
    ],
  ])('resolveConfig() refuses a bad HMAC key without showing it: %#', (partial, message) => {
    const error = errorOf(partial);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(HMAC_KEY.slice(0, 20));
  });

  test('resolveConfig() never shows the HMAC key among several errors', () => {
    const error = errorOf({ flags: { eabHmacKey: `${HMAC_KEY}!`, httpPort: '0' } });
    expect(error.message).toBe(
      [
        'Cannot load configuration: 3 settings are invalid',
        'Invalid --http-port "0": expected a whole number from 1 to 65535',
        `Invalid --eab-hmac-key: ${BASE64URL}`,
        `${PAIR} the HMAC key is set (by --eab-hmac-key)`,
      ].join('\n'),
    );
    expect(JSON.stringify(error)).not.toContain(HMAC_KEY);
  });

  test('resolveConfig() reports a bad key ID with its value, since a key ID is not secret', () => {
    expect(errorOf({ flags: { eabKid: 'a b', eabHmacKey: HMAC_KEY } }).message).toBe(
      'Invalid --eab-kid "a b": character " " is not allowed; a key ID is visible ASCII characters without spaces',
    );
  });
});
