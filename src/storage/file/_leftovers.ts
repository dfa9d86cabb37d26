/**
 * What a writer killed mid-save leaves under `--home`, and how the next run drops it. Every write
 * goes through a dot-named temp (`.<base>.tmp-<hex>`, see paths.ts tempName), so a kill leaves
 * only temps: version directories being filled, a link about to be renamed, a state file, an
 * account file. The current link only ever moves to a complete version (the commit point of
 * FileCertificateStore.saveCertificate), so every temp can simply be deleted. Bundles under
 * `haproxy/` are not the store's: FileLocalBundles.reconcile() finishes those. Without this,
 * temps would pile up, one per killed write.
 */
import { join } from 'node:path';
import type { Logger } from '../../log';
import { certificatesDir, isForeignAccountFolder } from './paths';
import type { FileSystem } from './_atomic';
import { mapLimited } from './_io-limit';

/** What recoverHome() did, as paths under `--home`. */
export interface Recovery {
  /** Temp files and directories deleted. */
  removed: string[];
}

/** A temp name of ours: `.<base>.tmp-<hex>`; group 1 is `<base>`. */
export const TEMP_NAME = /^\.(.+)\.tmp-[0-9a-f]+$/;
/** Folders holding state files (and kept certificates), relative to `--home`. */
const STATE_FOLDERS = ['renewal', 'deploy', 'issued'];
/** Where the certificate locks live, relative to `--home` (see lockPath()). */
const CERTIFICATE_LOCKS = join('locks', 'certificate');
/**
 * What a killed lock writer leaves beside a certificate lock: `.<name>.lock.tmp-<pid>-<hex>` (the
 * lock's temp), `..<name>.lock.takeover-<ino>.tmp-<pid>-<hex>` (a claim's temp) and
 * `.<name>.lock.takeover-<ino>` (a claim). The lock file itself stays: it is taken over when stale.
 */
const LOCK_LEFTOVER = /^\.(?:\.)?[^/]+\.lock\.(?:tmp-\d+-[0-9a-f]+|takeover-\d+(?:\.tmp-\d+-[0-9a-f]+)?)$/;

async function entries(fs: FileSystem, dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => [] as string[]);
}

/**
 * Directories whose temp entries are simply deleted: certificates/, each versions dir, state
 * folders, our account dirs. Another client's account folders (lego's `accounts/<server>/<email>/`)
 * are never entered: nothing of theirs is ever deleted.
 */
async function plainFolders(fs: FileSystem, home: string): Promise<string[]> {
  const versionsRoot = join(certificatesDir(home), '.versions');
  // The home itself holds layout.json; the home lock's own temps (`.lock.tmp-<pid>-<hex>`) do not
  // match TEMP_NAME and are the lock's to clean.
  const folders = [home, certificatesDir(home), ...STATE_FOLDERS.map((f) => join(home, f))];
  for (const name of await entries(fs, versionsRoot)) folders.push(join(versionsRoot, name));
  const accounts = join(home, 'accounts');
  for (const server of await entries(fs, accounts)) {
    for (const path of await entries(fs, join(accounts, server))) {
      if (!isForeignAccountFolder(path)) folders.push(join(accounts, server, path));
    }
  }
  return folders;
}

/**
 * Drops every temp a killed writer left in the store's folders (see the file comment). Callers
 * MUST hold the home lock: then no temp belongs to a live writer. Never throws: what it cannot
 * remove is logged.
 */
export async function recoverHome(home: string, options: { fs: FileSystem; logger: Logger }): Promise<Recovery> {
  const { fs, logger } = options;
  const recovery: Recovery = { removed: [] };
  // One folder per certificate: listed IO_CONCURRENCY at a time, not one after another (10,000
  // sequential readdir round trips were a third of a nothing-due pass).
  await mapLimited(await plainFolders(fs, home), async (folder) => {
    for (const entry of await entries(fs, folder)) {
      if (TEMP_NAME.test(entry)) await removeTemp(join(folder, entry), { fs, logger, removed: recovery.removed });
    }
  });
  recovery.removed.sort();
  // Every certificate lock is taken under the home lock, which the caller holds: nothing here
  // belongs to a live writer.
  const locks = join(home, CERTIFICATE_LOCKS);
  for (const entry of await entries(fs, locks)) {
    if (LOCK_LEFTOVER.test(entry)) await removeTemp(join(locks, entry), { fs, logger, removed: recovery.removed });
  }
  if (recovery.removed.length > 0)
    logger.info('Removed temp files left by a killed run', { removed: recovery.removed });
  return recovery;
}

/** Deletes one temp left by a killed run and adds it to `removed`; logs (never throws) when it cannot. */
export async function removeTemp(
  path: string,
  context: { fs: FileSystem; logger: Logger; removed: string[] },
): Promise<void> {
  await context.fs.rm(path, { recursive: true, force: true }).then(
    () => context.removed.push(path),
    (error: unknown) =>
      context.logger.warn('Cannot remove a temp file left by a killed run', { path, error: String(error) }),
  );
}

/** Options of pruneVersions(). */
export interface PruneOptions {
  /** The version the link points at: never removed. */
  current: string;
  /** How many of the newest versions to keep, the current one included. */
  keep: number;
  fs: FileSystem;
  logger: Logger;
}

/** Keeps the `keep` newest version directories of one certificate and never the current one; never throws. */
export async function pruneVersions(parent: string, options: PruneOptions): Promise<void> {
  const { fs, logger } = options;
  try {
    const versions = (await fs.readdir(parent))
      .filter((entry) => !entry.startsWith('.'))
      .sort()
      .reverse();
    const keep = new Set([options.current, ...versions.slice(0, options.keep)]);
    for (const version of versions.filter((v) => !keep.has(v))) {
      await fs.rm(join(parent, version), { recursive: true, force: true });
      logger.debug('Pruned an old certificate version', { version });
    }
  } catch (error) {
    logger.warn('Cannot prune old certificate versions', { dir: parent, error: String(error) });
  }
}
