import * as fsp from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock';
import { LockError } from '../errors';
import type { Logger } from '../log';
import { ioError, writeFileAtomic } from './_atomic';

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

/** Options of FileLock. */
export interface FileLockOptions {
  path: string;
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

/** A lock file as read at one moment; `info` is undefined when the content is not a valid holder. */
interface Snapshot {
  raw: string;
  ino: number;
  mtimeMs: number;
  info: LockHolderInfo | undefined;
}

/** One acquire() call's waiting state, shared by its two phases (in-process line, then file). */
interface Waiting {
  started: number;
  timeoutMs: number;
  onWait: AcquireOptions['onWait'];
  announced: boolean;
}

/** A place in a per-key FIFO; `granted` resolves when every earlier ticket has left. */
interface Ticket {
  readonly granted: Promise<void>;
  isGranted(): boolean;
  /** Leaves the line (idempotent); works before or after the turn came. */
  leave(): void;
}

/** FIFO of in-process holders per key, so two acquire() calls in one process queue. */
class LocalQueue {
  private readonly tails = new Map<string, Promise<void>>();

  enter(key: string): Ticket {
    const before = this.tails.get(key) ?? Promise.resolve();
    let leave!: () => void;
    const left = new Promise<void>((done) => (leave = done));
    // Each ticket's turn ends when it has left AND every earlier ticket has left.
    const tail = before.then(() => left);
    this.tails.set(key, tail);
    void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
    let granted = false;
    return { granted: before.then(() => void (granted = true)), isGranted: () => granted, leave };
  }
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

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function pause(ms: number, wake?: Promise<void>): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, Math.max(0, ms));
    void wake?.then(() => (clearTimeout(timer), done()));
  });
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
async function readSnapshot(path: string): Promise<Snapshot | undefined> {
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
  if (info === undefined) return `the lock file is empty or unreadable (modified ${new Date(snapshot.mtimeMs).toISOString()})`;
  const running = info.command === undefined ? '' : ` (running "${info.command}")`;
  return `held by pid ${info.pid} on host ${info.hostname} since ${info.acquiredAt}${running}`;
}

function busyError(lockPath: string, snapshot: Snapshot | undefined, timeoutMs: number): LockError {
  const detail = `${describeHolder(snapshot)}; waited ${timeoutMs / 1000} s; retry later or raise --lock-timeout`;
  return new LockError(`Cannot take the lock "${lockPath}": ${detail}`, { lockPath, retryable: true });
}

/** The lock file in `--home`: O_EXCL create, refreshed while held, taken over when stale. */
export class FileLock implements Lock {
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
   * @throws LockError after `timeoutMs`; StorageError STORAGE_IO when the file cannot be created or read.
   */
  async acquire(options: AcquireOptions = {}): Promise<LockLease> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const ticket = fileQueue.enter(this.path);
    try {
      const wait: Waiting = { started, timeoutMs, onWait: options.onWait, announced: false };
      const inLine = async (): Promise<true | undefined> => {
        await pause(0, ticket.granted); // a free turn is granted in a microtask: let it arrive
        return ticket.isGranted() ? true : undefined;
      };
      await this.poll(inLine, wait, ticket.granted);
      const info = await this.poll(() => this.tryTake(), wait);
      this.options.logger.debug('Took the lock', { lockPath: this.path, waitedMs: Math.round(performance.now() - started) });
      return new FileLease(this.path, info, this.options, ticket);
    } catch (error) {
      ticket.leave();
      throw error;
    }
  }

  /** Calls `attempt` until it returns a value, every pollMs (sooner if `wake` settles), until timeoutMs. */
  private async poll<T>(attempt: () => Promise<T | undefined>, wait: Waiting, wake?: Promise<void>): Promise<T> {
    for (;;) {
      const result = await attempt();
      if (result !== undefined) return result;
      const snapshot = await readSnapshot(this.path);
      const waitedMs = performance.now() - wait.started;
      if (waitedMs >= wait.timeoutMs) throw busyError(this.path, snapshot, wait.timeoutMs);
      if (!wait.announced) this.options.logger.info('Waiting for the lock', { lockPath: this.path, holder: snapshot?.info });
      wait.announced = true;
      wait.onWait?.({ holder: snapshot?.info, waitedMs });
      await pause(Math.min(this.pollMs, wait.timeoutMs - waitedMs), wake);
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
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.path, 'wx', 0o600);
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') return undefined;
      throw ioError('take the lock', this.path, error);
    }
    try {
      await handle.writeFile(JSON.stringify(info));
      await handle.sync();
      await handle.close();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fsp.unlink(this.path).catch(() => undefined);
      throw ioError('take the lock', this.path, error);
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
   * Removes a stale lock so that the caller can retry O_EXCL. Deleting by path is racy:
   *   1. A and B both read the stale file S and judge it stale.
   *   2. A deletes S, creates its own lock F with O_EXCL, and starts working.
   *   3. B deletes "the lock", which is now F, and creates its own: A and B both hold it.
   * Renaming S to a unique dot-name first (only one rename of S succeeds), then checking what was
   * moved, is not enough either; our 5-process test caught it overlapping:
   *   3'. B renames F (thinking it is S) aside, sees it is not S, and must put F back, but
   *   4'. C finds the path empty and creates its own lock before B's restore: A and C both hold it.
   * So the path is never emptied by mistake: a contender first claims S with link(path, claim),
   * where the claim name holds S's inode number. link() fails with EEXIST if that name exists,
   * so one contender at most claims a given inode; the claim names the file that was at the path
   * at link time, so the claimer checks it is S (inode, mtime, content) before it unlinks the
   * path, and otherwise just drops its claim. While the claim exists, S's inode cannot be freed
   * and reused. Residual risks: a holder that was stale but wakes up and refreshes between the
   * check and the unlink loses its lock (it logs "Lost the lock" at its next refresh); a claimer
   * that crashes leaves its claim, which others remove once its ctime is older than staleMs.
   */
  private async takeOver(stale: Snapshot, reason: string): Promise<void> {
    const claim = join(dirname(this.path), `.${basename(this.path)}.takeover-${stale.ino}`);
    try {
      await fsp.link(this.path, claim);
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') return this.dropCrashedClaim(claim);
      if (errnoOf(error) === 'ENOENT') return;
      throw ioError('take over the lock', this.path, error);
    }
    try {
      const claimed = await readSnapshot(claim);
      const same = claimed?.raw === stale.raw && claimed.ino === stale.ino && claimed.mtimeMs === stale.mtimeMs;
      if (!same) return;
      await fsp.unlink(this.path);
      this.options.logger.warn('Took over a stale lock', { lockPath: this.path, reason, holder: stale.info });
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw ioError('take over the lock', this.path, error);
    } finally {
      await fsp.unlink(claim).catch(() => undefined);
    }
  }

  /** Removes a takeover claim left by a contender that crashed while holding it (link() sets ctime). */
  private async dropCrashedClaim(claim: string): Promise<void> {
    const stat = await fsp.stat(claim).catch(() => undefined);
    if (stat !== undefined && this.options.clock.now().getTime() - stat.ctimeMs > this.staleMs) {
      this.options.logger.warn('Removed a takeover claim left by a crashed process', { lockPath: this.path, claim });
      await fsp.unlink(claim).catch(() => undefined);
    }
  }
}

