import { quote, type Check } from './_domain';

/** Longest reload command accepted, in characters. */
const MAX_COMMAND_CHARS = 4096;
/** Controls, format characters (bidi, zero-width) and non-ASCII spaces: invisible in a terminal, never intended. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;
/** Shell syntax that would silently become a literal argument, since no shell is run. */
const SHELL_SYNTAX = /[|&;<>()$`]/;
/** Inside double quotes a backslash escapes only these, as in POSIX sh; before anything else it stays. */
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '$', '`']);
/** A shell would still expand these inside double quotes. */
const DOUBLE_QUOTE_SYNTAX = new Set(['$', '`']);

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = <T = never>(detail: string): Check<T> => ({ ok: false, detail });
const shellSyntax = <T>(char: string): Check<T> =>
  fail(
    `${quote(char)} is shell syntax, but no shell is run; put it in single quotes, or put the commands in a script and give its path`,
  );

/** One quoted or escaped piece of a word: its text and the index just after it. */
type Piece = Check<{ text: string; next: number }>;

function singleQuoted(input: string, start: number): Piece {
  const end = input.indexOf("'", start + 1);
  if (end === -1) return fail('the command has an unbalanced single quote');
  return ok({ text: input.slice(start + 1, end), next: end + 1 });
}

function doubleQuoted(input: string, start: number): Piece {
  let text = '';
  for (let i = start + 1; i < input.length; i += 1) {
    const char = input[i] as string;
    if (char === '"') return ok({ text, next: i + 1 });
    if (DOUBLE_QUOTE_SYNTAX.has(char)) return shellSyntax(char);
    const escaped = input[i + 1];
    if (char === '\\' && escaped !== undefined && DOUBLE_QUOTE_ESCAPES.has(escaped)) {
      text += escaped;
      i += 1;
    } else {
      text += char;
    }
  }
  return fail('the command has an unbalanced double quote');
}

function piece(input: string, start: number): Piece {
  const char = input[start] as string;
  if (char === "'") return singleQuoted(input, start);
  if (char === '"') return doubleQuoted(input, start);
  if (char === '\\') {
    const escaped = input[start + 1];
    return escaped === undefined ? fail('the command ends with a backslash') : ok({ text: escaped, next: start + 2 });
  }
  if (SHELL_SYNTAX.test(char)) return shellSyntax(char);
  return ok({ text: char, next: start + 1 });
}

/** Splits on unquoted spaces; a word that is only quotes (`''`) is an empty argument, not nothing. */
function words(input: string): Check<string[]> {
  const result: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < input.length) {
    if (input[i] === ' ') {
      if (word !== undefined) result.push(word);
      word = undefined;
      i += 1;
      continue;
    }
    const next = piece(input, i);
    if (!next.ok) return next;
    word = (word ?? '') + next.value.text;
    i = next.value.next;
  }
  if (word !== undefined) result.push(word);
  return ok(result);
}

/**
 * Splits a command line into argv the way a POSIX shell would quote it, without ever running a shell (pure):
 * spaces separate words, single quotes are literal, double quotes allow `\"`, `\\`, `\$` and `` \` ``, and a
 * backslash outside quotes escapes the next character. Sample: `snapctl restart "my snap.haproxy"` →
 * `["snapctl", "restart", "my snap.haproxy"]`. The program must be an absolute path or a bare name.
 */
export function splitCommand(input: string): Check<string[]> {
  if (input.length > MAX_COMMAND_CHARS) {
    return fail(`the command is ${input.length} characters long; the limit is ${MAX_COMMAND_CHARS}`);
  }
  if (INVISIBLE.test(input)) return fail('the command contains a control character or an invisible character');
  const argv = words(input);
  if (!argv.ok) return argv;
  const program = argv.value[0];
  if (program === undefined) return fail('expected a command, e.g. "snapctl restart mysnap.haproxy"');
  if (program === '' || (program.includes('/') && !program.startsWith('/'))) {
    return fail(`the program must be an absolute path or a bare command name found on PATH, not ${quote(program)}`);
  }
  return argv;
}

/**
 * A deploy hook command: like splitCommand, but the program must be an absolute path, because
 * deploy-hooks/ checks the file's owner and mode before running it (a PATH lookup would bypass that).
 * Sample: `/usr/local/bin/notify --channel ops` → `["/usr/local/bin/notify", "--channel", "ops"]`.
 */
export function splitHookCommand(input: string): Check<string[]> {
  const argv = splitCommand(input);
  if (!argv.ok) return argv;
  const program = argv.value[0] as string;
  if (!program.startsWith('/')) {
    return fail(`the program must be an absolute path, so its owner and mode can be checked, not ${quote(program)}`);
  }
  return argv;
}
