/**
 * The named-lock contract (Locks, HeldLock) every backend implements, who holds a lock
 * (LockHolderInfo, the content of a lock file in the file backend), and the errors every backend
 * throws when the wait times out or a held lease is lost.
 */
import { ConfigError, LockError } from '../errors';
import { sanitiseName } from './_names';

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
   * The fencing token of this grant: a decimal number from a sequence, greater than every token
   * granted before for any name, that a shared store checks in the transaction that writes the
   * work's result (see SaveCertificateOptions.lock). Undefined for locks local to one node (file,
   * memory), whose stores check assertHeld() instead.
   */
  readonly fence?: string;
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

/** What a backend saw of the holder it waited for: `info` is undefined when it could not tell who; `mtimeMs` when it last changed. */
export interface HolderSeen {
  info: LockHolderInfo | undefined;
  mtimeMs: number;
}

function describeHolder(snapshot: HolderSeen | undefined): string {
  const info = snapshot?.info;
  if (snapshot === undefined) return 'held by another caller (no lock file to show who)';
  if (info === undefined)
    return `the lock file is empty or unreadable (modified ${new Date(snapshot.mtimeMs).toISOString()})`;
  const running = info.command === undefined ? '' : ` (running "${info.command}")`;
  return `held by pid ${info.pid} on host ${info.hostname} since ${info.acquiredAt}${running}`;
}

/** The LockError thrown when acquire() waits `timeoutMs` in vain; names the holder when known. */
export function busyError(lockPath: string, snapshot: HolderSeen | undefined, timeoutMs: number): LockError {
  const detail = `${describeHolder(snapshot)}; waited ${timeoutMs / 1000} s; retry later or raise --lock-timeout`;
  return new LockError(`Cannot take the lock "${lockPath}": ${detail}`, { lockPath, retryable: true });
}
