/**
 * Archiving a certificate that is no longer wanted (`acme remove`): its files leave `--home`'s
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
import { join } from 'node:path';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { certificatesDir, haproxyDir, issuedDir, sanitiseName } from './paths';
import { ensureDir, exists, ioError, nodeFileSystem, randomSuffix, syncDir, type FileSystem } from './_atomic';
import type { MemoryCertificateStore } from './_memory-store';
import type { MemoryDeployStateStore } from './_deploy-state';
import type { MemoryRenewalStateStore } from './_renewal-state';

/** Where archiveCertificate put the files of one certificate. */
export interface ArchivedCertificate {
  /** `<home>/archive/<name>-<stamp>`; undefined when nothing of the certificate was left to move. */
  dir: string | undefined;
  /** What was moved, relative to `--home`, in the order it was moved (e.g. `certificates/a.test`). */
  moved: string[];
}

/**
 * Takes every file of one certificate out of the live store. Contract: after archive() resolves,
 * loadCertificate(name) MUST return undefined and listCertificateNames() MUST NOT list it; the
 * certificate entry MUST go first, so that a crash part-way leaves no half-readable certificate.
 * It MUST be idempotent: what is already gone is skipped.
 */
export interface CertificateArchive {
  /** @throws ConfigError for an unsafe name; StorageError STORAGE_IO when a move fails */
  archive(name: string): Promise<ArchivedCertificate>;
}

/** Options of FileCertificateArchive. */
export interface FileCertificateArchiveOptions {
  /** The `--home` directory. */
  home: string;
  /** Names the archive folder. */
  clock: Clock;
  logger: Logger;
  /** Default: node:fs/promises. */
  fs?: FileSystem;
  /** Suffix when two archives of one name fall in the same second. Default: 6 random bytes as hex. */
  random?: () => string;
}

/** `<home>/archive`: removed certificates. */
export function archiveRoot(home: string): string {
  return join(home, 'archive');
}

/**
 * `<name>-<UTC yyyymmddThhmmssZ>`, e.g. `a.example.com-20261127T003554Z`.
 * @throws ConfigError for an unsafe name (see sanitiseName)
 */
export function archiveFolderName(name: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${sanitiseName(name)}-${stamp}`;
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

/** Moves the files of a certificate into `<home>/archive/<name>-<stamp>/` with rename(2), one by one. */
export class FileCertificateArchive implements CertificateArchive {
  private readonly fs: FileSystem;
  private readonly random: () => string;

  constructor(private readonly options: FileCertificateArchiveOptions) {
    this.fs = options.fs ?? nodeFileSystem;
    this.random = options.random ?? randomSuffix;
  }

  /** @throws ConfigError for an unsafe name; StorageError STORAGE_IO when a folder cannot be created or a file moved */
  async archive(name: string): Promise<ArchivedCertificate> {
    const { home } = this.options;
    const present: string[] = [];
    for (const part of archivedParts(name)) if (await exists(join(home, part), { fs: this.fs })) present.push(part);
    if (present.length === 0) return { dir: undefined, moved: [] };
    const dir = await this.createFolder(name);
    const moved: string[] = [];
    for (const part of present) {
      const to = join(dir, part);
      await ensureDir(join(to, '..'), { fs: this.fs });
      await this.fs.rename(join(home, part), to).catch((error: unknown) => {
        throw ioError(`move "${join(home, part)}" to`, to, error);
      });
      moved.push(part);
    }
    // Make the renames durable in every folder they touched.
    const touched = new Set([
      certificatesDir(home),
      join(certificatesDir(home), '.versions'),
      haproxyDir(home),
      join(home, 'deploy'),
      join(home, 'renewal'),
      issuedDir(home),
    ]);
    for (const folder of touched) if (await exists(folder, { fs: this.fs })) await syncDir(folder, { fs: this.fs });
    this.options.logger.info('Archived the certificate files', { name: sanitiseName(name), dir, moved });
    return { dir, moved };
  }

  /** Creates `<home>/archive/<name>-<stamp>` (0700), with a random suffix when it exists already. */
  private async createFolder(name: string): Promise<string> {
    const root = archiveRoot(this.options.home);
    await ensureDir(root, { fs: this.fs });
    const base = archiveFolderName(name, this.options.clock.now());
    let dir = join(root, base);
    if (await exists(dir, { fs: this.fs })) dir = join(root, `${base}-${this.random()}`);
    await ensureDir(dir, { fs: this.fs });
    return dir;
  }
}

/** In-memory CertificateArchive for tests: drops the certificate and its states from the memory fakes and remembers it. */
export class MemoryCertificateArchive implements CertificateArchive {
  /** Every archive() that moved something, in call order. */
  readonly archived: Array<{ name: string; dir: string }> = [];

  constructor(
    private readonly stores: {
      store: MemoryCertificateStore;
      deployState?: MemoryDeployStateStore;
      renewalState?: MemoryRenewalStateStore;
      /** Names the folder. Default: a fixed epoch date, so names are stable in tests. */
      clock?: Clock;
      /** Default: `/memory`. */
      home?: string;
    },
  ) {}

  /** @throws ConfigError for an unsafe name */
  async archive(name: string): Promise<ArchivedCertificate> {
    const safe = sanitiseName(name);
    const moved: string[] = [];
    const [link, versions, bundle, deploy, renewal] = archivedParts(name);
    if (this.stores.store.certificates.delete(safe)) moved.push(link!, versions!, bundle!);
    const drop = (states: Map<string, unknown> | undefined): boolean =>
      [safe, name].filter((key) => states?.delete(key) === true).length > 0;
    if (drop(this.stores.deployState?.states)) moved.push(deploy!);
    if (drop(this.stores.renewalState?.states)) moved.push(renewal!);
    if (moved.length === 0) return { dir: undefined, moved };
    const at = this.stores.clock?.now() ?? new Date(0);
    const dir = join(archiveRoot(this.stores.home ?? '/memory'), archiveFolderName(name, at));
    this.archived.push({ name: safe, dir });
    return { dir, moved };
  }
}
