/**
 * Archiving a certificate that is no longer wanted (FileCertificateStore.removeCertificate, for
 * `acme remove`): its files leave `--home`'s
 * live folders for `<home>/archive/<name>-<UTC yyyymmddThhmmssZ>/`, which mirrors the home
 * layout, so that restoring is moving them back:
 * ```
 * archive/<name>-<stamp>/certificates/<name> -> .versions/<name>/<version>   (still resolves)
 * archive/<name>-<stamp>/certificates/.versions/<name>/<version>/…
 * archive/<name>-<stamp>/haproxy/<name>.pem
 * archive/<name>-<stamp>/deploy/<name>.json
 * archive/<name>-<stamp>/renewal/<name>.json
 * archive/<name>-<stamp>/issued/<name>.json      (a certificate the CA issued that was never stored)
 * ```
 * The kept certificate goes too: left in `issued/`, the next `acme renew` would finish it and bring
 * the removed certificate back.
 * Private keys stay in the archive (0600 files in 0700 directories); delete the folder to drop them.
 */
import { basename, join } from 'node:path';
import type { Clock } from '../../clock';
import type { Logger } from '../../log';
import { certificatesDir, haproxyDir, issuedDir } from './paths';
import { archiveFolderName, sanitiseName } from '../_names';
import { ensureDir, exists, ioError, syncDir, type FileSystem } from './_atomic';

/** Where archiveCertificateFiles() put the files of one certificate. */
export interface ArchivedCertificate {
  /** The folder name under `<home>/archive/`: `<name>-<stamp>` (the store's `archiveId`). */
  archiveId: string;
  /** `<home>/archive/<archiveId>`. */
  dir: string;
  /** What was moved, relative to `--home`, in the order it was moved (e.g. `certificates/a.test`). */
  moved: string[];
}

/** What archiveCertificateFiles() needs. */
export interface ArchiveContext {
  /** The `--home` directory. */
  home: string;
  /** Names the archive folder. */
  clock: Clock;
  logger: Logger;
  fs: FileSystem;
  /** Suffix when two archives of one name fall in the same second. */
  random: () => string;
}

/** `<home>/archive`: removed certificates. */
export function archiveRoot(home: string): string {
  return join(home, 'archive');
}

/** The files of `name` relative to home, in the order they are moved: the certificate entry first. */
function archivedParts(name: string): string[] {
  const safe = sanitiseName(name);
  return [
    join('certificates', safe),
    join('certificates', '.versions', safe),
    join('haproxy', `${safe}.pem`),
    join('deploy', `${safe}.json`),
    join('renewal', `${safe}.json`),
    join('issued', `${safe}.json`),
  ];
}

/**
 * Moves every file of `name` under --home into `<home>/archive/<name>-<stamp>/` with rename(2),
 * one by one, the certificate entry first, so that a crash part-way leaves no half-readable
 * certificate; what is already gone is skipped (a second run finishes the first). Resolves
 * undefined when nothing was left to move.
 * @throws ConfigError for an unsafe name; StorageError STORAGE_IO when a folder cannot be created or a file moved
 */
export async function archiveCertificateFiles(
  name: string,
  context: ArchiveContext,
): Promise<ArchivedCertificate | undefined> {
  const { home, fs } = context;
  const present: string[] = [];
  for (const part of archivedParts(name)) if (await exists(join(home, part), { fs })) present.push(part);
  if (present.length === 0) return undefined;
  const dir = await createFolder(name, context);
  const moved: string[] = [];
  for (const part of present) {
    const to = join(dir, part);
    await ensureDir(join(to, '..'), { fs });
    await fs.rename(join(home, part), to).catch((error: unknown) => {
      throw ioError(`move "${join(home, part)}" to`, to, error);
    });
    moved.push(part);
  }
  // Make the renames durable in every folder they touched.
  const touched = [
    certificatesDir(home),
    join(certificatesDir(home), '.versions'),
    haproxyDir(home),
    join(home, 'deploy'),
    join(home, 'renewal'),
    issuedDir(home),
  ];
  for (const folder of touched) if (await exists(folder, { fs })) await syncDir(folder, { fs });
  context.logger.info('Archived the certificate files', { name: sanitiseName(name), dir, moved });
  return { archiveId: basename(dir), dir, moved };
}

/** Creates `<home>/archive/<name>-<stamp>` (0700), with a random suffix when it exists already. */
async function createFolder(name: string, context: ArchiveContext): Promise<string> {
  const { fs } = context;
  const root = archiveRoot(context.home);
  await ensureDir(root, { fs });
  const base = archiveFolderName(name, context.clock.now());
  let dir = join(root, base);
  if (await exists(dir, { fs })) dir = join(root, `${base}-${context.random()}`);
  await ensureDir(dir, { fs });
  return dir;
}
