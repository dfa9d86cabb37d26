/**
 * Responder benchmark (`npm run bench -- responder`): the HTTP-01 responder
 * (built `dist/`, defaults as in src/main.ts: 5 s header timeout, 2 KiB headers, 1024
 * connections) alone in a child process on 127.0.0.1, under
 * (a) junk: wrk, 2 threads, 50 connections, 10 s of random junk requests (target ≥ 10,000 req/s);
 * (b) slowloris: SLOWLORIS_CONNECTIONS connections dripping headers for 10 s, each dropped one
 *     replaced (more than the 1024 limit, so the oldest are closed to make room);
 * while a side loop fetches the valid token on a new connection every 20 ms: successes, failures
 * and latency. The child's RSS is read from /proc before, at the peak of each load, and after.
 * Writes test/bench/results/responder-bench.{json,md}; returns the table.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../unit/challenge/_http';
import { memoryOf } from './_cli';
import { sampleRss, startResponderChild, type ResponderChild } from './_responderChild';
import { runSlowloris, sideLoop, writeJunkScript, type SideLoopResult, type SlowlorisResult } from './_responderLoad';
import { startWrk, type WrkResult } from './_wrk';

const RESULTS_DIR = resolve(__dirname, 'results');
const TOKEN = 'YmVuY2hfdG9rZW5fZm9yX3RoZV9yZXNwb25kZXJfMDE';
const KEY_AUTHORIZATION = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;
const PATH = `/.well-known/acme-challenge/${TOKEN}`;
const DURATION_S = 10;
const WRK = { threads: 2, connections: 50 };
const SLOWLORIS_CONNECTIONS = 2000;
const SIDE_GAP_MS = 20;
/** After each load, wait this long (longer than the 5 s header timeout) before reading "after". */
const SETTLE_MS = 7000;
const THROUGHPUT_TARGET = 10_000;

interface Phase {
  side: SideLoopResult;
  rssPeakKb: number;
  rssAfterKb: number;
  peakConnections: number;
  connectionsAfter: number;
  /** V8 heap in use after a forced GC, once the load ended and connections timed out. */
  heapAfterBytes: number;
}

interface Results {
  environment: Record<string, unknown>;
  rssIdleKb: number;
  heapIdleBytes: number;
  junk: Phase & { wrk: WrkResult; wrkCommandLine: string };
  slowloris: Phase & { attack: SlowlorisResult };
}

/** Runs `load` and the side loop together, then lets the responder settle; returns both. */
async function phase<T>(child: ResponderChild, load: () => Promise<T>): Promise<[T, Phase]> {
  child.resetPeak();
  const rss = sampleRss(child.pid);
  const [loadResult, side] = await Promise.all([
    load(),
    sideLoop(child.port, PATH, KEY_AUTHORIZATION, { durationMs: DURATION_S * 1000, gapMs: SIDE_GAP_MS }),
  ]);
  const rssPeakKb = await rss.stop();
  const peakConnections = child.peakConnections();
  await sleep(SETTLE_MS);
  const heapAfterBytes = await child.heapUsed();
  return [
    loadResult,
    {
      side,
      rssPeakKb,
      peakConnections,
      rssAfterKb: (await memoryOf(child.pid)).rssKb,
      connectionsAfter: child.connections(),
      heapAfterBytes,
    },
  ];
}

const mb = (kb: number): string => `${((kb * 1024) / 1e6).toFixed(1)} MB`;
const heap = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const ms = (value: number | undefined): string => (value === undefined ? '—' : `${value.toFixed(1)} ms`);

function sideCells(side: SideLoopResult): string {
  return `${side.successes} / ${side.failures} | ${ms(side.latency?.p50Ms)} | ${ms(side.latency?.p99Ms)} | ${ms(side.latency?.maxMs)}`;
}

