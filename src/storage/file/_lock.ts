/** FileLock: one lock file, written complete and then link()ed into place (which fails when one exists), refreshed while held, taken over when stale. FileLocks (_locks.ts) names them. */
import * as fsp from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../clock';
import { StorageError } from '../../errors';
import type { Logger } from '../../log';
import { ensureDir, ioError, writeFileAtomic } from './_atomic';
import { errnoOf, linkComplete, lockTempSuffix, readSnapshot, removeLockLeftovers, type Snapshot } from './_lock-files';
import {
  busyError,
  DEFAULT_LOCK_STALE_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  LeaseState,
  throwIfAborted,
  type AcquireOptions,
  type HeldLock,
  type LockHolderInfo,
  type LockName,
} from '../_lock';
import { LocalQueue, pause, type Ticket } from '../_lock-queue';

/** Options of FileLock. */
export interface FileLockOptions {
  path: string;
  /** The name leases carry. Default: `home`. */
  name?: LockName;
  /** Stamps acquiredAt/refreshedAt and judges staleness; waiting is timed with a monotonic timer. */
  clock: Clock;
  logger: Logger;
  /** A lock not refreshed for this long is stale. Default: 30000. */
  staleMs?: number;
  /** How often a held lock rewrites refreshedAt. Default: staleMs / 3. */
  refreshMs?: number;
  /** How often a waiter tries again. Default: 200. */
  pollMs?: number;
  /** Shown to waiters, e.g. `acme renew`. Default: none. */
  command?: string;
  /** Default: process.pid. */
  pid?: number;
  /** Default: os.hostname(). */
  hostname?: string;
  /** Default: process.kill(pid, 0) succeeds or fails with EPERM. */
  isProcessAlive?: (pid: number) => boolean;
}

/** One acquire() call's waiting state, shared by its two phases (in-process line, then file). */
interface Waiting {
  started: number;
  timeoutMs: number;
  onWait: AcquireOptions['onWait'];
  signal: AbortSignal | undefined;
  announced: boolean;
}

const fileQueue = new LocalQueue();

/** True when `pid` exists (EPERM means it exists but belongs to another user). */
function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One lock file: created by link() of a complete temp file, refreshed while held, taken over when stale. */
export class FileLock {
  private readonly path: string;
  private readonly staleMs: number;
  private readonly pollMs: number;
  private readonly hostname: string;
  private readonly pid: number;
  private readonly isProcessAlive: (pid: number) => boolean;

  constructor(private readonly options: FileLockOptions) {
    this.path = resolve(options.path);
    this.staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
    this.pollMs = options.pollMs ?? 200;
    this.hostname = options.hostname ?? osHostname();
    this.pid = options.pid ?? process.pid;
    this.isProcessAlive = options.isProcessAlive ?? defaultIsProcessAlive;
  }

