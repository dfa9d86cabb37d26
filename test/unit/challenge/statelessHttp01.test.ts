/**
 * statelessHttp01Lines(): the HAProxy lines that answer HTTP-01 from the account thumbprint. The
 * token pattern in them is checked against the responder's own rule, path by path.
 */
import { isAccountThumbprint, statelessHttp01Lines, THUMBPRINT_PATTERN } from '../../../src/challenge';
import { ChallengeError } from '../../../src/errors';
import { TOKEN } from './_http';

/** RFC 7638 §3.1's example thumbprint. */
const THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const PREFIX = '/.well-known/acme-challenge/';

/** The regex of the `path_reg` in the answering line, as JavaScript reads it (same syntax here). */
function pathRegexOf(line: string): RegExp {
  const match = /\{ path_reg (\S+) \}$/.exec(line);
  if (match === null) throw new Error(`no path_reg in ${line}`);
  return new RegExp(match[1]!);
}

/** What HAProxy's `path,field(4,/)` yields: the 4th `/`-separated field. */
function field4(path: string): string {
  return path.split('/')[3] ?? '';
}

describe('statelessHttp01Lines()', () => {
  test('statelessHttp01Lines() returns the answering line, then the 404 for the rest of the prefix', () => {
    expect(statelessHttp01Lines(THUMBPRINT)).toEqual([
      `http-request return status 200 content-type text/plain lf-string "%[path,field(4,/)].${THUMBPRINT}" hdr cache-control no-store if METH_GET { path_reg ^/[.]well-known/acme-challenge/[A-Za-z0-9_-]{16,128}$ }`,
      'http-request return status 404 content-type text/plain string "not found" hdr cache-control no-store if { path_beg /.well-known/acme-challenge/ }',
    ]);
  });

  const long = 'A'.repeat(200);
  test.each<[string, string, string]>([
    ['an empty string', '', '""'],
    ['42 characters', THUMBPRINT.slice(1), JSON.stringify(THUMBPRINT.slice(1))],
    ['44 characters', `${THUMBPRINT}A`, JSON.stringify(`${THUMBPRINT}A`)],
    ['base64 padding', `${THUMBPRINT.slice(1)}=`, JSON.stringify(`${THUMBPRINT.slice(1)}=`)],
    ['standard base64 (+ and /)', `+/${THUMBPRINT.slice(2)}`, JSON.stringify(`+/${THUMBPRINT.slice(2)}`)],
    ['a closing quote', `${THUMBPRINT.slice(1)}"`, JSON.stringify(`${THUMBPRINT.slice(1)}"`)],
    ['a newline that would add a directive', `${THUMBPRINT.slice(1)}\n`, JSON.stringify(`${THUMBPRINT.slice(1)}\n`)],
    ['a log-format %[ expression', `%[src]${THUMBPRINT.slice(6)}`, JSON.stringify(`%[src]${THUMBPRINT.slice(6)}`)],
    ['an environment variable', `\${HOME}${THUMBPRINT.slice(7)}`, JSON.stringify(`\${HOME}${THUMBPRINT.slice(7)}`)],
    [
      'a space',
      `${THUMBPRINT.slice(1, 21)} ${THUMBPRINT.slice(22)}`,
      JSON.stringify(`${THUMBPRINT.slice(1, 21)} ${THUMBPRINT.slice(22)}`),
    ],
    ['a non-ASCII letter', `é${THUMBPRINT.slice(1)}`, JSON.stringify(`é${THUMBPRINT.slice(1)}`)],
    ['a very long value (cut in the message)', long, `"${'A'.repeat(64)}…"`],
  ])('statelessHttp01Lines() refuses %s', (_what, thumbprint, shown) => {
    expect(() => statelessHttp01Lines(thumbprint)).toThrow(
      new ChallengeError(
        'CHALLENGE_INVALID',
        `Cannot write the stateless HTTP-01 lines for thumbprint ${shown}: it is not 43 base64url characters (an RFC 7638 SHA-256 thumbprint, as "acme account show" prints it)`,
      ),
    );
  });

  const [answer] = statelessHttp01Lines(THUMBPRINT);
  const pathRegex = pathRegexOf(answer!);
  test.each<[string, string, string | undefined]>([
    ['a real token', `${PREFIX}${TOKEN}`, TOKEN],
    ['the shortest token (16)', `${PREFIX}${'a'.repeat(16)}`, 'a'.repeat(16)],
    ['the longest token (128)', `${PREFIX}${'a'.repeat(128)}`, 'a'.repeat(128)],
    ['a token of 15', `${PREFIX}${'a'.repeat(15)}`, undefined],
    ['a token of 129', `${PREFIX}${'a'.repeat(129)}`, undefined],
    ['..', `${PREFIX}..`, undefined],
    ['../ before a token', `${PREFIX}../${TOKEN}`, undefined],
    ['%2e%2e', `${PREFIX}%2e%2e`, undefined],
    ['a percent-encoded letter', `${PREFIX}${TOKEN}%41`, undefined],
    ['a trailing slash', `${PREFIX}${TOKEN}/`, undefined],
    ['a second segment', `${PREFIX}${TOKEN}/${TOKEN}`, undefined],
    ['a matrix parameter', `${PREFIX}${TOKEN};x`, undefined],
    ['a double slash in front', `/${PREFIX}${TOKEN}`, undefined],
    ['any character for the dot', `/Xwell-known/acme-challenge/${TOKEN}`, undefined],
    ['an upper-case prefix', `/.WELL-KNOWN/acme-challenge/${TOKEN}`, undefined],
    ['a newline after the token', `${PREFIX}${TOKEN}\n`, undefined],
    ['the bare prefix', PREFIX, undefined],
  ])('the answering line matches %s only when it is a valid token, and answers with it', (_what, path, token) => {
    const matched = pathRegex.test(path);
    expect({ matched, body: matched ? `${field4(path)}.${THUMBPRINT}` : undefined }).toEqual({
      matched: token !== undefined,
      body: token === undefined ? undefined : `${token}.${THUMBPRINT}`,
    });
  });
});

describe('isAccountThumbprint()', () => {
  test.each<[string, boolean]>([
    [THUMBPRINT, true],
    ['_'.repeat(43), true],
    ['-'.repeat(43), true],
    ['a'.repeat(42), false],
    ['a'.repeat(44), false],
    [`${'a'.repeat(42)}=`, false],
    [`${'a'.repeat(42)}\n`, false],
    [`${'a'.repeat(43)}\n`, false],
    ['', false],
  ])('isAccountThumbprint(%j) is %s', (value, expected) => {
    expect([isAccountThumbprint(value), THUMBPRINT_PATTERN.test(value)]).toEqual([expected, expected]);
  });
});
