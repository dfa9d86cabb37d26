import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
} from 'node:fs';
import * as fsp from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { StorageError } from '../../errors';
import { tempName } from './paths';
import { openFilesLimitError } from './_io-limit';

/** The node:fs/promises calls storage makes; tests pass a wrapper that fails on purpose. */
export type FileSystem = Pick<
  typeof fsp,
  | 'open'
  | 'rename'
  | 'mkdir'
  | 'chmod'
  | 'readFile'
  | 'readdir'
  | 'readlink'
  | 'realpath'
  | 'symlink'
  | 'unlink'
  | 'rm'
  | 'lstat'
>;

/** A synchronous call's outcome as a promise: its value, or a rejection with what it threw. */
function settled<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * The real file system: node:fs/promises, except the metadata calls made once per certificate by
 * every pass (readlink of its current link, lstat of its link and bundle, readdir of its versions
 * in the leftover scan), which run synchronously. They answer from the inode cache in
 * microseconds, less than the thread-pool hand-off of an asynchronous call (whose request and
 * promise, waiting in the queue, also got promoted to the old generation at 10,000 certificates);
 * mapLimited() gives the event loop its turns during a pass.
 */
export const nodeFileSystem: FileSystem = {
  ...fsp,
  readlink: ((path: string) => settled(() => readlinkSync(path))) as FileSystem['readlink'],
  lstat: ((path: string) => settled(() => lstatSync(path))) as FileSystem['lstat'],
  // Forwards the options as given, so every overload of fs/promises' readdir holds.
  readdir: ((path: string, options?: { withFileTypes?: boolean }) =>
    settled(() => readdirSync(path, options as { withFileTypes: true }))) as unknown as FileSystem['readdir'],
};

/**
 * Reads a whole file as UTF-8, synchronously under a promise. Storage's own files are small (a
 * meta.json, a state file, a leaf) and in the page cache, so the read itself takes microseconds;
 * the thread-pool hand-off of each asynchronous call costs more than that, and on a listing of
 * 10,000 certificates (30,000 files) it was most of the time. Every pass that reads many of them
 * goes through mapLimited(), which lets the event loop run between batches. The descriptor is
 * opened non-blocking and must be a regular file, so a FIFO or device planted in the home fails at
 * once (EISDIR / EINVAL) instead of blocking the process. Rejects with the system error as node:fs
 * gives it (`code`: ENOENT, EISDIR, EMFILE, …); the descriptor is always closed.
 */