function formatTable(r: Results): string {
  const w = r.junk.wrk;
  const errors = `${w.connectErrors} / ${w.readErrors} / ${w.writeErrors} / ${w.timeoutErrors}`;
  const a = r.slowloris.attack;
  return [
    '| load (10 s each) | load figures | valid token: ok / failed | p50 | p99 | max | RSS before → peak → after | heap after GC before → after | open connections peak → after |',
    '|---|---|---|---|---|---|---|---|---|',
    `| (a) wrk junk, ${WRK.threads} threads, ${WRK.connections} connections | ${w.requests} requests, **${Math.round(w.requestsPerSecond)} req/s**, non-2xx ${w.non2xx}, socket errors c/r/w/t ${errors} | ${sideCells(r.junk.side)} | ${mb(r.rssIdleKb)} → ${mb(r.junk.rssPeakKb)} → ${mb(r.junk.rssAfterKb)} | ${heap(r.heapIdleBytes)} → ${heap(r.junk.heapAfterBytes)} | ${r.junk.peakConnections} → ${r.junk.connectionsAfter} |`,
    `| (b) slowloris, ${a.target} connections kept dripping | ${a.opened} opened, ${a.closedByResponder} closed by the responder | ${sideCells(r.slowloris.side)} | ${mb(r.junk.rssAfterKb)} → ${mb(r.slowloris.rssPeakKb)} → ${mb(r.slowloris.rssAfterKb)} | ${heap(r.junk.heapAfterBytes)} → ${heap(r.slowloris.heapAfterBytes)} | ${r.slowloris.peakConnections} → ${r.slowloris.connectionsAfter} |`,
    '',
    '| target | measured | result |',
    '|---|---|---|',
    `| junk throughput ≥ ${THROUGHPUT_TARGET} req/s | ${Math.round(w.requestsPerSecond)} req/s | ${w.requestsPerSecond >= THROUGHPUT_TARGET ? 'met' : 'NOT met'} |`,
    `| valid token never fails under either load | ${r.junk.side.failures + r.slowloris.side.failures} failures | ${r.junk.side.failures + r.slowloris.side.failures === 0 ? 'met' : 'NOT met'} |`,
    `| open connections bounded (≤ 1024) and back to 0 | peak ${Math.max(r.junk.peakConnections, r.slowloris.peakConnections)}, after ${r.slowloris.connectionsAfter} | ${Math.max(r.junk.peakConnections, r.slowloris.peakConnections) <= 1024 && r.slowloris.connectionsAfter === 0 ? 'met' : 'NOT met'} |`,
  ].join('\n');
}

/** Runs the responder benchmark and writes its results; returns the table. */
export async function runResponderBench(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'haproxy-acme-responder-bench-'));
  const child = await startResponderChild(await freePort(), TOKEN, KEY_AUTHORIZATION);
  try {
    const environment = {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.split(' ').slice(0, 2).join(' '),
      loadAverage1m: loadavg()[0],
      date: new Date().toISOString(),
    };
    await sleep(1000);
    const heapIdleBytes = await child.heapUsed();
    const rssIdleKb = (await memoryOf(child.pid)).rssKb;
    const script = await writeJunkScript(work);
    const wrk = startWrk(`http://127.0.0.1:${child.port}/`, script, { ...WRK, durationSeconds: DURATION_S });
    const [wrkResult, junk] = await phase(child, () => wrk.done);
    const [attack, slow] = await phase(child, () =>
      runSlowloris(child.port, { connections: SLOWLORIS_CONNECTIONS, durationMs: DURATION_S * 1000, intervalMs: 100 }),
    );
    const results: Results = {
      environment,
      rssIdleKb,
      heapIdleBytes,
      junk: { ...junk, wrk: wrkResult, wrkCommandLine: wrk.commandLine },
      slowloris: { ...slow, attack },
    };
    const table = formatTable(results);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(join(RESULTS_DIR, 'responder-bench.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(
      join(RESULTS_DIR, 'responder-bench.md'),
      `# Responder benchmark\n\n${JSON.stringify(environment)}\n\n\`${wrk.commandLine}\` (Lua: random junk methods, paths and tokens)\n\n${table}\n`,
    );
    return `${table}\n\nResults written to ${RESULTS_DIR}/responder-bench.{json,md}`;
  } finally {
    await child.stop();
    await rm(work, { recursive: true, force: true });
  }
}
