/**
 * What a writer killed mid-save leaves under `--home`, and how the next run finishes or drops it.
 * Every write goes through a dot-named temp (`.<base>.tmp-<hex>`, see paths.ts tempName), so a
 * kill leaves only temps: version directories being filled, a link about to be renamed, a state
 * file, an account file, or a complete bundle written before the link moved (see
 * FileCertificateStore.saveCertificate). A bundle temp that is exactly the current version's
 * bundle is renamed into place (the save got past its commit point, the link swap); every other
 * temp is deleted. Found by test/integration/crash-safety.test.ts: before this, temps piled up
 * and a kill between the link swap and the bundle write kept the old bundle on disk for good.
 */
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../log';
import { certificatesDir, haproxyDir, isForeignAccountFolder } from './paths';
import { syncDir, type FileSystem } from './_atomic';

/** What recoverHome() did, as paths under `--home`. */
export interface Recovery {
  /** Temp files and directories deleted. */
  removed: string[];
  /** Bundles completed from their temp (the certificate names). */
  completedBundles: string[];
}

/** A temp name of ours: `.<base>.tmp-<hex>`; group 1 is `<base>`. */
const TEMP_NAME = /^\.(.+)\.tmp-[0-9a-f]+$/;
/** Folders holding state files (and kept certificates), relative to `--home`. */
const STATE_FOLDERS = ['renewal', 'deploy', 'issued'];

async function entries(fs: FileSystem, dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => [] as string[]);
}

async function textOf(fs: FileSystem, path: string): Promise<string | undefined> {
  return fs.readFile(path, 'utf8').catch(() => undefined);
}

/** The bundle the current version of `name` stands for, or undefined when it has none. */
async function currentBundle(fs: FileSystem, home: string, name: string): Promise<string | undefined> {
  const dir = join(certificatesDir(home), name);
  const parts = await Promise.all(['cert.pem', 'chain.pem', 'privkey.pem'].map((file) => textOf(fs, join(dir, file))));
  return parts.some((part) => part === undefined) ? undefined : parts.join('');
}

/**
 * Directories whose temp entries are simply deleted: certificates/, each versions dir, state
 * folders, our account dirs. Another client's account folders (lego's `accounts/<server>/<email>/`)
 * are never entered: nothing of theirs is ever deleted.
 */
async function plainFolders(fs: FileSystem, home: string): Promise<string[]> {
  const versionsRoot = join(certificatesDir(home), '.versions');
  const folders = [certificatesDir(home), ...STATE_FOLDERS.map((f) => join(home, f))];
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
 * Renames a bundle temp into place when it is exactly the current version's bundle and the live
 * bundle is not (the save passed its commit point); returns the certificate name then.
 */
async function completeBundle(
  temp: string,
  context: { home: string; fs: FileSystem; logger: Logger },
): Promise<string | undefined> {
  const { home, fs, logger } = context;
  const base = TEMP_NAME.exec(basename(temp))?.[1];
  if (base === undefined || !base.endsWith('.pem')) return undefined;
  const name = base.slice(0, -'.pem'.length);
  const live = join(dirname(temp), base);
  const [text, current, liveText] = await Promise.all([
    textOf(fs, temp),
    currentBundle(fs, home, name),
    textOf(fs, live),
  ]);
  if (text === undefined || text !== current || liveText === current) return undefined;
  try {
    await fs.rename(temp, live);
    await syncDir(dirname(temp), { fs });
  } catch (error) {
    logger.warn('Cannot complete an interrupted bundle write', { bundle: live, error: String(error) });
    return undefined;
  }
  logger.warn('Completed the bundle of a save that was interrupted after its commit', { name, bundle: live });
  return name;
}

/**
 * Finishes or drops every temp a killed writer left (see the file comment). Callers MUST hold the
 * home lock: then no temp belongs to a live writer. Never throws: what it cannot remove is logged.
 */
export async function recoverHome(home: string, options: { fs: FileSystem; logger: Logger }): Promise<Recovery> {
  const { fs, logger } = options;
  const recovery: Recovery = { removed: [], completedBundles: [] };
  const remove = async (path: string): Promise<void> => {
    await fs.rm(path, { recursive: true, force: true }).then(
      () => recovery.removed.push(path),
      (error: unknown) => logger.warn('Cannot remove a temp file left by a killed run', { path, error: String(error) }),
    );
  };
  for (const folder of await plainFolders(fs, home)) {
    for (const entry of await entries(fs, folder)) if (TEMP_NAME.test(entry)) await remove(join(folder, entry));
  }
  const bundles = haproxyDir(home);
  for (const entry of await entries(fs, bundles)) {
    if (!TEMP_NAME.test(entry)) continue;
    const name = await completeBundle(join(bundles, entry), { home, fs, logger });
    if (name !== undefined) recovery.completedBundles.push(name);
    else await remove(join(bundles, entry));
  }
  if (recovery.removed.length > 0)
    logger.info('Removed temp files left by a killed run', { removed: recovery.removed });
  return recovery;
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
