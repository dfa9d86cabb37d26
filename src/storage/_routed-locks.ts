import type { AcquireOptions, HeldLock, LockName, Locks } from './_lock';

/**
 * Locks split by scope: `home` (this node's local state: bundles, crt-list, HAProxy) from one
 * backend, every `certificate/<name>` (work on a certificate, across every node sharing the store)
 * from another. A node on a shared database keeps its home lock in its own `--home` while the
 * certificate leases live in the database.
 */
export class LocksByScope implements Locks {
  constructor(private readonly scopes: { home: Locks; certificates: Locks }) {}

  acquire(name: LockName, options?: AcquireOptions): Promise<HeldLock> {
    return (name === 'home' ? this.scopes.home : this.scopes.certificates).acquire(name, options);
  }
}
