import type { Identifier } from '../../../src/acme';
import {
  authorizationMismatch,
  orderMismatch,
  type AuthorizationShape,
  type OrderShape,
} from '../../../src/acme/_orderMatch';

const dns = (value: string): Identifier => ({ type: 'dns', value });
const ip = (value: string): Identifier => ({ type: 'ip', value });
const authz = (n: number): string => `https://ca.test/authz/${n}`;
const urls = (count: number): string[] => Array.from({ length: count }, (_, i) => authz(i));

const A = [dns('a.test')];
const AB = [dns('a.test'), dns('b.test')];

describe('orderMismatch()', () => {
  test.each<[string, Identifier[], OrderShape]>([
    ['the same identifiers and one authorization each', AB, { identifiers: AB, authorizations: urls(2) }],
    ['the identifiers in another order', AB, { identifiers: [dns('b.test'), dns('a.test')], authorizations: urls(2) }],
    ['a DNS name in another case (RFC 4343)', A, { identifiers: [dns('A.Test')], authorizations: urls(1) }],
    [
      'an identifier type in another case',
      A,
      { identifiers: [{ type: 'DNS', value: 'a.test' }], authorizations: urls(1) },
    ],
    [
      'an IPv6 address in another textual form (RFC 5952)',
      [ip('2001:db8::1')],
      { identifiers: [ip('2001:DB8:0:0:0:0:0:1')], authorizations: urls(1) },
    ],
    [
      'a wildcard and its base name',
      [dns('*.a.test'), dns('a.test')],
      { identifiers: [dns('a.test'), dns('*.a.test')], authorizations: urls(2) },
    ],
    [
      'fewer authorizations than identifiers (some already valid elsewhere)',
      AB,
      { identifiers: AB, authorizations: urls(1) },
    ],
    ['no authorizations', A, { identifiers: A, authorizations: [] }],
    ['plain http authorization URLs', A, { identifiers: A, authorizations: ['http://127.0.0.1:14000/authz/1'] }],
  ])('orderMismatch() accepts %s', (_name, requested, order) => {
    expect(orderMismatch(requested, order)).toBeUndefined();
  });

  test.each<[string, Identifier[], OrderShape, string]>([
    [
      '100,000 authorizations for one identifier',
      A,
      { identifiers: A, authorizations: urls(100_000) },
      "the CA's order lists 100000 authorizations for 1 identifier; RFC 8555 §7.4 allows at most one per identifier",
    ],
    [
      'two authorizations for one identifier',
      A,
      { identifiers: A, authorizations: urls(2) },
      "the CA's order lists 2 authorizations for 1 identifier; RFC 8555 §7.4 allows at most one per identifier",
    ],
    [
      'an identifier that was not requested in place of one that was',
      AB,
      { identifiers: [dns('a.test'), dns('evil.test')], authorizations: urls(2) },
      'the CA\'s order is for "evil.test" instead of "b.test"; RFC 8555 §7.4 requires the requested identifiers',
    ],
    [
      'an extra identifier',
      A,
      { identifiers: [dns('a.test'), dns('evil.test')], authorizations: urls(2) },
      'the CA\'s order lists 2 identifiers for the 1 requested ("a.test"); RFC 8555 §7.4 requires the requested ones',
    ],
    [
      'a missing identifier',
      AB,
      { identifiers: A, authorizations: urls(1) },
      'the CA\'s order lists 1 identifier for the 2 requested ("a.test", "b.test"); RFC 8555 §7.4 requires the requested ones',
    ],
    [
      '100,000 identifiers',
      A,
      { identifiers: Array.from({ length: 100_000 }, (_, i) => dns(`n${i}.test`)), authorizations: [] },
      'the CA\'s order lists 100000 identifiers for the 1 requested ("a.test"); RFC 8555 §7.4 requires the requested ones',
    ],
    [
      'one identifier twice in place of another',
      AB,
      { identifiers: [dns('a.test'), dns('a.test')], authorizations: urls(2) },
      'the CA\'s order is for "a.test" instead of "b.test"; RFC 8555 §7.4 requires the requested identifiers',
    ],
    [
      'the same value with another type',
      [ip('127.0.0.1')],
      { identifiers: [dns('127.0.0.1')], authorizations: urls(1) },
      'the CA\'s order is for "127.0.0.1" instead of ip "127.0.0.1"; RFC 8555 §7.4 requires the requested identifiers',
    ],
    [
      'a wildcard for its base name',
      [dns('a.test')],
      { identifiers: [dns('*.a.test')], authorizations: urls(1) },
      'the CA\'s order is for "*.a.test" instead of "a.test"; RFC 8555 §7.4 requires the requested identifiers',
    ],
    [
      'an identifier with control characters and a huge value (sanitised, cut)',
      A,
      { identifiers: [dns(`evil\u001b[2J${'x'.repeat(400)}`)], authorizations: urls(1) },
      `the CA's order is for "evil [2j${'x'.repeat(291)}…" instead of "a.test"; RFC 8555 §7.4 requires the requested identifiers`,
    ],
    [
      'no identifiers list',
      A,
      { authorizations: urls(1) },
      'the CA\'s order has no "identifiers" list (RFC 8555 §7.1.3)',
    ],
    [
      'identifiers that are an object',
      A,
      { identifiers: { 0: dns('a.test') }, authorizations: urls(1) },
      'the CA\'s order has no "identifiers" list (RFC 8555 §7.1.3)',
    ],
    [
      'an identifier without a value',
      A,
      { identifiers: [{ type: 'dns' }], authorizations: urls(1) },
      'the CA\'s order has a malformed identifier at position 1 (RFC 8555 §7.1.3: an object with a "type" and a "value")',
    ],
    [
      'an identifier that is a string',
      AB,
      { identifiers: [dns('a.test'), 'b.test'], authorizations: urls(2) },
      'the CA\'s order has a malformed identifier at position 2 (RFC 8555 §7.1.3: an object with a "type" and a "value")',
    ],
    ['no authorizations list', A, { identifiers: A }, 'the CA\'s order has no "authorizations" list (RFC 8555 §7.1.3)'],
    [
      'authorizations that are a string',
      A,
      { identifiers: A, authorizations: authz(1) },
      'the CA\'s order has no "authorizations" list (RFC 8555 §7.1.3)',
    ],
    [
      'an authorization that is not a URL',
      AB,
      { identifiers: AB, authorizations: [authz(1), 'not a url'] },
      "the CA's order lists an authorization at position 2 that is not an http(s) URL (RFC 8555 §7.1.3)",
    ],
    [
      'an authorization on another scheme',
      A,
      { identifiers: A, authorizations: ['file:///etc/passwd'] },
      "the CA's order lists an authorization at position 1 that is not an http(s) URL (RFC 8555 §7.1.3)",
    ],
    [
      'an authorization that is a number',
      A,
      { identifiers: A, authorizations: [42] },
      "the CA's order lists an authorization at position 1 that is not an http(s) URL (RFC 8555 §7.1.3)",
    ],
    [
      'one authorization twice',
      AB,
      { identifiers: AB, authorizations: [authz(1), authz(1)] },
      `the CA's order lists the authorization "${authz(1)}" twice (RFC 8555 §7.1.3)`,
    ],
  ])('orderMismatch() refuses %s', (_name, requested, order, expected) => {
    expect(orderMismatch(requested, order)).toBe(expected);
  });
});

