import { Clock, systemClock } from '../../clock';
import { StorageError } from '../../errors';
import { archiveFolderName, checkDirectoryUrl, sanitiseName } from '../_names';
import { prepareCertificate } from '../_prepare';
import type {
  CertificateMeta,
  CertificateStore,
  RemoveCertificateOptions,
  RemovedCertificate,
  SaveCertificateInput,
  SaveCertificateOptions,
  StoredAccount,
  StoredCertificate,
} from '../_types';

/** Options of MemoryCertificateStore. */
export interface MemoryCertificateStoreOptions {
  /** Ignored (the memory store keeps no paths); accepted so that options shaped like the file store's fit. */
  home?: string;
  /** Default: systemClock. */
  clock?: Clock;
}

/** A certificate removeCertificate() took out, as it was. */
export interface MemoryArchivedCertificate {
  archiveId: string;
  certificate: StoredCertificate;
}

/**
 * In-memory CertificateStore for tests of other modules: same validation (it refuses what the
 * file store refuses), same derived metadata and same compare-and-set, no files. `saves` counts
 * successful saves; a name in `corrupt` reads back as STORAGE_CORRUPT (a damaged entry).
 */
export class MemoryCertificateStore implements CertificateStore {
  readonly accounts = new Map<string, StoredAccount>();
  readonly certificates = new Map<string, StoredCertificate>();
  /** Names whose entry is damaged: listed, but loading them throws STORAGE_CORRUPT. */
  readonly corrupt = new Set<string>();
  /** Every removeCertificate() that took something, in call order. */
  readonly archived: MemoryArchivedCertificate[] = [];
  saves = 0;
  private readonly clock: Clock;

  constructor(options: MemoryCertificateStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /**
   * A copy of the saved account, or undefined.
   * @throws ConfigError when the directory URL is not http(s).
   */
  async loadAccount(directoryUrl: string): Promise<StoredAccount | undefined> {
    checkDirectoryUrl(directoryUrl);
    const account = this.accounts.get(directoryUrl);
    return account === undefined ? undefined : { ...account };
  }

  /**
   * Keeps a copy of the account.
   * @throws ConfigError when the directory URL is not http(s).
   */
  async saveAccount(account: StoredAccount): Promise<void> {
    checkDirectoryUrl(account.directoryUrl);
    this.accounts.set(account.directoryUrl, { ...account });
  }

  /**
   * A deep copy of the stored certificate, or undefined.
   * @throws ConfigError when the name is unsafe; StorageError STORAGE_CORRUPT for a name in `corrupt`.
   */
  async loadCertificate(name: string): Promise<StoredCertificate | undefined> {
    const stored = this.current(name);
    return stored === undefined ? undefined : structuredClone(stored);
  }

  /**
   * A copy of the stored certificate's metadata, or undefined.
   * @throws ConfigError when the name is unsafe; StorageError STORAGE_CORRUPT for a name in `corrupt`.
   */
  async loadCertificateMeta(name: string): Promise<CertificateMeta | undefined> {
    const stored = this.current(name);
    return stored === undefined ? undefined : structuredClone(stored.meta);
  }

  /** Sorted names, the corrupt ones included. */
  async listCertificateNames(): Promise<string[]> {
    return [...new Set([...this.certificates.keys(), ...this.corrupt])].sort();
  }

  /** Every certificate, sorted by name. @throws StorageError STORAGE_CORRUPT when one is in `corrupt` */
  async listCertificates(): Promise<StoredCertificate[]> {
    const names = await this.listCertificateNames();
    return names.map((name) => structuredClone(this.current(name) as StoredCertificate));
  }

  /**
   * Validates like FileCertificateStore, compares `expectedVersion`, then keeps the certificate.
   * @throws CertificateError or ConfigError exactly like FileCertificateStore's validation;
   * StorageError STORAGE_CONFLICT when the current version is not `expectedVersion`
   */
  async saveCertificate(input: SaveCertificateInput, options: SaveCertificateOptions = {}): Promise<CertificateMeta> {
    const prepared = prepareCertificate(input, this.clock.now());
    options.signal?.throwIfAborted();
    options.lock?.assertHeld();
    this.assertVersion(prepared.name, options.expectedVersion, 'save');
    let version = prepared.meta.version;
    // Same second and same serial (a retried save): a new id all the same, like the file store.
    for (let n = 2; this.certificates.get(prepared.name)?.meta.version === version; n += 1)
      version = `${prepared.meta.version}-${n}`;
    const meta = { ...prepared.meta, version };
    this.certificates.set(prepared.name, {
      meta,
      certPem: prepared.certPem,
      chainPem: prepared.chainPem,
      keyPem: prepared.keyPem,
    });
    this.corrupt.delete(prepared.name);
    this.saves += 1;
    return structuredClone(meta);
  }

  /**
   * Drops the certificate and remembers it in `archived`; the id is `<name>-<UTC stamp>` like the
   * file store's folder name. Undefined when there was nothing.
   * @throws ConfigError for an unsafe name; StorageError STORAGE_CONFLICT
   */
  async removeCertificate(
    name: string,
    options: RemoveCertificateOptions = {},
  ): Promise<RemovedCertificate | undefined> {
    const safe = sanitiseName(name);
    options.signal?.throwIfAborted();
    options.lock?.assertHeld();
    if (options.expectedVersion !== undefined) this.assertVersion(safe, options.expectedVersion, 'remove');
    const certificate = this.certificates.get(safe);
    const wasCorrupt = this.corrupt.delete(safe);
    if (certificate === undefined && !wasCorrupt) return undefined;
    this.certificates.delete(safe);
    let archiveId = archiveFolderName(safe, this.clock.now());
    const taken = (id: string): boolean => this.archived.some((a) => a.archiveId === id);
    for (let n = 2; taken(archiveId); n += 1) archiveId = `${archiveFolderName(safe, this.clock.now())}-${n}`;
    if (certificate !== undefined) this.archived.push({ archiveId, certificate });
    return { archiveId };
  }

  private current(name: string): StoredCertificate | undefined {
    const safe = sanitiseName(name);
    if (this.corrupt.has(safe)) {
      throw new StorageError('STORAGE_CORRUPT', `Cannot read certificate "${safe}": it is damaged; issue it again`, {
        path: safe,
      });
    }
    return this.certificates.get(safe);
  }

  private assertVersion(name: string, expected: string | null | undefined, action: string): void {
    const current = this.corrupt.has(name) ? 'damaged' : (this.certificates.get(name)?.meta.version ?? null);
    if (expected === undefined || current === expected) return;
    throw new StorageError(
      'STORAGE_CONFLICT',
      `Cannot ${action} certificate "${name}": expected ${expected === null ? 'no version' : `version "${expected}"`}, the current one is ${current === null ? 'none' : `"${current}"`} (another run changed it); run the command again`,
      { path: name, retryable: true },
    );
  }
}
