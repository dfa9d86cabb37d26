/** MemoryLocks: the named locks of one process, for tests of other modules and the lock contract suite. */
import { performance } from 'node:perf_hooks';
import {
  busyError,
  checkLockName,
  DEFAULT_LOCK_STALE_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  LeaseState,
  throwIfAborted,
  type AcquireOptions,
  type HeldLock,
  type LockHolderInfo,
  type LockName,
  type Locks,
} from '../_lock';
import { LocalQueue, pause, type Ticket } from '../_lock-queue';

/** Options of MemoryLocks. */
export interface MemoryLocksOptions {
  /** A lease not refreshed for this long is stale and may be taken over. Default: 30000. */
  staleMs?: number;
  /** How often a held lease refreshes itself. Default: staleMs / 3. */
  refreshMs?: number;
  /** How often a waiter looks again while another holder (not in its line) has the lock. Default: 10. */
  pollMs?: number;
  /** Shown to waiters, e.g. `acme renew`. Default: none. */
  command?: string;
}

/** One lease in the table; `pinned` ones never go stale (a live holder elsewhere). */
interface MemoryHolder {
  id: symbol;
  info: LockHolderInfo;
  refreshedAt: number;
  pinned: boolean;
  failing: boolean;
}

/**
 * In-process Locks for tests of other modules: a table of leases per name, FIFO among this
 * instance's callers, bounded wait, stale leases taken over. takeOver(), failRefresh() and
 * plantDeadHolder() stand in for other nodes and crashes, as the lock contract suite needs.
 */
export class MemoryLocks implements Locks {
  private readonly queue = new LocalQueue();
  private readonly holders = new Map<LockName, MemoryHolder>();
  private readonly staleMs: number;
  private readonly refreshMs: number;
  private readonly pollMs: number;

  constructor(private readonly options: MemoryLocksOptions = {}) {
    this.staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
    this.refreshMs = options.refreshMs ?? this.staleMs / 3;
    this.pollMs = options.pollMs ?? 10;
  }

  /** `memory:<name>`, as errors and leases show it. */
  whereOf(name: LockName): string {
    return `memory:${name}`;
  }

  /** True while a lease of `name` that is not stale exists. */
  isHeld(name: LockName): boolean {
    const holder = this.holders.get(name);
    return holder !== undefined && !this.isStale(holder);
  }

  /** Another holder takes `name` now, whoever holds it, and keeps it (a live holder elsewhere). */
  takeOver(name: LockName): void {
    this.holders.set(name, this.holder(9_999_999, true));
  }

  /** The current lease of `name` cannot refresh any more (a lost disk or connection). */
  failRefresh(name: LockName): void {
    const holder = this.holders.get(name);
    if (holder !== undefined) holder.failing = true;
  }

  /** `name` is held by a holder that died without releasing: stale after staleMs. */
  plantDeadHolder(name: LockName): void {
    this.holders.set(name, this.holder(9_999_998, false));
  }

  /**
   * Waits in line, then for a foreign holder to release or go stale.
   * @throws LockError LOCK_BUSY after `timeoutMs`; `signal.reason` when aborted; ConfigError for a bad name
   */
  async acquire(name: LockName, options: AcquireOptions = {}): Promise<HeldLock> {
    checkLockName(name);
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const { signal } = options;
    const ticket = this.queue.enter(name);
    try {
      while (!(await this.isFree(name, ticket))) {
        throwIfAborted(signal);
        const current = this.holders.get(name);
        const waitedMs = performance.now() - started;
        if (waitedMs >= timeoutMs)
          throw busyError(this.whereOf(name), current && { info: current.info, mtimeMs: 0 }, timeoutMs);
        options.onWait?.({ holder: current?.info, waitedMs });
        // In line: until the turn comes; first in line: poll for a holder elsewhere.
        const ms = ticket.isGranted() ? this.pollMs : timeoutMs;
        await pause(Math.min(ms, timeoutMs - waitedMs), ticket.granted, signal);
      }
      throwIfAborted(signal);
      return this.lease(name, ticket);
    } catch (error) {
      ticket.leave();
      throw error;
    }
  }

  /** True when `ticket`'s turn came and no live lease of `name` exists. */
  private async isFree(name: LockName, ticket: Ticket): Promise<boolean> {
    await pause(0, ticket.granted); // a free turn is granted in a microtask: let it arrive
    const current = this.holders.get(name);
    return ticket.isGranted() && (current === undefined || this.isStale(current));
  }

  private holder(pid: number, pinned: boolean): MemoryHolder {
    const at = new Date().toISOString();
    const info: LockHolderInfo = { pid, hostname: 'memory', acquiredAt: at, refreshedAt: at };
    if (this.options.command !== undefined) info.command = this.options.command;
    return { id: Symbol(String(pid)), info, refreshedAt: performance.now(), pinned, failing: false };
  }

  private isStale(holder: MemoryHolder): boolean {
    return !holder.pinned && performance.now() - holder.refreshedAt > this.staleMs;
  }

  private lease(name: LockName, ticket: Ticket): HeldLock {
    const where = this.whereOf(name);
    const state = new LeaseState(where);
    const mine = this.holder(process.pid, false);
    this.holders.set(name, mine);
    const timer = setInterval(() => {
      if (this.holders.get(name) !== mine) {
        clearInterval(timer);
        return state.lose('another holder took it over');
      }
      // Refresh failing: lost once the lease would be stale before the next refresh could prove it.
      if (!mine.failing) mine.refreshedAt = performance.now();
      else if (performance.now() - mine.refreshedAt + this.refreshMs >= this.staleMs) {
        clearInterval(timer);
        state.lose(`cannot refresh it for ${Math.round(performance.now() - mine.refreshedAt)} ms`);
      }
    }, this.refreshMs).unref();
    let released = false;
    return {
      name,
      where,
      signal: state.signal,
      assertHeld: () => state.assertHeld(),
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        if (this.holders.get(name) === mine) this.holders.delete(name);
        ticket.leave();
      },
    };
  }
}
