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
  /** What checkHomeModes() judges of the entries, tallied as the scan went (tallyHomeEntries() for a list of them). */
  tally: HomeModeTally;
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

function listed(home: string, entries: ShownEntries): string {
  const shown = entries.first.map((e) => quoted(home, e.path));
  return entries.count > MAX_SHOWN ? `${shown.join(' ')} and ${entries.count - MAX_SHOWN} more` : shown.join(' ');
}

function modeFix(home: string, tally: HomeModeTally): string[] {
  const { openDirectories: dirs, openFiles: files, openHooks: hooks } = tally;
  return [
    ...(dirs.count > 0 ? [`chmod 700 ${listed(home, dirs)}`] : []),
    ...(files.count > 0 ? [`chmod 600 ${listed(home, files)}`] : []),
    ...(hooks.count > 0 ? [`chmod go-w ${listed(home, hooks)}`] : []),
  ];
}

/** Home is fine: say how much was checked, and warn when the scan stopped early. */
function allGood(scan: HomeScan, title: string, owner: number | undefined): DoctorCheck {
  const counted = `${scan.tally.entries} entr${scan.tally.entries === 1 ? 'y' : 'ies'}`;
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

/** Entries of one kind: how many, and the first MAX_SHOWN of them in scan order. */
export interface ShownEntries {
  count: number;
  first: HomeEntry[];
}

function note(shown: ShownEntries, entry: HomeEntry): void {
  shown.count += 1;
  if (shown.first.length < MAX_SHOWN) shown.first.push(entry);
}

const noneShown = (): ShownEntries => ({ count: 0, first: [] });

/**
 * What checkHomeModes() judges, taken in one entry at a time in scan order: a home of 10,000
 * certificates has 100,000 entries, of which the tally keeps only counts and the first few wrong
 * ones. lego's entries are counted but not judged.
 */
export class HomeModeTally {
  /** Entries taken in, lego's included. */
  entries = 0;
  /** The owner of home itself (the entry `.`), who runs acme; undefined until `.` is taken in. */
  owner: number | undefined;
  /** Ours and open to group or others, all kinds together. */
  readonly open = noneShown();
  /** The open directories, files and hooks, one list each for its own fix. */
  readonly openDirectories = noneShown();
  readonly openFiles = noneShown();
  readonly openHooks = noneShown();
  /** Ours and not owned by `owner`. */
  readonly foreign = noneShown();

  /** Takes in the next entry of the scan; entries before `.` are not checked for their owner. */
  add(entry: HomeEntry): void {
    this.entries += 1;
    if (entry.path === '.') this.owner ??= entry.uid;
    if (isLegoEntry(entry)) return;
    if (tooOpen(entry) !== undefined) {
      note(this.open, entry);
      if (isHook(entry.path)) note(this.openHooks, entry);
      else if (entry.type === 'directory') note(this.openDirectories, entry);
      else if (entry.type === 'file') note(this.openFiles, entry);
    }
    if (this.owner !== undefined && entry.uid !== this.owner) note(this.foreign, entry);
  }
}

/** The tally of a list of entries, owner first: its owner is that of `.` wherever it is in the list (pure). */
export function tallyHomeEntries(entries: readonly HomeEntry[]): HomeModeTally {
  const tally = new HomeModeTally();
  tally.owner = entries.find((e) => e.path === '.')?.uid;
  for (const entry of entries) tally.add(entry);
  return tally;
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
  const { owner, open, foreign } = scan.tally;
  if (open.count === 0 && foreign.count === 0) return allGood(scan, title, owner);
  return failed(scan, title);
}

/** Modes or owners are wrong: the fail, with the commands that fix them. */
function failed(scan: HomeScan, title: string): DoctorCheck {
  const { owner, open, foreign } = scan.tally;
  const details = [
    ...(open.count > 0 ? [`open to group or others: ${listed(scan.home, open)}`] : []),
    ...(foreign.count > 0 ? [`not owned by uid ${owner} (home's owner): ${listed(scan.home, foreign)}`] : []),
  ];
  const fixes = [...modeFix(scan.home, scan.tally), ...(foreign.count > 0 ? [`chown -R ${owner} "${scan.home}"`] : [])];
  return problem(ID, title, { status: 'fail', detail: details.join('; '), fix: `Run: ${fixes.join('; ')}` });
}
