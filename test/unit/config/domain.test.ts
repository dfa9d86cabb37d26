import { ConfigError } from '../../../src/errors';
import { normaliseDomain } from '../../../src/config';

const label63 = 'a'.repeat(63);
const name253 = `${label63}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
const name254 = `${label63}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;

const EMPTY_LABEL = 'the name contains an empty label (two dots in a row, or a leading dot)';
const TWO_LABELS = 'expected a fully qualified name with at least two labels, e.g. "example.com"';
const WILDCARD = 'HTTP-01 cannot validate wildcard names; list each host name instead';
const IPV4 = 'expected an IPv4 address: four numbers from 0 to 255 separated by dots, e.g. "192.0.2.1"';
const IPV6 = 'expected an IPv6 address such as "2001:db8::1"';
const BRACKETS = 'expected an IPv6 address in brackets and nothing else, e.g. "[2001:db8::1]"';
const OCTAL = (written: string) =>
  `a number with a leading zero is ambiguous (some software reads it as octal); write "${written}"`;
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
    ['XN--BCHER-KVA.Example', 'xn--bcher-kva.example'],
    ['xn--ls8h.la', 'xn--ls8h.la'],
    ['xn--nxasmq6b.com', 'xn--nxasmq6b.com'],
    ['xn--d1acufc.xn--p1ai', 'xn--d1acufc.xn--p1ai'],
    ['домен.xn--p1ai', 'xn--d1acufc.xn--p1ai'],
    ['bücher\u3002xn--4ca.example', 'xn--bcher-kva.xn--4ca.example'],
    ['a\u3002b.com', 'a.b.com'],
    ['123.example.com', '123.example.com'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    [`${label63}.com`, `${label63}.com`],
    [name253, name253],
    // RFC 8738 IP identifiers; IPv6 in RFC 5952 §4 form.
    ['127.0.0.1', '127.0.0.1'],
    [' 192.0.2.1 ', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['[2001:DB8:0:0:0:0:0:1]', '2001:db8::1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::1.2.3.4', '::102:304'],
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
    ['1.2.3', IPV4],
    ['1.2.3.4.5', IPV4],
    ['1.2.3.4.', IPV4],
    ['256.1.1.1', IPV4],
    ['1..2.3', IPV4],
    ['01.2.3.4', OCTAL('1.2.3.4')],
    ['10.010.0.1', OCTAL('10.10.0.1')],
    ['::ffff:1.2.3.4', 'an IPv4-mapped IPv6 address cannot be certified; use the IPv4 address "1.2.3.4"'],
    ['0:0:0:0:0:FFFF:c000:0201', 'an IPv4-mapped IPv6 address cannot be certified; use the IPv4 address "192.0.2.1"'],
    ['fe80::1%eth0', 'an IPv6 zone ID cannot be certified; remove "%eth0"'],
    ['[fe80::1%25eth0]', 'an IPv6 zone ID cannot be certified; remove "%25eth0"'],
    ['1:2:3:4:5:6:7:8:9', IPV6],
    ['2001:db8:::1', IPV6],
    ['[a.com]', IPV6],
    ['[]', IPV6],
    ['[::1]:443', BRACKETS],
    ['[::1', BRACKETS],
    ['[1.2.3.4]', 'brackets are only for IPv6 addresses; write "1.2.3.4"'],
    ['\uff11.\uff12.\uff13.\uff14', 'write the IP address in ASCII characters: "1.2.3.4"'],
    ['1\u30022\u30023\u30024', 'write the IP address in ASCII characters: "1.2.3.4"'],
    ['*.1.2.3.4', WILDCARD],
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
    // Punycode is decoded by a pure RFC 3492 codec: the same answers on Node 20 and Node 24, whose
    // url.domainToASCII() passes "xn--zz" through unchanged.
    ['xn--zz.com', 'label "xn--zz" is not valid punycode'],
    ['a.b.xn--zz', 'label "xn--zz" is not valid punycode'],
    ['xn--0.com', 'label "xn--0" is not valid punycode'],
    ['xn--99999999999.com', 'label "xn--99999999999" is not valid punycode'],
    ['xn--x80468h.com', 'label "xn--x80468h" is not valid punycode'],
    ['xn--o98bmjir.com', 'label "xn--o98bmjir" is not valid punycode'],
    // Found by test/unit/property/domain.test.ts: a delimiter before an empty basic part, which lenient decoders read as "xn--uba".
    ['xn---uba.example', 'label "xn---uba" is not valid punycode'],
    ['ä.xn--zz.com', 'label "xn--zz" is not valid punycode'],
    ['ä\u3002xn---uba.com', 'label "xn---uba" is not valid punycode'],
    ['xn--a.com', 'label "xn--a" decodes to "\\u0080", which is not a valid internationalised label'],
    ['xn--xn--a.com', 'label "xn--xn--a" decodes to "\\u0080xn-", which is not a valid internationalised label'],
    ['xn--a-ecp.ru', 'label "xn--a-ecp" decodes to "a\u2488", which is not a valid internationalised label'],
    ['xn--ca-4fa.example', 'label "xn--ca-4fa" decodes to "cÄa", which is not a valid internationalised label'],
    ['xn--a-.com', 'label "xn--a-" must not start or end with a hyphen'],
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
