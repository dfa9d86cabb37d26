import { basename, dirname, join, resolve } from 'node:path';
import type { Clock } from '../../clock';
import { StorageError } from '../../errors';
import type { Logger } from '../../log';
import { CertificatePaths, certificatePaths, certificatesDir, tempName, versionLinkTarget, versionsDir } from './paths';
import { sanitiseName } from '../_names';
import {
  ensureDir,
  exists,
  FileSystem,
  ioError,
  nodeFileSystem,
  randomSuffix,
  readTextFile,
  syncDir,
  writeFileDurable,
} from './_atomic';
import { archiveCertificateFiles, archiveRoot, type ArchivedCertificate } from './_archive';
import { loadAccountFiles, saveAccountFiles } from './_accounts';
import { formatMeta, parseMeta, PreparedCertificate, prepareCertificate } from '../_prepare';
import type {
  CertificateMeta,
  CertificateStore,
  RemoveCertificateOptions,
  SaveCertificateInput,
  SaveCertificateOptions,
  StoredAccount,
  StoredCertificate,
} from '../_types';
import { pruneVersions, recoverHome, type Recovery } from './_leftovers';
import { mapLimited, openFilesLimitError } from './_io-limit';

/** Options of FileCertificateStore. */
export interface FileCertificateStoreOptions {
  /** The `--home` directory; created 0700 on first write. */
  home: string;
  /** Names version directories and fills `issuedAt`. */
  clock: Clock;
  logger: Logger;
  /** Suffix source for temp names and version collisions. Default: 6 random bytes as hex. */
  random?: () => string;
  /** Default: node:fs/promises. Tests pass a wrapper that fails on purpose. */
  fs?: FileSystem;
  /** How many version directories to keep per certificate, the current one included. Default: 3. */
  keepVersions?: number;
}

const FILE_MODE = 0o600;

/**
 * Stores certificates as files under `home` (layout in paths.ts). Every file is 0600 and every
 * directory 0700, certificates included: one rule, and nothing here needs to be world-readable.
 * A new version is written into its own directory, then `certificates/<name>` (a symlink) is
 * renamed over to point at it (the commit point); readers that resolve the symlink once see one
 * complete version. The version id is the version directory's name. The HAProxy bundle is not
 * written here (FileLocalBundles). Writers of one name MUST be serialised by the caller (a lock):
 * the compare of `expectedVersion` is made right before the rename, not atomically with it, and
 * two concurrent saves of one name can each prune the other's version.
 */
export class FileCertificateStore implements CertificateStore {
  private readonly home: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: () => string;
  private readonly fs: FileSystem;
  private readonly keepVersions: number;
  private recovery: Promise<Recovery> | undefined;

  constructor(options: FileCertificateStoreOptions) {
    this.home = options.home;
    this.clock = options.clock;
    this.logger = options.logger;
    this.random = options.random ?? randomSuffix;
    this.fs = options.fs ?? nodeFileSystem;
    this.keepVersions = Math.max(1, options.keepVersions ?? 3);
  }

  /**
   * Where the files of `name` are (or would be); file-specific, for `acme issue` output and the
   * lego adoption, never part of the CertificateStore contract.
   * @throws ConfigError when the name is unsafe.
   */
  paths(name: string): CertificatePaths {
    return certificatePaths(this.home, name);
  }

  /** `<home>/archive/<archiveId>`: where removeCertificate() put a certificate. */
  archiveDir(archiveId: string): string {
    return join(archiveRoot(this.home), archiveId);
  }

  /**
   * Reads the account of an ACME directory; undefined when none was saved.
   * @throws StorageError STORAGE_CORRUPT when the account files are unreadable.
   */
  loadAccount(directoryUrl: string): Promise<StoredAccount | undefined> {
    return loadAccountFiles(this.accountFiles(), directoryUrl);
  }

