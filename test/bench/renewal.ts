/**
 * Renewal benchmark (`npm run bench -- renewal`). Three measurements, every loop bounded,
 * every server on 127.0.0.1, every child stopped at the end:
 * (a) the nothing-due check over 1000 stored certificates, without any CA (target ≤ 1 s);
 * (b) 100 due certificates renewed in one `acme renew` run against real pebble behind the ARI
 *     proxy, compared with lego's sequential time for 100 orders (target ≤ 0.1×);
 * (c) the idle `acme daemon`'s resident memory after its startup pass (target ≤ 60 MB).
 * (a) needs no peers; (b) and (c) are reported as skipped when pebble or HAProxy is missing.
 * Writes test/bench/results/renewal-bench.{json,md}; returns the table.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { findMissingPeerBinaries, startAriProxy, startPeers } from '../peers';
import { benchDaemonIdle, type DaemonIdleResult } from './_renewalDaemon';
import { benchDueRenewals, type DueRenewalResult, type LegoTiming } from './_renewalDue';
import { benchNothingDue, type NothingDueResult } from './_renewalNothingDue';

const RESULTS_DIR = resolve(__dirname, 'results');
const NOTHING_DUE_TARGET_MS = 1000;
const RATIO_TARGET = 0.1;
/** 60 MB as the issue states it, in KiB (60 × 10^6 bytes / 1024). */
const RSS_TARGET_KB = 60_000_000 / 1024;

