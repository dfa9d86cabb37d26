/**
 * PostgresLease: one held row of `acme_leases` (see PostgresLocks), renewed while held and proven
 * with the monotonic clock: `provenUntil` = performance.now() taken before the statement that
 * last granted or renewed it, plus the time the database said was left. Past provenUntil less a
 * safety margin the lease is lost, whether or not the database could be reached, and whether or
 * not a timer ran meanwhile (a process resumed after SIGSTOP sees it at its first assertHeld()).
 */
import { performance } from 'node:perf_hooks';
import { messageOf } from '../../errors';
import type { Logger } from '../../log';
import { LeaseState, type HeldLock, type LockName } from '../_lock';
import type { Ticket } from '../_lock-queue';
import type { PgDatabase } from './_db';

/** What every lease of one PostgresLocks shares. */
export interface LeaseSettings {
  db: PgDatabase;
  logger: Logger;
  leaseMs: number;
  refreshMs: number;
  marginMs: number;
}

/** Renews only the grant with this fence, and only while it is still live by the database clock. */
const RENEW_SQL = `UPDATE acme_leases
  SET expires_at = clock_timestamp() + $3::float8 * interval '1 millisecond', refreshed_at = clock_timestamp()
  WHERE name = $1 AND fence = $2::bigint AND expires_at > clock_timestamp()
  RETURNING (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms`;

/** Deletes only this grant: a lease another holder took over carries another fence and stays. */
const RELEASE_SQL = 'DELETE FROM acme_leases WHERE name = $1 AND fence = $2::bigint';

/** A held lease; see the file comment. */
export class PostgresLease implements HeldLock {
  private readonly state: LeaseState;
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private releasing: Promise<void> | undefined;
  /** performance.now() of the first renewal that failed since the last one that worked. */
  private failingSince: number | undefined;

  constructor(
    readonly name: LockName,
    readonly where: string,
    readonly fence: string,
    private provenUntil: number,
    private readonly settings: LeaseSettings,
    private readonly ticket: Ticket,
  ) {
    this.state = new LeaseState(where);
    this.armExpiry();
    this.scheduleRenewal(settings.refreshMs);
  }

  /** Aborted with LOCK_LOST once the lease is lost; reading it checks the proof first. */
  get signal(): AbortSignal {
    this.checkProof();
    return this.state.signal;
  }

  /** @throws LockError LOCK_LOST once the lease is lost, or its proof ran out (checked now, not only by a timer) */
  assertHeld(): void {
    this.checkProof();
    this.state.assertHeld();
  }

  /** Stops renewing and deletes this grant's row. Idempotent; never throws (an unreleased lease expires by itself). */
  release(): Promise<void> {
    this.releasing ??= this.doRelease();
    return this.releasing;
  }

  private isOver(): boolean {
    return this.releasing !== undefined || this.state.signal.aborted;
  }

  /** Loses the lease once the monotonic clock passed its proof less the margin. */
  private checkProof(): void {
    if (this.isOver()) return;
    const lateMs = performance.now() - (this.provenUntil - this.settings.marginMs);
    if (lateMs < 0) return;
    const since =
      this.failingSince === undefined
        ? ''
        : ` (renewals failing for ${Math.round(performance.now() - this.failingSince)} ms)`;
    this.lose(
      'Lost the lock: its lease ran out before a renewal could prove it',
      `its lease of ${this.settings.leaseMs} ms ran out before a renewal could prove it${since}, so another node may take it over`,
    );
  }

  private lose(message: string, detail: string): void {
    this.stopTimers();
    this.settings.logger.error(message, { lock: this.where, fence: this.fence });
    this.state.lose(detail);
  }

  private stopTimers(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.expiryTimer);
  }

  /** A timer at the end of the proof, so that the signal aborts even while nothing calls assertHeld(). */
  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    const inMs = this.provenUntil - this.settings.marginMs - performance.now();
    this.expiryTimer = setTimeout(() => this.checkProof(), Math.max(0, inMs) + 1).unref();
  }

  private scheduleRenewal(inMs: number): void {
    this.renewTimer = setTimeout(() => void this.renew(), Math.max(0, inMs)).unref();
  }

  /** One renewal; the next is scheduled only once this one answered, so they never overlap. */
  private async renew(): Promise<void> {
    this.checkProof();
    if (this.isOver()) return;
    const { db, leaseMs, refreshMs, logger } = this.settings;
    const before = performance.now();
    try {
      const rows = await db.query<{ remaining_ms: number }>(RENEW_SQL, [this.name, this.fence, leaseMs]);
      if (this.isOver()) return;
      const row = rows[0];
      if (row === undefined)
        return this.lose(
          'Lost the lock: another holder took it over',
          `another holder took it over, or it expired in the database (fencing token ${this.fence} is no longer the live lease)`,
        );
      this.provenUntil = Math.max(this.provenUntil, before + Number(row.remaining_ms));
      this.armExpiry();
      if (this.failingSince !== undefined) logger.info('Renewed the lock again', { lock: this.where });
      this.failingSince = undefined;
    } catch (error) {
      if (this.isOver()) return;
      if (this.failingSince === undefined)
        logger.warn('Cannot renew the lock; trying again until its lease runs out', {
          lock: this.where,
          error: messageOf(error),
        });
      this.failingSince ??= before;
    }
    this.scheduleRenewal(refreshMs - (performance.now() - before));
  }

  private async doRelease(): Promise<void> {
    this.stopTimers();
    try {
      await this.settings.db.query(RELEASE_SQL, [this.name, this.fence]);
    } catch (error) {
      // Throwing here would hide the error of the work it ends; nobody waits longer than one lease.
      this.settings.logger.warn('Cannot release the lock; its lease runs out by itself', {
        lock: this.where,
        leaseMs: this.settings.leaseMs,
        error: messageOf(error),
      });
    } finally {
      this.ticket.leave();
    }
  }
}