describe('authorizationMismatch()', () => {
  const of = (
    value: string,
    url = 'https://ca.test/authz/1',
    extra: Partial<AuthorizationShape> = {},
  ): AuthorizationShape => ({
    url,
    identifier: { type: 'dns', value },
    ...extra,
  });

  test.each<[string, Identifier[], AuthorizationShape[]]>([
    ['one authorization per identifier', AB, [of('b.test'), of('a.test')]],
    ['fewer authorizations than identifiers', AB, [of('a.test')]],
    ['a name in another case', A, [of('A.TEST')]],
    [
      'a wildcard authorization for the base name with wildcard: true',
      [dns('*.a.test'), dns('a.test')],
      [of('a.test', 'u1', { wildcard: true }), of('a.test', 'u2')],
    ],
    [
      'an IP in another textual form',
      [ip('2001:db8::1')],
      [{ url: 'u', identifier: { type: 'ip', value: '2001:DB8::0:1' } }],
    ],
    ['none', A, []],
  ])('authorizationMismatch() accepts %s', (_name, identifiers, authorizations) => {
    expect(authorizationMismatch(identifiers, authorizations)).toBeUndefined();
  });

  test.each<[string, Identifier[], AuthorizationShape[], string]>([
    [
      'an authorization for a name the order does not list',
      A,
      [of('evil.test', 'https://ca.test/authz/9')],
      'the CA\'s authorization "https://ca.test/authz/9" is for "evil.test", which the order does not list or another authorization already covers (RFC 8555 §7.1.4)',
    ],
    [
      'two authorizations for one name',
      AB,
      [of('a.test', 'u1'), of('a.test', 'u2')],
      'the CA\'s authorization "u2" is for "a.test", which the order does not list or another authorization already covers (RFC 8555 §7.1.4)',
    ],
    [
      'a wildcard authorization when the order has only the base name',
      A,
      [of('a.test', 'u1', { wildcard: true })],
      'the CA\'s authorization "u1" is for "*.a.test", which the order does not list or another authorization already covers (RFC 8555 §7.1.4)',
    ],
    [
      'an authorization without an identifier',
      A,
      [{ url: 'u1' }],
      'the CA\'s authorization "u1" has no valid "identifier" (RFC 8555 §7.1.4)',
    ],
    [
      'an authorization without a URL or identifier',
      A,
      [{ identifier: 'a.test' }],
      'one of the CA\'s authorizations has no valid "identifier" (RFC 8555 §7.1.4)',
    ],
  ])('authorizationMismatch() refuses %s', (_name, identifiers, authorizations, expected) => {
    expect(authorizationMismatch(identifiers, authorizations)).toBe(expected);
  });
});
