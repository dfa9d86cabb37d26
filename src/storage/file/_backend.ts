import type { Clock } from '../../clock';
import type { Logger } from '../../log';
import type { FileSystem } from './_atomic';
import { FileCertificateStore } from './_store';
import { FileLocalBundles } from './_local-bundles';

/** Options of openFileBackend(). */
export interface FileBackendOptions {
  /** The `--home` directory. */
  home: string;
  clock: Clock;
  logger: Logger;
  /** Default: node:fs/promises. */
  fs?: FileSystem;
  /** Suffix source for temp names. Default: 6 random bytes as hex. */
  random?: () => string;
  /** Versions kept per certificate. Default: 3 (see FileCertificateStoreOptions). */
  keepVersions?: number;
}

/** The file backend of one home: the store, and this node's bundles next to it. */
export interface FileBackend {
  store: FileCertificateStore;
  /** Its reconcile() runs the store's own crash recovery first (FileCertificateStore.recover). */
  bundles: FileLocalBundles;
}

/**
 * Builds the file store of `home` and the bundles under `<home>/haproxy/`, wired so that the
 * reconcile() every state-changing command runs under the home lock also finishes the store's
 * interrupted writes: the only place the file store's crash recovery is called from.
 */
export function openFileBackend(options: FileBackendOptions): FileBackend {
  const store = new FileCertificateStore(options);
  const bundles = new FileLocalBundles({
    home: options.home,
    store,
    logger: options.logger,
    ...(options.fs === undefined ? {} : { fs: options.fs }),
    ...(options.random === undefined ? {} : { random: options.random }),
    recoverStore: () => store.recover(),
  });
  return { store, bundles };
}
