/**
 * The statements and checks of PostgresCertificateStore that work on rows: reading a current
 * version back (and telling a damaged one), locking a name's row, the compare of
 * `expectedVersion`, the lease's fencing token, and archiving a removed certificate.
 */
import { StorageError } from '../../errors';
import { lockLostError, type HeldLock } from '../_lock';
import { archiveFolderName, quote } from '../_names';
import { parseMeta } from '../_prepare';
import type { CertificateMeta, StoredCertificate } from '../_types';
import type { PgTx } from './_db';

/** A row of CURRENT_SQL: the certificate and its current version (null columns when that version row is missing). */
export interface CurrentRow {
  name: string;
  current_version: string;
  version: string | null;
  meta: string | null;
  cert_pem?: string | null;
  chain_pem?: string | null;
  key_pem?: string | null;
}

const CURRENT_FROM = `FROM acme_certificates c
  LEFT JOIN acme_certificate_versions v ON v.name = c.name AND v.version = c.current_version`;

/** Every certificate with its current version, in one statement; append `WHERE c.name = $1` for one. */
export const CURRENT_SQL = `SELECT c.name, c.current_version, v.version, v.meta::text AS meta,
  v.cert_pem, v.chain_pem, v.key_pem ${CURRENT_FROM}`;

/** CURRENT_SQL without the PEMs. */
export const CURRENT_META_SQL = `SELECT c.name, c.current_version, v.version, v.meta::text AS meta ${CURRENT_FROM}`;

/** StorageError.path of a certificate: the database label and the name, never credentials. */
export function certificateWhere(label: string, name: string): string {
  return `${label}/certificates/${name}`;
}

function corrupt(row: CurrentRow, label: string, detail: string): StorageError {
  return new StorageError(
    'STORAGE_CORRUPT',
    `Cannot read certificate "${row.name}" in the PostgreSQL store ${label}: ${detail}; remove it ("acme remove --name ${row.name}") and issue it again`,
    { path: certificateWhere(label, row.name) },
  );
}

/**
 * The metadata of a CURRENT_SQL row, checked to belong to that row.
 * @throws StorageError STORAGE_CORRUPT naming the certificate
 */
export function toMeta(row: CurrentRow, label: string): CertificateMeta {
  if (row.version === null || row.meta === null)
    throw corrupt(row, label, `its current version ${quote(row.current_version)} is missing`);
  const meta = parseMeta(row.meta, `${certificateWhere(label, row.name)}/${row.version}`);
  if (meta.name !== row.name || meta.version !== row.version) {
    throw corrupt(
      row,
      label,
      `the metadata of version ${quote(row.version)} is that of certificate ${quote(meta.name)} version ${quote(meta.version)}`,
    );
  }
  return meta;
}

const CERTIFICATE_BLOCK = '-----BEGIN CERTIFICATE-----';
const PRIVATE_KEY_BLOCK = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

/**
 * The certificate of a CURRENT_SQL row. The PEMs are checked for their blocks only (they were
 * fully validated when saved); no message ever shows their content.
 * @throws StorageError STORAGE_CORRUPT naming the certificate
 */
export function toStored(row: CurrentRow, label: string): StoredCertificate {
  const meta = toMeta(row, label);
  const { cert_pem: certPem, chain_pem: chainPem, key_pem: keyPem } = row;
  if (typeof certPem !== 'string' || !certPem.startsWith(CERTIFICATE_BLOCK))
    throw corrupt(row, label, `the certificate of version ${quote(meta.version)} is not PEM`);
  if (typeof chainPem !== 'string' || (chainPem !== '' && !chainPem.startsWith(CERTIFICATE_BLOCK)))
    throw corrupt(row, label, `the chain of version ${quote(meta.version)} is not PEM`);
  if (typeof keyPem !== 'string' || !PRIVATE_KEY_BLOCK.test(keyPem))
    throw corrupt(row, label, `the key of version ${quote(meta.version)} is not a PEM private key`);
  return { meta, certPem, chainPem, keyPem };
}

/** Attempts of lockCertificateRow() while other transactions create and delete the row under it. */
const LOCK_ROW_ATTEMPTS = 5;

/**
 * Locks the row of `name` for this transaction (FOR UPDATE), inserting a placeholder row when
 * there is none (it becomes visible only with the version, or is deleted, before the commit), so
 * that every writer of one name, a first save included, waits for the one before it. Resolves
 * with the current version, or null when the name had none.
 * @throws StorageError STORAGE_CONFLICT (retryable) when the row kept vanishing; StorageError STORAGE_IO
 */
