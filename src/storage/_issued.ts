/**
 * A certificate exactly as the CA issued it, with its key and what was asked for: kept from the
 * moment it is downloaded until it is stored, so that no later failure (parsing, storage, a
 * killed run) makes the next run order it again.
 */
export interface IssuedCertificate {
  /** The certificate name, sanitised (see sanitiseName). */
  name: string;
  /** The names that were requested, in request order. */
  domains: string[];
  /** The key type that was requested: `ec256`, `rsa2048`, … */
  keyType: string;
  /** The ACME profile that was requested; absent: the CA's default. */
  profile?: string;
  /** The ACME directory that issued it. */
  directoryUrl: string;
  /** The account that ordered it. */
  accountUrl: string;
  /** ISO 8601 UTC. */
  downloadedAt: string;
  /** The full chain as the CA sent it, byte for byte (it may not even parse). */
  fullchainPem: string;
  /** The certificate's private key. Never logged. */
  keyPem: string;
}

/**
 * Where issued but not yet stored certificates wait. Contract: keep() MUST be durable and atomic
 * (a reader sees the whole document or none) and the document MUST be readable only by us, since
 * it holds a private key; discard() of a name with nothing kept MUST succeed.
 */
export interface IssuedCertificateStore {
  /**
   * Keeps (or replaces) what the CA issued for `issued.name`; resolves with where it is kept.
   * @throws StorageError STORAGE_IO
   */
  keep(issued: IssuedCertificate): Promise<string>;
  /**
   * What is kept for `name`, or undefined when nothing is.
   * @throws StorageError STORAGE_CORRUPT when the kept document cannot be read back; STORAGE_IO
   */
  load(name: string): Promise<IssuedCertificate | undefined>;
  /** Forgets what is kept for `name`. @throws StorageError STORAGE_IO */
  discard(name: string): Promise<void>;
  /** Names with something kept, sorted. */
  listNames(): Promise<string[]>;
  /** Where the certificate of `name` is (or would be) kept, for messages. */
  path(name: string): string;
}
