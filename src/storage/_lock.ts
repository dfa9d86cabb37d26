/**
 * The Lock contract shared by FileLock and MemoryLock, the lock file's content (holder info and
 * snapshots read from one handle), and the error every backend throws when the wait times out.
 */
import * as fsp from 'node:fs/promises';
import { LockError } from '../errors';
import { ioError } from './_atomic';

/** How long acquire() waits by default before it gives up (1 minute). */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
/** A FileLock not refreshed for this long is stale by default (30 s). */
export const DEFAULT_LOCK_STALE_MS = 30_000;

/** Who holds a lock; the JSON content of a lock file. */
export interface LockHolderInfo {
  pid: number;
  hostname: string;
  acquiredAt: string;
  refreshedAt: string;
  command?: string;
}

/** Options of Lock.acquire(). */
export interface AcquireOptions {
  /** Give up with LockError after waiting this long. Default: 60000 (DEFAULT_LOCK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Called after each failed attempt while waiting. Default: none. */
  onWait?: (info: { holder?: LockHolderInfo; waitedMs: number }) => void;
}

/** A held lock; release it in a `finally`. */
export interface LockLease {
  /** Stops refreshing and gives the lock up. MUST be idempotent; MUST NOT delete a lock someone else took over. */
  release(): Promise<void>;
  readonly lockPath: string;
}

/**
 * Mutual exclusion for every command that changes state under `--home`. Callers MUST check again,
 * once they hold the lease, whether their work is still needed (another holder may have done it).
 * Contract: acquire() MUST NOT return while another holder's lease is live; release() MUST be
 * idempotent; a holder that dies MUST NOT block others forever (stale after staleMs).
 */
export interface Lock {
  /** Waits (bounded) for the lock. @throws LockError when `timeoutMs` passes first. */
  acquire(options?: AcquireOptions): Promise<LockLease>;
}

/** A lock file as read at one moment; `info` is undefined when the content is not a valid holder. */
export interface Snapshot {
  raw: string;
  ino: number;
  mtimeMs: number;
  info: LockHolderInfo | undefined;
}

/** The errno code of a Node.js system error, e.g. `ENOENT`; undefined for other values. */
export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Parses lock file content, e.g. `{"pid":4242,"hostname":"edge1","acquiredAt":"…","refreshedAt":"…"}`. */
function parseHolder(raw: string): LockHolderInfo | undefined {
  let value: Partial<Record<keyof LockHolderInfo, unknown>>;
  try {
    value = JSON.parse(raw) as typeof value;
  } catch {
    return undefined;
  }
  const { pid, hostname, acquiredAt, refreshedAt, command } = value ?? {};
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || !isText(hostname)) return undefined;
  if (!isText(acquiredAt) || !isText(refreshedAt) || Number.isNaN(Date.parse(refreshedAt))) return undefined;
  if (command !== undefined && typeof command !== 'string') return undefined;
  return { pid: pid as number, hostname, acquiredAt, refreshedAt, ...(command === undefined ? {} : { command }) };
}

/** Reads content and identity from one open handle, so both describe the same file. */
export async function readSnapshot(path: string): Promise<Snapshot | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw ioError('read the lock', path, error);
  }
  try {
    const stat = await handle.stat();
    const raw = await handle.readFile('utf8');
    return { raw, ino: stat.ino, mtimeMs: stat.mtimeMs, info: parseHolder(raw) };
  } finally {
    await handle.close();
  }
}

function describeHolder(snapshot: Snapshot | undefined): string {
  const info = snapshot?.info;
  if (snapshot === undefined) return 'held by another caller (no lock file to show who)';
  if (info === undefined)
    return `the lock file is empty or unreadable (modified ${new Date(snapshot.mtimeMs).toISOString()})`;
  const running = info.command === undefined ? '' : ` (running "${info.command}")`;
  return `held by pid ${info.pid} on host ${info.hostname} since ${info.acquiredAt}${running}`;
}

/** The LockError thrown when acquire() waits `timeoutMs` in vain; names the holder when known. */
export function busyError(lockPath: string, snapshot: Snapshot | undefined, timeoutMs: number): LockError {
  const detail = `${describeHolder(snapshot)}; waited ${timeoutMs / 1000} s; retry later or raise --lock-timeout`;
  return new LockError(`Cannot take the lock "${lockPath}": ${detail}`, { lockPath, retryable: true });
}
