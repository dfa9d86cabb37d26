import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';

/** Linux's own limit on symbolic links followed while resolving one path (ELOOP beyond it). */
const MAX_SYMLINK_HOPS = 40;

/** Why a path is not trusted: the offending path and the fix for it. */
export interface UntrustedStep {
  /** The component that another user could change. */
  path: string;
  kind: 'directory' | 'link' | 'file';
  /** What is wrong with it, e.g. `is owned by uid 1000, which is neither root nor the current user (uid 0)`. */
  problem: string;
  /** A shell command that fixes it, e.g. `chown root /srv/hooks`. */
  fix: string;
}

/** A path whose every step only root or `uid` can change, resolved to the file it names. */
export interface TrustedPath {
  /** The path with every symbolic link resolved. */
  realPath: string;
  /** lstat() of `realPath`: the identity (dev, ino) that the file opened later must match. */
  stats: Stats;
}

/** Thrown by resolveTrustedPath() for a step another user could change; the caller words the message. */
export class UntrustedPathError extends Error {
  constructor(readonly step: UntrustedStep) {
    super(`"${step.path}" ${step.problem}`);
    this.name = 'UntrustedPathError';
  }
}

/**
 * Resolves `path` one component at a time, from `/`, and proves that no user but root and `uid`
 * can change what it names: every directory walked through and every link followed is owned by
 * root or `uid`, and no directory is group/world-writable. A sticky directory (such as `/tmp`) may
 * be world-writable above the last one, since others cannot rename or remove entries they do not
 * own there; the directory that holds the file itself may not. Each link is followed by hand, so a
 * link's own directory is checked as well as its target's: `realpath()` would hide a link in a
 * writable directory half-way down the path. Races are closed by this proof, not by timing: a
 * path that only root and `uid` can change cannot be swapped between this check and the exec.
 * @throws UntrustedPathError for the first step another user could change
 * @throws the fs error (ENOENT, ELOOP, ENOTDIR…) when the path does not resolve
 */
export async function resolveTrustedPath(path: string, uid: number): Promise<TrustedPath> {
  if (!isAbsolute(path)) throw new Error(`"${path}" is not an absolute path`);
  let current = '/';
  const rootStats = await lstat(current);
  checkOwner(current, rootStats, uid);
  checkDirectoryWrite(current, rootStats, false);
  let pending = components(path);
  for (let hops = 0; pending.length > 0;) {
    const [name, ...rest] = pending as [string, ...string[]];
    pending = rest;
    if (name === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, name);
    const stats = await lstat(next);
    checkOwner(next, stats, uid);
    if (stats.isSymbolicLink()) {
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS)
        throw Object.assign(new Error(`"${path}" has more than ${MAX_SYMLINK_HOPS} levels of symbolic links`), {
          code: 'ELOOP',
        });
      const target = await readlink(next);
      if (isAbsolute(target)) current = '/';
      pending = [...components(target), ...pending];
      continue;
    }
    if (pending.length > 0 && !stats.isDirectory())
      throw Object.assign(new Error(`"${next}" is not a directory`), { code: 'ENOTDIR' });
    if (stats.isDirectory()) checkDirectoryWrite(next, stats, pending.length <= 1);
    current = next;
  }
  return { realPath: current, stats: await lstat(current) };
}

/** `a//b/./c/` → `['a', 'b', 'c']`; `..` is kept and walked up by the caller. */
function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/** Root and `uid` may own any step; nobody else. */
function checkOwner(path: string, stats: Stats, uid: number): void {
  if (stats.uid === 0 || stats.uid === uid) return;
  const owner = uid === 0 ? 'root' : String(uid);
  throw new UntrustedPathError({
    path,
    kind: kindOf(stats),
    problem: `is owned by uid ${stats.uid}, which is neither root nor the current user (uid ${uid})`,
    fix: `chown ${owner} ${shellQuote(path)}`,
  });
}

/**
 * A group/world-writable directory lets others replace what it holds. Sticky (`+t`) ones are
 * tolerated above the file's own directory: there others can only add names, never replace ours.
 */
function checkDirectoryWrite(path: string, stats: Stats, holdsTheFile: boolean): void {
  if ((stats.mode & 0o022) === 0) return;
  if ((stats.mode & 0o1000) !== 0 && !holdsTheFile) return;
  throw new UntrustedPathError({
    path,
    kind: 'directory',
    problem: `is group/world-writable (mode ${formatMode(stats.mode)})`,
    fix: `chmod go-w ${shellQuote(path)}`,
  });
}

function kindOf(stats: Stats): UntrustedStep['kind'] {
  if (stats.isDirectory()) return 'directory';
  return stats.isSymbolicLink() ? 'link' : 'file';
}

/** `0o100755` → `0755` (permission bits and set-id/sticky bits, four octal digits). */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Quotes a path for a fix command only when the shell would split or expand it. */
export function shellQuote(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