export function readTextFile(path: string): Promise<string> {
  try {
    return Promise.resolve(readTextFileNow(path));
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

function readTextFileNow(path: string): string {
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegularFile(path, stat.isDirectory());
    // readFileSync on the descriptor reads to the end, whatever the size the stat reported.
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** The error node:fs gives for reading a directory (EISDIR), or EINVAL for a FIFO, socket or device. */
function notRegularFile(path: string, isDirectory: boolean): NodeJS.ErrnoException {
  const code = isDirectory ? 'EISDIR' : 'EINVAL';
  const error: NodeJS.ErrnoException = new Error(
    `${code}: ${isDirectory ? 'illegal operation on a directory' : 'not a regular file'}, read '${path}'`,
  );
  error.code = code;
  error.syscall = 'read';
  error.path = path;
  return error;
}

/** Options of writeFileAtomic and writeFileDurable. */
export interface WriteOptions {
  /** File mode, applied with chmod so the umask cannot widen or narrow it. Default: 0o600. */
  mode?: number;
  /**
   * Owner and group, set with fchown before the data is synced, so that a replaced file keeps its
   * owner. Changing the owner needs root (or the same uid and a group the process is in). Default: unchanged.
   */
  owner?: { uid: number; gid: number };
  /** Suffix source for temp names. Default: 6 random bytes as hex. */
  random?: () => string;
  /** Default: node:fs/promises. */
  fs?: FileSystem;
  /**
   * writeFileAtomic() checks it before it starts and again before the final rename: once aborted,
   * it rejects with `signal.reason`, the old file (if any) stays as it was and no temp file is left.
   * Default: none.
   */
  signal?: AbortSignal;
}

/** A random suffix for temp names (12 hex characters). */
export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

function causeText(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/**
 * Wraps any failure as StorageError STORAGE_IO with the path and an action-first message; an
 * exhausted file table (EMFILE, ENFILE) as STORAGE_OPEN_FILES_LIMIT, never as a damaged file.
 */
export function ioError(action: string, path: string, error: unknown): StorageError {
  const limited = openFilesLimitError(action, path, error);
  if (limited !== undefined) return limited;
  if (error instanceof StorageError) return error;
  return new StorageError('STORAGE_IO', `Cannot ${action} "${path}": ${causeText(error)}`, { path, cause: error });
}

/**
 * Creates a new file (failing if it exists), writes it, chowns it when asked, fsyncs, closes, then chmods it.
 * @throws StorageError STORAGE_IO on any failure.
 */
export async function writeFileDurable(path: string, data: string | Buffer, options: WriteOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeFileSystem;
  const mode = options.mode ?? 0o600;
  let handle: Awaited<ReturnType<FileSystem['open']>> | undefined;
  try {
    handle = await fs.open(path, 'wx', mode);
    await handle.writeFile(data);
    if (options.owner !== undefined) await handle.chown(options.owner.uid, options.owner.gid);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.chmod(path, mode);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    throw ioError('write', path, error);
  }
}

/** Fsyncs a directory so that a rename or a new entry in it survives a crash. */
export async function syncDir(path: string, options: { fs?: FileSystem } = {}): Promise<void> {
  const fs = options.fs ?? nodeFileSystem;
  let handle: Awaited<ReturnType<FileSystem['open']>> | undefined;
  try {
    handle = await fs.open(path, 'r');
    await handle.sync();
  } catch (error) {
    throw ioError('sync directory', path, error);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Replaces `path` atomically: writes `.<base>.tmp-<random>` in the same directory (chowned when
 * `owner` is given), fsyncs, closes, chmods, renames it over `path`, then fsyncs the directory. Readers see the old file
 * or the new one, never a part. The temp file is removed on any failure, and when `signal` aborts
 * before the rename (the rename itself is never interrupted).
 * @throws StorageError STORAGE_IO on any failure, naming `path`; `signal.reason` when aborted.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, options: WriteOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeFileSystem;
  const stopIfAborted = (): void => options.signal?.throwIfAborted();
  stopIfAborted();
  const temp = join(dirname(path), tempName(basename(path), (options.random ?? randomSuffix)()));
  try {
    await writeFileDurable(temp, data, options);
    stopIfAborted();
    await fs.rename(temp, path);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    if (options.signal?.aborted === true && error === options.signal.reason) throw error;
    const limited = openFilesLimitError('write', path, error);
    if (limited !== undefined) throw limited;
    throw new StorageError(
      'STORAGE_IO',
      `Cannot write "${path}": ${causeText(error instanceof StorageError ? error.cause : error)}`,
      {
        path,
        cause: error,
      },
    );
  }
  await syncDir(dirname(path), { fs });
}

/**
 * Creates `path` and any missing parents with `mode` (chmod'ed, so the umask does not apply);
 * directories that already exist keep their mode. Default mode: 0o700.
 * @throws StorageError STORAGE_IO when a directory cannot be created.
 */
export async function ensureDir(path: string, options: { mode?: number; fs?: FileSystem } = {}): Promise<void> {
  const fs = options.fs ?? nodeFileSystem;
  const mode = options.mode ?? 0o700;
  try {
    const first = await fs.mkdir(path, { recursive: true, mode });
    if (first === undefined) return;
    // Walk from the deepest new directory up to the first one that mkdir created.
    for (let dir = path; ; dir = dirname(dir)) {
      await fs.chmod(dir, mode);
      if (dir === first || dirname(dir) === dir) break;
    }
  } catch (error) {
    throw ioError('create directory', path, error);
  }
}

/** True when `path` exists (without following a final symlink). */
export async function exists(path: string, options: { fs?: FileSystem } = {}): Promise<boolean> {
  try {
    await (options.fs ?? nodeFileSystem).lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError('inspect', path, error);
  }
}
