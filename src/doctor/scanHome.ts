import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { messageOf } from '../errors';
// The scan gives timers, sockets and signals a turn as often as mapLimited() does for the file store.
import { IO_CONCURRENCY, YIELD_EVERY_MS } from '../storage';
import { HomeModeTally, type HomeEntry, type HomeScan } from './checkHomeModes';

/** Options of scanHome(). */
export interface ScanHomeOptions {
  /** Entries examined at most: about 10 per certificate, so 10,000 certificates fit. Default: 200000. */
  maxEntries?: number;
  /** Directory levels below home descended at most. Default: 8. */
  maxDepth?: number;
  /** Called with each entry, in scan order, as the tally takes it in. Default: none. */
  onEntry?: (entry: HomeEntry) => void;
}

const childPath = (parent: string, name: string): string => (parent === '.' ? name : `${parent}/${name}`);

function typeOf(info: Stats): HomeEntry['type'] {
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isDirectory()) return 'directory';
  return info.isFile() ? 'file' : 'other';
}

/** Duck-typed: a system error from another realm (a test sandbox) is not `instanceof Error`. */
function errorText(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : messageOf(error);
}

/**
 * lstat + readdir of one entry; undefined when it vanished in between (a concurrent atomic rename).
 * Synchronous, as the file store reads small files: 100,000 asynchronous calls queue on libuv's
 * four threads, and what each holds while it waits (its request, promise, stats) outlives two minor
 * GCs and is promoted to the old generation (21 MB at 10,000 certificates; 13 MB so).
 */
function examine(home: string, path: string): { entry: HomeEntry; children: string[] } | undefined {
  const full = path === '.' ? home : join(home, path);
  try {
    const info = lstatSync(full);
    const entry: HomeEntry = { path, type: typeOf(info), mode: info.mode & 0o7777, uid: info.uid };
    return { entry, children: entry.type === 'directory' ? readdirSync(full).sort() : [] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && path !== '.') return undefined;
    throw error;
  }
}

type Examined = { found: ReturnType<typeof examine> } | { error: unknown };

interface Queued {
  path: string;
  depth: number;
}

/**
 * A directory whose children are still to be examined: their names as readdir gave them, sorted,
 * and how many were taken. The queue holds these rather than one path per child: at 10,000
 * certificates it waits with ~50,000 children, whose full paths cost 17 MB more.
 */
interface PendingDirectory {
  /** Relative to home; undefined for the start of the scan, whose only child is home itself (`.`). */
  path: string | undefined;
  depth: number;
  names: string[];
  taken: number;
}

/** The directories still to finish, first to last from `head` (entries before it are done and cleared). */
interface ScanQueue {
  directories: Array<PendingDirectory | undefined>;
  head: number;
}

/** What a scan has found so far, and what is left to examine. */
interface ScanState {
  home: string;
  maxDepth: number;
  tally: HomeModeTally;
  onEntry: ((entry: HomeEntry) => void) | undefined;
  queue: ScanQueue;
  truncated: boolean;
}

/** The next `size` entries to examine, in breadth-first order; empty when the scan is done. */
function takeBatch(queue: ScanQueue, size: number): Queued[] {
  const batch: Queued[] = [];
  while (batch.length < size && queue.head < queue.directories.length) {
    const directory = queue.directories[queue.head]!;
    while (batch.length < size && directory.taken < directory.names.length) {
      const name = directory.names[directory.taken]!;
      directory.taken += 1;
      const path = directory.path === undefined ? name : childPath(directory.path, name);
      batch.push({ path, depth: directory.depth + 1 });
    }
    if (directory.taken === directory.names.length) {
      queue.directories[queue.head] = undefined;
      queue.head += 1;
    }
  }
  return batch;
}

/** Takes in one batch's results in queue order; returns the scan to stop with at an unreadable entry, else undefined. */
function takeIn(state: ScanState, batch: readonly Queued[], examined: readonly Examined[]): HomeScan | undefined {
  const { home, tally } = state;
  for (const [index, { path, depth }] of batch.entries()) {
    const result = examined[index]!;
    if ('error' in result) {
      return path === '.'
        ? { home, tally, truncated: false, error: errorText(result.error) }
        : { home, tally, truncated: true };
    }
    const { found } = result;
    if (found === undefined) continue;
    tally.add(found.entry);
    state.onEntry?.(found.entry);
    if (found.children.length > 0 && depth >= state.maxDepth) {
      state.truncated = true;
      continue;
    }
    if (found.children.length > 0) state.queue.directories.push({ path, depth, names: found.children, taken: 0 });
  }
  return undefined;
}

/**
 * Examines home and everything under it with lstat (symlinks are reported, never followed), breadth
 * first, within the entry and depth limits, IO_CONCURRENCY entries at a time, synchronously (one
 * directory open at a time), giving the event loop a turn every YIELD_EVERY_MS; tallies each entry
 * as it comes (HomeModeTally): no list of the entries is kept. Never throws: an unreadable home is
 * `error`, an unreadable entry below it stops the scan as `truncated`.
 */
export async function scanHome(home: string, options: ScanHomeOptions = {}): Promise<HomeScan> {
  const maxEntries = options.maxEntries ?? 200_000;
  const state: ScanState = {
    home,
    maxDepth: options.maxDepth ?? 8,
    tally: new HomeModeTally(),
    onEntry: options.onEntry,
    queue: { directories: [{ path: undefined, depth: -1, names: ['.'], taken: 0 }], head: 0 },
    truncated: false,
  };
  let turnStarted = performance.now();
  while (state.queue.head < state.queue.directories.length) {
    if (state.tally.entries >= maxEntries) return { home, tally: state.tally, truncated: true };
    if (performance.now() - turnStarted >= YIELD_EVERY_MS) {
      await nextTurn();
      turnStarted = performance.now();
    }
    const batch = takeBatch(state.queue, Math.min(IO_CONCURRENCY, maxEntries - state.tally.entries));
    const examined = batch.map((item): Examined => {
      try {
        return { found: examine(home, item.path) };
      } catch (error) {
        return { error };
      }
    });
    const stopped = takeIn(state, batch, examined);
    if (stopped !== undefined) return stopped;
  }
  return { home, tally: state.tally, truncated: state.truncated };
}
