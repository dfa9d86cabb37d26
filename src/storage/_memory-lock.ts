/** MemoryLock, and the in-process FIFO and wake-able pause that FileLock also waits with. */
import { DEFAULT_LOCK_TIMEOUT_MS, busyError, type AcquireOptions, type Lock, type LockLease } from './_lock';

/** A place in a per-key FIFO; `granted` resolves when every earlier ticket has left. */
export interface Ticket {
  readonly granted: Promise<void>;
  isGranted(): boolean;
  /** Leaves the line (idempotent); works before or after the turn came. */
  leave(): void;
}

/** FIFO of in-process holders per key, so two acquire() calls in one process queue. */
export class LocalQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Joins the line for `key`; the ticket's turn comes when every earlier ticket has left. */
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

/** Resolves after `ms`, or as soon as `wake` resolves. */
export function pause(ms: number, wake?: Promise<void>): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, Math.max(0, ms));
    void wake?.then(() => (clearTimeout(timer), done()));
  });
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
