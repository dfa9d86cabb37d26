/** The swap benchmark's result shape and its markdown table. */
import type { LatencySummary } from './_stats';
import type { WrkResult } from './_wrk';

/** The p50 target of one swap. */
export const SWAP_P50_TARGET_MS = 20;

/** One 10 s wrk run and the changes made during it. */
export interface LoadRow {
  label: string;
  wrk: WrkResult;
  /** How long each change took: write the bundle, then swap / restart / reload (until it returned). */
  changeMs: number[];
  /** After each change returned: until a TLS handshake saw the new serial. */
  servedAfterMs: number[];
  commandLine: string;
}

/** Everything swap-bench.json holds. */
export interface SwapBenchResult {
  environment: { node: string; haproxy: string; haproxyThreads: string; cpus: number; cpuModel: string; date: string };
  wrkCommandLine: string;
  load: LoadRow[];
  latency: {
    /** swapCertificate() of one certificate, alternating two bundles. */
    single: LatencySummary;
    /** swapCertificate() of each of 100 certificates once. */
    many: LatencySummary;
    /** addCertificate() of the 100 certificates (setup of `many`). */
    manyAdd: LatencySummary;
  };
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const list = (values: number[]): string => (values.length === 0 ? '—' : values.map(ms).join(', '));

function loadTable(rows: LoadRow[]): string[] {
  const lines = [
    '| certificate changed at 3 s and 6 s by | requests | failed (requests + connections) | non-2xx | socket errors connect / read / write / timeout | req/s | each change took | new serial in a handshake after |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { label, wrk, changeMs, servedAfterMs } of rows) {
    const sockets = `${wrk.connectErrors} / ${wrk.readErrors} / ${wrk.writeErrors} / ${wrk.timeoutErrors}`;
    lines.push(
      `| ${label} | ${wrk.requests} | ${wrk.failed} | ${wrk.non2xx} | ${sockets} | ${wrk.requestsPerSecond.toFixed(0)} | ${list(changeMs)} | ${list(servedAfterMs)} |`,
    );
  }
  return lines;
}

function latencyRow(label: string, summary: LatencySummary): string {
  return `| ${label} | ${summary.count} | ${ms(summary.p50Ms)} | ${ms(summary.p99Ms)} | ${ms(summary.maxMs)} | ${ms(summary.meanMs)} | ${ms(summary.totalMs)} |`;
}

/** The printed and written table: load side by side, swap latency, then the targets. */
export function formatSwapTable(result: SwapBenchResult): string {
  const hotSwap = result.load.find((row) => row.label.startsWith('(a)'));
  const failedA = hotSwap?.wrk.failed ?? NaN;
  const { single, many, manyAdd } = result.latency;
  const worstP50 = Math.max(single.p50Ms, many.p50Ms);
  const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  return [
    ...loadTable(result.load),
    '',
    '| swap latency (HaproxyInstance.swapCertificate, verified) | swaps | p50 | p99 | max | mean | total |',
    '|---|---|---|---|---|---|---|',
    latencyRow('1 certificate, alternating 2 bundles', single),
    latencyRow('100 certificates, each swapped once', many),
    latencyRow('(setup) addCertificate of the 100 new certificates', manyAdd),
    '',
    '| target | measured | result |',
    '|---|---|---|',
    `| (a) failed requests = 0 (target 0) | ${failedA} | ${met(failedA === 0)} |`,
    `| swap p50 ≤ ${SWAP_P50_TARGET_MS} ms | 1 cert ${ms(single.p50Ms)}, 100 certs ${ms(many.p50Ms)} | ${met(worstP50 <= SWAP_P50_TARGET_MS)} |`,
  ].join('\n');
}
