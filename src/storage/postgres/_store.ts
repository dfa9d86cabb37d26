/**
 * Accounts and certificates in the shared PostgreSQL store (tables in _schema.ts). A save writes
 * one version row and moves `acme_certificates.current_version` to it in one transaction that
 * holds the name's row lock, checks `expectedVersion` and the lease's fencing token, prunes old
 * versions and announces the change (pg_notify, delivered on commit only). Readers fetch the
 * current version with one joined statement, so they see one complete version. Keys are stored
 * as text: the database's access control protects them, as file modes protect the file backend's.
 */
import type { Clock } from '../../clock';
import { ConfigError, StorageError } from '../../errors';
import type { Logger } from '../../log';
import { keyTypeOf } from '../../pem';
import { checkDirectoryUrl, sanitiseName } from '../_names';
import { formatMeta, prepareCertificate, type PreparedCertificate } from '../_prepare';
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
import type { PgDatabase, PgTx } from './_db';
import { CERTIFICATE_CHANGED_CHANNEL } from './_schema';
import {
  archiveVersions,
  assertLeaseHeld,
  assertVersion,
  CURRENT_META_SQL,
  CURRENT_SQL,
  lockCertificateRow,
  toMeta,
  toStored,
  type CurrentRow,
} from './_store-rows';

/** Options of PostgresCertificateStore. */
export interface PostgresCertificateStoreOptions {
  db: PgDatabase;
  /** Names versions and archives, and fills `issuedAt`. */
  clock: Clock;
  logger: Logger;
  /** How many versions to keep per certificate, the current one included. Default: 3. */
  keepVersions?: number;
}

interface AccountRow {
  account_url: string;
  email: string | null;
  key_pem: string;
  created_at: Date;
}

/** Drops the versions of `$1` beyond the newest `$3` other than the current one `$2`. */
const PRUNE_SQL = `DELETE FROM acme_certificate_versions
  WHERE name = $1 AND version <> $2 AND version NOT IN (
    SELECT version FROM acme_certificate_versions WHERE name = $1 AND version <> $2
    ORDER BY stored_at DESC, version DESC LIMIT $3)`;

/**
 * CertificateStore on PostgreSQL, shared by every node of a cluster. Concurrent saves of one name
 * serialise on its row (`FOR UPDATE`), so the compare of `expectedVersion` is atomic with the write.
 */
export class PostgresCertificateStore implements CertificateStore {
  private readonly db: PgDatabase;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly keepVersions: number;

  constructor(options: PostgresCertificateStoreOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.logger = options.logger;
    this.keepVersions = Math.max(1, Math.floor(options.keepVersions ?? 3));
  }

