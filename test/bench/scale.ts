/**
 * Scale benchmark (`npm run bench -- scale`): one node with 1,000 and 10,000 stored certificates
 * (the renewal benchmark's generator: locally signed 90-day leaves, one day old, stored through
 * FileCertificateStore), every command run as the built CLI under `ulimit -n 1024` (the usual
 * limit of a user or a service) through `/usr/bin/time` for its peak RSS:
 * - `acme renew`, nothing due (also timed in-process, renewCertificates());
 * - `acme list`, `acme list --json`, `acme doctor`.
 * A first untimed `acme renew` writes every HAProxy bundle, as issuance would have. No CA is used:
 * the directory URL is a closed loopback port. Targets at 10,000: nothing-due pass ≤ 1 s,
 * `acme list --json` ≤ 1.5 s, peak RSS ≤ 128 MiB per command; every command exits 0.
 * Writes test/bench/results/scale-bench.{json,md}; returns the table.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renewCertificates } from '../../src/issuance';
import { cliArguments } from './_cli';
import { createLocalCa, storeLocalCertificates } from './_localCerts';
import { DEAD_DIRECTORY, offlineRenewalDeps } from './_offlineRenewal';
import { rssRun, summariseRuns, type RssRun, type RunSummary } from './_rssRun';
import { timeMs } from './_stats';

const RESULTS_DIR = resolve(__dirname, 'results');
const SIZES = [1000, 10_000];
const OPEN_FILES_LIMIT = 1024;
const RUNS = 3;
const RUN_TIMEOUT_MS = 300_000;
const TARGETS = { nothingDueMs: 1000, listJsonMs: 1500, peakRssKb: 128 * 1024 };

/** One command at one size: its runs under the limit. */
interface CommandResult extends RunSummary {
  command: string;
}

/** What one size measured. */
interface SizeResult {
  certificates: number;
  setupMs: number;
  warmUpRenewMs: number;
  inProcessNothingDue: { runsMs: number[]; medianMs: number };
  commands: CommandResult[];
}

/** `acme <args>` under `ulimit -n 1024`, through /usr/bin/time (bash execs node: the same process). */
function cliUnderLimit(args: string[]): Promise<RssRun> {
  return rssRun(
    'bash',
    ['-c', `ulimit -n ${OPEN_FILES_LIMIT} && exec "$0" "$@"`, process.execPath, ...cliArguments(args)],
    {
      timeoutMs: RUN_TIMEOUT_MS,
    },
  );
}

/** How many certificates a successful run reported; throws with its output when it failed or counted wrong. */
function check(label: string, run: RssRun, count: number): void {
  const counted = countOf(label, run.stdout);
  if (run.code !== 0 || counted !== count) {
    throw new Error(
      `Cannot benchmark "acme ${label}" over ${count} certificates: exit ${run.code}, ${counted} counted; stdout: ${run.stdout.slice(-500)}; stderr: ${run.stderr.slice(-1500)}`,
    );
  }
}

function countOf(label: string, stdout: string): number {
  try {
    if (label === 'list') return stdout.split('\n').filter((line) => /^site-\d+\.scale\.test /.test(line)).length;
    const document = JSON.parse(stdout) as { certificates?: unknown[]; checks?: Array<{ id: string }> };
    if (label === 'doctor --json') return (document.checks ?? []).filter((c) => c.id === 'expiry').length;
    return (document.certificates ?? []).length;
  } catch {
    return -1;
  }
}

async function timeCommand(label: string, args: string[], count: number): Promise<CommandResult> {
  const samples: RssRun[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const run = await cliUnderLimit(args);
    check(label, run, count);
    samples.push(run);
  }
  return { command: `acme ${label}`, ...summariseRuns(samples) };
}

