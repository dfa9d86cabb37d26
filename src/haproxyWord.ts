/**
 * What one word of a HAProxy configuration or crt-list line may hold. Pure.
 *
 * HAProxy splits a configuration line on spaces and tabs, ends it at `#`, and gives meaning to
 * `"`, `'`, `\` and (inside double quotes) `$`; a crt-list line is split on whitespace with no
 * escape at all, and `[` or `]` anywhere in it delimits SSL options (see crtListWordProblem()).
 * Any of those characters in a path or address we write into either file would change what
 * HAProxy reads: a newline starts a new directive (`stats socket … level admin`), a space starts
 * a new argument. So a value is written only when it is one plain word, and refused
 * otherwise: never quoted or escaped, because the two formats do not agree on escaping.
 */

/** Printable ASCII without space, `#`, quotes, backslash and `$`: one word in both formats. */
const HAPROXY_WORD = /^[!%&(-[\]-~]+$/;

/** The longest value we write as one word; HAProxy's own line limit is 2048 bytes. */
export const MAX_HAPROXY_WORD_CHARS = 1024;

/**
 * Says why `value` cannot be written as one word of haproxy.cfg or a crt-list, or returns
 * undefined when it can. Example: `"/var/snap/x/a b.pem"` → `it contains a space`.
 */
export function haproxyWordProblem(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (value.length > MAX_HAPROXY_WORD_CHARS) return `it is longer than ${MAX_HAPROXY_WORD_CHARS} characters`;
  if (HAPROXY_WORD.test(value)) return undefined;
  const bad = [...value].find((char) => !HAPROXY_WORD.test(char)) as string;
  return `it contains ${describeCharacter(bad)}, which HAProxy would not read as part of one word`;
}

/**
 * Says why `value` cannot be the certificate path of a crt-list line, or returns undefined when it can:
 * haproxyWordProblem(), and also `[` or `]`, which open and close the line's SSL options wherever they
 * stand (HAProxy 2.6 `crtlist_parse_line()`: the line `/srv/x[y]/a.pem` is the file `/srv/x` with the
 * SSL option `y`). Example: `"/srv/a[1]/haproxy/site.pem"` → `it contains "[", …`.
 */
export function crtListWordProblem(value: string): string | undefined {
  const problem = haproxyWordProblem(value);
  if (problem !== undefined) return problem;
  const bracket = /[[\]]/.exec(value)?.[0];
  return bracket === undefined
    ? undefined
    : `it contains "${bracket}", which HAProxy would read as a bracket around SSL options in a crt-list line`;
}

/** True when `value` is one word of haproxy.cfg and of a crt-list (haproxyWordProblem() is undefined). */
export function isHaproxyWord(value: string): boolean {
  return haproxyWordProblem(value) === undefined;
}

function describeCharacter(char: string): string {
  const code = char.codePointAt(0) as number;
  if (char === ' ') return 'a space';
  if (char === '\n') return 'a newline';
  if (char === '\t') return 'a tab';
  if (code < 0x20 || code === 0x7f)
    return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  if (code > 0x7e) return `a non-ASCII character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  return `"${char}"`;
}
