import { Clock, systemClock } from '../clock';
import { accountDir, CertificatePaths, certificatePaths, sanitiseName } from './paths';
import { prepareCertificate } from './_prepare';
import type {
  CertificateMeta,
  CertificateStore,
  SaveCertificateInput,
  StoredAccount,
  StoredCertificate,
} from './_types';
import type { Recovery } from './_leftovers';

/** Options of MemoryCertificateStore. */
export interface MemoryCertificateStoreOptions {
  /** Only used to compute `paths()`. Default: `/memory`. */
  home?: string;
  /** Default: systemClock. */
  clock?: Clock;
}

/**
 * In-memory CertificateStore for tests of other modules: same validation (it refuses what the
 * file store refuses) and same derived metadata, no files. `saves` counts successful saves.
 */
export class MemoryCertificateStore implements CertificateStore {
  readonly accounts = new Map<string, StoredAccount>();
  readonly certificates = new Map<string, StoredCertificate>();
  saves = 0;
  /** How many times recover() was called. */
  recoveries = 0;
  private readonly home: string;
  private readonly clock: Clock;

  constructor(options: MemoryCertificateStoreOptions = {}) {
    this.home = options.home ?? '/memory';
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Where the files of `name` would be under `home`.
   * @throws ConfigError when the name is unsafe.
   */
  paths(name: string): CertificatePaths {
    return certificatePaths(this.home, name);
  }

  /**
   * A copy of the saved account, or undefined.
   * @throws ConfigError when the directory URL is not http(s).
   */
  async loadAccount(directoryUrl: string): Promise<StoredAccount | undefined> {
    accountDir(this.home, directoryUrl);
    const account = this.accounts.get(directoryUrl);
    return account === undefined ? undefined : { ...account };
  }

  /**
   * Keeps a copy of the account.
   * @throws ConfigError when the directory URL is not http(s).
   */
  async saveAccount(account: StoredAccount): Promise<void> {
    accountDir(this.home, account.directoryUrl);
    this.accounts.set(account.directoryUrl, { ...account });
  }

  /**
   * A deep copy of the stored certificate, or undefined.
   * @throws ConfigError when the name is unsafe.
   */
  async loadCertificate(name: string): Promise<StoredCertificate | undefined> {
    const stored = this.certificates.get(sanitiseName(name));
    return stored === undefined ? undefined : structuredClone(stored);
  }

  /**
   * A copy of the stored certificate's metadata, or undefined.
   * @throws ConfigError when the name is unsafe.
   */
  async loadCertificateMeta(name: string): Promise<CertificateMeta | undefined> {
    const stored = this.certificates.get(sanitiseName(name));
    return stored === undefined ? undefined : structuredClone(stored.meta);
  }

  /** Sorted names. */
  async listCertificateNames(): Promise<string[]> {
    return [...this.certificates.keys()].sort();
  }

  /** Every certificate, sorted by name. */
  async listCertificates(): Promise<StoredCertificate[]> {
    const names = await this.listCertificateNames();
    return names.map((name) => structuredClone(this.certificates.get(name) as StoredCertificate));
  }

  /**
   * Validates like FileCertificateStore, then keeps the certificate.
   * @throws CertificateError or ConfigError exactly like FileCertificateStore's validation.
   */
  async saveCertificate(input: SaveCertificateInput): Promise<CertificatePaths> {
    const prepared = prepareCertificate(input, this.clock.now());
    const paths = this.paths(prepared.name);
    this.certificates.set(prepared.name, {
      meta: prepared.meta,
      certPem: prepared.certPem,
      chainPem: prepared.chainPem,
      keyPem: prepared.keyPem,
      paths,
    });
    this.saves += 1;
    return paths;
  }

  /** Nothing is ever half-written in memory; counts the calls in `recoveries`. */
  async recover(): Promise<Recovery> {
    this.recoveries += 1;
    return { removed: [], completedBundles: [] };
  }
}
