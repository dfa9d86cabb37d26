/**
 * PostgresLocks: named leases in the shared store's `acme_leases` table, one row per held name,
 * with a fencing token from the `acme_fence` sequence. The database clock decides every expiry;
 * a holder proves its lease with its own monotonic clock, so no node's wall clock ever matters.
 */
import { performance } from 'node:perf_hooks';
import { ConfigError, StorageError, messageOf } from '../../errors';
import type { Logger } from '../../log';
import {
  busyError,
  checkLockName,
  DEFAULT_LOCK_TIMEOUT_MS,
  throwIfAborted,
  type AcquireOptions,
  type HeldLock,
  type HolderSeen,
  type LockHolderInfo,
  type LockName,
  type Locks,
} from '../_lock';
import { LocalQueue, pause, type Ticket } from '../_lock-queue';
import type { PgDatabase } from './_db';
import { PostgresLease, type LeaseSettings } from './_lease';

/** Who takes leases: this node and process, as waiters on other nodes see it. */
export interface LeaseHolder {
  /** `--node`. */
  node: string;
  pid: number;
  hostname: string;
  /** E.g. `acme renew`. Default: none. */
  command?: string;
}

/** A lease holder as the table shows it: LockHolderInfo and the node it runs on. */
export interface PostgresLockHolderInfo extends LockHolderInfo {
  node?: string;
}

/** Options of PostgresLocks. */
export interface PostgresLocksOptions {
  db: PgDatabase;
  /** How long a grant or renewal lasts, by the database clock (`--lease`). */
  leaseMs: number;
  holder: LeaseHolder;
  logger: Logger;
  /** How often a held lease renews itself. Default: leaseMs / 3. */
  refreshMs?: number;
  /** How often a waiter tries again. Default: 250. */
  pollMs?: number;
  /** A lease counts as lost this long before its proven end. Default: leaseMarginMs(leaseMs). */
  marginMs?: number;
}

/**
 * Takes `name` if no live lease holds it: one statement, so two nodes can never both win. A new
 * fence is drawn in the update only once the WHERE found the old lease expired, after any row
 * lock it waited for, so a takeover always gets a greater token than the lease it replaces.
 */
const TAKE_SQL = `INSERT INTO acme_leases AS lease (name, holder, fence, expires_at, acquired_at, refreshed_at, info)
  VALUES ($1, $2, nextval('acme_fence'), clock_timestamp() + $3::float8 * interval '1 millisecond',
    clock_timestamp(), clock_timestamp(), $4::jsonb)
  ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, fence = nextval('acme_fence'),
    expires_at = clock_timestamp() + $3::float8 * interval '1 millisecond',
    acquired_at = clock_timestamp(), refreshed_at = clock_timestamp(), info = EXCLUDED.info
    WHERE lease.expires_at <= clock_timestamp()
  RETURNING lease.fence::text AS fence,
    (extract(epoch FROM lease.expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms`;

const HOLDER_SQL = `SELECT info, acquired_at, refreshed_at FROM acme_leases
  WHERE name = $1 AND expires_at > clock_timestamp()`;

/** SQLSTATE classes worth retrying: connection, transaction rollback, resources, lock/operator, system. */
const TRANSIENT_SQLSTATE = /^(08|40|53|55|57|58)/;

/**
 * How long before its proven end a lease counts as lost (pure): a tenth of the lease, at least
 * 1 s for the time between assertHeld() and a write, at most a quarter so that short leases work.
 */
export function leaseMarginMs(leaseMs: number): number {
  return Math.min(Math.max(1000, leaseMs / 10), leaseMs / 4);
}

/**
 * Whether a failed statement may succeed if tried again (pure): errors of reaching the server,
 * and SQLSTATE classes 08, 40, 53, 55, 57 and 58; not a missing table, a refused login or bad SQL.
 */
