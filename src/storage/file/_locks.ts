/** FileLocks: the named locks of a `--home`, one FileLock file per name. */
import { join, resolve } from 'node:path';
import { FileLock, type FileLockOptions } from './_lock';
import { checkLockName, type AcquireOptions, type HeldLock, type LockName, type Locks } from '../_lock';

/** Options of FileLocks: those of FileLock, with `home` instead of one path. */
export interface FileLocksOptions extends Omit<FileLockOptions, 'path' | 'name'> {
  /** `--home`. */
  home: string;
}

/**
 * Where the lock `name` of `home` lives (pure): `home` at `<home>/lock`, the path every earlier
 * release used (so that one of them running at the same time still excludes us, and we it), and
 * `certificate/<name>` at `<home>/locks/certificate/<name>.lock`.
 * @throws ConfigError for a name that is not a LockName
 */
export function lockPath(home: string, name: LockName): string {
  const certificate = checkLockName(name);
  return certificate === undefined ? join(home, 'lock') : join(home, 'locks', 'certificate', `${certificate}.lock`);
}

/** The named locks of one `--home`, each a FileLock (link()ed into place, refreshed, taken over when stale). */
export class FileLocks implements Locks {
  private readonly home: string;

  constructor(private readonly options: FileLocksOptions) {
    this.home = resolve(options.home);
  }

  /** lockPath() of this home. @throws ConfigError for a name that is not a LockName */
  pathOf(name: LockName): string {
    return lockPath(this.home, name);
  }

  /**
   * Waits (bounded) for the lock file of `name`; creates `<home>/locks/certificate/` (0700) on first use.
   * @throws LockError LOCK_BUSY after `timeoutMs`; `signal.reason` when aborted; StorageError STORAGE_IO; ConfigError for a bad name
   */
  async acquire(name: LockName, options: AcquireOptions = {}): Promise<HeldLock> {
    const { home: _home, ...lockOptions } = this.options;
    return new FileLock({ ...lockOptions, path: this.pathOf(name), name }).acquire(options);
  }
}
