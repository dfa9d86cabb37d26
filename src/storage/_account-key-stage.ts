/**
 * The account key of a rollover in flight (RFC 8555 §7.3.5). Once the CA accepted a key change it
 * knows the account ONLY by the new key, so the new key is kept before the request (`stage`), and
 * made current after it (`promote`). A crash in between leaves both keys; the next
 * `acme account rollover` asks the CA which one it knows and finishes or discards. The file
 * backend keeps them as files next to `account.key.pem` (file/_account-key-stage.ts).
 */
/** Keeps the next account key of a directory URL's account. Writers MUST hold the home lock. */
export interface AccountKeyStage {
  /** Writes `keyPem` (0600) as the staged key, replacing one left over. @throws StorageError STORAGE_IO */
  stage(directoryUrl: string, keyPem: string): Promise<void>;
  /** The staged key, or undefined when there is none. @throws StorageError STORAGE_IO */
  staged(directoryUrl: string): Promise<string | undefined>;
  /**
   * Makes the staged key the account key: the current key MUST stay readable (as a backup) until
   * the staged one replaced it durably; afterwards no staged key remains.
   * @throws StorageError STORAGE_IO; STORAGE_CORRUPT when nothing is staged or there is no account
   */
  promote(directoryUrl: string): Promise<void>;
  /** Deletes the staged key, if any. @throws StorageError STORAGE_IO */
  discard(directoryUrl: string): Promise<void>;
}
