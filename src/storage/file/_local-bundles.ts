/**
 * "Materialise on this node": the HAProxy bundle of each stored certificate, where this node's
 * HAProxy loads it (`<home>/haproxy/<name>.pem`, leaf + chain + key, 0600). The store keeps
 * versions; this writes the bundle of one after the store saved it. A run killed in between
 * leaves the previous bundle, which reconcile() (run at the start of the next command, under the
 * home lock) replaces: HAProxy never loads half a bundle, and never keeps an old one for good.
 */
import { join } from 'node:path';
import { AppError } from '../../errors';
import type { Logger } from '../../log';
import { certificateDir, haproxyBundlePath, haproxyDir } from './paths';
import { ensureDir, ioError, nodeFileSystem, writeFileAtomic, type FileSystem } from './_atomic';
import { removeTemp, TEMP_NAME } from './_leftovers';
import { mapLimited } from './_io-limit';
import { bundleOf } from '../_prepare';
import type { CertificateStore, LocalBundles, StoredCertificate } from '../_types';

/** Options of FileLocalBundles. */
export interface FileLocalBundlesOptions {
  /** The `--home` directory: bundles go to `<home>/haproxy/`. */
  home: string;
  /** Where the current versions are read from. */
  store: Pick<CertificateStore, 'listCertificateNames' | 'loadCertificate'>;
  logger: Logger;
  /** Default: node:fs/promises. */
  fs?: FileSystem;
  /** Suffix source for temp names. Default: 6 random bytes as hex. */
  random?: () => string;
  /**
   * Runs first in reconcile(): the file wiring passes the file store's own crash recovery
   * (FileCertificateStore.recover), so that one call at the start of a command finishes both.
   * Default: nothing.
   */
  recoverStore?: () => Promise<unknown>;
}

/** Bundles as files under `<home>/haproxy/`, each replaced atomically (temp, fsync, rename). */
export class FileLocalBundles implements LocalBundles {
  private readonly fs: FileSystem;
  private full: Promise<string[]> | undefined;

  constructor(private readonly options: FileLocalBundlesOptions) {
    this.fs = options.fs ?? nodeFileSystem;
  }

  /** `<home>/haproxy/<name>.pem`. @throws ConfigError for an unsafe name */
  pathOf(name: string): string {
    return haproxyBundlePath(this.options.home, name);
  }

  /**
   * Replaces the bundle atomically; the old one stays when this fails or is aborted.
   * @throws StorageError STORAGE_IO; the signal's reason when aborted
   */
  async write(stored: StoredCertificate, options: { signal?: AbortSignal } = {}): Promise<string> {
    const path = this.pathOf(stored.meta.name);
    options.signal?.throwIfAborted();
    await ensureDir(haproxyDir(this.options.home), { fs: this.fs });
    await writeFileAtomic(path, bundleOf(stored), {
      mode: 0o600,
      fs: this.fs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(this.options.random === undefined ? {} : { random: this.options.random }),
    });
    return path;
  }

  /** @throws StorageError STORAGE_IO; ConfigError for an unsafe name */
  async remove(name: string): Promise<boolean> {
    const path = this.pathOf(name);
    try {
      await this.fs.unlink(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw ioError('remove', path, error);
    }
  }

  /**
   * Without `names`: runs `recoverStore`, deletes the temps a killed bundle write left in
   * `<home>/haproxy/`, then rewrites every bundle that is not its current version's; once per
   * instance, later calls resolve with the first result, because by then every temp belongs to
   * this live process (a renewal pass writes up to 4 bundles at once). With `names`: checks and
   * rewrites those bundles only. Callers hold the home lock. Never throws: a certificate that
   * cannot be read or written is logged and left as it is.
   */
  reconcile(names?: string[]): Promise<string[]> {
    if (names !== undefined) return this.reconcileNames(names, 'info');
    this.full ??= this.reconcileAll();
    return this.full;
  }

  private async reconcileAll(): Promise<string[]> {
    const { logger } = this.options;
    await this.options.recoverStore?.().catch((error: unknown) => {
      logger.warn('Cannot finish what a killed run left in the store', { error: String(error) });
    });
    await this.removeTemps();
    let names: string[];
    try {
      names = await this.options.store.listCertificateNames();
    } catch (error) {
      logger.warn('Cannot list the certificates to check their HAProxy bundles', { error: String(error) });
      return [];
    }
    return this.reconcileNames(names, 'warn');
  }

  /** `level`: how a rewrite is logged: a warning when a full check finds one (a killed run), info for a sync. */
  private async reconcileNames(todo: string[], level: 'info' | 'warn'): Promise<string[]> {
    // The shared bound: at most IO_CONCURRENCY certificates checked (2 lstat, or 5 files read) at once.
    const done = await mapLimited(todo, (name) => this.reconcileOne(name, level));
    return todo.filter((_, index) => done[index]);
  }

  /** True when it rewrote the bundle of `name`. */
  private async reconcileOne(name: string, level: 'info' | 'warn'): Promise<boolean> {
    const log = this.options.logger.child({ certificate: name });
    try {
      if (await this.writtenAfterCommit(name)) return false;
      const stored = await this.options.store.loadCertificate(name);
      if (stored === undefined) return false;
      const path = this.pathOf(stored.meta.name);
      const live = await this.fs.readFile(path, 'utf8').catch(() => undefined);
      if (live === bundleOf(stored)) return false;
      await this.write(stored);
      log[level]('Rewrote the HAProxy bundle to the current version (a killed run, or another node, stored it)', {
        bundle: path,
        version: stored.meta.version,
        previous: live === undefined ? 'missing' : 'another version',
      });
      return true;
    } catch (error) {
      // A damaged entry is reported by whatever reads it for its own purpose (acme list, renew);
      // saying it here too, at every command, would only repeat it (or warn about another client's folder).
      const corrupt = error instanceof AppError && error.code === 'STORAGE_CORRUPT';
      log[corrupt ? 'debug' : 'warn']('Cannot check the HAProxy bundle of a stored certificate', {
        error: error instanceof AppError ? error.message : String(error),
      });
      return false;
    }
  }

  /**
   * True when the bundle was modified after the certificate's current version was committed (its
   * `certificates/<name>` link renamed into place): the bundle is written only after that commit,
   * so it is that version's, and nothing needs reading. A bundle as old as the link or older (or a
   * missing one) is read and compared. Two lstat calls instead of reading four files: at 1000
   * certificates, the check at the start of every command drops from ~250 ms to a few ms.
   */
  private async writtenAfterCommit(name: string): Promise<boolean> {
    const [link, bundle] = await Promise.all([
      this.fs.lstat(certificateDir(this.options.home, name)).catch(() => undefined),
      this.fs.lstat(this.pathOf(name)).catch(() => undefined),
    ]);
    return link !== undefined && bundle?.isFile() === true && bundle.mtimeMs > link.mtimeMs;
  }

  private async removeTemps(): Promise<void> {
    const dir = haproxyDir(this.options.home);
    const entries = await this.fs.readdir(dir).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const entry of entries) {
      if (TEMP_NAME.test(entry))
        await removeTemp(join(dir, entry), { fs: this.fs, logger: this.options.logger, removed });
    }
    if (removed.length > 0) this.options.logger.info('Removed temp bundles left by a killed run', { removed });
  }
}
