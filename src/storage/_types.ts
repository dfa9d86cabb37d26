import type { CertificatePaths } from './paths';
import type { Recovery } from './_leftovers';

/** An ACME account as stored under `accounts/<host>_<port>/<path>/`. */
export interface StoredAccount {
  directoryUrl: string;
  /** The account URL (RFC 8555 §7.3 `Location`), used as `kid`. */
  accountUrl: string;
  email?: string;
  /** The account private key, PEM. Never logged. */
  keyPem: string;
  /** ISO 8601 UTC. */
  createdAt: string;
}

/** `meta.json` of one certificate version. Dates are ISO 8601 UTC strings. */
export interface CertificateMeta {
  /** The sanitised certificate name (see sanitiseName). */
  name: string;
  /** The names that were requested, in request order. */
  domains: string[];
  /** `ec256`, `rsa2048`, … (see pem keyTypeOf). */
  keyType: string;
  /** Upper-case hex, as HAProxy prints it. */
  serial: string;
  notBefore: string;
  notAfter: string;
  directoryUrl: string;
  issuedAt: string;
  /** Upper-case hex without colons, as HAProxy prints it. */
  sha1Fingerprint: string;
  /** The version directory name, `<UTC yyyymmddThhmmssZ>-<serial first 16 hex>`. */
  version: string;
  /** ACME profile the certificate was ordered with; kept on every renewal. Absent: the CA's default. */
  profile?: string;
  /** Set on a version taken over from another client without an order (`lego`); absent on what we ordered. */
  adoptedFrom?: 'lego';
}

/**
 * What a caller passes as `meta` to saveCertificate. The store derives `name`, `keyType`,
 * `serial`, `notBefore`, `notAfter`, `sha1Fingerprint` and `version` from the PEMs and its clock,
 * and ignores values given for them; `issuedAt` defaults to the store's clock.
 */
export type CertificateMetaInput = Pick<CertificateMeta, 'domains' | 'directoryUrl'> & Partial<CertificateMeta>;

/** One certificate as read back from the store. */
export interface StoredCertificate {
  meta: CertificateMeta;
  /** The leaf alone. */
  certPem: string;
  /** Intermediates, without any root ('' when the CA sent none). */
  chainPem: string;
  /** The leaf's private key. Never logged. */
  keyPem: string;
  paths: CertificatePaths;
}

/** Input of saveCertificate. */
export interface SaveCertificateInput {
  /** Certificate name before sanitising, e.g. `*.example.com` (stored as `_wildcard.example.com`). */
  name: string;
  /** The leaf, or the full chain as the CA sent it (leaf first); extra certificates join the chain. */
  certPem: string;
  /** Intermediates; a self-signed root here is dropped. May be ''. */
  chainPem: string;
  keyPem: string;
  meta: CertificateMetaInput;
}

/**
 * Where accounts, certificates and HAProxy bundles live. A backend other than files (PostgreSQL,
 * etcd) implements this interface in a new file.
 */
export interface CertificateStore {
  /**
   * Returns the account for an ACME directory, or undefined when none was saved.
   * @throws StorageError STORAGE_CORRUPT when the stored account cannot be read back.
   */
  loadAccount(directoryUrl: string): Promise<StoredAccount | undefined>;
  /** Saves (or replaces) the account of `account.directoryUrl`. The key MUST be stored 0600. */
  saveAccount(account: StoredAccount): Promise<void>;
  /**
   * Returns the current version of a certificate, or undefined when there is none. Readers MUST
   * see one complete version, never files of two versions mixed.
   * @throws StorageError STORAGE_CORRUPT when it exists but cannot be read back.
   */
  loadCertificate(name: string): Promise<StoredCertificate | undefined>;
  /**
   * The metadata of the current version alone, or undefined when there is none: what a renewal
   * check needs, without reading keys or chains (a 1000-certificate pass reads 1 file each, not 4).
   * @throws StorageError STORAGE_CORRUPT when it exists but cannot be read back.
   */
  loadCertificateMeta(name: string): Promise<CertificateMeta | undefined>;
  /** Names of all stored certificates, sorted; MUST NOT fail because one certificate is corrupt. */
  listCertificateNames(): Promise<string[]>;
  /**
   * Every stored certificate, sorted by name. It MUST NOT skip anything silently: one corrupt
   * certificate makes it throw StorageError STORAGE_CORRUPT naming that path. Callers that want to
   * carry on past a corrupt one use listCertificateNames() and loadCertificate() per name.
   */
  listCertificates(): Promise<StoredCertificate[]>;
  /**
   * Stores a new version and makes it current. MUST validate everything (parse, key match, names
   * covered, bundle builds) before writing anything, and MUST be all-or-nothing: readers see the
   * old set and bundle or the new ones, never a mix, and a failure leaves the old ones intact.
   * @throws CertificateError when validation fails (nothing written); StorageError on I/O failure.
   */
  saveCertificate(input: SaveCertificateInput): Promise<CertificatePaths>;
  /** Where the files of `name` are (or would be). */
  paths(name: string): CertificatePaths;
  /**
   * Finishes or drops what a writer killed mid-save left behind, so that the next run starts from
   * one complete set per certificate. Callers MUST hold the home lock; it MUST NOT throw.
   */
  recover(): Promise<Recovery>;
}
