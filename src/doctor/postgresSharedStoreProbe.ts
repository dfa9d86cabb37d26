import { randomBytes } from 'node:crypto';
import type { LeaseFact, LeaseTableFacts, SharedStoreProbe } from './inspectSharedStore';

/** The dedicated connection the round trip listens on (a `pg` Client fits). */
export interface ListenConnection {
  connect(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
}

/** What the probe needs of the shared store's database (PgDatabase from the PostgreSQL backend fits). */
export interface SharedStoreDatabase {
  readonly label: string;
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** A new, unconnected client with the pool's settings. */
  newClient(): ListenConnection;
  close(): Promise<void>;
}

/** PostgreSQL's `undefined_table`: the tool's tables do not exist yet. */
const UNDEFINED_TABLE = '42P01';
/** Live leases listed; the rest are only counted. */
const LEASES_LISTED = 20;

const LEASES_SQL = `SELECT name, holder, info,
    (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms
  FROM acme_leases WHERE expires_at > clock_timestamp() ORDER BY name LIMIT ${LEASES_LISTED}`;
const LEASE_COUNTS_SQL = `SELECT count(*) FILTER (WHERE expires_at > clock_timestamp())::int AS live,
    count(*) FILTER (WHERE expires_at <= clock_timestamp())::int AS expired
  FROM acme_leases`;

/** PostgreSQL's SQLSTATE of a failed statement: the driver's error is the cause of the store's StorageError. */
function sqlStateOf(error: unknown): unknown {
  return (error as { cause?: { code?: unknown } } | null)?.cause?.code ?? (error as { code?: unknown } | null)?.code;
}

/** A lease row as shown: the holder's node, host, pid and command from `info`, nothing else. */
function leaseOf(row: { name: string; holder: string; info: unknown; remaining_ms: number }): LeaseFact {
  const info = typeof row.info === 'object' && row.info !== null ? (row.info as Record<string, unknown>) : {};
  return {
    name: row.name,
    node: row.holder,
    ...(typeof info.hostname === 'string' ? { hostname: info.hostname } : {}),
    ...(Number.isSafeInteger(info.pid) ? { pid: info.pid as number } : {}),
    ...(typeof info.command === 'string' ? { command: info.command } : {}),
    remainingMs: Math.max(0, Number(row.remaining_ms)),
  };
}

/** Rejects with the signal's reason once it aborts (the statement itself ends at the pool's statement timeout). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function withSignal<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  work.catch(() => undefined);
  return Promise.race([work, untilAborted(signal)]);
}

/**
 * Sends a notification on `acme_doctor_<random>`, a channel no node listens on (never the channel
 * of certificate changes, which followers act on), and waits for it on a dedicated connection. The
 * connection ends when the signal aborts.
 */
async function roundTrip(db: SharedStoreDatabase, signal: AbortSignal): Promise<void> {
  const channel = `acme_doctor_${randomBytes(8).toString('hex')}`;
  const payload = randomBytes(8).toString('hex');
  const client = db.newClient();
  // An error on this connection (the server went away) rejects the steps below; it must not be unhandled.
  client.on('error', () => undefined);
  const ended = (): Promise<void> => client.end().catch(() => undefined);
  signal.addEventListener('abort', () => void ended(), { once: true });
  try {
    const arrived = new Promise<void>((resolve) =>
      client.on('notification', (message) => {
        if (message.channel === channel && message.payload === payload) resolve();
      }),
    );
    await withSignal(signal, client.connect());
    await withSignal(signal, client.query(`LISTEN ${channel}`));
    await withSignal(signal, db.query('SELECT pg_notify($1, $2)', [channel, payload]));
    await withSignal(signal, arrived);
  } finally {
    await ended();
  }
}

/**
 * The SharedStoreProbe of a PostgreSQL store: reads `acme_schema`, `acme_leases` and the server's
 * clock, and proves that notifications flow on a private channel. Writes nothing.
 */
export function postgresSharedStoreProbe(db: SharedStoreDatabase): SharedStoreProbe {
  return {
    label: db.label,
    async connect(signal) {
      const [server] = await withSignal(
        signal,
        db.query<{ version: string }>("SELECT current_setting('server_version') AS version"),
      );
      let schemaVersion = 0;
      try {
        const rows = await withSignal(signal, db.query<{ version: number }>('SELECT version FROM acme_schema'));
        schemaVersion = rows[0]?.version ?? 0;
      } catch (error) {
        if (sqlStateOf(error) !== UNDEFINED_TABLE) throw error;
      }
      return { serverVersion: server?.version ?? 'unknown', schemaVersion };
    },
    notificationRoundTrip: (signal) => roundTrip(db, signal),
    async readLeases(signal): Promise<LeaseTableFacts> {
      const [counts] = await withSignal(signal, db.query<{ live: number; expired: number }>(LEASE_COUNTS_SQL));
      const rows = await withSignal(
        signal,
        db.query<{ name: string; holder: string; info: unknown; remaining_ms: number }>(LEASES_SQL),
      );
      return { live: rows.map(leaseOf), liveCount: counts?.live ?? rows.length, expiredCount: counts?.expired ?? 0 };
    },
    async databaseNow(signal) {
      const [row] = await withSignal(signal, db.query<{ now: Date }>('SELECT clock_timestamp() AS now'));
      if (row === undefined) throw new Error('the server returned no time');
      return new Date(row.now);
    },
    close: () => db.close(),
  };
}
