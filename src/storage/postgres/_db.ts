/**
 * The one connection pool of a process to the shared PostgreSQL store, and what every PostgreSQL
 * backend class needs of it: queries, transactions, and a dedicated client for LISTEN. Errors of
 * reaching the server become StorageError STORAGE_IO (retryable); an error on an idle pooled
 * connection (the server restarted, a connection was terminated) is logged, never thrown, since
 * an unhandled 'error' event would end the daemon.
 */
import { Client, Pool, type PoolClient, type QueryResultRow } from 'pg';
import { AppError, StorageError, messageOf } from '../../errors';
import type { Logger } from '../../log';

/** A statement that runs longer is cancelled by the server (a lock wait included). */
export const STATEMENT_TIMEOUT_MS = 15_000;
/** Connecting gives up after this long. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Connections kept by the pool: commands are sequential; a daemon follows a handful of certificates at once. */
const POOL_SIZE = 4;

/** What runs inside a transaction. */
export interface PgTx {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
}

/** The shared store's database, as every class of this backend uses it. */
export interface PgDatabase {
  /** `postgres://host:port/database`, never the user name or password: for messages. */
  readonly label: string;
  /** One statement on a pooled connection. @throws StorageError STORAGE_IO when the server cannot be reached */
  query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params?: unknown[],
    options?: { signal?: AbortSignal },
  ): Promise<R[]>;
  /**
   * Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK when it throws) on one pooled
   * connection. @throws what `fn` throws; StorageError STORAGE_IO when the server cannot be reached
   */
  transaction<T>(fn: (tx: PgTx) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
  /** A new, unconnected client with the pool's settings, for a dedicated connection (LISTEN). */
  newClient(): Client;
  /** Ends every pooled connection. Idempotent. */
  close(): Promise<void>;
}

/** Options of openPgDatabase(). */
export interface PgDatabaseOptions {
  /** Shown in `pg_stat_activity`, e.g. `haproxy-acme edge-1`. */
  applicationName: string;
  logger: Logger;
}

/** `postgres://host:port/database` of a connection URL, without credentials (pure). */
export function databaseLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** StorageError STORAGE_IO for a failure to reach or use the server; our own errors pass through. */
export function storageFailure(label: string, what: string, error: unknown): Error {
  if (error instanceof AppError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  return new StorageError(
    'STORAGE_IO',
    `Cannot ${what} in the PostgreSQL store ${label}: ${messageOf(error)}; check that the server runs and accepts this node (pg_hba.conf, PGPASSWORD or ~/.pgpass), then run the command again`,
    { path: label, retryable: true, cause: error },
  );
}

/**
 * Opens the pool (lazily: nothing connects before the first query). The URL's password, if any,
 * is used but never shown; PGPASSWORD and ~/.pgpass work as for psql.
 */
export function openPgDatabase(url: string, options: PgDatabaseOptions): PgDatabase {
  const label = databaseLabel(url);
  const settings = {
    connectionString: url,
    application_name: options.applicationName.slice(0, 63),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    keepAlive: true,
  };
  // allowExitOnIdle: a command ends when its work does, without waiting for idle connections to time out.
  const pool = new Pool({ ...settings, max: POOL_SIZE, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
  pool.on('error', (error) =>
    options.logger.warn('A pooled PostgreSQL connection failed while idle; the next query opens a new one', {
      database: label,
      error: messageOf(error),
    }),
  );
  let closed: Promise<void> | undefined;

  const checkout = async (signal: AbortSignal | undefined): Promise<PoolClient> => {
    signal?.throwIfAborted();
    try {
      return await pool.connect();
    } catch (error) {
      throw storageFailure(label, 'connect', error);
    }
  };

  return {
    label,
    async query<R extends QueryResultRow>(
      sql: string,
      params: unknown[] = [],
      queryOptions: { signal?: AbortSignal } = {},
    ): Promise<R[]> {
      const client = await checkout(queryOptions.signal);
      let broken: unknown;
      try {
        const result = await client.query<R>(sql, params);
        return result.rows;
      } catch (error) {
        broken = isConnectionError(error) ? error : undefined;
        throw storageFailure(label, 'run a query', error);
      } finally {
        client.release(broken as Error | undefined);
      }
    },
    async transaction<T>(fn: (tx: PgTx) => Promise<T>, txOptions: { signal?: AbortSignal } = {}): Promise<T> {
      const client = await checkout(txOptions.signal);
      let broken: unknown;
      try {
        await client.query('BEGIN');
        const tx: PgTx = {
          query: async <R extends QueryResultRow>(sql: string, params: unknown[] = []) =>
            (await client.query<R>(sql, params)).rows,
        };
        const result = await fn(tx);
        txOptions.signal?.throwIfAborted();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        broken = isConnectionError(error) ? error : undefined;
        if (broken === undefined) await client.query('ROLLBACK').catch((rollback: unknown) => (broken = rollback));
        // Stopped on purpose: the caller gets the signal's reason, as from every other step.
        if (txOptions.signal?.aborted === true) throw txOptions.signal.reason;
        throw storageFailure(label, 'run a transaction', error);
      } finally {
        client.release(broken as Error | undefined);
      }
    },
    newClient: () => new Client(settings),
    close: () => (closed ??= pool.end().catch(() => undefined)),
  };
}

/** Whether an error means the connection itself is gone (so it must not go back to the pool). */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  // Class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
  if (typeof code === 'string') return code.startsWith('08') || code.startsWith('57P');
  return /Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|timeout/i.test(error.message);
}
