import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../errors';
import { IO_CONCURRENCY, mapLimited } from '../storage';
import type { HomeEntry, HomeScan } from './checkHomeModes';

/** Options of scanHome(). */
export interface ScanHomeOptions {
  /** Entries examined at most: about 10 per certificate, so 10,000 certificates fit. Default: 200000. */
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

type Examined = { found: Awaited<ReturnType<typeof examine>> } | { error: unknown };

interface Queued {
  path: string;
  depth: number;
}

/** What a scan has found so far, and what is left to examine. */
interface ScanState {
  home: string;
  maxDepth: number;
  entries: HomeEntry[];
  queue: Queued[];
  truncated: boolean;
}

/** Takes in one batch's results in queue order; returns the scan to stop with at an unreadable entry, else undefined. */
function takeIn(state: ScanState, batch: readonly Queued[], examined: readonly Examined[]): HomeScan | undefined {
  const { home, entries } = state;
  for (const [index, { path, depth }] of batch.entries()) {
    const result = examined[index]!;
    if ('error' in result) {
      return path === '.'
        ? { home, entries, truncated: false, error: errorText(result.error) }
        : { home, entries, truncated: true };
    }
    const { found } = result;
    if (found === undefined) continue;
    entries.push(found.entry);
    if (found.children.length > 0 && depth >= state.maxDepth) {
      state.truncated = true;
      continue;
    }
    // One push per child: spreading a directory of 100,000 names into push() would overflow the stack.
    for (const name of found.children) state.queue.push({ path: childPath(path, name), depth: depth + 1 });
  }
  return undefined;
}

/**
 * Lists home and everything under it with lstat (symlinks are reported, never followed), breadth
 * first, within the entry and depth limits, IO_CONCURRENCY entries at a time (each holds at most
 * one directory open). Never throws: an unreadable home is `error`, an unreadable entry below it
 * stops the scan as `truncated`.
 */
export async function scanHome(home: string, options: ScanHomeOptions = {}): Promise<HomeScan> {
  const maxEntries = options.maxEntries ?? 200_000;
  const state: ScanState = {
    home,
    maxDepth: options.maxDepth ?? 8,
    entries: [],
    queue: [{ path: '.', depth: 0 }],
    truncated: false,
  };
  while (state.queue.length > 0) {
    if (state.entries.length >= maxEntries) return { home, entries: state.entries, truncated: true };
    // Taken off the front, so the queue holds only what is left (a home of 10,000 certificates has ~100,000 entries).
    const batch = state.queue.splice(0, Math.min(IO_CONCURRENCY, maxEntries - state.entries.length));
    const examined = await mapLimited(batch, (item): Promise<Examined> =>
      examine(home, item.path).then(
        (found) => ({ found }),
        (error: unknown) => ({ error }),
      ),
    );
    const stopped = takeIn(state, batch, examined);
    if (stopped !== undefined) return stopped;
  }
  return { home, entries: state.entries, truncated: state.truncated };
}
