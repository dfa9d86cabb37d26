import { passed, problem, skipped, type DoctorCheck } from './DoctorCheck';

/** One entry under --home, as scanHome() saw it (lstat: symlinks are not followed). */
export interface HomeEntry {
  /** Relative to home, `/`-separated; `.` is home itself. */
  path: string;
  type: 'directory' | 'file' | 'symlink' | 'other';
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  uid: number;
}

/** What scanHome() returns. */
export interface HomeScan {
  home: string;
  entries: HomeEntry[];
  /** True when the scan stopped at its entry or depth limit. */
  truncated: boolean;
  /** Why home could not be read at all. */
  error?: string;
}

const ID = 'home-permissions';
/** Paths listed in a detail or fix at most; the rest are counted. */
const MAX_SHOWN = 5;

/** Deploy hooks are the operator's executables: deploy-hooks/ checks them itself (not group or world writable). */
const isHook = (path: string): boolean => path === 'hooks' || path.startsWith('hooks/');

/**
 * Everything else storage writes holds a key, or sits next to one: bundles, private keys, account
 * keys, archived versions. Storage creates directories 0700 and files 0600.
 */
function tooOpen(entry: HomeEntry): number | undefined {
  if (entry.type === 'symlink' || entry.type === 'other') return undefined;
  if (isHook(entry.path)) return (entry.mode & 0o022) === 0 ? undefined : entry.mode & 0o022;
  return (entry.mode & 0o077) === 0 ? undefined : entry.mode & 0o077;
}

const quoted = (home: string, path: string): string => `"${path === '.' ? home : `${home}/${path}`}"`;

function listed(home: string, entries: readonly HomeEntry[]): string {
  const shown = entries.slice(0, MAX_SHOWN).map((e) => quoted(home, e.path));
  return entries.length > MAX_SHOWN ? `${shown.join(' ')} and ${entries.length - MAX_SHOWN} more` : shown.join(' ');
}

function modeFix(home: string, open: readonly HomeEntry[]): string[] {
  const dirs = open.filter((e) => e.type === 'directory' && !isHook(e.path));
  const files = open.filter((e) => e.type === 'file' && !isHook(e.path));
  const hooks = open.filter((e) => isHook(e.path));
  return [
    ...(dirs.length > 0 ? [`chmod 700 ${listed(home, dirs)}`] : []),
    ...(files.length > 0 ? [`chmod 600 ${listed(home, files)}`] : []),
    ...(hooks.length > 0 ? [`chmod go-w ${listed(home, hooks)}`] : []),
  ];
}

/** Home is fine: say how much was checked, and warn when the scan stopped early. */
function allGood(scan: HomeScan, title: string, owner: number | undefined): DoctorCheck {
  const counted = `${scan.entries.length} entr${scan.entries.length === 1 ? 'y' : 'ies'}`;
  if (!scan.truncated)
    return passed(ID, title, `${counted}: directories 0700, files 0600, one owner (uid ${owner ?? '?'})`);
  return problem(ID, title, {
    status: 'warn',
    detail: `${counted} checked, then the scan stopped at its limit or an unreadable entry; the rest was not checked`,
    fix: 'Move unrelated files out of the acme home directory and check that acme can read all of it',
  });
}

/** lego's account folders: `accounts/<server>/<email>` and below (ours never hold an `@`). */
const LEGO_ACCOUNT = /^accounts\/[^/]+\/[^/]*@[^/]*(\/|$)/;

/**
 * Whether an entry is lego's, when lego shares the home: its account folders, the regular files of
 * `certificates/` (ours are symlinks), and symlinks in `haproxy/` (ours are `<name>.pem` files; a
 * wrapper links `haproxy/cert.crt` to lego's files). They are not ours to chmod or chown.
 */
function isLegoEntry(entry: HomeEntry): boolean {
  if (LEGO_ACCOUNT.test(entry.path)) return true;
  const [top, name, deeper] = entry.path.split('/');
  if (deeper !== undefined || name === undefined || name.startsWith('.')) return false;
  return (top === 'certificates' && entry.type === 'file') || (top === 'haproxy' && entry.type === 'symlink');
}

/**
 * Evaluates the modes and owners under --home (pure): directories 0700 and files 0600 (hooks:
 * not group or world writable), and every entry owned by home's owner, who runs acme. lego's
 * entries (when lego shares the home) are not judged (checkLegoAdoption() says what lego's
 * certificates are waiting for).
 */
export function checkHomeModes(scan: HomeScan): DoctorCheck {
  const title = `files under ${scan.home}`;
  if (scan.error !== undefined) return skipped(ID, title, `cannot read the home directory: ${scan.error}`);
  const owner = scan.entries.find((e) => e.path === '.')?.uid;
  const ours = scan.entries.filter((e) => !isLegoEntry(e));
  const open = ours.filter((e) => tooOpen(e) !== undefined);
  const foreign = owner === undefined ? [] : ours.filter((e) => e.uid !== owner);
  if (open.length === 0 && foreign.length === 0) return allGood(scan, title, owner);
  return failed(scan, { title, owner, open, foreign });
}

/** Modes or owners are wrong: the fail, with the commands that fix them. */
function failed(
  scan: HomeScan,
  found: { title: string; owner: number | undefined; open: HomeEntry[]; foreign: HomeEntry[] },
): DoctorCheck {
  const { title, owner, open, foreign } = found;
  const details = [
    ...(open.length > 0 ? [`open to group or others: ${listed(scan.home, open)}`] : []),
    ...(foreign.length > 0 ? [`not owned by uid ${owner} (home's owner): ${listed(scan.home, foreign)}`] : []),
  ];
  const fixes = [...modeFix(scan.home, open), ...(foreign.length > 0 ? [`chown -R ${owner} "${scan.home}"`] : [])];
  return problem(ID, title, { status: 'fail', detail: details.join('; '), fix: `Run: ${fixes.join('; ')}` });
}
