/**
 * Cluster benchmark (`npm run bench -- cluster`): 100 certificates due at once on three nodes
 * (`acme daemon` + HAProxy each on 127.0.0.11-13, `--http01-mode shared`) sharing one PostgreSQL
 * store, against real pebble; and, for context, the same 100 renewed by one node on a fresh
 * database. Reports the wall time until every node serves every new serial, the orders (target:
 * exactly one per certificate), the versions written, and the propagation latency from the commit
 * to each other node serving it (target: p99 ≤ 1 s, by LISTEN/NOTIFY: the periodic comparison is
 * set to 10 minutes, beyond the run). Every server on loopback, every wait bounded, everything
 * stopped at the end. Writes test/bench/results/cluster-bench.{json,md}; returns the table.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findMissingPeerBinaries, startPeers } from '../peers';
import { postgresBinDir, startPostgres } from '../peers/_postgres';
import { runClusterPhase, type PhaseResult } from './_clusterRun';

const RESULTS_DIR = resolve(__dirname, 'results');
const DUE = 100;
const PROPAGATION_P99_TARGET_MS = 1000;
/** Certificates force-renewed on node-1 after the run, while every daemon follows. */
const STEADY = 20;

/** Nearest-rank percentile (`p` in 0..100) of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? NaN;
}

/** count, p50, p95, p99, max of `samples` in ms. */
export function latencies(samples: readonly number[]): {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
} {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
const met = (ok: boolean): string => (ok ? 'yes' : 'NO');
const perNode = (counts: Record<string, number>): string =>
  Object.keys(counts).length === 0
    ? 'none'
    : Object.entries(counts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([node, n]) => `${node} ${n}`)
        .join(', ');
const spread = (l: ReturnType<typeof latencies>): string =>
  `p50 ${l.p50.toFixed(0)} ms, p95 ${l.p95.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms, max ${l.max.toFixed(0)} ms (n = ${l.count})`;

function steadyRows(r: PhaseResult): string[] {
  if (r.steady === undefined) return [];
  const l = latencies(r.steady.propagationMs);
  return [
    `| steady state (daemons running, start-up compares over): \`acme renew --force\` of ${r.steady.certificates} on node-1: propagation to the 2 others | ${spread(l)} | p99 ≤ 1 s | ${met(l.p99 <= PROPAGATION_P99_TARGET_MS)} |`,
    `| steady state: orders by that run / by the daemons meanwhile | ${r.steady.orders} / ${r.steady.daemonOrders} | ${r.steady.certificates} / 0 | ${met(r.steady.orders === r.steady.certificates && r.steady.daemonOrders === 0)} |`,
  ];
}

function formatTable(three: PhaseResult, one: PhaseResult): string {
  const propagation = latencies(three.propagationMs);
  const own = latencies(three.ownNodeMs);
  const versions = (r: PhaseResult): string =>
    Object.entries(r.versionsWritten)
      .map(([n, certs]) => `${certs} certificates: ${n}`)
      .join('; ');
  const problems = (r: PhaseResult): string =>
    Object.entries(r.problems)
      .flatMap(([node, counts]) => Object.entries(counts).map(([message, n]) => `${node}: ${message} ×${n}`))
      .join('; ') || 'none';
  return [
    '| measurement | value | target | met |',
    '|---|---|---|---|',
    `| 3 nodes: daemons started → every node serves every new serial (last "now serves" line) | ${seconds(three.wallMs)} | (reported) | - |`,
    `| 3 nodes: … confirmed by TLS handshakes on every node (${three.certificates}×${three.nodes}) | ${seconds(three.handshakeConfirmedMs)} | (reported) | - |`,
    `| 3 nodes: first / last order, last commit | ${seconds(three.firstOrderMs)} / ${seconds(three.lastOrderMs)}, ${seconds(three.lastCommitMs)} | (reported) | - |`,
    `| 3 nodes: orders placed ("Order created") | ${three.orders} (${perNode(three.ordersByNode)}) | ${three.certificates} | ${met(three.orders === three.certificates)} |`,
    `| 3 nodes: duplicate orders | ${three.orders - three.certificates} | 0 | ${met(three.orders === three.certificates)} |`,
    `| 3 nodes: versions written per certificate | ${versions(three)} | 1 each | ${met(three.versionsWritten[1] === three.certificates)} |`,
    `| 3 nodes: propagation, commit → another node serves it (its log line) | ${spread(propagation)} | p99 ≤ 1 s | ${met(propagation.p99 <= PROPAGATION_P99_TARGET_MS)} |`,
    `| 3 nodes: commit → the renewing node serves it | ${spread(own)} | (reported) | - |`,
    ...steadyRows(three),
    `| 3 nodes: lease waits / "Renewed meanwhile" / home lock waits | ${perNode(three.leaseWaitsByNode)} / ${perNode(three.renewedMeanwhileByNode)} / ${perNode(three.homeLockWaitsByNode)} | (reported) | - |`,
    `| 3 nodes: warnings and errors | ${problems(three)} | (reported) | - |`,
    `| 1 node: daemon started → it serves every new serial | ${seconds(one.wallMs)} (TLS-confirmed ${seconds(one.handshakeConfirmedMs)}); orders ${one.orders}; ${versions(one)} | (context) | - |`,
    `| 1 node: commit → it serves it | ${spread(latencies(one.ownNodeMs))} | (context) | - |`,
    `| 1 node: warnings and errors | ${problems(one)} | (reported) | - |`,
  ].join('\n');
}

function postgresVersion(): string {
  const bin = postgresBinDir();
  if (bin === undefined) return 'unknown';
  try {
    return execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return 'unknown';
  }
}

const namesFor = (label: string): string[] =>
  Array.from({ length: DUE }, (_, i) => `c-${String(i + 1).padStart(3, '0')}.${label}.bench.test`);

/**
 * The cluster harness records each command's output in the running jest test's transcript; here no
 * jest runs, so it gets a state without a test, and its transcripts go to a directory of ours.
 */
function outsideJest(transcripts: string): void {
  const scope = globalThis as { expect?: unknown };
  scope.expect ??= { getState: () => ({}) };
  process.env.ACME_TEST_TRANSCRIPTS = transcripts;
}

/** Runs the cluster benchmark, writes results/cluster-bench.{json,md} and returns the table. */
export async function runClusterBench(): Promise<string> {
  const missing = findMissingPeerBinaries();
  if (missing.length > 0 || postgresBinDir() === undefined)
    throw new Error(
      `Cannot run the cluster benchmark: missing ${[...missing, ...(postgresBinDir() === undefined ? ['postgresql'] : [])].join(', ')}; run "bash scripts/setup.sh" first`,
    );
  const work = await mkdtemp(join(tmpdir(), 'haproxy-acme-bench-cluster-'));
  outsideJest(join(work, 'transcripts'));
  const progress = (line: string): void => void process.stderr.write(`bench: cluster: ${line}\n`);
  const logDir = process.env.ACME_BENCH_LOG_DIR || undefined;
  const peers = await startPeers();
  try {
    const postgres = await startPostgres();
    try {
      const common = { peers, postgres, progress, ...(logDir === undefined ? {} : { logDir }) };
      progress(`three nodes, ${DUE} due certificates…`);
      const three = await runClusterPhase({
        ...common,
        database: 'bench_three',
        nodes: 3,
        names: namesFor('three'),
        steadyRenewals: STEADY,
      });
      progress(`one node, ${DUE} due certificates…`);
      const one = await runClusterPhase({ ...common, database: 'bench_one', nodes: 1, names: namesFor('one') });
      const table = formatTable(three, one);
      const environment = {
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
        date: new Date().toISOString(),
        peers: peers.versions,
        postgres: postgresVersion(),
        lease: '30s',
        syncInterval: '10m',
      };
      const summaries = {
        threeNodes: {
          propagation: latencies(three.propagationMs),
          ownNode: latencies(three.ownNodeMs),
          ...(three.steady === undefined ? {} : { steadyPropagation: latencies(three.steady.propagationMs) }),
        },
        oneNode: { ownNode: latencies(one.ownNodeMs) },
      };
      await mkdir(RESULTS_DIR, { recursive: true });
      await writeFile(
        join(RESULTS_DIR, 'cluster-bench.json'),
        `${JSON.stringify({ environment, targets: { duplicateOrders: 0, propagationP99Ms: PROPAGATION_P99_TARGET_MS }, summaries, threeNodes: three, oneNode: one }, null, 2)}\n`,
      );
      await writeFile(
        join(RESULTS_DIR, 'cluster-bench.md'),
        `# Cluster benchmark\n\n${JSON.stringify(environment)}\n\nPropagation is measured from \`acme_certificate_versions.stored_at\` (the database's \`clock_timestamp()\` in the writing transaction) to the arrival of the node's "This node now serves the stored certificate" log line (stamped by the benchmark on arrival, polled every 5 ms; the line is logged after HAProxy was checked with \`show ssl cert\`). The end of the run is confirmed by a TLS handshake per certificate and node.\n\n${table}\n`,
      );
      return `${table}\n\nResults written to ${RESULTS_DIR}/cluster-bench.{json,md}`;
    } finally {
      await postgres.stop();
    }
  } finally {
    await peers.stop();
    await rm(work, { recursive: true, force: true });
  }
}