  /**
   * The account of an ACME directory, or undefined when none was saved.
   * @throws ConfigError when the URL is not http(s); StorageError STORAGE_CORRUPT when its key does not parse; STORAGE_IO
   */
  async loadAccount(directoryUrl: string): Promise<StoredAccount | undefined> {
    checkDirectoryUrl(directoryUrl);
    const rows = await this.db.query<AccountRow>(
      'SELECT account_url, email, key_pem, created_at FROM acme_accounts WHERE directory_url = $1',
      [directoryUrl],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const corrupt = (detail: string, cause?: unknown): StorageError =>
      new StorageError(
        'STORAGE_CORRUPT',
        `Cannot read the ACME account of "${directoryUrl}" in the PostgreSQL store ${this.db.label}: ${detail}; delete its row from acme_accounts to register a new account`,
        { path: `${this.db.label}/accounts`, cause },
      );
    try {
      keyTypeOf(row.key_pem);
    } catch (error) {
      // The parser's message only: the key itself must not reach the cause chain.
      throw corrupt('the account key does not parse', new Error((error as Error).message));
    }
    if (!(row.created_at instanceof Date) || Number.isNaN(row.created_at.getTime()))
      throw corrupt('its creation time is not a time');
    return {
      directoryUrl,
      accountUrl: row.account_url,
      ...(row.email === null ? {} : { email: row.email }),
      keyPem: row.key_pem,
      createdAt: row.created_at.toISOString(),
    };
  }

  /**
   * Saves or replaces the account of `account.directoryUrl` (a staged rollover key stays).
   * @throws ConfigError when the URL is not http(s) or `createdAt` is not a time; StorageError STORAGE_IO
   */
  async saveAccount(account: StoredAccount): Promise<void> {
    checkDirectoryUrl(account.directoryUrl);
    const createdAt = new Date(account.createdAt);
    if (Number.isNaN(createdAt.getTime())) {
      throw new ConfigError(
        `Cannot save the ACME account of "${account.directoryUrl}": its creation time ${JSON.stringify(account.createdAt)} is not an ISO 8601 time`,
        { source: 'account' },
      );
    }
    await this.db.query(
      `INSERT INTO acme_accounts (directory_url, account_url, email, key_pem, created_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (directory_url) DO UPDATE SET account_url = EXCLUDED.account_url, email = EXCLUDED.email,
         key_pem = EXCLUDED.key_pem, created_at = EXCLUDED.created_at`,
      [account.directoryUrl, account.accountUrl, account.email ?? null, account.keyPem, createdAt.toISOString()],
    );
    this.logger.info('Saved ACME account', {
      directoryUrl: account.directoryUrl,
      accountUrl: account.accountUrl,
      database: this.db.label,
    });
  }

  /**
   * The current version of `name`, read in one statement; undefined when there is none.
   * @throws ConfigError for an unsafe name; StorageError STORAGE_CORRUPT, STORAGE_IO
   */
  async loadCertificate(name: string): Promise<StoredCertificate | undefined> {
    const safe = sanitiseName(name);
    const rows = await this.db.query<CurrentRow>(`${CURRENT_SQL} WHERE c.name = $1`, [safe]);
    return rows[0] === undefined ? undefined : toStored(rows[0], this.db.label);
  }

  /**
   * The metadata of the current version of `name` (no PEMs read); undefined when there is none.
   * @throws ConfigError for an unsafe name; StorageError STORAGE_CORRUPT, STORAGE_IO
   */
  async loadCertificateMeta(name: string): Promise<CertificateMeta | undefined> {
    const safe = sanitiseName(name);
    const rows = await this.db.query<CurrentRow>(`${CURRENT_META_SQL} WHERE c.name = $1`, [safe]);
    return rows[0] === undefined ? undefined : toMeta(rows[0], this.db.label);
  }

  /** Names of every certificate with a current version, sorted; reads no version. @throws StorageError STORAGE_IO */
  async listCertificateNames(): Promise<string[]> {
    const rows = await this.db.query<{ name: string }>('SELECT name FROM acme_certificates');
    return rows.map((row) => row.name).sort();
  }

  /**
   * Every certificate, sorted by name, from one statement (one snapshot).
   * @throws StorageError STORAGE_CORRUPT naming the first that cannot be read back; STORAGE_IO
   */
  async listCertificates(): Promise<StoredCertificate[]> {
    const rows = await this.db.query<CurrentRow>(CURRENT_SQL);
    return rows
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((row) => toStored(row, this.db.label));
  }

  /**
   * Validates, then in one transaction: locks the name's row, compares `expectedVersion`, checks
   * the lease (`lock.fence` against acme_leases, or `lock.assertHeld()`), inserts the version,
   * makes it current, prunes, notifies.
   * @throws CertificateError or ConfigError when validation fails; StorageError STORAGE_CONFLICT;
   * LockError LOCK_LOST; StorageError STORAGE_IO; the signal's reason when aborted before the commit
   */
  async saveCertificate(input: SaveCertificateInput, options: SaveCertificateOptions = {}): Promise<CertificateMeta> {
    const prepared = prepareCertificate(input, this.clock.now());
    const { signal, lock } = options;
    signal?.throwIfAborted();
    if (lock?.fence === undefined) lock?.assertHeld();
    const meta = await this.transaction(async (tx) => {
      const current = await lockCertificateRow(tx, prepared.name, this.db.label);
      assertVersion(prepared.name, options.expectedVersion, current, { action: 'save', label: this.db.label });
      await assertLeaseHeld(tx, lock);
      const written = await this.insertVersion(tx, prepared, lock?.fence);
      if (lock?.fence === undefined) lock?.assertHeld();
      return written;
    }, signal);
    this.logger.info('Stored certificate', {
      name: meta.name,
      serial: meta.serial,
      version: meta.version,
      notAfter: meta.notAfter,
      database: this.db.label,
    });
    return meta;
  }

  /**
   * In one transaction: compares `expectedVersion`, checks the lease, copies every version (and
   * the renewal and deploy state of the name) into acme_archive, deletes them, notifies.
   * `archiveId` is `<name>-<UTC stamp>`, with `-2`, `-3`… when taken. Undefined when nothing of
   * `name` was stored.
   * @throws ConfigError for an unsafe name; StorageError STORAGE_CONFLICT, STORAGE_IO; LockError LOCK_LOST
   */
  async removeCertificate(
    name: string,
    options: RemoveCertificateOptions = {},
  ): Promise<RemovedCertificate | undefined> {
    const safe = sanitiseName(name);
    const { signal, lock } = options;
    signal?.throwIfAborted();
    if (lock?.fence === undefined) lock?.assertHeld();
    const removed = await this.transaction(async (tx) => {
      const current = await lockCertificateRow(tx, safe, this.db.label);
      if (options.expectedVersion !== undefined)
        assertVersion(safe, options.expectedVersion, current, { action: 'remove', label: this.db.label });
      await assertLeaseHeld(tx, lock);
      const archived = await archiveVersions(tx, safe, current, this.clock.now());
      // Also drops the placeholder row lockCertificateRow() inserts for a name that had none.
      await tx.query('DELETE FROM acme_certificates WHERE name = $1', [safe]);
      if (archived === undefined) return undefined;
      await tx.query('SELECT pg_notify($1, $2)', [
        CERTIFICATE_CHANGED_CHANNEL,
        JSON.stringify({ name: safe, version: null }),
      ]);
      if (lock?.fence === undefined) lock?.assertHeld();
      return archived;
    }, signal);
    if (removed !== undefined)
      this.logger.info('Archived the certificate', { name: safe, ...removed, database: this.db.label });
    return removed === undefined ? undefined : { archiveId: removed.archiveId };
  }

  /** Inserts the version (a new id when taken), makes it current, prunes, notifies. */
  private async insertVersion(
    tx: PgTx,
    prepared: PreparedCertificate,
    fence: string | undefined,
  ): Promise<CertificateMeta> {
    const { name } = prepared;
    const taken = new Set(
      (
        await tx.query<{ version: string }>('SELECT version FROM acme_certificate_versions WHERE name = $1', [name])
      ).map((row) => row.version),
    );
    let version = prepared.meta.version;
    // Same second and same serial (a retried save): a new id all the same.
    for (let n = 2; taken.has(version); n += 1) version = `${prepared.meta.version}-${n}`;
    const meta: CertificateMeta = { ...prepared.meta, version };
    await tx.query(
      `INSERT INTO acme_certificate_versions (name, version, meta, cert_pem, chain_pem, key_pem, stored_at, fence)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, clock_timestamp(), $7)`,
      [name, version, formatMeta(meta), prepared.certPem, prepared.chainPem, prepared.keyPem, fence ?? null],
    );
    await tx.query(
      'UPDATE acme_certificates SET current_version = $2, updated_at = clock_timestamp() WHERE name = $1',
      [name, version],
    );
    await tx.query(PRUNE_SQL, [name, version, this.keepVersions - 1]);
    await tx.query('SELECT pg_notify($1, $2)', [CERTIFICATE_CHANGED_CHANNEL, JSON.stringify({ name, version })]);
    return meta;
  }

  /**
   * db.transaction(), rethrowing an abort as the signal's own reason (the pool wraps what is not
   * an AppError), so that callers see what they aborted with.
   */
  private async transaction<T>(fn: (tx: PgTx) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await this.db.transaction(fn, signal === undefined ? {} : { signal });
    } catch (error) {
      if (signal?.aborted === true && (error === signal.reason || (error as Error).cause === signal.reason))
        throw signal.reason;
      throw error;
    }
  }
}