  /**
   * Waits for this process's earlier callers, then for the lock file, polling every pollMs.
   * @throws LockError after `timeoutMs`; `signal.reason` when aborted; StorageError STORAGE_IO when the file cannot be created or read.
   */
  async acquire(options: AcquireOptions = {}): Promise<HeldLock> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const ticket = fileQueue.enter(this.path);
    try {
      const wait: Waiting = { started, timeoutMs, onWait: options.onWait, signal: options.signal, announced: false };
      const inLine = async (): Promise<true | undefined> => {
        await pause(0, ticket.granted); // a free turn is granted in a microtask: let it arrive
        return ticket.isGranted() ? true : undefined;
      };
      await this.poll(inLine, wait, ticket.granted);
      const info = await this.poll(() => this.tryTake(), wait);
      if (options.signal?.aborted === true) {
        // Taken just as the wait was stopped: give it back at once rather than hand it to nobody.
        await new FileLease(this.path, info, this.options, ticket).release();
        throw options.signal.reason;
      }
      await removeLockLeftovers(this.path, this.isProcessAlive);
      this.options.logger.debug('Took the lock', {
        lockPath: this.path,
        waitedMs: Math.round(performance.now() - started),
      });
      return new FileLease(this.path, info, this.options, ticket);
    } catch (error) {
      ticket.leave();
      throw error;
    }
  }

  /** Calls `attempt` until it returns a value, every pollMs (sooner if `wake` settles), until timeoutMs. */
  private async poll<T>(attempt: () => Promise<T | undefined>, wait: Waiting, wake?: Promise<void>): Promise<T> {
    for (;;) {
      throwIfAborted(wait.signal);
      const result = await attempt();
      if (result !== undefined) return result;
      const snapshot = await readSnapshot(this.path);
      const waitedMs = performance.now() - wait.started;
      if (waitedMs >= wait.timeoutMs) throw busyError(this.path, snapshot, wait.timeoutMs);
      if (!wait.announced)
        this.options.logger.info('Waiting for the lock', { lockPath: this.path, holder: snapshot?.info });
      wait.announced = true;
      wait.onWait?.({ holder: snapshot?.info, waitedMs });
      await pause(Math.min(this.pollMs, wait.timeoutMs - waitedMs), wake, wait.signal);
    }
  }

  /** One round: create the file, or take it over if stale and create it then; undefined when busy. */
  private async tryTake(): Promise<LockHolderInfo | undefined> {
    // Bounded: each extra round needs a file that vanished or was stale; the next poll retries anyway.
    for (let round = 0; round < 3; round += 1) {
      const info = await this.create();
      if (info !== undefined) return info;
      const current = await readSnapshot(this.path);
      if (current === undefined) continue;
      const reason = this.staleReason(current);
      if (reason === undefined) return undefined;
      await this.takeOver(current, reason);
    }
    return undefined;
  }

  private async create(): Promise<LockHolderInfo | undefined> {
    const now = this.options.clock.now().toISOString();
    const info: LockHolderInfo = { pid: this.pid, hostname: this.hostname, acquiredAt: now, refreshedAt: now };
    if (this.options.command !== undefined) info.command = this.options.command;
    // Written complete, then link()ed into place: never an empty lock (see _lock-files.ts).
    try {
      // The first command on a new --home creates it (0700, like every directory we make).
      await ensureDir(dirname(this.path));
      if (!(await linkComplete(this.path, info))) return undefined;
    } catch (error) {
      // ENOENT: the holder that just took the lock removed our temp file as a leftover; try again.
      if ((error instanceof StorageError ? errnoOf(error.cause) : errnoOf(error)) === 'ENOENT') return undefined;
      // Name the lock, not its temp file: `Cannot take the lock "<home>/lock": ENOSPC: no space left on device, write`.
      throw ioError('take the lock', this.path, error instanceof StorageError ? error.cause : error);
    }
    return info;
  }

  private staleReason(snapshot: Snapshot): string | undefined {
    const now = this.options.clock.now().getTime();
    const info = snapshot.info;
    // A crash between open('wx') and write leaves an empty file: judge it by its mtime only.
    if (info === undefined) return now - snapshot.mtimeMs > this.staleMs ? 'unreadable and not modified' : undefined;
    if (info.hostname === this.hostname && !this.isProcessAlive(info.pid)) return 'holder process is gone';
    return now - Date.parse(info.refreshedAt) > this.staleMs ? 'not refreshed' : undefined;
  }

  /**
   * Removes a stale lock so that the caller can try to take it again. Deleting by path is racy:
   *   1. A and B both read the stale file S and judge it stale.
   *   2. A deletes S, creates its own lock F, and starts working.
   *   3. B deletes "the lock", which is now F, and creates its own: A and B both hold it.
   * Renaming S to a unique dot-name first (only one rename of S succeeds), then checking what was
   * moved, is not enough either; our 5-process test caught it overlapping:
   *   3'. B renames F (thinking it is S) aside, sees it is not S, and must put F back, but
   *   4'. C finds the path empty and creates its own lock before B's restore: A and C both hold it.
   * So the path is never emptied by mistake: a contender first claims S by creating the claim
   * file `.lock.takeover-<S's inode>`, complete with its own pid (temp file + link(), see
   * _lock-files.ts); that fails with EEXIST if the name exists, so one contender at most claims a
   * given inode. The claimer then checks that the path still holds S (inode, mtime, content) before
   * it unlinks it, and drops its claim either way. A new lock that reused S's inode differs in
   * content (pid, acquiredAt). Residual risk: a holder that was stale but wakes up and refreshes
   * between the check and the unlink loses its lock (it logs "Lost the lock" at its next refresh).
   * A claimer killed while claiming leaves its claim; others remove it at once when its pid is
   * dead (the claim used to be a bare link() of S, which names no claimer: the next run waited
   * staleMs for it; found by test/integration/crash-safety.test.ts).
   */
  private async takeOver(stale: Snapshot, reason: string): Promise<void> {
    const claim = join(dirname(this.path), `.${basename(this.path)}.takeover-${stale.ino}`);
    const now = this.options.clock.now().toISOString();
    try {
      if (!(await linkComplete(claim, { pid: this.pid, hostname: this.hostname, acquiredAt: now, refreshedAt: now })))
        return this.dropCrashedClaim(claim);
    } catch (error) {
      throw ioError('take over the lock', this.path, error instanceof StorageError ? error.cause : error);
    }
    try {
      const current = await readSnapshot(this.path);
      const same = current?.raw === stale.raw && current.ino === stale.ino && current.mtimeMs === stale.mtimeMs;
      if (!same) return;
      await fsp.unlink(this.path);
      this.options.logger.warn('Took over a stale lock', { lockPath: this.path, reason, holder: stale.info });
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw ioError('take over the lock', this.path, error);
    } finally {
      await fsp.unlink(claim).catch(() => undefined);
    }
  }

  /** Removes a takeover claim whose claimer is dead, or that is older than staleMs (link() sets ctime). */
  private async dropCrashedClaim(claim: string): Promise<void> {
    const [snapshot, stat] = await Promise.all([
      readSnapshot(claim).catch(() => undefined),
      fsp.stat(claim).catch(() => undefined),
    ]);
    if (stat === undefined) return;
    const dead =
      snapshot?.info !== undefined &&
      snapshot.info.hostname === this.hostname &&
      !this.isProcessAlive(snapshot.info.pid);
    if (dead || this.options.clock.now().getTime() - stat.ctimeMs > this.staleMs) {
      this.options.logger.warn('Removed a takeover claim left by a crashed process', { lockPath: this.path, claim });
      await fsp.unlink(claim).catch(() => undefined);
    }
  }
}

