import type { HeldLock } from './_lock';

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

/** Options of CertificateStore.saveCertificate. */
export interface SaveCertificateOptions {
  /**
   * Compare-and-set: undefined saves unconditionally; null saves only when the name has no
   * version yet; a version id (`meta.version`) saves only when that version is still the current
   * one. Otherwise the save fails with StorageError STORAGE_CONFLICT and writes nothing.
   * Default: undefined.
   */
  expectedVersion?: string | null;
  /** Aborts the save before its commit point; nothing is left half-written. Default: none. */
  signal?: AbortSignal;
  /**
   * The lease the work was done under (`certificate/<name>`): the save MUST commit only while it
   * is still held, and otherwise fail with LockError LOCK_LOST, writing nothing. A shared store
   * checks the lease's fencing token in the writing transaction (`HeldLock.fence`), so a holder
   * that was paused past its lease cannot overwrite newer work; a store local to one node checks
   * `lock.assertHeld()` right before its commit point. Default: none (no lease check).
   */
  lock?: HeldLock;
}

/** Options of CertificateStore.removeCertificate. */
export interface RemoveCertificateOptions {
  /**
   * Removes only when this version id is still the current one (STORAGE_CONFLICT otherwise).
   * Default: undefined (remove whatever is current).
   */
  expectedVersion?: string;
  /** Aborts the removal before it starts. Default: none. */
  signal?: AbortSignal;
  /** The lease the removal runs under, checked as SaveCertificateOptions.lock is. Default: none. */
  lock?: HeldLock;
}

/** What removeCertificate took away: an id of the archive it went to, for messages and restoring. */
export interface RemovedCertificate {
  /** Backend-specific id of the archive (the file backend: the folder name under `<home>/archive/`). */
  archiveId: string;
}

/**
 * Where accounts and certificates live, independent of any backend: no method takes or returns a
 * file path (see test/contract/certificateStoreContract.ts for the contract every backend passes).
 * Writing the HAProxy bundle of this node is not the store's job: see LocalBundles.
 */
export interface CertificateStore {
  /**
   * Returns the account for an ACME directory, or undefined when none was saved.
   * @throws StorageError STORAGE_CORRUPT when the stored account cannot be read back.
   */
  loadAccount(directoryUrl: string): Promise<StoredAccount | undefined>;
  /** Saves (or replaces) the account of `account.directoryUrl`. The key MUST be readable only by us. */
  saveAccount(account: StoredAccount): Promise<void>;
  /**
   * Returns the current version of a certificate, or undefined when there is none. Readers MUST
   * see one complete version, never parts of two versions mixed.
   * @throws StorageError STORAGE_CORRUPT when it exists but cannot be read back.
   */
  loadCertificate(name: string): Promise<StoredCertificate | undefined>;
  /**
   * The metadata of the current version alone, or undefined when there is none: what a renewal
   * check needs, without reading keys or chains (a 1000-certificate pass reads 1 record each, not 4).
   * @throws StorageError STORAGE_CORRUPT when it exists but cannot be read back.
   */
  loadCertificateMeta(name: string): Promise<CertificateMeta | undefined>;
  /** Names of all stored certificates, sorted; MUST NOT fail because one certificate is corrupt. */
  listCertificateNames(): Promise<string[]>;
  /**
   * Every stored certificate, sorted by name. It MUST NOT skip anything silently: one corrupt
   * certificate makes it throw StorageError STORAGE_CORRUPT naming it. Callers that want to carry
   * on past a corrupt one use listCertificateNames() and loadCertificate() per name.
   */
  listCertificates(): Promise<StoredCertificate[]>;
  /**
   * Stores a new version and makes it current; resolves with its metadata (`version` is the new
   * version id). MUST validate everything (parse, key match, names covered, bundle builds) before
   * writing anything, and MUST be all-or-nothing: readers see the old version or the new one,
   * never a mix, and a failure leaves the old one current.
   * @throws CertificateError when validation fails, StorageError STORAGE_CONFLICT when
   * `expectedVersion` does not match (nothing written in both cases); StorageError on I/O failure.
   */
  saveCertificate(input: SaveCertificateInput, options?: SaveCertificateOptions): Promise<CertificateMeta>;
  /**
   * Takes every version of `name` out of the store into an archive it can be restored from;
   * afterwards loadCertificate(name) returns undefined and listCertificateNames() does not list
   * it. Idempotent: resolves undefined when nothing of it was left to archive.
   * @throws ConfigError for an unsafe name; StorageError STORAGE_CONFLICT when `expectedVersion`
   * is not the current version (nothing removed); StorageError STORAGE_IO
   */
  removeCertificate(name: string, options?: RemoveCertificateOptions): Promise<RemovedCertificate | undefined>;
}

/**
 * "Materialise on this node": the HAProxy bundle (leaf, chain, key) of each stored certificate,
 * where this node's HAProxy loads it. Not part of the store: several nodes sharing one store each
 * write their own. Callers hold the home lock (it serialises this node's local state).
 */
export interface LocalBundles {
  /**
   * Where this node's HAProxy loads the bundle of `name` from (its `crt` path).
   * @throws ConfigError for an unsafe name.
   */
  pathOf(name: string): string;
  /**
   * Replaces the bundle of `stored.meta.name` atomically with the one its version stands for;
   * resolves with its path. @throws StorageError STORAGE_IO; the signal's reason when aborted
   */
  write(stored: StoredCertificate, options?: { signal?: AbortSignal }): Promise<string>;
  /** Deletes the bundle of `name` if there is one; true when there was. @throws StorageError STORAGE_IO */
  remove(name: string): Promise<boolean>;
  /**
   * Finishes what a killed run left on this node: every bundle that is not the one its current
   * version stands for (a run killed between storing a version and writing its bundle) is
   * rewritten. Never throws; resolves with the names it rewrote.
   * @param names Only these certificates. Default: every stored certificate.
   */
  reconcile(names?: string[]): Promise<string[]>;
}
