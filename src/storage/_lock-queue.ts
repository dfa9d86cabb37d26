/** The in-process FIFO and wake-able pause that every backend's Locks waits with (FileLock, MemoryLocks). */

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

/** Resolves after `ms`, or as soon as `wake` resolves or `signal` aborts. */
export function pause(ms: number, wake?: Promise<void>, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    };
    const timer = setTimeout(finish, Math.max(0, ms));
    void wake?.then(finish);
    if (signal?.aborted === true) finish();
    else signal?.addEventListener('abort', finish, { once: true });
  });
}
