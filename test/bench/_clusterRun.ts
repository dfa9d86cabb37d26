/**
 * One phase of the cluster benchmark: N nodes (`acme daemon` + HAProxy each, --http01-mode shared)
 * on a fresh database, DUE certificates put into the store before any daemon starts, then every
 * daemon started at once. Their start-up passes renew what is due, each certificate under its
 * lease; the followers make every node serve each new version. Measures the wall time until every
 * node serves every new serial, the orders, the versions written, and per certificate and node the
 * time from the commit (`stored_at`, the database clock) to the node's "now serves" log line.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { systemClock } from '../../src/clock';
import { silentLogger } from '../../src/log';
import { openPostgresBackend } from '../../src/storage/postgres';
import type { PeersDescription } from '../peers';
import type { TestPostgres } from '../peers/_postgres';
import { startCluster, type Cluster } from '../integration/_support/cluster';
import { linesWith, problemsByNode, watchLogs, type LogWatcher, type NodeLogLine } from './_clusterLog';
import { createLocalCa, storeLocalCertificates } from './_localCerts';

/** The production defaults: a 30 s lease, and a periodic comparison far beyond the run, so every change reaches a node by notification. */
const LEASE = '30s';
const SYNC_INTERVAL = '10m';
/** From the daemons' start to every node serving every new version. */
const CONVERGE_TIMEOUT_MS = 5 * 60_000;
/** The final check by TLS handshakes. */
const HANDSHAKE_TIMEOUT_MS = 30_000;
const POLL_DB_MS = 250;
const SERVES = 'This node now serves the stored certificate';

/** What one phase measured. */
export interface PhaseResult {
  nodes: number;
  certificates: number;
  /** Daemons started → the last "now serves" line of a new version. */
  wallMs: number;
  /** Daemons started → every (certificate, node) confirmed by a TLS handshake with the new serial. */
  handshakeConfirmedMs: number;
  /** Daemons started → the last new version committed. */
  lastCommitMs: number;
  /** "Order created" lines per node. */
  ordersByNode: Record<string, number>;
  orders: number;
  /** Versions written per certificate during the run (the seeded one not counted): `count → certificates`. */
  versionsWritten: Record<string, number>;
  /** Commit → "now serves" on a node that did not renew it, per certificate and such node (ms). */
  propagationMs: number[];
  /** Commit → "now serves" on the node that renewed it (its own follower or its pass), per certificate (ms). */
  ownNodeMs: number[];
  /** Certificates each node renewed (stored the new version of). */
  renewedByNode: Record<string, number>;
  /** Lease waits ("Waiting for the lock") and "Renewed meanwhile" per node. */
  leaseWaitsByNode: Record<string, number>;
  renewedMeanwhileByNode: Record<string, number>;
  /** Home lock waits ("Waiting for another acme command to finish") per node. */
  homeLockWaitsByNode: Record<string, number>;
  /** Warnings and errors per node and message. */
  problems: Record<string, Record<string, number>>;
  /**
   * Steady state, after the run: `acme renew --force` of some certificates on node-1 while every
   * daemon follows; commit → "now serves" on the other nodes, and the orders it took.
   */
  steady?: { certificates: number; orders: number; daemonOrders: number; propagationMs: number[] };
  /** Daemons started → first and last "Order created", cluster-wide. */
  firstOrderMs: number;
  lastOrderMs: number;
}

interface StoredVersion {
  name: string;
  version: string;
  serial: string;
  storedAtMs: number;
}

const countBy = (lines: readonly NodeLogLine[], message: string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const line of linesWith(lines, message)) counts[line.node] = (counts[line.node] ?? 0) + 1;
  return counts;
};

