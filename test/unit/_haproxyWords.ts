/** Shared tables of the tests of everything that writes a value into HAProxy's configuration. */

export const ONE_WORD = 'which HAProxy would not read as part of one word';
/**
 * Hostile tails for a value written into HAProxy's configuration: [name, tail appended to a good
 * value, the tail as messages show it (escaped), the problem haproxyWordProblem() names].
 */
export const HOSTILE_WORD_TAILS: readonly [string, string, string, string][] = [
  [
    'a newline and a directive',
    '\nstats socket ipv4@127.0.0.1:9999 level admin',
    '\\nstats socket ipv4@127.0.0.1:9999 level admin',
    `it contains a newline, ${ONE_WORD}`,
  ],
  ['a carriage return', '\rglobal', '\\rglobal', `it contains a control character (U+000D), ${ONE_WORD}`],
  ['a tab', '\tssl', '\\tssl', `it contains a tab, ${ONE_WORD}`],
  ['a space and arguments', ' ssl crt /etc/passwd', ' ssl crt /etc/passwd', `it contains a space, ${ONE_WORD}`],
  ['a comment', '#x', '#x', `it contains "#", ${ONE_WORD}`],
  ['a double quote', '"x', '\\"x', `it contains """, ${ONE_WORD}`],
  ['a single quote', "'x", "'x", `it contains "'", ${ONE_WORD}`],
  ['a backslash', '\\n', '\\\\n', `it contains "\\", ${ONE_WORD}`],
  ['a dollar', '${HOME}', '${HOME}', `it contains "$", ${ONE_WORD}`],
  ['a NUL', '\0x', '\\u0000x', `it contains a control character (U+0000), ${ONE_WORD}`],
  ['DEL', '\u007f', '\\u007f', `it contains a control character (U+007F), ${ONE_WORD}`],
  ['a line separator', '\u2028global', '\\u2028global', `it contains a non-ASCII character (U+2028), ${ONE_WORD}`],
  ['a right-to-left override', '\u202e', '\\u202e', `it contains a non-ASCII character (U+202E), ${ONE_WORD}`],
  ['a non-ASCII letter', '\u00e9', '\u00e9', `it contains a non-ASCII character (U+00E9), ${ONE_WORD}`],
];
