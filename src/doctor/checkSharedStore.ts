import { passed, problem, skipped, type DoctorCheck } from './DoctorCheck';
import type { LeaseFact, SharedStoreFacts } from './inspectSharedStore';

/** Above this skew between this node's clock and the database's, the clock row warns. */
export const CLOCK_SKEW_WARNING_MS = 5 * 60_000;

/** Live leases named in the row; the rest are counted. */
const LEASES_SHOWN = 5;

const UNREACHABLE = 'not checked: the store cannot be reached';

function describeDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  if (abs < 120_000) return `${(abs / 1000).toFixed(1)} s`;
  if (abs < 2 * 3_600_000) return `${Math.round(abs / 60_000)} min`;
  return `${(abs / 3_600_000).toFixed(1)} h`;
}

function connectionCheck(facts: SharedStoreFacts): DoctorCheck {
  const title = `shared store ${facts.label}`;
  const { connection, knownSchemaVersion: known } = facts;
  if (!connection.ok) {
    return problem('shared-store', title, {
      status: 'fail',
      detail: `cannot connect: ${connection.error}`,
      fix: `Check that PostgreSQL runs at ${facts.label} and accepts this node: pg_hba.conf, the password in PGPASSWORD or a password file (~/.pgpass, PGPASSFILE), and sslmode (see docs/cluster.md)`,
    });
  }
  const { serverVersion, schemaVersion } = connection.value;
  const server = `connected (PostgreSQL ${serverVersion})`;
  if (schemaVersion > known) {
    return problem('shared-store', title, {
      status: 'fail',
      detail: `${server}; its schema is version ${schemaVersion}, written by a newer release than this one (version ${known}), so every command here refuses the store`,
      fix: 'Upgrade haproxy-acme on this node to the release the other nodes run',
    });
  }
  if (schemaVersion === 0)
    return passed(
      'shared-store',
      title,
      `${server}; no tables yet: the first command that uses the store creates them`,
    );
  if (schemaVersion < known) {
    return problem('shared-store', title, {
      status: 'warn',
      detail: `${server}; schema version ${schemaVersion}, older than this release's (${known}): the first command of this release that uses the store migrates it`,
      fix: 'Upgrade every node to this release: once the store is migrated, nodes still on an older release refuse it',
    });
  }
  return passed('shared-store', title, `${server}; schema version ${schemaVersion} (this release's)`);
}

function notificationCheck(facts: SharedStoreFacts): DoctorCheck {
  const title = 'shared store notifications';
  const { notification } = facts;
  if (notification === undefined) return skipped('shared-store-notifications', title, UNREACHABLE);
  if (notification.ok) {
    return passed(
      'shared-store-notifications',
      title,
      `a notification on a private channel came back on a dedicated LISTEN connection in ${notification.value.roundTripMs} ms`,
    );
  }
  return problem('shared-store-notifications', title, {
    status: 'fail',
    detail: `a notification on a private channel did not come back on a LISTEN connection: ${notification.error}`,
    fix: 'Connect the nodes to PostgreSQL directly or through a pooler in session mode (a transaction-mode pooler drops LISTEN); until then other nodes serve a new certificate only at their next --sync-interval',
  });
}

function describeLease(lease: LeaseFact): string {
  const where = [
    lease.hostname === undefined ? undefined : `host ${lease.hostname}`,
    lease.pid === undefined ? undefined : `pid ${lease.pid}`,
    lease.command,
  ].filter((part) => part !== undefined);
  const about = where.length === 0 ? '' : ` (${where.join(', ')})`;
  return `${lease.name} held by ${lease.node}${about}, ${describeDuration(lease.remainingMs)} left`;
}

function leasesCheck(facts: SharedStoreFacts): DoctorCheck {
  const title = 'shared store leases';
  const { leases } = facts;
  if (leases === undefined) {
    const why = facts.connection.ok ? 'no lease table yet (created with the other tables)' : UNREACHABLE;
    return skipped('shared-store-leases', title, why);
  }
  if (!leases.ok) {
    return problem('shared-store-leases', title, {
      status: 'fail',
      detail: `cannot read acme_leases: ${leases.error}`,
      fix: "Give this node's role the database haproxy-acme uses (it should own it, see docs/cluster.md), then run acme doctor again",
    });
  }
  const { live, liveCount, expiredCount } = leases.value;
  const shown = live.slice(0, LEASES_SHOWN).map(describeLease);
  if (liveCount > shown.length) shown.push(`${liveCount - shown.length} more`);
  const expired = expiredCount === 0 ? '' : `; ${expiredCount} expired (the next taker replaces them)`;
  const detail = liveCount === 0 ? `none live${expired}` : `${liveCount} live: ${shown.join('; ')}${expired}`;
  return passed('shared-store-leases', title, detail);
}

function clockCheck(facts: SharedStoreFacts): DoctorCheck {
  const title = "this node's clock and the database's";
  const { clock } = facts;
  if (clock === undefined) return skipped('shared-store-clock', title, UNREACHABLE);
  if (!clock.ok) return skipped('shared-store-clock', title, `cannot read the database clock: ${clock.error}`);
  const { skewMs, uncertaintyMs } = clock.value;
  const side = skewMs >= 0 ? 'behind' : 'ahead of';
  const detail = `this node's clock is ${describeDuration(skewMs)} ${side} the database's (± ${describeDuration(uncertaintyMs)}); leases use the database's clock only`;
  if (Math.abs(skewMs) <= CLOCK_SKEW_WARNING_MS) return passed('shared-store-clock', title, detail);
  return problem('shared-store-clock', title, {
    status: 'warn',
    detail,
    fix: "Synchronise this node's clock (chrony, systemd-timesyncd): leases do not depend on it, but certificate validity and renewal times do",
  });
}

/**
 * Evaluates what inspectSharedStore() found (pure): one row each for the connection and schema,
 * notifications, the lease table and the clocks. Clock skew never fails (leases use the database's
 * clock); above CLOCK_SKEW_WARNING_MS it warns.
 */
export function checkSharedStore(facts: SharedStoreFacts): DoctorCheck[] {
  return [connectionCheck(facts), notificationCheck(facts), leasesCheck(facts), clockCheck(facts)];
}