  /**
   * Writes the account key, then account.json, both 0600.
   * @throws StorageError STORAGE_IO when a file cannot be written.
   */
  saveAccount(account: StoredAccount): Promise<void> {
    return saveAccountFiles(this.accountFiles(), account);
  }

  /**
   * Reads the current version of `name`; undefined when there is none.
   * @throws StorageError STORAGE_CORRUPT when the certificate exists but cannot be read back.
   */
  async loadCertificate(name: string): Promise<StoredCertificate | undefined> {
    const paths = this.paths(name);
    const dir = await this.currentVersionDir(name, paths);
    if (dir === undefined) return undefined;
    const read = (file: string): Promise<string> => this.readVersionFile(name, join(dir, file));
    const [metaText, certPem, chainPem, keyPem] = await Promise.all([
      read('meta.json'),
      read('cert.pem'),
      read('chain.pem'),
      read('privkey.pem'),
    ]);
    return { meta: parseMeta(metaText, join(dir, 'meta.json')), certPem, chainPem, keyPem };
  }

  /**
   * Reads only `meta.json` of the current version of `name`; undefined when there is none.
   * @throws StorageError STORAGE_CORRUPT when the certificate exists but cannot be read back.
   */
  async loadCertificateMeta(name: string): Promise<CertificateMeta | undefined> {
    const dir = await this.currentVersionDir(name, this.paths(name));
    if (dir === undefined) return undefined;
    const metaPath = join(dir, 'meta.json');
    return parseMeta(await this.readVersionFile(name, metaPath), metaPath);
  }

  /**
   * Resolves the `current` link once, so that every file is read from that one directory: a
   * concurrent save that swaps the link cannot make us mix two versions.
   */
  private async currentVersionDir(name: string, paths: CertificatePaths): Promise<string | undefined> {
    const target = await this.readLink(paths.dir);
    if (target === undefined) return undefined;
    const dir = resolve(certificatesDir(this.home), target);
    if (dirname(dir) !== versionsDir(this.home, name)) {
      throw new StorageError(
        'STORAGE_CORRUPT',
        `Cannot read certificate "${paths.dir}": it points at "${target}", outside its versions directory; move it away and issue again`,
        {
          path: paths.dir,
        },
      );
    }
    return dir;
  }

  /**
   * Drops what a killed save left (see _leftovers.ts); file-specific crash recovery, called by the
   * file wiring (openFileBackend), never through the contract. Callers hold the home lock.
   * Scans once per store: later calls return the first result, because by then every temp file
   * belongs to this live process (a renewal pass saves up to 4 certificates at once).
   */
  recover(): Promise<Recovery> {
    this.recovery ??= recoverHome(this.home, { fs: this.fs, logger: this.logger });
    return this.recovery;
  }

  /**
   * Names of the entries in `certificates/`, sorted. Temp entries are skipped, and so are regular
   * files: ours are symlinks, so a regular file is another client's (lego's `<domain>.crt`, `.key`,
   * `.json` when lego shares the home), never ours to read. Anything else (a directory) is listed,
   * so that loading it reports it as corrupt.
   */
  async listCertificateNames(): Promise<string[]> {
    const dir = certificatesDir(this.home);
    let entries: Array<{ name: string; isFile(): boolean }>;
    try {
      // The entry types come with the listing (lstat only where the file system does not say):
      // one call for 10,000 certificates instead of 10,000 lstat round trips.
      entries = await this.fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError('list', dir, error);
    }
    return entries
      .filter((entry) => !entry.name.startsWith('.') && !entry.isFile())
      .map((entry) => entry.name)
      .sort();
  }

  /**
   * Every certificate, sorted by name.
   * @throws StorageError STORAGE_CORRUPT for the first certificate that cannot be read.
   */
  async listCertificates(): Promise<StoredCertificate[]> {
    const names = await this.listCertificateNames();
    // IO_CONCURRENCY at a time: all at once opened 4 files per certificate (EMFILE at 1,000 under 1,024).
    const loaded = await mapLimited(names, (name) => this.loadCertificate(name));
    return loaded.filter((cert): cert is StoredCertificate => cert !== undefined);
  }

