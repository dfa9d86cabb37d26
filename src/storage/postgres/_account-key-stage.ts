/**
 * PostgresAccountKeyStage: the staged key of an account key rollover in the `staged_key_pem`
 * column of the account's row. promote() is one UPDATE, so the old key stays until the new one
 * replaced it in the same committed statement.
 */
import { StorageError } from '../../errors';
import type { AccountKeyStage } from '../_account-key-stage';
import type { PgDatabase } from './_db';

/** Options of PostgresAccountKeyStage. */
export interface PostgresAccountKeyStageOptions {
  db: PgDatabase;
}

/** AccountKeyStage on PostgreSQL (acme_accounts.staged_key_pem). */
export class PostgresAccountKeyStage implements AccountKeyStage {
  private readonly db: PgDatabase;

  constructor(options: PostgresAccountKeyStageOptions) {
    this.db = options.db;
  }

  /** Keeps `keyPem` as the staged key, replacing one left over. @throws StorageError STORAGE_CORRUPT when there is no account; STORAGE_IO */
  async stage(directoryUrl: string, keyPem: string): Promise<void> {
    const rows = await this.db.query(
      'UPDATE acme_accounts SET staged_key_pem = $2 WHERE directory_url = $1 RETURNING 1',
      [directoryUrl, keyPem],
    );
    if (rows.length === 0) throw this.noAccount(directoryUrl, 'stage a new key for');
  }

  /** The staged key, or undefined. @throws StorageError STORAGE_IO */
  async staged(directoryUrl: string): Promise<string | undefined> {
    const rows = await this.db.query<{ staged_key_pem: string | null }>(
      'SELECT staged_key_pem FROM acme_accounts WHERE directory_url = $1',
      [directoryUrl],
    );
    return rows[0]?.staged_key_pem ?? undefined;
  }

  /** Makes the staged key the account key, in one statement. @throws StorageError STORAGE_CORRUPT when nothing is staged or there is no account; STORAGE_IO */
  async promote(directoryUrl: string): Promise<void> {
    const rows = await this.db.query(
      `UPDATE acme_accounts SET key_pem = staged_key_pem, staged_key_pem = NULL
       WHERE directory_url = $1 AND staged_key_pem IS NOT NULL RETURNING 1`,
      [directoryUrl],
    );
    if (rows.length > 0) return;
    const exists = await this.db.query('SELECT 1 FROM acme_accounts WHERE directory_url = $1', [directoryUrl]);
    if (exists.length === 0) throw this.noAccount(directoryUrl, 'promote the staged key of');
    throw new StorageError(
      'STORAGE_CORRUPT',
      `Cannot promote the staged account key of "${directoryUrl}" in the PostgreSQL store ${this.db.label}: there is none; run "acme account rollover" again`,
      { path: `${this.db.label}/accounts` },
    );
  }

  /** Deletes the staged key, if any. @throws StorageError STORAGE_IO */
  async discard(directoryUrl: string): Promise<void> {
    await this.db.query('UPDATE acme_accounts SET staged_key_pem = NULL WHERE directory_url = $1', [directoryUrl]);
  }

  private noAccount(directoryUrl: string, action: string): StorageError {
    return new StorageError(
      'STORAGE_CORRUPT',
      `Cannot ${action} the ACME account of "${directoryUrl}" in the PostgreSQL store ${this.db.label}: there is no such account; run "acme account rollover" again`,
      { path: `${this.db.label}/accounts` },
    );
  }
}
