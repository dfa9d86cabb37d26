/** PostgresRenewalStateStore: one row of acme_renewal_state per certificate, its revision compared and set in SQL. */
import { StorageError } from '../../errors';
import { sanitiseName } from '../_names';
import {
  checkExpectedRevision,
  renewalStateSchema,
  revisionConflict,
  type RenewalState,
  type RenewalStateStore,
  type Revisioned,
  type RevisionedSaveOptions,
} from '../_renewal-state';
import type { PgDatabase } from './_db';

/** Options of PostgresRenewalStateStore. */
export interface PostgresRenewalStateStoreOptions {
  db: PgDatabase;
}

/**
 * RenewalStateStore on PostgreSQL. A save is one statement that writes only while the row is at
 * the expected revision (an INSERT that does nothing when the row exists, for revision 0), so two
 * nodes saving from the same revision cannot both win.
 */
export class PostgresRenewalStateStore implements RenewalStateStore {
  private readonly db: PgDatabase;

  constructor(options: PostgresRenewalStateStoreOptions) {
    this.db = options.db;
  }

  /**
   * The state of `name` and its revision; `{ value: {}, revision: 0 }` when none was saved.
   * @throws ConfigError for an unsafe name; StorageError STORAGE_CORRUPT when the row is not a renewal state; STORAGE_IO
   */
  async load(name: string): Promise<Revisioned<RenewalState>> {
    const safe = sanitiseName(name);
    const rows = await this.db.query<{ value: unknown; revision: number }>(
      'SELECT value, revision FROM acme_renewal_state WHERE name = $1',
      [safe],
    );
    const row = rows[0];
    if (row === undefined) return { value: {}, revision: 0 };
    const parsed = renewalStateSchema.safeParse(row.value);
    if (!parsed.success || !Number.isSafeInteger(row.revision) || row.revision < 1) {
      const issue = parsed.error?.issues[0];
      const detail =
        issue === undefined
          ? `its revision ${row.revision} is not a revision`
          : `${issue.message}${issue.path.length === 0 ? '' : ` at "${issue.path.join('.')}"`}`;
      throw new StorageError(
        'STORAGE_CORRUPT',
        `Cannot read the renewal state of "${safe}" in the PostgreSQL store ${this.db.label}: ${detail}; delete its row from acme_renewal_state and run the command again`,
        { path: this.where(safe) },
      );
    }
    return { value: parsed.data, revision: row.revision };
  }

  /**
   * Writes `value` as the next revision, only while the stored one is `expectedRevision`.
   * @throws StorageError STORAGE_CONFLICT (nothing written), STORAGE_IO; ConfigError for an unsafe name; the signal's reason when aborted
   */
  async save(name: string, value: RenewalState, options: RevisionedSaveOptions): Promise<number> {
    const safe = sanitiseName(name);
    const where = this.where(safe);
    checkExpectedRevision(options.expectedRevision, where);
    options.signal?.throwIfAborted();
    const json = JSON.stringify(value);
    const queryOptions = options.signal === undefined ? {} : { signal: options.signal };
    const rows =
      options.expectedRevision === 0
        ? await this.db.query<{ revision: number }>(
            `INSERT INTO acme_renewal_state (name, value, revision) VALUES ($1, $2::jsonb, 1)
             ON CONFLICT (name) DO NOTHING RETURNING revision`,
            [safe, json],
            queryOptions,
          )
        : await this.db.query<{ revision: number }>(
            `UPDATE acme_renewal_state SET value = $2::jsonb, revision = revision + 1
             WHERE name = $1 AND revision = $3 RETURNING revision`,
            [safe, json, options.expectedRevision],
            queryOptions,
          );
    if (rows[0] !== undefined) return rows[0].revision;
    const current = await this.db.query<{ revision: number }>(
      'SELECT revision FROM acme_renewal_state WHERE name = $1',
      [safe],
    );
    throw revisionConflict(where, options.expectedRevision, current[0]?.revision ?? 0);
  }

  private where(name: string): string {
    return `${this.db.label}/renewal/${name}`;
  }
}