export function isTransientFailure(error: unknown): boolean {
  if (!(error instanceof StorageError) || !error.retryable) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return TRANSIENT_SQLSTATE.test(code);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isoOf = (value: unknown): string | undefined =>
  value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined;

/**
 * The holder a lease row names (pure), or undefined when its `info` is not what this release
 * writes. Row sample: `{ info: { node: 'edge-1', pid: 4242, hostname: 'web1', command: 'acme renew' },
 * acquired_at: Date, refreshed_at: Date }`.
 */
export function holderOfRow(row: {
  info: unknown;
  acquired_at: unknown;
  refreshed_at: unknown;
}): HolderSeen | undefined {
  const { info } = row;
  const acquiredAt = isoOf(row.acquired_at);
  const refreshedAt = isoOf(row.refreshed_at);
  if (acquiredAt === undefined || refreshedAt === undefined) return undefined;
  const mtimeMs = Date.parse(refreshedAt);
  if (!isRecord(info) || !Number.isSafeInteger(info.pid) || typeof info.hostname !== 'string')
    return { info: undefined, mtimeMs };
  const holder: PostgresLockHolderInfo = { pid: info.pid as number, hostname: info.hostname, acquiredAt, refreshedAt };
  if (typeof info.command === 'string') holder.command = info.command;
  if (typeof info.node === 'string') holder.node = info.node;
  return { info: holder, mtimeMs };
}

/** One acquire() call's waiting state. */
interface Waiting {
  started: number;
  timeoutMs: number;
  onWait: AcquireOptions['onWait'];
  signal: AbortSignal | undefined;
  announced: boolean;
  /** The database error of the latest attempt; undefined once an attempt got an answer. */
  failure: unknown;
}

/** A grant: its fence and the monotonic time until which it is proven. */
interface Grant {
  fence: string;
  provenUntil: number;
}

/**
 * Leases in PostgreSQL, exactly one live holder per name across every node that shares the store.
 * In-process callers wait in a FIFO line first (as FileLocks), so one process polls the table
 * once per name. A failed attempt (server unreachable) is retried every pollMs; if the last
 * attempt before `timeoutMs` failed, acquire() throws that StorageError rather than LOCK_BUSY,
 * since nobody may hold the lock at all. Errors no retry can fix (a missing table, a refused
 * login) are thrown at once.
 */
export class PostgresLocks implements Locks {
  private readonly queue = new LocalQueue();
  private readonly settings: LeaseSettings;
  private readonly pollMs: number;
  private readonly info: string;
  private readonly node: string;

  /** @throws ConfigError when the lease is too short for its renewals */
  constructor(options: PostgresLocksOptions) {
    const { leaseMs } = options;
    const refreshMs = options.refreshMs ?? leaseMs / 3;
    const marginMs = options.marginMs ?? leaseMarginMs(leaseMs);
    if (!(Number.isFinite(leaseMs) && refreshMs > 0 && marginMs >= 0 && refreshMs < leaseMs - marginMs))
      throw new ConfigError(
        `Cannot use a lease of ${leaseMs} ms renewed every ${refreshMs} ms: a renewal must come before the lease (less its ${marginMs} ms margin) runs out; use a longer --lease`,
        { source: '--lease' },
      );
    this.settings = { db: options.db, logger: options.logger, leaseMs, refreshMs, marginMs };
    this.pollMs = options.pollMs ?? 250;
    const { node, pid, hostname, command } = options.holder;
    this.node = node;
    this.info = JSON.stringify({ node, pid, hostname, ...(command === undefined ? {} : { command }) });
  }

  /** `<database label> lease <name>`, as errors show it. */
  whereOf(name: LockName): string {
    return `${this.settings.db.label} lease ${name}`;
  }

  /**
   * Waits (bounded) for the lease of `name`.
   * @throws LockError LOCK_BUSY after `timeoutMs`; StorageError STORAGE_IO when the last attempt could not reach the database, or at once when retrying cannot help; `signal.reason` when aborted; ConfigError for a bad name
   */
  async acquire(name: LockName, options: AcquireOptions = {}): Promise<HeldLock> {
    checkLockName(name);
    const wait: Waiting = {
      started: performance.now(),
      timeoutMs: options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      onWait: options.onWait,
      signal: options.signal,
      announced: false,
      failure: undefined,
    };
    const ticket = this.queue.enter(name);
    try {
      for (;;) {
        await pause(0, ticket.granted); // a free turn is granted in a microtask: let it arrive
        throwIfAborted(wait.signal);
        const grant = ticket.isGranted() ? await this.tryTake(name, wait) : undefined;
        if (grant !== undefined) return await this.hand(name, grant, ticket, wait);
        await this.waitMore(name, wait, ticket);
      }
    } catch (error) {
      ticket.leave();
      throw error;
    }
  }

  /** One attempt; undefined when another holder's lease is live or the database could not be reached. */
  private async tryTake(name: LockName, wait: Waiting): Promise<Grant | undefined> {
    const { db, leaseMs, logger } = this.settings;
    const before = performance.now();
    try {
      const rows = await db.query<{ fence: string; remaining_ms: number }>(
        TAKE_SQL,
        [name, this.node, leaseMs, this.info],
        { signal: wait.signal },
      );
      wait.failure = undefined;
      const row = rows[0];
      return row === undefined ? undefined : { fence: row.fence, provenUntil: before + Number(row.remaining_ms) };
    } catch (error) {
      if (!isTransientFailure(error)) throw error;
      if (wait.failure === undefined)
        logger.warn('Cannot reach the PostgreSQL store to take a lock; trying again until the lock timeout', {
          lock: this.whereOf(name),
          error: messageOf(error),
        });
      wait.failure = error;
      return undefined;
    }
  }

  /** Hands the grant to the caller, or gives it back at once when the wait was stopped meanwhile. */
  private async hand(name: LockName, grant: Grant, ticket: Ticket, wait: Waiting): Promise<HeldLock> {
    const lease = new PostgresLease(name, this.whereOf(name), grant.fence, grant.provenUntil, this.settings, ticket);
    if (wait.signal?.aborted === true) {
      await lease.release();
      throw wait.signal.reason;
    }
    this.settings.logger.debug('Took the lock', {
      lock: lease.where,
      fence: grant.fence,
      waitedMs: Math.round(performance.now() - wait.started),
    });
    return lease;
  }

  /** Reports the wait, fails once `timeoutMs` passed, else pauses until the next attempt. */
  private async waitMore(name: LockName, wait: Waiting, ticket: Ticket): Promise<void> {
    const holder = wait.failure === undefined ? await this.readHolder(name) : undefined;
    const waitedMs = performance.now() - wait.started;
    if (waitedMs >= wait.timeoutMs) {
      if (wait.failure !== undefined) throw wait.failure;
      throw busyError(this.whereOf(name), holder && withNodeInHost(holder), wait.timeoutMs);
    }
    if (!wait.announced)
      this.settings.logger.info('Waiting for the lock', { lock: this.whereOf(name), holder: holder?.info });
    wait.announced = true;
    wait.onWait?.({ holder: holder?.info, waitedMs });
    const wake = ticket.isGranted() ? undefined : ticket.granted;
    await pause(Math.min(this.pollMs, wait.timeoutMs - waitedMs), wake, wait.signal);
  }

  /** The live holder of `name`, or undefined (none, or the database could not tell). */
  private async readHolder(name: LockName): Promise<HolderSeen | undefined> {
    try {
      const rows = await this.settings.db.query<{ info: unknown; acquired_at: unknown; refreshed_at: unknown }>(
        HOLDER_SQL,
        [name],
      );
      return rows[0] === undefined ? undefined : holderOfRow(rows[0]);
    } catch {
      return undefined; // only for messages: the next attempt reports a database that stays away
    }
  }
}

/** The holder for busyError()'s message, which names a host: `web1 (node edge-1)`. */
function withNodeInHost(seen: HolderSeen): HolderSeen {
  const info = seen.info as PostgresLockHolderInfo | undefined;
  if (info?.node === undefined) return seen;
  const { node, ...rest } = info;
  return { ...seen, info: { ...rest, hostname: `${info.hostname} (node ${node})` } };
}
