/**
 * The responder's unix socket path is written into HAProxy's configuration (`server acme unix@<path>`),
 * so resolveConfig() accepts only a path that is one HAProxy word, from every source.
 */
import { CWD, errorOf, resolve } from './_resolve';

const RULE = 'use printable ASCII without spaces, "#", quotes, "\\" or "$"';
const ONE_WORD = 'which HAProxy would not read as part of one word';
const detail = (problem: string): string =>
  `the socket path cannot go into HAProxy's configuration: it contains ${problem}, ${ONE_WORD}; ${RULE}`;

describe('resolveConfig() httpAddress', () => {
  test.each<[string, string]>([
    ['unix:/a\nglobal\nstats socket ipv4@127.0.0.1:9999 level admin', detail('a newline')],
    ['unix:/a\rb', detail('a control character (U+000D)')],
    ['unix:/a\tb', detail('a tab')],
    ['unix:/a b.sock', detail('a space')],
    ['unix:/a#b', detail('"#"')],
    ['unix:/a"b', detail('"""')],
    ["unix:/a'b", detail('"\'"')],
    ['unix:/a\\b', detail('"\\"')],
    ['unix:/a$b', detail('"$"')],
    ['unix:/a\u007fb', detail('a control character (U+007F)')],
    ['unix:/a\u2028global', detail('a non-ASCII character (U+2028)')],
    ['unix:/caf\u00e9.sock', detail('a non-ASCII character (U+00E9)')],
    ['unix:/a\0b', 'the socket path contains a NUL character'],
    [`unix:/${'s'.repeat(107)}`, 'the socket path is longer than 107 bytes, the limit for unix sockets'],
  ])('resolveConfig() refuses the responder address %j from every source', (value, problem) => {
    const quoted = JSON.stringify(value).replace(
      /[\u007f\u2028]/g,
      (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
    );
    const messages = [
      errorOf({ flags: { httpAddress: value } }).message,
      errorOf({ env: { ACME_HTTP_ADDRESS: value } }).message,
      errorOf({ snap: { 'acme-http-address': value } }).message,
    ];
    expect(messages).toEqual([
      `Invalid --http-address ${quoted}: ${problem}`,
      `Invalid ACME_HTTP_ADDRESS ${quoted}: ${problem}`,
      `Invalid snap option acme-http-address ${quoted}: ${problem}`,
    ]);
  });

  test.each<[string, string]>([
    ['unix:/run/haproxy-acme/http.sock', '/run/haproxy-acme/http.sock'],
    ['unix:/run/a@b,c~%!&()*+-.=?[]^_{|}.sock', '/run/a@b,c~%!&()*+-.=?[]^_{|}.sock'],
    ['  unix:/run/acme.sock\n', '/run/acme.sock'],
  ])('resolveConfig() accepts the responder address %j', (value, path) => {
    expect(resolve({ flags: { httpAddress: value }, cwd: CWD }).httpAddress).toEqual({ kind: 'unix', path });
  });
});
