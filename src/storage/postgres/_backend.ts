import { hostname } from 'node:os';
import type { Clock } from '../../clock';
import type { Logger } from '../../log';
import { openPgDatabase, type PgDatabase } from './_db';
import { migrateSchema } from './_schema';
import { PostgresAccountKeyStage } from './_account-key-stage';
import { PostgresDeployStateStore } from './_deploy-state';
import { PostgresChangeFeed } from './_feed';
import { PostgresLocks } from './_locks';
import { PostgresRenewalStateStore } from './_renewal-state';
import { PostgresCertificateStore } from './_store';
import { PostgresChallengeTokenRegistry } from './_tokens';

/** Options of openPostgresBackend(). */
export interface PostgresBackendOptions {
  /** `postgres://…`; may hold a password, which is never shown. */
  url: string;
  /** This node's id: the holder of its leases, and its name in `pg_stat_activity`. */
  node: string;
  /** The lease of a certificate lock (timed by the database's clock). */
  leaseMs: number;
  clock: Clock;
  logger: Logger;
  /** The command holding leases, for "held by" messages, e.g. `acme renew`. */
  command?: string;
}

/** Everything this node keeps in the shared database. */
export interface PostgresBackend {
  db: PgDatabase;
  store: PostgresCertificateStore;
  renewalState: PostgresRenewalStateStore;
  deployState: PostgresDeployStateStore;
  accountKeyStage: PostgresAccountKeyStage;
  /** `certificate/<name>` leases with fencing tokens. */
  locks: PostgresLocks;
  /** HTTP-01 tokens every node's responder answers (`--http01-mode shared`). */
  tokens: PostgresChallengeTokenRegistry;
  /** Committed certificate changes, on a dedicated LISTEN connection. */
  feed: PostgresChangeFeed;
  /** Ends the pool's connections. */
  close(): Promise<void>;
}

/**
 * A PgDatabase that brings the schema up to date before its first statement (once per process;
 * retried after a failure), so that every command works on a fresh database without a set-up step.
 */
function migratedOnFirstUse(db: PgDatabase): PgDatabase {
  let ready: Promise<unknown> | undefined;
  const migrated = (): Promise<unknown> => {
    ready ??= migrateSchema(db).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  return {
    label: db.label,
    query: async (sql, params, options) => {
      await migrated();
      return db.query(sql, params, options);
    },
    transaction: async (fn, options) => {
      await migrated();
      return db.transaction(fn, options);
    },
    newClient: () => db.newClient(),
    close: () => db.close(),
  };
}

/**
 * Opens the shared store of several HAProxy nodes. Nothing connects before the first use; the
 * schema is created or migrated then (migrateSchema()).
 */
export function openPostgresBackend(options: PostgresBackendOptions): PostgresBackend {
  const { clock, logger } = options;
  const db = migratedOnFirstUse(
    openPgDatabase(options.url, { applicationName: `haproxy-acme ${options.node}`, logger }),
  );
  return {
    db,
    store: new PostgresCertificateStore({ db, clock, logger }),
    renewalState: new PostgresRenewalStateStore({ db }),
    deployState: new PostgresDeployStateStore({ db }),
    accountKeyStage: new PostgresAccountKeyStage({ db }),
    locks: new PostgresLocks({
      db,
      leaseMs: options.leaseMs,
      logger,
      holder: {
        node: options.node,
        pid: process.pid,
        hostname: hostname(),
        ...(options.command === undefined ? {} : { command: options.command }),
      },
    }),
    tokens: new PostgresChallengeTokenRegistry({ db }),
    feed: new PostgresChangeFeed({ db, logger }),
    close: () => db.close(),
  };
}
