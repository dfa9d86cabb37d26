/**
 * Paths HAProxy reads as one word (pure): the bundles under the home are named, one a line, in the
 * crt-list, and the crt-list itself in haproxy.cfg and in runtime commands. Neither format has an
 * escape both agree on, so a path that is not one plain word (src/haproxyWord.ts) is refused when the
 * configuration is loaded, before anything is written: a home with a space would otherwise give a
 * crt-list HAProxy cannot load at its next start, and one with a newline an extra crt-list line.
 */
import { join, resolve } from 'node:path';
import { crtListWordProblem, haproxyWordProblem, MAX_HAPROXY_WORD_CHARS } from '../haproxyWord';
import { quote } from './_domain';

/** The longest certificate name checkName() accepts: `_wildcard.` plus 64 characters. */
const LONGEST_NAME = `_wildcard.${'x'.repeat(64)}`;

const HOME_CHARACTERS = 'choose a home of printable ASCII without spaces, "#", quotes, "\\", "$", "[" or "]"';
const CRT_LIST_CHARACTERS = 'move the crt-list to a path of printable ASCII without spaces, "#", quotes, "\\" or "$"';

/**
 * Why the bundle paths under `home` (`<home>/haproxy/<name>.pem`, resolved against `cwd`) cannot be
 * crt-list lines, with what to do, or undefined. Sample: `"/srv/a b"` → `a bundle path under it
 * ("/srv/a b/haproxy/<name>.pem") cannot go into HAProxy's crt-list: it contains a space, …`.
 */
export function homeProblem(cwd: string, home: string): string | undefined {
  const absolute = resolve(cwd, home);
  const longest = join(absolute, 'haproxy', `${LONGEST_NAME}.pem`);
  const problem = crtListWordProblem(longest);
  if (problem === undefined) return undefined;
  const fix = longest.length > MAX_HAPROXY_WORD_CHARS ? 'choose a shorter home' : HOME_CHARACTERS;
  const shown = quote(join(absolute, 'haproxy', '<name>.pem'));
  return `a bundle path under it (${shown}) cannot go into HAProxy's crt-list: ${problem}; ${fix}`;
}

/**
 * Why the crt-list path (resolved against `cwd`) cannot be one word of haproxy.cfg, with what to do,
 * or undefined. Sample: `"/etc/haproxy/my list.txt"` → `the crt-list path cannot go into …: it contains a space, …`.
 */
export function crtListPathProblem(cwd: string, path: string): string | undefined {
  const absolute = resolve(cwd, path);
  const problem = haproxyWordProblem(absolute);
  if (problem === undefined) return undefined;
  const shown = absolute === path ? '' : ` ${quote(absolute)}`;
  return `the crt-list path${shown} cannot go into HAProxy's configuration: ${problem}; ${CRT_LIST_CHARACTERS}`;
}
