/**
 * The shared store's tables, created and migrated by the tool itself. Each migration is a list of
 * statements applied in one transaction under an exclusive lock of `acme_schema`, so that several
 * nodes starting at once migrate exactly once; `acme_schema.version` says which ran. A database
 * migrated by a newer release is refused rather than misread.
 */
import { ConfigError } from '../../errors';
import type { PgDatabase } from './_db';

/** The notification channel a committed certificate change is announced on (payload: CertificateChange JSON). */
export const CERTIFICATE_CHANGED_CHANNEL = 'acme_certificate_changed';

/** Migration n (1-based) brings a database from version n-1 to n. Append only; never edit a released one. */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE acme_accounts (
      directory_url text PRIMARY KEY,
      account_url text NOT NULL,
      email text,
      key_pem text NOT NULL,
      staged_key_pem text,
      created_at timestamptz NOT NULL)`,
    `CREATE TABLE acme_certificates (
      name text PRIMARY KEY,
      current_version text NOT NULL,
      updated_at timestamptz NOT NULL)`,
    `CREATE TABLE acme_certificate_versions (
      name text NOT NULL,
      version text NOT NULL,
      meta jsonb NOT NULL,
      cert_pem text NOT NULL,
      chain_pem text NOT NULL,
      key_pem text NOT NULL,
      stored_at timestamptz NOT NULL,
      fence bigint,
      PRIMARY KEY (name, version))`,
    `CREATE TABLE acme_archive (
      archive_id text PRIMARY KEY,
      name text NOT NULL,
      archived_at timestamptz NOT NULL,
      content jsonb NOT NULL)`,
    `CREATE TABLE acme_renewal_state (
      name text PRIMARY KEY,
      value jsonb NOT NULL,
      revision integer NOT NULL)`,
    `CREATE TABLE acme_deploy_state (
      name text NOT NULL,
      node text NOT NULL,
      state jsonb NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (name, node))`,
    `CREATE SEQUENCE acme_fence`,
    `CREATE TABLE acme_leases (
      name text PRIMARY KEY,
      holder text NOT NULL,
      fence bigint NOT NULL,
      expires_at timestamptz NOT NULL,
      acquired_at timestamptz NOT NULL,
      refreshed_at timestamptz NOT NULL,
      info jsonb NOT NULL)`,
    `CREATE TABLE acme_challenge_tokens (
      token text PRIMARY KEY,
      key_authorization text NOT NULL,
      expires_at timestamptz NOT NULL)`,
  ],
];

/** The schema version this release writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** What migrateSchema() did. */
export interface SchemaMigration {
  from: number;
  to: number;
}

/** Two nodes creating `acme_schema` at the same instant: one gets a unique violation on the catalog. */
const UNIQUE_VIOLATION = '23505';
const DUPLICATE_TABLE = '42P07';

async function createVersionTable(db: PgDatabase): Promise<void> {
  const create = `CREATE TABLE IF NOT EXISTS acme_schema (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL)`;
  try {
    await db.query(create);
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (code !== UNIQUE_VIOLATION && code !== DUPLICATE_TABLE) throw error;
    await db.query(create);
  }
}

/**
 * Brings the database to SCHEMA_VERSION; idempotent and safe to run from several nodes at once.
 * @throws ConfigError when the database was migrated by a newer release; StorageError STORAGE_IO
 */
export async function migrateSchema(db: PgDatabase): Promise<SchemaMigration> {
  await createVersionTable(db);
  return db.transaction(async (tx) => {
    await tx.query('LOCK TABLE acme_schema IN ACCESS EXCLUSIVE MODE');
    const rows = await tx.query<{ version: number }>('SELECT version FROM acme_schema');
    const from = rows[0]?.version ?? 0;
    if (from > SCHEMA_VERSION) {
      throw new ConfigError(
        `Cannot use the PostgreSQL store ${db.label}: its schema is version ${from}, written by a newer release of haproxy-acme than this one (version ${SCHEMA_VERSION}); upgrade this node`,
        { source: '--storage' },
      );
    }
    for (let version = from + 1; version <= SCHEMA_VERSION; version += 1) {
      for (const statement of MIGRATIONS[version - 1]!) await tx.query(statement);
    }
    if (from === 0) await tx.query('INSERT INTO acme_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    else if (from < SCHEMA_VERSION) await tx.query('UPDATE acme_schema SET version = $1', [SCHEMA_VERSION]);
    return { from, to: SCHEMA_VERSION };
  });
}
