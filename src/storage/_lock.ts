/**
 * The named-lock contract (Locks, HeldLock) shared by the file and memory backends, the lock
 * file's content (holder info and snapshots read from one handle), and the errors every backend
 * throws when the wait times out or a held lease is lost.
 */
import * as fsp from 'node:fs/promises';
import { ConfigError, LockError } from '../errors';
import { ioError } from './_atomic';
import { sanitiseName } from './paths';

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

/** Options of Locks.acquire(). */
export interface AcquireOptions {
  /** Give up with LockError after waiting this long. Default: 60000 (DEFAULT_LOCK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Called after each failed attempt while waiting. Default: none. */
  onWait?: (info: { holder?: LockHolderInfo; waitedMs: number }) => void;
  /** Stops the wait: acquire() rejects with `signal.reason` and holds nothing. Default: none. */
  signal?: AbortSignal;
}

/**
 * What a lock is for: `home` serialises this node's local state (bundles, crt-list, HAProxy);
 * `certificate/<sanitised name>` serialises work on one certificate across every node that shares
 * the store (see certificateLockName()).
 */
export type LockName = 'home' | `certificate/${string}`;

/** A held lock; release it in a `finally`. */
export interface HeldLock {
  readonly name: LockName;
  /** Where the lock lives, for messages (a path for files). */
  readonly where: string;
  /**
   * Aborted, with a LockError (code LOCK_LOST) as reason, once the lease can no longer be proven
   * (a refresh found the lock taken over, or refreshes failed for longer than the stale limit).
   * Work done under the lock SHOULD pass it on, so that it stops before writing more.
   */
  readonly signal: AbortSignal;
  /** @throws LockError LOCK_LOST (the signal's reason) once the lease is lost. */
  assertHeld(): void;
  /** Stops refreshing and gives the lock up. MUST be idempotent; MUST NOT delete a lock another holder took over. */
  release(): Promise<void>;
}

/**
 * Named mutual exclusion. Callers MUST check again, once they hold a lock, whether their work is
 * still needed (another holder may have done it). Contract: acquire() MUST NOT return while another
 * holder's lease of the same name is live; different names MUST NOT exclude each other; the wait
 * MUST be bounded (LockError LOCK_BUSY naming the holder when known) and MUST stop on `signal`;
 * release() MUST be idempotent; a holder that dies MUST NOT block others forever (its lease goes
 * stale); a lease that can no longer be proven MUST abort its `signal`.
 */
export interface Locks {
  /**
   * Waits (bounded) for the lock `name`.
   * @throws LockError LOCK_BUSY when `timeoutMs` passes first; ConfigError for a name that is not a LockName
   */
  acquire(name: LockName, options?: AcquireOptions): Promise<HeldLock>;
}

/**
 * `certificate/<name>` for a certificate name, sanitised as its files are (`*.A.test` → `certificate/_wildcard.a.test`).
 * @throws ConfigError when the name cannot be made safe (see sanitiseName)
 */
export function certificateLockName(name: string): LockName {
  return `certificate/${sanitiseName(name)}`;
}

/**
 * Checks that `name` is a LockName a path can be made of: `home`, or `certificate/` and an already
 * sanitised certificate name. Returns the certificate name, or undefined for `home`.
 * @throws ConfigError for anything else
 */
export function checkLockName(name: string): string | undefined {
  if (name === 'home') return undefined;
  const certificate = name.startsWith('certificate/') ? name.slice('certificate/'.length) : '';
  let safe: string | undefined;
  try {
    safe = sanitiseName(certificate);
  } catch {
    safe = undefined;
  }
  if (safe !== undefined && safe === certificate) return certificate;
  throw new ConfigError(
    `Cannot use lock name ${JSON.stringify(name)}: expected "home" or "certificate/<sanitised certificate name>"`,
    { source: 'lock name' },
  );
}

/** The LockError a lease's signal aborts with once it is lost; `detail` says how. */
export function lockLostError(where: string, detail: string): LockError {
  return new LockError(
    `Cannot keep the lock "${where}": ${detail}; the command stopped before writing more, run it again`,
    { lockPath: where, code: 'LOCK_LOST' },
  );
}

/** The lost-lease half of a HeldLock: one signal, aborted at most once with LOCK_LOST. */
export class LeaseState {
  private readonly controller = new AbortController();

  constructor(readonly where: string) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the signal with lockLostError(where, detail); later calls change nothing. */
  lose(detail: string): void {
    if (!this.controller.signal.aborted) this.controller.abort(lockLostError(this.where, detail));
  }

  /** @throws LockError LOCK_LOST once lose() was called */
  assertHeld(): void {
    throwIfAborted(this.controller.signal);
  }
}

/** Rejects with `signal.reason` when the signal is aborted (a wait or a step MUST stop then). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw signal.reason;
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

function describeHolder(snapshot: Pick<Snapshot, 'info' | 'mtimeMs'> | undefined): string {
  const info = snapshot?.info;
  if (snapshot === undefined) return 'held by another caller (no lock file to show who)';
  if (info === undefined)
    return `the lock file is empty or unreadable (modified ${new Date(snapshot.mtimeMs).toISOString()})`;
  const running = info.command === undefined ? '' : ` (running "${info.command}")`;
  return `held by pid ${info.pid} on host ${info.hostname} since ${info.acquiredAt}${running}`;
}

/** The LockError thrown when acquire() waits `timeoutMs` in vain; names the holder when known. */
export function busyError(
  lockPath: string,
  snapshot: Pick<Snapshot, 'info' | 'mtimeMs'> | undefined,
  timeoutMs: number,
): LockError {
  const detail = `${describeHolder(snapshot)}; waited ${timeoutMs / 1000} s; retry later or raise --lock-timeout`;
  return new LockError(`Cannot take the lock "${lockPath}": ${detail}`, { lockPath, retryable: true });
}