/** The current version of every certificate of `seeded` whose version is no longer `seeded[name]`. */
async function newVersions(cluster: Cluster, seeded: ReadonlyMap<string, string>): Promise<StoredVersion[]> {
  const rows = await cluster.sql(
    `SELECT c.name, c.current_version, v.meta->>'serial', (extract(epoch from v.stored_at) * 1000)::float8
       FROM acme_certificates c JOIN acme_certificate_versions v ON v.name = c.name AND v.version = c.current_version`,
  );
  return rows
    .split('\n')
    .filter((row) => row !== '')
    .map((row) => {
      const [name, version, serial, storedAt] = row.split('|') as [string, string, string, string];
      return { name, version, serial, storedAtMs: Number(storedAt) };
    })
    .filter((row) => seeded.has(row.name) && seeded.get(row.name) !== row.version);
}

async function seedDueCertificates(cluster: Cluster, names: string[], directoryUrl: string): Promise<void> {
  const now = new Date();
  const ca = await createLocalCa(now);
  const backend = openPostgresBackend({
    url: cluster.storage,
    node: 'bench-seed',
    leaseMs: 30_000,
    clock: systemClock,
    logger: silentLogger,
  });
  try {
    // 90-day leaves with 10 days left: due by the lifetime rule (a third left), not an emergency.
    await storeLocalCertificates(backend.store, ca, names, {
      now,
      ageDays: 80,
      lifetimeDays: 90,
      directoryUrl,
      parallel: 10,
    });
  } finally {
    await backend.close();
  }
}

async function seededVersions(cluster: Cluster): Promise<Map<string, string>> {
  const rows = await cluster.sql('SELECT name, current_version FROM acme_certificates');
  return new Map(
    rows
      .split('\n')
      .filter((row) => row !== '')
      .map((row) => row.split('|') as [string, string]),
  );
}

/** The first "now serves" line of `version` on each node. */
function servedAt(lines: readonly NodeLogLine[], stored: StoredVersion): Map<string, number> {
  const at = new Map<string, number>();
  for (const line of linesWith(lines, SERVES, stored.name))
    if (line.fields.version === stored.version && !at.has(line.node)) at.set(line.node, line.atMs);
  return at;
}

/** Waits until every node logged serving the new version of every certificate; bounded. */
async function converge(
  cluster: Cluster,
  watcher: LogWatcher,
  seeded: ReadonlyMap<string, string>,
  startedMs: number,
): Promise<StoredVersion[]> {
  for (;;) {
    const stored = await newVersions(cluster, seeded);
    const lines = watcher.lines();
    if (stored.length === seeded.size && stored.every((s) => servedAt(lines, s).size === cluster.nodes.length))
      return stored;
    if (Date.now() - startedMs > CONVERGE_TIMEOUT_MS) {
      const missing = stored.filter((s) => servedAt(lines, s).size < cluster.nodes.length).length;
      throw new Error(
        `Cannot finish the cluster benchmark: after ${CONVERGE_TIMEOUT_MS / 1000} s, ${stored.length}/${seeded.size} certificates have a new version and ${missing} of those are not yet served by every node; see the daemons' warnings`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_DB_MS));
  }
}

