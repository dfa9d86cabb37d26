/**
 * Renewal benchmark, part (c): the resident memory of an idle `acme daemon`. It runs with a
 * schedule that only fires on 1 January, so after its startup pass (against real pebble, a few
 * certificates, nothing due) it is idle; VmRSS is sampled from /proc over ~3 s. Then SIGTERM,
 * which MUST end it with exit 0 within 10 s. A bare `node` idling the same way is measured too,
 * as the floor any Node daemon pays, and `node` holding one started node-cron task (what the
 * daemon's schedule costs by itself: the package loads node:crypto and node:child_process, and
 * every tick formats the time with Intl, which brings in ICU). Both under the CLI's launch flags.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Peers } from '../peers';
import { LAUNCH_FLAGS } from '../../src/launchFlags';
import { cliArguments, memoryOf, spawnWatched, type WatchedChild } from './_cli';
import { issueForBench } from './_renewalDue';

const DAEMON_CERTIFICATES = 3;
const STARTUP_TIMEOUT_MS = 60_000;
const SAMPLES = 7;
const SAMPLE_INTERVAL_MS = 500;
const STOP_TIMEOUT_MS = 10_000;

/** What part (c) measured; memory in KiB. */
export interface DaemonIdleResult {
  certificates: number;
  startupPassMs: number;
  rssKbSamples: number[];
  maxRssKb: number;
  /** Peak RSS of the whole life so far (VmHWM), i.e. during the startup pass. */
  peakKb: number;
  bareNodeRssKb: number;
  /** `node` idling with one started node-cron task (UTC), nothing else. */
  cronFloorRssKb: number;
  exitCode: number | null | 'timeout';
  stopMs: number;
}

async function sample(pid: number): Promise<{ rss: number[]; hwmKb: number }> {
  const rss: number[] = [];
  let hwmKb = 0;
  for (let i = 0; i < SAMPLES; i += 1) {
    if (i > 0) await sleep(SAMPLE_INTERVAL_MS);
    const memory = await memoryOf(pid);
    rss.push(memory.rssKb);
    hwmKb = memory.hwmKb;
  }
  return { rss, hwmKb };
}

/** SIGTERM, then SIGKILL if it is still running after `STOP_TIMEOUT_MS`. */
async function stop(watched: WatchedChild): Promise<{ exitCode: number | null | 'timeout'; stopMs: number }> {
  const started = Date.now();
  watched.child.kill('SIGTERM');
  const exitCode = await watched.waitForExit(STOP_TIMEOUT_MS);
  const stopMs = Date.now() - started;
  if (exitCode === 'timeout') {
    watched.child.kill('SIGKILL');
    await watched.waitForExit(STOP_TIMEOUT_MS);
  }
  return { exitCode, stopMs };
}

/** A cron task that never fires during the benchmark, as the daemon's own is scheduled. */
const CRON_FLOOR_SOURCE = `
const cron = require(process.argv[1]);
cron.createTask('0 0 1 1 *', () => {}, { timezone: 'UTC' }).start();
setTimeout(() => process.stderr.write('ready\\n'), 1500);
setInterval(() => {}, 60000);
`;

/** VmRSS of `node <args>` idling after it printed "ready". */
async function idleRssKb(args: string[]): Promise<number> {
  const watched = spawnWatched(process.execPath, [...LAUNCH_FLAGS, ...args]);
  try {
    await watched.waitForLine('ready', STARTUP_TIMEOUT_MS);
    await sleep(SAMPLE_INTERVAL_MS);
    return (await memoryOf(watched.child.pid!)).rssKb;
  } finally {
    await stop(watched);
  }
}

function bareNodeRssKb(): Promise<number> {
  return idleRssKb(['-e', 'setInterval(() => {}, 60000); process.stderr.write("ready\\n")']);
}

function cronFloorRssKb(): Promise<number> {
  return idleRssKb(['-e', CRON_FLOOR_SOURCE, require.resolve('node-cron')]);
}

/** Runs part (c) on running peers; the temp home is removed afterwards. */
export async function benchDaemonIdle(peers: Peers): Promise<DaemonIdleResult> {
  const { home } = await issueForBench(peers, peers.directoryUrl, DAEMON_CERTIFICATES);
  let watched: WatchedChild | undefined;
  try {
    const args = [
      'daemon',
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      '--schedule',
      '0 0 1 1 *',
    ];
    const started = Date.now();
    watched = spawnWatched(process.execPath, cliArguments(args));
    await watched.waitForLine('Renewal pass finished', STARTUP_TIMEOUT_MS);
    const startupPassMs = Date.now() - started;
    const { rss, hwmKb } = await sample(watched.child.pid!);
    const stopped = await stop(watched);
    watched = undefined;
    return {
      certificates: DAEMON_CERTIFICATES,
      startupPassMs,
      rssKbSamples: rss,
      maxRssKb: Math.max(...rss),
      peakKb: hwmKb,
      bareNodeRssKb: await bareNodeRssKb(),
      cronFloorRssKb: await cronFloorRssKb(),
      ...stopped,
    };
  } finally {
    if (watched !== undefined) await stop(watched);
    await rm(home, { recursive: true, force: true });
  }
}