async function benchSize(count: number): Promise<SizeResult> {
  const home = await mkdtemp(join(tmpdir(), 'haproxy-acme-bench-scale-'));
  try {
    const deps = offlineRenewalDeps(home, 'scale');
    const names = Array.from({ length: count }, (_, i) => `site-${String(i).padStart(5, '0')}.scale.test`);
    const now = new Date();
    process.stderr.write(`bench: scale: storing ${count} certificates…\n`);
    const setupMs = await timeMs(async () => {
      const ca = await createLocalCa(now);
      await storeLocalCertificates(deps.store, ca, names, {
        now,
        ageDays: 1,
        lifetimeDays: 90,
        directoryUrl: DEAD_DIRECTORY,
        parallel: 16,
      });
    });
    const common = ['--home', home, '--directory', DEAD_DIRECTORY];
    const warmUp = await cliUnderLimit(['renew', '--json', ...common]);
    check('renew --json', warmUp, count);
    const runsMs: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      let outcomes = 0;
      runsMs.push(
        await timeMs(async () => (outcomes = (await renewCertificates(deps, { nextCheckAt: new Date() })).length)),
      );
      if (outcomes !== count) throw new Error(`Cannot benchmark the nothing-due pass: ${outcomes} of ${count} checked`);
    }
    process.stderr.write(`bench: scale: ${count} certificates: timing the commands…\n`);
    const commands = [
      await timeCommand('renew --json', ['renew', '--json', ...common], count),
      await timeCommand('list', ['list', ...common], count),
      await timeCommand('list --json', ['list', '--json', ...common], count),
      await timeCommand('doctor --json', ['doctor', '--json', ...common, '--local-ports', '9'], count),
    ];
    const sorted = [...runsMs].sort((a, b) => a - b);
    return {
      certificates: count,
      setupMs,
      warmUpRenewMs: warmUp.wallMs,
      inProcessNothingDue: { runsMs: runsMs.map(Math.round), medianMs: sorted[Math.floor(sorted.length / 2)]! },
      commands,
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
const mib = (kb: number): string => `${(kb / 1024).toFixed(1)} MiB`;
const met = (ok: boolean): string => (ok ? 'yes' : 'NO');

function targetOf(size: SizeResult, command: string): { text: string; ok: boolean } {
  const c = size.commands.find((x) => x.command === command)!;
  const rssOk = c.peakRssKb <= TARGETS.peakRssKb;
  if (size.certificates < 10_000) return { text: 'exit 0 (reported)', ok: true };
  if (command === 'acme list --json')
    return { text: '≤ 1.5 s, ≤ 128 MiB', ok: rssOk && c.medianMs <= TARGETS.listJsonMs };
  if (command === 'acme renew --json') return { text: '≤ 128 MiB (pass: row below)', ok: rssOk };
  return { text: '≤ 128 MiB', ok: rssOk };
}

function rows(size: SizeResult): string[] {
  const n = size.certificates.toLocaleString('en');
  const ok10k = size.certificates < 10_000 || size.inProcessNothingDue.medianMs <= TARGETS.nothingDueMs;
  return [
    ...size.commands.map((c) => {
      const target = targetOf(size, c.command);
      return `| ${n} | \`${c.command}\` (ulimit -n ${OPEN_FILES_LIMIT}) | ${seconds(c.medianMs)} (${c.wallsMs.map((ms) => (ms / 1000).toFixed(3)).join(', ')}) | ${mib(c.peakRssKb)} | ${target.text} | ${met(target.ok)} |`;
    }),
    `| ${n} | nothing-due pass, renewCertificates() in-process | ${seconds(size.inProcessNothingDue.medianMs)} (${size.inProcessNothingDue.runsMs.map((ms) => (ms / 1000).toFixed(3)).join(', ')}) | - | ${size.certificates < 10_000 ? '(reported)' : '≤ 1 s'} | ${met(ok10k)} |`,
    `| ${n} | setup: store ${n} certificates; first \`acme renew\` writing every bundle | ${seconds(size.setupMs)}; ${seconds(size.warmUpRenewMs)} | - | (reported) | - |`,
  ];
}

/** Runs the scale benchmark, writes results/scale-bench.{json,md} and returns the table. */
export async function runScaleBench(): Promise<string> {
  const sizes: SizeResult[] = [];
  for (const count of SIZES) sizes.push(await benchSize(count));
  const table = [
    '| certificates | measurement | wall median (runs) | peak RSS | target | met |',
    '|---|---|---|---|---|---|',
    ...sizes.flatMap(rows),
  ].join('\n');
  const environment = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(
    join(RESULTS_DIR, 'scale-bench.json'),
    `${JSON.stringify({ environment, openFilesLimit: OPEN_FILES_LIMIT, targets: TARGETS, sizes }, null, 2)}\n`,
  );
  await writeFile(
    join(RESULTS_DIR, 'scale-bench.md'),
    `# Scale benchmark\n\n${JSON.stringify(environment)}\n\n${table}\n`,
  );
  return `${table}\n\nResults written to ${RESULTS_DIR}/scale-bench.{json,md}`;
}