/** Every node's HAProxy serves the new serial of every certificate, by TLS handshakes; resolves with when it first did. */
async function confirmByHandshakes(cluster: Cluster, stored: readonly StoredVersion[]): Promise<number> {
  const deadline = Date.now() + HANDSHAKE_TIMEOUT_MS;
  let pending = cluster.nodes.flatMap((node) => stored.map((s) => ({ node, s })));
  for (;;) {
    const checks = await Promise.all(
      pending.map(async (p) => (await p.node.servedSerial(p.s.name).catch(() => '')) === p.s.serial.toUpperCase()),
    );
    pending = pending.filter((_, i) => !checks[i]);
    if (pending.length === 0) return Date.now();
    if (Date.now() > deadline)
      throw new Error(
        `Cannot confirm the new serials over TLS: ${pending.length} (certificate, node) pairs still serve another serial, e.g. ${pending[0]!.s.name} on ${pending[0]!.node.id}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function summariseRun(
  lines: readonly NodeLogLine[],
  stored: readonly StoredVersion[],
  nodeIds: readonly string[],
  startedMs: number,
): Pick<
  PhaseResult,
  'wallMs' | 'lastCommitMs' | 'propagationMs' | 'ownNodeMs' | 'renewedByNode' | 'firstOrderMs' | 'lastOrderMs'
> {
  const propagationMs: number[] = [];
  const ownNodeMs: number[] = [];
  const renewedByNode: Record<string, number> = {};
  let lastServedMs = 0;
  for (const s of stored) {
    // The node that ordered it; with several orders for a name (a duplicate), the last one's.
    const renewer = linesWith(lines, 'Order created', s.name).at(-1)?.node;
    if (renewer !== undefined) renewedByNode[renewer] = (renewedByNode[renewer] ?? 0) + 1;
    for (const [node, atMs] of servedAt(lines, s)) {
      lastServedMs = Math.max(lastServedMs, atMs);
      (node === renewer ? ownNodeMs : propagationMs).push(atMs - s.storedAtMs);
    }
  }
  const orders = linesWith(lines, 'Order created');
  return {
    wallMs: lastServedMs - startedMs,
    lastCommitMs: Math.max(...stored.map((s) => s.storedAtMs)) - startedMs,
    propagationMs: nodeIds.length > 1 ? propagationMs : [],
    ownNodeMs,
    renewedByNode,
    firstOrderMs: (orders[0]?.atMs ?? NaN) - startedMs,
    lastOrderMs: (orders.at(-1)?.atMs ?? NaN) - startedMs,
  };
}

/**
 * With every daemon following, node-1 force-renews `current` in one `acme renew`; resolves once
 * every node logged serving each new version, with the latencies at the other nodes.
 */
async function steadyState(
  cluster: Cluster,
  watcher: LogWatcher,
  current: readonly StoredVersion[],
  progress: (line: string) => void,
): Promise<NonNullable<PhaseResult['steady']>> {
  const renewer = cluster.nodes[0]!;
  progress(`steady state: node-1 force-renews ${current.length} certificates while every daemon follows`);
  const daemonOrdersBefore = linesWith(watcher.lines(), 'Order created').length;
  const startedMs = Date.now();
  const run = await renewer.run(['renew', '--force', ...current.flatMap((s) => ['--name', s.name])], {
    timeoutMs: 180_000,
  });
  if (run.code !== 0) throw new Error(`Cannot force-renew on node-1 (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
  const renewed = await converge(cluster, watcher, new Map(current.map((s) => [s.name, s.version])), startedMs);
  const lines = watcher.lines();
  return {
    certificates: current.length,
    orders: (run.stderr.match(/Order created/g) ?? []).length,
    daemonOrders: linesWith(lines, 'Order created').length - daemonOrdersBefore,
    propagationMs: renewed.flatMap((s) =>
      [...servedAt(lines, s)].filter(([node]) => node !== renewer.id).map(([, atMs]) => atMs - s.storedAtMs),
    ),
  };
}

/**
 * Writes each node's daemon output to `<prefix>-<node>.log`, and its JSON lines with `t` (ms since
 * the daemons started, as stamped on arrival) to `<prefix>-<node>.stamped.jsonl`.
 */
async function keepLogs(
  cluster: Cluster,
  watcher: LogWatcher | undefined,
  startedMs: number,
  prefix: string,
): Promise<void> {
  await mkdir(dirname(prefix), { recursive: true });
  for (const node of cluster.nodes) {
    await writeFile(`${prefix}-${node.id}.log`, node.daemonOutput(), { mode: 0o600 });
    const stamped = (watcher?.lines() ?? [])
      .filter((line) => line.node === node.id)
      .map(
        (line) =>
          `${JSON.stringify({ t: line.atMs - startedMs, level: line.level, message: line.message, ...line.fields })}\n`,
      );
    await writeFile(`${prefix}-${node.id}.stamped.jsonl`, stamped.join(''), { mode: 0o600 });
  }
}

/** Options of runClusterPhase(). */
export interface ClusterPhaseOptions {
  peers: PeersDescription;
  postgres: TestPostgres;
  database: string;
  nodes: number;
  /** The certificate names, e.g. `c-001.three.bench.test`. */
  names: string[];
  /** Progress lines. */
  progress: (line: string) => void;
  /** After the run, force-renew this many certificates on node-1 and measure their propagation (steady state). Default: 0. */
  steadyRenewals?: number;
  /** When set, each node's daemon output is written to `<logDir>/<database>-<node>.log` before the nodes stop. */
  logDir?: string;
}

/** Runs one phase; everything it started is stopped before it returns or throws. */
export async function runClusterPhase(options: ClusterPhaseOptions): Promise<PhaseResult> {
  const { peers, postgres, names, progress } = options;
  const cluster = await startCluster({
    peers,
    postgres,
    database: options.database,
    mode: 'shared',
    nodes: options.nodes,
    lease: LEASE,
    syncInterval: SYNC_INTERVAL,
  });
  let watcher: LogWatcher | undefined;
  let startedMs = NaN;
  try {
    const { nodes } = cluster;
    // An existing cluster has its account; registering it here keeps three first passes from racing to.
    const registered = await nodes[0]!.run(['account', 'register']);
    if (registered.code !== 0) throw new Error(`Cannot register the ACME account:\n${registered.stderr.slice(-2000)}`);
    await Promise.all(names.map((name, i) => cluster.routeTo(name, nodes[i % nodes.length]!)));
    await seedDueCertificates(cluster, names, peers.directoryUrl);
    // Every node serves the due certificates before the run, as a running cluster would.
    const synced = await Promise.all(nodes.map((node) => node.run(['sync'], { timeoutMs: 120_000 })));
    const failedSync = synced.findIndex((run) => run.code !== 0);
    if (failedSync >= 0)
      throw new Error(`Cannot sync node-${failedSync + 1}:\n${synced[failedSync]!.stderr.slice(-2000)}`);
    const seeded = await seededVersions(cluster);
    if (seeded.size !== names.length) throw new Error(`Seeded ${seeded.size} certificates, expected ${names.length}`);
    progress(`${nodes.length} node(s) serve ${names.length} due certificates; starting the daemons`);

    watcher = watchLogs(nodes);
    startedMs = Date.now();
    await Promise.all(nodes.map((node) => node.startDaemon()));
    const stored = await converge(cluster, watcher, seeded, startedMs);
    progress('every node logged serving every new version; confirming by TLS handshakes');
    const confirmedAt = await confirmByHandshakes(cluster, stored);
    // Counted before the steady-state renewals add their versions.
    const counts = await cluster.sql(
      'SELECT n, count(*) FROM (SELECT name, count(*) - 1 AS n FROM acme_certificate_versions GROUP BY name) x GROUP BY n ORDER BY n',
    );
    const versionsWritten = Object.fromEntries(
      counts
        .split('\n')
        .filter((row) => row !== '')
        .map((row) => row.split('|').map(Number) as [number, number]),
    );
    const steady =
      (options.steadyRenewals ?? 0) > 0
        ? await steadyState(cluster, watcher, stored.slice(0, options.steadyRenewals), progress)
        : undefined;
    watcher.stop();
    const lines = watcher.lines();

    const ordersByNode = countBy(lines, 'Order created');
    return {
      nodes: nodes.length,
      certificates: names.length,
      handshakeConfirmedMs: confirmedAt - startedMs,
      ordersByNode,
      orders: Object.values(ordersByNode).reduce((sum, n) => sum + n, 0),
      versionsWritten,
      leaseWaitsByNode: countBy(lines, 'Waiting for the lock'),
      renewedMeanwhileByNode: countBy(lines, 'Renewed meanwhile by another run'),
      homeLockWaitsByNode: countBy(lines, 'Waiting for another acme command to finish'),
      problems: problemsByNode(lines),
      ...(steady === undefined ? {} : { steady }),
      ...summariseRun(
        lines,
        stored,
        nodes.map((node) => node.id),
        startedMs,
      ),
    };
  } finally {
    watcher?.stop();
    if (options.logDir !== undefined)
      await keepLogs(cluster, watcher, startedMs, join(options.logDir, options.database));
    await cluster.stop();
  }
}
