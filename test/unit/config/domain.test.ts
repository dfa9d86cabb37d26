import { ConfigError } from '../../../src/errors';
import { normaliseDomain } from '../../../src/config';

const label63 = 'a'.repeat(63);
const name253 = `${label63}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
const name254 = `${label63}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;

const EMPTY_LABEL = 'the name contains an empty label (two dots in a row, or a leading dot)';
const TWO_LABELS = 'expected a fully qualified name with at least two labels, e.g. "example.com"';
const WILDCARD = 'HTTP-01 cannot validate wildcard names; list each host name instead';
const IP = 'IP address identifiers are not supported yet';
const CONTROL = 'the name contains a control character';
const notAllowed = (c: string) => `character "${c}" is not allowed; use letters, digits, hyphens and dots`;

describe('normaliseDomain()', () => {
  test.each<[string, string]>([
    ['example.com', 'example.com'],
    ['EXAMPLE.COM.', 'example.com'],
    [' Example.Org ', 'example.org'],
    ['ä.example', 'xn--4ca.example'],
    ['faß.de', 'xn--fa-hia.de'],
    ['xn--4ca.example', 'xn--4ca.example'],
    ['a\u3002b.com', 'a.b.com'],
    ['123.example.com', '123.example.com'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    [`${label63}.com`, `${label63}.com`],
    [name253, name253],
  ])('normaliseDomain() accepts %j as %j', (input, expected) => {
    expect(normaliseDomain(input)).toBe(expected);
  });

  test.each<[string, string]>([
    ['', 'expected a domain name'],
    [' ', 'expected a domain name'],
    ['a..b', EMPTY_LABEL],
    ['.example.com', EMPTY_LABEL],
    ['example.com..', EMPTY_LABEL],
    ['\u200b.com', EMPTY_LABEL],
    ['-a.com', 'label "-a" must not start or end with a hyphen'],
    ['a-.com', 'label "a-" must not start or end with a hyphen'],
    [`${'a'.repeat(64)}.com`, `label "${'a'.repeat(64)}" is 64 characters long; the limit is 63`],
    [name254, 'the name is 254 characters long; the limit is 253'],
    ['exa mple.com', 'the name contains whitespace'],
    ['exa\u0000mple.com', CONTROL],
    ['a\tb.com', CONTROL],
    ['a.com\n', CONTROL],
    ['a\u007fb.com', CONTROL],
    ['a\u0085b.com', CONTROL],
    ['*.example.com', WILDCARD],
    ['*', WILDCARD],
    ['foo.*.com', notAllowed('*')],
    ['1.2.3.4', IP],
    ['1.2.3.4.', IP],
    ['::1', IP],
    ['[::1]', IP],
    ['\uff11.\uff12.\uff13.\uff14', IP],
    ['ex_ample.com', notAllowed('_')],
    ['a/b.com', notAllowed('/')],
    ['a@b.com', notAllowed('@')],
    ['example.com:80', notAllowed(':')],
    ['http://example.com', notAllowed(':')],
    ['ex%41mple.com', notAllowed('%')],
    ['localhost', TWO_LABELS],
    ['com', TWO_LABELS],
    ['a.123', 'the last label must not be all digits'],
    ['0x7f.1', 'the last label must not be all digits'],
    ['xn--zz.com', 'the name is not valid punycode'],
    ['\u202e.com', 'the name is not a valid internationalised domain name'],
  ])('normaliseDomain() rejects %j', (input, detail) => {
    const quoted = JSON.stringify(input)
      .replace('\u007f', '\\u007f')
      .replace('\u0085', '\\u0085')
      .replace('\u200b', '\\u200b')
      .replace('\u202e', '\\u202e');
    expect(() => normaliseDomain(input)).toThrow(new ConfigError(`Invalid domain name ${quoted}: ${detail}`));
  });

  test('normaliseDomain() cuts a huge hostile value to 300 characters in its message', () => {
    const huge = 'a'.repeat(100000);
    const cut = `"${'a'.repeat(300)}…"`;
    expect(() => normaliseDomain(huge)).toThrow(
      new ConfigError(`Invalid domain name ${cut}: the name is 100000 characters long; the limit is 253`),
    );
  });

  test('normaliseDomain() throws a ConfigError with code CONFIG_INVALID', () => {
    expect(() => normaliseDomain('*.example.com')).toThrow(ConfigError);
    expect(() => normaliseDomain('*.example.com')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
