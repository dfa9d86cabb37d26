import type { Clock } from '../clock';
import { messageOf } from '../errors';

/** A live lease as `acme doctor` shows it: who holds which lock, never a secret. */
export interface LeaseFact {
  /** The lock, e.g. `certificate/site`. */
  name: string;
  /** The holding node (`--node`). */
  node: string;
  hostname?: string;
  pid?: number;
  /** The command holding it, e.g. `acme renew`. */
  command?: string;
  /** Time left by the database's clock. */
  remainingMs: number;
}

/** What the lease table holds now. */
export interface LeaseTableFacts {
  /** Up to a few live leases, by name. */
  live: LeaseFact[];
  /** Every live lease, also those not listed. */
  liveCount: number;
  /** Rows whose lease ran out (left by a holder that died; the next taker replaces them). */
  expiredCount: number;
}

/**
 * The questions `acme doctor` asks a shared store, each bounded by `signal` (the PostgreSQL
 * implementation is postgresSharedStoreProbe(); tests pass a fake).
 */
export interface SharedStoreProbe {
  /** The store without credentials, e.g. `postgres://db.internal:5432/acme`. */
  readonly label: string;
  /** Connects; the server's version and the schema version of the tool's tables (0 when none exist yet). */
  connect(signal: AbortSignal): Promise<{ serverVersion: string; schemaVersion: number }>;
  /**
   * Sends a notification on a private channel, never one the nodes follow, and resolves once it
   * came back on a dedicated LISTEN connection.
   */
  notificationRoundTrip(signal: AbortSignal): Promise<void>;
  /** Reads the lease table. */
  readLeases(signal: AbortSignal): Promise<LeaseTableFacts>;
  /** The database's clock (`clock_timestamp()`). */
  databaseNow(signal: AbortSignal): Promise<Date>;
  /** Ends every connection it opened. */
  close(): Promise<void>;
}

/** The outcome of one question: its answer, or why there is none. */
export type Step<T> = { ok: true; value: T } | { ok: false; error: string };

/** What inspectSharedStore() found; the later steps are undefined when the store cannot be reached. */
export interface SharedStoreFacts {
  label: string;
  /** The schema version this release writes (SCHEMA_VERSION). */
  knownSchemaVersion: number;
  /** How long each step may take, for the report. */
  timeoutMs: number;
  connection: Step<{ serverVersion: string; schemaVersion: number }>;
  notification?: Step<{ roundTripMs: number }>;
  /** Undefined too when no tables exist yet. */
  leases?: Step<LeaseTableFacts>;
  /** Database clock minus this node's (positive: this node is behind), within ± uncertaintyMs. */
  clock?: Step<{ skewMs: number; uncertaintyMs: number }>;
}

/** Options of inspectSharedStore(). */
export interface InspectSharedStoreOptions {
  /** This node's wall clock, compared with the database's. */
  clock: Clock;
  knownSchemaVersion: number;
  /** Each step's bound. Default: 5000 ms. */
  timeoutMs?: number;
  /** Elapsed time for the round trip. Default: performance.now(). */
  monotonicMs?: () => number;
}

/** Runs `fn` with a signal that aborts after `timeoutMs`, and gives up then even if `fn` does not; never rejects. */
async function bounded<T>(timeoutMs: number, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<Step<T>> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Step<T>>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`${what} timed out`));
      resolve({ ok: false, error: `${what} did not finish within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  const attempt = fn(controller.signal).then(
    (value): Step<T> => ({ ok: true, value }),
    (error: unknown): Step<T> => ({ ok: false, error: messageOf(error) }),
  );
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asks a shared store what `acme doctor` reports: can this node connect, which schema version,
 * do notifications flow, who holds leases, how far apart are the clocks. Each step is bounded by
 * `timeoutMs`; the steps after a failed connection are not tried. Never throws; closes the probe.
 */
export async function inspectSharedStore(
  probe: SharedStoreProbe,
  options: InspectSharedStoreOptions,
): Promise<SharedStoreFacts> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const monotonic = options.monotonicMs ?? (() => performance.now());
  const facts: SharedStoreFacts = {
    label: probe.label,
    knownSchemaVersion: options.knownSchemaVersion,
    timeoutMs,
    connection: await bounded(timeoutMs, 'connecting', (signal) => probe.connect(signal)),
  };
  try {
    if (!facts.connection.ok) return facts;
    facts.notification = await bounded(timeoutMs, 'the notification', async (signal) => {
      const start = monotonic();
      await probe.notificationRoundTrip(signal);
      return { roundTripMs: Math.round(monotonic() - start) };
    });
    if (facts.connection.value.schemaVersion > 0)
      facts.leases = await bounded(timeoutMs, 'reading the leases', (signal) => probe.readLeases(signal));
    facts.clock = await bounded(timeoutMs, 'reading the database clock', async (signal) => {
      const before = options.clock.now().getTime();
      const database = (await probe.databaseNow(signal)).getTime();
      const after = options.clock.now().getTime();
      return { skewMs: database - (before + after) / 2, uncertaintyMs: Math.ceil((after - before) / 2) };
    });
    return facts;
  } finally {
    // A connection stuck in a statement must not hold `acme doctor` open: closing is bounded too.
    await bounded(1000, 'closing', () => probe.close());
  }
}