/** A held FileLock: rewrites refreshedAt every refreshMs (unref'd timer) until released. */
class FileLease implements LockLease {
  private readonly timer: NodeJS.Timeout;
  private refreshing: Promise<void> = Promise.resolve();
  private releasing: Promise<void> | undefined;

  constructor(
    readonly lockPath: string,
    private info: LockHolderInfo,
    private readonly options: FileLockOptions,
    private readonly ticket: Ticket,
  ) {
    const refreshMs = options.refreshMs ?? (options.staleMs ?? DEFAULT_LOCK_STALE_MS) / 3;
    this.timer = setInterval(() => {
      this.refreshing = this.refreshing.then(() => this.refresh());
    }, refreshMs).unref();
  }

  release(): Promise<void> {
    this.releasing ??= this.doRelease();
    return this.releasing;
  }

  private isOurs(snapshot: Snapshot | undefined): boolean {
    return snapshot?.info?.pid === this.info.pid && snapshot.info.acquiredAt === this.info.acquiredAt;
  }

  private async refresh(): Promise<void> {
    if (this.releasing !== undefined) return;
    try {
      if (!this.isOurs(await readSnapshot(this.lockPath))) {
        clearInterval(this.timer);
        this.options.logger.error('Lost the lock: another process took it over', { lockPath: this.lockPath });
        return;
      }
      const next = { ...this.info, refreshedAt: this.options.clock.now().toISOString() };
      await writeFileAtomic(this.lockPath, JSON.stringify(next), { mode: 0o600 });
      this.info = next;
    } catch (error) {
      this.options.logger.warn('Cannot refresh the lock', { lockPath: this.lockPath, error: (error as Error).message });
    }
  }

  private async doRelease(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
    try {
      const current = await readSnapshot(this.lockPath);
      if (this.isOurs(current)) await fsp.unlink(this.lockPath);
      else if (current !== undefined) this.options.logger.warn('Left the lock file alone: another process took it over', { lockPath: this.lockPath });
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw ioError('release the lock', this.lockPath, error);
    } finally {
      this.ticket.leave();
    }
  }
}

/** In-process Lock for tests of other modules: FIFO, bounded wait, no files. */
export class MemoryLock implements Lock {
  private readonly queue = new LocalQueue();
  private holders = 0;

  /** @param lockPath shown in errors and leases. Default: `memory`. */
  constructor(readonly lockPath = 'memory') {}

  /** True while a lease is live. */
  get isHeld(): boolean {
    return this.holders > 0;
  }

  /** Waits in line; calls onWait once if it must wait. @throws LockError after `timeoutMs`. */
  async acquire(options: AcquireOptions = {}): Promise<LockLease> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const ticket = this.queue.enter(this.lockPath);
    await pause(0, ticket.granted);
    if (!ticket.isGranted()) options.onWait?.({ waitedMs: 0 });
    await pause(timeoutMs, ticket.granted);
    if (!ticket.isGranted()) {
      ticket.leave();
      throw busyError(this.lockPath, undefined, timeoutMs);
    }
    this.holders += 1;
    let live = true;
    const release = async (): Promise<void> => {
      if (!live) return;
      live = false;
      this.holders -= 1;
      ticket.leave();
    };
    return { lockPath: this.lockPath, release };
  }
}