  /**
   * Validates, compares `expectedVersion`, writes a new version directory, swaps the symlink, prunes.
   * @throws CertificateError when validation fails, StorageError STORAGE_CONFLICT when the current
   * version is not `expectedVersion` (nothing written); ConfigError for an unsafe name.
   * @throws StorageError when a write fails (the previous version stays current); the signal's
   * reason when aborted before the link moved (nothing left behind).
   */
  async saveCertificate(input: SaveCertificateInput, options: SaveCertificateOptions = {}): Promise<CertificateMeta> {
    const prepared = prepareCertificate(input, this.clock.now());
    const { signal } = options;
    signal?.throwIfAborted();
    const link = this.paths(prepared.name).dir;
    const log = this.logger.child({ name: prepared.name, serial: prepared.meta.serial });
    await this.assertVersion(prepared.name, options.expectedVersion, 'save');
    await ensureDir(certificatesDir(this.home), { fs: this.fs });
    await ensureDir(versionsDir(this.home, prepared.name), { fs: this.fs });
    const version = await this.writeVersion(prepared);
    try {
      signal?.throwIfAborted();
      options.lock?.assertHeld();
      // Again right before the commit point: a writer that got there first wins, this one fails.
      await this.assertVersion(prepared.name, options.expectedVersion, 'save');
      await this.swapLink(prepared.name, versionLinkTarget(prepared.name, version));
    } catch (error) {
      await this.removeVersion(prepared.name, version, log);
      throw error;
    }
    log.info('Stored certificate', { version, dir: link, notAfter: prepared.meta.notAfter });
    await pruneVersions(versionsDir(this.home, prepared.name), {
      current: version,
      keep: this.keepVersions,
      fs: this.fs,
      logger: log,
    });
    return { ...prepared.meta, version };
  }

  /**
   * Moves every file of `name` under --home (versions, link, this node's bundle, deploy and
   * renewal state, a kept certificate) into `<home>/archive/<archiveId>/` (layout in _archive.ts);
   * `archiveId` is the folder name. Undefined when nothing was left to move.
   * @throws ConfigError for an unsafe name; StorageError STORAGE_CONFLICT, STORAGE_IO
   */
  async removeCertificate(
    name: string,
    options: RemoveCertificateOptions = {},
  ): Promise<ArchivedCertificate | undefined> {
    options.signal?.throwIfAborted();
    options.lock?.assertHeld();
    if (options.expectedVersion !== undefined)
      await this.assertVersion(sanitiseName(name), options.expectedVersion, 'remove');
    return archiveCertificateFiles(name, {
      home: this.home,
      clock: this.clock,
      logger: this.logger,
      fs: this.fs,
      random: this.random,
    });
  }

  /**
   * The id of the current version of `name` (the directory its link points at), or null when it
   * has none. Reads only the link: a certificate whose files are damaged still has a version.
   * @throws StorageError STORAGE_CORRUPT when the entry is not a link
   */
  async currentVersion(name: string): Promise<string | null> {
    const target = await this.readLink(this.paths(name).dir);
    return target === undefined ? null : basename(target);
  }

  /**
   * Compare-and-set; with `expected` undefined only checks that the entry is a link.
   * @throws StorageError STORAGE_CONFLICT, STORAGE_CORRUPT
   */
  private async assertVersion(name: string, expected: string | null | undefined, action: string): Promise<void> {
    const current = await this.currentVersion(name);
    if (expected === undefined || current === expected) return;
    throw new StorageError(
      'STORAGE_CONFLICT',
      `Cannot ${action} certificate "${name}": expected ${expected === null ? 'no version' : `version "${expected}"`}, the current one is ${current === null ? 'none' : `"${current}"`} (another run changed it); run the command again`,
      { path: this.paths(name).dir, retryable: true },
    );
  }

