/**
 * The PostgreSQL backend: every storage contract in one database that several HAProxy nodes
 * share (`--storage postgres://…`). Certificates, accounts, renewal and deploy state live in
 * tables (schema in _schema.ts, migrated by the tool); `certificate/<name>` locks are leases with
 * fencing tokens timed by the database's clock (_locks.ts); every committed change is announced
 * with `pg_notify` for the nodes following it (_feed.ts); HTTP-01 tokens can be shared
 * (_tokens.ts). It passes the contract suites in test/contract/ (run by
 * test/integration/postgres-store.test.ts and postgres-coordination.test.ts). What a node
 * materialises for its HAProxy (bundles, crt-list) and its home lock stay in its `--home`.
 */
export { openPostgresBackend, type PostgresBackend, type PostgresBackendOptions } from './_backend';
export { openPgDatabase, type PgDatabase, type PgTx } from './_db';
export { CERTIFICATE_CHANGED_CHANNEL, migrateSchema, SCHEMA_VERSION } from './_schema';