/**
 * A held FileLock: rewrites refreshedAt every refreshMs (unref'd timer) until released. Its signal
 * aborts with LOCK_LOST when a refresh finds another holder's content, or when refreshes fail so
 * long that the lease would be stale (and may be taken over) before the next one could prove it.
 */
class FileLease implements HeldLock {
  readonly name: LockName;
  private readonly timer: NodeJS.Timeout;
  private readonly state: LeaseState;
  private readonly staleMs: number;
  private readonly refreshMs: number;
  /** performance.now() of the last write that proved the lease. */
  private provenAt = performance.now();
  private refreshing: Promise<void> = Promise.resolve();
  private releasing: Promise<void> | undefined;

  constructor(
    readonly where: string,
    private info: LockHolderInfo,
    private readonly options: FileLockOptions,
    private readonly ticket: Ticket,
  ) {
    this.name = options.name ?? 'home';
    this.state = new LeaseState(where);
    this.staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
    this.refreshMs = options.refreshMs ?? this.staleMs / 3;
    this.timer = setInterval(() => {
      this.refreshing = this.refreshing.then(() => this.refresh());
    }, this.refreshMs).unref();
  }

  get signal(): AbortSignal {
    return this.state.signal;
  }

  assertHeld(): void {
    this.state.assertHeld();
  }

  release(): Promise<void> {
    this.releasing ??= this.doRelease();
    return this.releasing;
  }

  private isOurs(snapshot: Snapshot | undefined): boolean {
    return snapshot?.info?.pid === this.info.pid && snapshot.info.acquiredAt === this.info.acquiredAt;
  }

  private lose(message: string, detail: string): void {
    clearInterval(this.timer);
    this.options.logger.error(message, { lockPath: this.where });
    this.state.lose(detail);
  }

  private async refresh(): Promise<void> {
    if (this.releasing !== undefined || this.signal.aborted) return;
    try {
      if (!this.isOurs(await readSnapshot(this.where)))
        return this.lose('Lost the lock: another process took it over', 'another process took it over');
      const next = { ...this.info, refreshedAt: this.options.clock.now().toISOString() };
      await writeFileAtomic(this.where, JSON.stringify(next), {
        mode: 0o600,
        random: () => lockTempSuffix(this.info.pid),
      });
      this.info = next;
      this.provenAt = performance.now();
    } catch (error) {
      const failingMs = Math.round(performance.now() - this.provenAt);
      this.options.logger.warn('Cannot refresh the lock', { lockPath: this.where, error: (error as Error).message });
      if (failingMs + this.refreshMs >= this.staleMs)
        this.lose(
          'Lost the lock: cannot refresh it',
          `cannot refresh it for ${failingMs} ms (${(error as Error).message}), so another process may take it over`,
        );
    }
  }

  private async doRelease(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
    try {
      const current = await readSnapshot(this.where);
      if (this.isOurs(current)) await fsp.unlink(this.where);
      else if (current !== undefined)
        this.options.logger.warn('Left the lock file alone: another process took it over', { lockPath: this.where });
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return;
      // A lost lease has nothing left to give up; its work has already been told to stop.
      if (this.signal.aborted)
        return this.options.logger.warn('Cannot release a lost lock', {
          lockPath: this.where,
          error: (error as Error).message,
        });
      throw ioError('release the lock', this.where, error);
    } finally {
      this.ticket.leave();
    }
  }
}