  private accountFiles(): Parameters<typeof loadAccountFiles>[0] {
    return { home: this.home, fs: this.fs, logger: this.logger, random: this.random };
  }

  /** The symlink target, or undefined when there is no entry. */
  private async readLink(path: string): Promise<string | undefined> {
    try {
      return await this.fs.readlink(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'EINVAL') {
        throw new StorageError(
          'STORAGE_CORRUPT',
          `Cannot read certificate "${path}": it is not a symlink to a version directory; move it away and issue again`,
          {
            path,
            cause: error,
          },
        );
      }
      throw ioError('read symlink', path, error);
    }
  }

  private async readVersionFile(name: string, path: string): Promise<string> {
    try {
      // The lean reader on the real file system (a listing reads a file per certificate); tests' wrappers as given.
      return await (this.fs === nodeFileSystem ? readTextFile(path) : this.fs.readFile(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('read', path, error);
      throw new StorageError(
        'STORAGE_CORRUPT',
        `Cannot read certificate "${sanitiseName(name)}": "${path}" is missing; issue the certificate again`,
        {
          path,
          cause: error,
        },
      );
    }
  }

  /** Writes all files into a temp directory, then renames it to the version name; returns that name. */
  private async writeVersion(prepared: PreparedCertificate): Promise<string> {
    const parent = versionsDir(this.home, prepared.name);
    let version = prepared.meta.version;
    // Same second and same serial (a retried save): keep both rather than overwrite.
    if (await exists(join(parent, version), { fs: this.fs })) version = `${version}-${this.random()}`;
    const temp = join(parent, tempName(version, this.random()));
    const files: Array<[string, string]> = [
      ['cert.pem', prepared.certPem],
      ['chain.pem', prepared.chainPem],
      ['fullchain.pem', prepared.fullchainPem],
      ['privkey.pem', prepared.keyPem],
      ['meta.json', formatMeta({ ...prepared.meta, version })],
    ];
    try {
      await ensureDir(temp, { fs: this.fs });
      for (const [file, data] of files)
        await writeFileDurable(join(temp, file), data, { fs: this.fs, mode: FILE_MODE });
      await syncDir(temp, { fs: this.fs });
      await this.fs.rename(temp, join(parent, version)).catch((error: unknown) => {
        throw ioError('rename', temp, error);
      });
      await syncDir(parent, { fs: this.fs });
    } catch (error) {
      await this.fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
      // Name the certificate's folder, not the temp file (e.g. ENOSPC while writing fullchain.pem).
      const cause = error instanceof StorageError && error.cause !== undefined ? error.cause : error;
      const limited = openFilesLimitError('write certificate to', parent, cause);
      if (limited !== undefined) throw limited;
      throw new StorageError(
        'STORAGE_IO',
        `Cannot write certificate "${prepared.name}" to "${parent}": ${(cause as Error).message ?? String(cause)}`,
        { path: parent, cause: error },
      );
    }
    return version;
  }

  /** Points `link` at `target` atomically: a temp symlink renamed over the old one. */
  private async swapLink(name: string, target: string): Promise<void> {
    const parent = certificatesDir(this.home);
    const link = join(parent, name);
    const temp = join(parent, tempName(name, this.random()));
    try {
      await this.fs.symlink(target, temp);
      await this.fs.rename(temp, link);
    } catch (error) {
      await this.fs.unlink(temp).catch(() => undefined);
      throw ioError('switch certificate link', link, error);
    }
    await syncDir(parent, { fs: this.fs });
  }

  private async removeVersion(name: string, version: string, log: Logger): Promise<void> {
    const dir = join(versionsDir(this.home, name), version);
    await this.fs.rm(dir, { recursive: true, force: true }).catch((error: unknown) => {
      log.warn('Cannot remove an unused certificate version', { dir, error: String(error) });
    });
  }
}
