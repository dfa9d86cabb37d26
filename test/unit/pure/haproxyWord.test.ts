import {
  crtListWordProblem,
  haproxyWordProblem,
  isHaproxyWord,
  MAX_HAPROXY_WORD_CHARS,
} from '../../../src/haproxyWord';

describe('haproxyWordProblem()', () => {
  it.each([
    ['/var/snap/immich-distribution/common/acme/haproxy/photos.example.com.pem'],
    ['unix@/run/acme/responder.sock'],
    ['127.0.0.1:34000'],
    ['[::1]:34000'],
    ['/a/b_c-d.e~f+g=h,i;j:k@l!m%n&o(p)q*r[s]t{u}v|w`x^y<z>?'],
  ])('accepts the plain word %s', (value) => {
    expect(haproxyWordProblem(value)).toBeUndefined();
    expect(isHaproxyWord(value)).toBe(true);
  });

  it.each([
    ['', 'it is empty'],
    ['/a b', 'it contains a space, which HAProxy would not read as part of one word'],
    ['unix:/a\nglobal', 'it contains a newline, which HAProxy would not read as part of one word'],
    ['/a\tb', 'it contains a tab, which HAProxy would not read as part of one word'],
    ['/a\rb', 'it contains a control character (U+000D), which HAProxy would not read as part of one word'],
    ['/a\0b', 'it contains a control character (U+0000), which HAProxy would not read as part of one word'],
    ['/a\x7fb', 'it contains a control character (U+007F), which HAProxy would not read as part of one word'],
    ['/a#b', 'it contains "#", which HAProxy would not read as part of one word'],
    ['/a"b', 'it contains """, which HAProxy would not read as part of one word'],
    ["/a'b", `it contains "'", which HAProxy would not read as part of one word`],
    ['/a\\b', 'it contains "\\", which HAProxy would not read as part of one word'],
    ['/a${HOME}', 'it contains "$", which HAProxy would not read as part of one word'],
    ['/caf\u00e9', 'it contains a non-ASCII character (U+00E9), which HAProxy would not read as part of one word'],
    ['/a\u2028b', 'it contains a non-ASCII character (U+2028), which HAProxy would not read as part of one word'],
    ['/'.repeat(MAX_HAPROXY_WORD_CHARS + 1), `it is longer than ${MAX_HAPROXY_WORD_CHARS} characters`],
  ])('refuses %j: %s', (value, problem) => {
    expect(haproxyWordProblem(value)).toBe(problem);
    expect(isHaproxyWord(value)).toBe(false);
  });
});

describe('crtListWordProblem()', () => {
  it.each([
    ['/var/snap/haproxy/common/acme/haproxy/photos.example.com.pem'],
    ['/a/b_c-d.e~f+g=h,i;j:k@l!m%n&o(p)q*r{u}v|w`x^y<z>?'],
  ])('accepts the crt-list path %s', (value) => {
    expect(crtListWordProblem(value)).toBeUndefined();
  });

  it.each([
    [
      '/srv/a[1]/site.pem',
      'it contains "[", which HAProxy would read as a bracket around SSL options in a crt-list line',
    ],
    [
      '/srv/a]/site.pem',
      'it contains "]", which HAProxy would read as a bracket around SSL options in a crt-list line',
    ],
    ['/srv/a b[1]/site.pem', 'it contains a space, which HAProxy would not read as part of one word'],
    ['/srv/x\n[verify none] x.pem', 'it contains a newline, which HAProxy would not read as part of one word'],
    ['', 'it is empty'],
  ])('refuses %j: %s', (value, problem) => {
    expect(crtListWordProblem(value)).toBe(problem);
  });
});