interface Results {
  nothingDue: NothingDueResult;
  dueRenewals: DueRenewalResult | { skipped: string };
  daemonIdle: DaemonIdleResult | { skipped: string };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
const mb = (kb: number): string => `${((kb * 1024) / 1e6).toFixed(1)} MB`;
const met = (ok: boolean): string => (ok ? 'yes' : 'NO');

function nothingDueRows(r: NothingDueResult): string[] {
  const row = (label: string, ms: number, runs: number[]): string =>
    `| (a) ${label} | ${seconds(ms)} (median of ${runs.length}: ${runs.map((x) => (x / 1000).toFixed(3)).join(', ')}) | ≤ 1 s | ${met(ms <= NOTHING_DUE_TARGET_MS)} |`;
  return [
    row(
      `nothing due, ${r.certificates} certs, no account: renewCertificates() in-process`,
      r.fresh.inProcessMedianMs,
      r.fresh.inProcessRunsMs,
    ),
    row(
      `nothing due, ${r.certificates} certs, no account: \`acme renew\` CLI wall`,
      r.fresh.cliMedianMs,
      r.fresh.cliRunsMs,
    ),
    row(
      `nothing due, ${r.certificates} certs, cached ARI windows + account: in-process`,
      r.cachedAri.inProcessMedianMs,
      r.cachedAri.inProcessRunsMs,
    ),
    row(
      `nothing due, ${r.certificates} certs, cached ARI windows + account: \`acme renew\` CLI wall`,
      r.cachedAri.cliMedianMs,
      r.cachedAri.cliRunsMs,
    ),
    `| (a) ACME client calls during the in-process passes | ${r.acmeCalls} | 0 | ${met(r.acmeCalls === 0)} |`,
  ];
}

function dueRows(r: DueRenewalResult | { skipped: string }): string[] {
  if ('skipped' in r) return [`| (b) 100 due renewals | skipped: ${r.skipped} | ≤ 0.1× lego | - |`];
  const lego = (t: LegoTiming): string =>
    t.extrapolated
      ? `${seconds(t.estimatedMs)} (EXTRAPOLATED ×${(r.certificates / t.runs).toFixed(0)} from ${t.runs} sequential runs taking ${seconds(t.measuredMs)})`
      : `${seconds(t.estimatedMs)} (${t.runs} sequential runs, measured)`;
  return [
    `| (b) \`acme renew\`, ${r.certificates} due by ARI, one run, ${r.concurrency} at a time | ${seconds(r.acmeWallMs)}; renewed ${r.renewed}, failed ${r.failed}; ${r.ordersWithReplaces}/${r.orders} orders with the right \`replaces\` | all renewed | ${met(r.renewed === r.certificates && r.ordersWithReplaces === r.certificates)} |`,
    `| (b) lego \`run\`, ${r.certificates} orders sequentially, through the same ARI proxy | ${lego(r.lego)} | (baseline) | - |`,
    `| (b) ratio acme / lego (same proxy) | ${r.ratio.toFixed(3)} | ≤ ${RATIO_TARGET} | ${met(r.ratio <= RATIO_TARGET)} |`,
    `| (b) lego \`run\`, ${r.certificates} orders sequentially, straight to pebble (reference) | ${lego(r.legoDirect)} | (reported) | - |`,
    `| (b) ratio acme / lego straight to pebble (reference) | ${r.ratioDirect.toFixed(3)} | (reported) | - |`,
  ];
}

function daemonRows(r: DaemonIdleResult | { skipped: string }): string[] {
  if ('skipped' in r) return [`| (c) daemon idle RSS | skipped: ${r.skipped} | ≤ 60 MB | - |`];
  return [
    `| (c) daemon idle RSS, ${r.certificates} certs (max of ${r.rssKbSamples.length} samples over ~3 s) | ${mb(r.maxRssKb)} (samples KiB: ${r.rssKbSamples.join(', ')}) | ≤ 60 MB | ${met(r.maxRssKb <= RSS_TARGET_KB)} |`,
    `| (c) daemon peak RSS during the startup pass (VmHWM) | ${mb(r.peakKb)} | (reported) | - |`,
    `| (c) bare \`node\` idle RSS, for reference | ${mb(r.bareNodeRssKb)} | (reported) | - |`,
    `| (c) \`node\` idling with one started node-cron task and nothing else, for reference | ${mb(r.cronFloorRssKb)} | (reported) | - |`,
    `| (c) startup pass finished after | ${seconds(r.startupPassMs)} | (reported) | - |`,
    `| (c) SIGTERM → exit | exit ${r.exitCode} after ${seconds(r.stopMs)} | exit 0 within 10 s | ${met(r.exitCode === 0 && r.stopMs <= 10_000)} |`,
  ];
}

function formatTable(results: Results): string {
  return [
    '| measurement | value | target | met |',
    '|---|---|---|---|',
    ...nothingDueRows(results.nothingDue),
    ...dueRows(results.dueRenewals),
    ...daemonRows(results.daemonIdle),
  ].join('\n');
}

function hasLego(): boolean {
  return spawnSync('lego', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

async function withPeers(): Promise<Pick<Results, 'dueRenewals' | 'daemonIdle'>> {
  const missing = [...findMissingPeerBinaries(), ...(hasLego() ? [] : ['lego'])];
  if (missing.length > 0) {
    const skipped = `missing ${missing.join(', ')}; run "bash scripts/setup.sh" first`;
    return { dueRenewals: { skipped }, daemonIdle: { skipped } };
  }
  const peers = await startPeers();
  try {
    const proxy = await startAriProxy(peers);
    try {
      process.stderr.write('bench: renewal (b) 100 due certificates…\n');
      const dueRenewals = await benchDueRenewals(peers, proxy);
      process.stderr.write('bench: renewal (c) daemon idle RSS…\n');
      return { dueRenewals, daemonIdle: await benchDaemonIdle(peers) };
    } finally {
      await proxy.stop();
    }
  } finally {
    await peers.stop();
  }
}

/** Runs the renewal benchmark, writes results/renewal-bench.{json,md} and returns the table. */
export async function runRenewalBench(): Promise<string> {
  process.stderr.write('bench: renewal (a) nothing due over 1000 certificates…\n');
  const nothingDue = await benchNothingDue();
  const results: Results = { nothingDue, ...(await withPeers()) };
  const table = formatTable(results);
  const environment = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(
    join(RESULTS_DIR, 'renewal-bench.json'),
    `${JSON.stringify({ environment, targets: { nothingDueMs: NOTHING_DUE_TARGET_MS, ratio: RATIO_TARGET, idleRssKb: RSS_TARGET_KB }, ...results }, null, 2)}\n`,
  );
  await writeFile(
    join(RESULTS_DIR, 'renewal-bench.md'),
    `# Renewal benchmark\n\n${JSON.stringify(environment)}\n\n${table}\n`,
  );
  return `${table}\n\nResults written to ${RESULTS_DIR}/renewal-bench.{json,md}`;
}
