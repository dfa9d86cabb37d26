import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../errors';
import type { HomeEntry, HomeScan } from './checkHomeModes';

/** Options of scanHome(). */
export interface ScanHomeOptions {
  /** Entries examined at most. Default: 10000. */
  maxEntries?: number;
  /** Directory levels below home descended at most. Default: 8. */
  maxDepth?: number;
}

const childPath = (parent: string, name: string): string => (parent === '.' ? name : `${parent}/${name}`);

function typeOf(info: Awaited<ReturnType<typeof lstat>>): HomeEntry['type'] {
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isDirectory()) return 'directory';
  return info.isFile() ? 'file' : 'other';
}

/** Duck-typed: a system error from another realm (a test sandbox) is not `instanceof Error`. */
function errorText(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : messageOf(error);
}

/** lstat + readdir of one entry; undefined when it vanished in between (a concurrent atomic rename). */
async function examine(home: string, path: string): Promise<{ entry: HomeEntry; children: string[] } | undefined> {
  const full = path === '.' ? home : join(home, path);
  try {
    const info = await lstat(full);
    const entry: HomeEntry = { path, type: typeOf(info), mode: info.mode & 0o7777, uid: info.uid };
    return { entry, children: entry.type === 'directory' ? (await readdir(full)).sort() : [] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && path !== '.') return undefined;
    throw error;
  }
}

/**
 * Lists home and everything under it with lstat (symlinks are reported, never followed), breadth
 * first, within the entry and depth limits. Never throws: an unreadable home is `error`, an
 * unreadable entry below it stops the scan as `truncated`.
 */
export async function scanHome(home: string, options: ScanHomeOptions = {}): Promise<HomeScan> {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxDepth = options.maxDepth ?? 8;
  const entries: HomeEntry[] = [];
  let truncated = false;
  const queue: Array<{ path: string; depth: number }> = [{ path: '.', depth: 0 }];
  while (queue.length > 0) {
    const { path, depth } = queue.shift()!;
    if (entries.length >= maxEntries) return { home, entries, truncated: true };
    let found: Awaited<ReturnType<typeof examine>>;
    try {
      found = await examine(home, path);
    } catch (error) {
      return path === '.'
        ? { home, entries, truncated: false, error: errorText(error) }
        : { home, entries, truncated: true };
    }
    if (found === undefined) continue;
    entries.push(found.entry);
    if (found.children.length > 0 && depth >= maxDepth) {
      truncated = true;
      continue;
    }
    queue.push(...found.children.map((name) => ({ path: childPath(path, name), depth: depth + 1 })));
  }
  return { home, entries, truncated };
}