export async function lockCertificateRow(tx: PgTx, name: string, label: string): Promise<string | null> {
  for (let attempt = 0; attempt < LOCK_ROW_ATTEMPTS; attempt += 1) {
    const rows = await tx.query<{ current_version: string }>(
      'SELECT current_version FROM acme_certificates WHERE name = $1 FOR UPDATE',
      [name],
    );
    if (rows[0] !== undefined) return rows[0].current_version;
    // A concurrent first save of the name makes this wait for its commit, then insert nothing.
    const inserted = await tx.query(
      `INSERT INTO acme_certificates (name, current_version, updated_at) VALUES ($1, '', clock_timestamp())
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [name],
    );
    if (inserted.length > 0) return null;
  }
  throw new StorageError(
    'STORAGE_CONFLICT',
    `Cannot lock certificate "${name}" in the PostgreSQL store ${label}: other runs kept creating and removing it meanwhile; run the command again`,
    { path: certificateWhere(label, name), retryable: true },
  );
}

/**
 * The compare-and-set of a save or removal, worded as the other backends word it.
 * @throws StorageError STORAGE_CONFLICT (retryable) when `current` is not `expected`
 */
export function assertVersion(
  name: string,
  expected: string | null | undefined,
  current: string | null,
  context: { action: 'save' | 'remove'; label: string },
): void {
  if (expected === undefined || current === expected) return;
  throw new StorageError(
    'STORAGE_CONFLICT',
    `Cannot ${context.action} certificate "${name}": expected ${expected === null ? 'no version' : `version ${quote(expected)}`}, the current one is ${current === null ? 'none' : `"${current}"`} (another run changed it); run the command again`,
    { path: certificateWhere(context.label, name), retryable: true },
  );
}

const MAX_FENCE = 2n ** 63n - 1n;

/**
 * With a fenced lock: checks, in the writing transaction, that its lease is still the live one,
 * and locks that lease row until the commit, so that a takeover waits for this write. Without a
 * fence (or a lock) it does nothing: the caller checks `lock.assertHeld()`.
 * @throws LockError LOCK_LOST when the lease is gone, expired or taken over
 */
export async function assertLeaseHeld(tx: PgTx, lock: HeldLock | undefined): Promise<void> {
  if (lock?.fence === undefined) return;
  const { fence } = lock;
  if (!/^\d{1,19}$/.test(fence) || BigInt(fence) > MAX_FENCE)
    throw lockLostError(lock.where, `its fencing token ${quote(fence)} is not a fencing token`);
  const rows = await tx.query(
    'SELECT 1 FROM acme_leases WHERE name = $1 AND fence = $2 AND expires_at > clock_timestamp() FOR UPDATE',
    [lock.name, fence],
  );
  if (rows.length === 0)
    throw lockLostError(
      lock.where,
      `its fencing token ${fence} is no longer the live lease (another node took it over)`,
    );
}

/** The archive row of `$2`: every version (keys included), its renewal state and every node's deploy state. */
const ARCHIVE_SQL = `INSERT INTO acme_archive (archive_id, name, archived_at, content)
  SELECT $1, $2, clock_timestamp(), jsonb_build_object(
    'currentVersion', $3::text,
    'versions', COALESCE((SELECT jsonb_agg(jsonb_build_object('version', v.version, 'meta', v.meta,
        'certPem', v.cert_pem, 'chainPem', v.chain_pem, 'keyPem', v.key_pem, 'storedAt', v.stored_at,
        'fence', v.fence::text) ORDER BY v.stored_at, v.version)
      FROM acme_certificate_versions v WHERE v.name = $2), '[]'::jsonb),
    'renewalState', (SELECT jsonb_build_object('value', r.value, 'revision', r.revision)
      FROM acme_renewal_state r WHERE r.name = $2),
    'deployState', COALESCE((SELECT jsonb_object_agg(d.node, d.state)
      FROM acme_deploy_state d WHERE d.name = $2), '{}'::jsonb))`;

/** What archiveVersions() moved. */
export interface ArchivedRows {
  archiveId: string;
  versions: number;
}

/**
 * Copies what is stored of `name` into acme_archive (id `<name>-<stamp>`, `-2`, `-3`… when
 * taken) and deletes its versions, renewal state and deploy state; the certificate row is the
 * caller's. The keys go from table to table without leaving the server. Undefined when there
 * was nothing (the caller holds the name's row lock).
 */
export async function archiveVersions(
  tx: PgTx,
  name: string,
  current: string | null,
  now: Date,
): Promise<ArchivedRows | undefined> {
  const [counts] = await tx.query<{ versions: number; states: number }>(
    `SELECT (SELECT count(*) FROM acme_certificate_versions WHERE name = $1)::int AS versions,
       ((SELECT count(*) FROM acme_renewal_state WHERE name = $1)
        + (SELECT count(*) FROM acme_deploy_state WHERE name = $1))::int AS states`,
    [name],
  );
  const versions = counts?.versions ?? 0;
  if (current === null && versions === 0 && (counts?.states ?? 0) === 0) return undefined;
  const base = archiveFolderName(name, now);
  const taken = new Set(
    (
      await tx.query<{ archive_id: string }>(
        "SELECT archive_id FROM acme_archive WHERE archive_id = $1 OR archive_id LIKE $1 || '-%'",
        [base],
      )
    ).map((row) => row.archive_id),
  );
  let archiveId = base;
  for (let n = 2; taken.has(archiveId); n += 1) archiveId = `${base}-${n}`;
  await tx.query(ARCHIVE_SQL, [archiveId, name, current]);
  for (const table of ['acme_certificate_versions', 'acme_renewal_state', 'acme_deploy_state'])
    await tx.query(`DELETE FROM ${table} WHERE name = $1`, [name]);
  return { archiveId, versions };
}
