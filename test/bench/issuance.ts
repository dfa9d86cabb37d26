/**
 * Issuance benchmark (`npm run bench -- issuance`): wall time and peak RSS, haproxy-acme side by side with lego (Debian
 * package) against the same real pebble, validated through the same HAProxy route, in one run.
 *
 * Scenarios (every loop is bounded; every server is on 127.0.0.1):
 * - single:        1 certificate, one CLI process each (`acme issue` vs `lego run`); the median of
 *                  SINGLE_RUNS runs, because one lego run varies from 0.1 s to 6 s with its polling
 * - sequential10:  10 certificates, one CLI process after another, for both tools
 * - concurrent10:  10 orders in flight at once in ONE process, through the issuance use case the
 *                  CLI runs, sharing one responder (lego cannot do this: each run binds the
 *                  challenge port itself), compared with lego's 10 sequential runs
 * - hot swap:      `acme issue` with --haproxy-socket, so the certificate is also swapped into the
 *                  peers' HAProxy and verified there (what lego does not do)
 * - breakdown:     TRACED_RUNS more `acme issue` runs with the hot swap under a preload that
 *                  records where the time goes (_issuanceTrace.ts): start-up, module loading, ACME
 *                  round trips, poll waits, key generation, storage fsyncs, HAProxy
 * - start-up:      `acme --version` against `node -e 0` (_issuanceStartup.ts)
 * - single with progress lines: `acme issue` without -q, as a person runs it (the lines load winston)
 * - newer pair:    the single comparison again on pebble 2.7 + HAProxy 3.0 when ACME_TEST_*_NEW
 *                  name them (as .ci/run does); every CLI run uses the launch flags of the shebang
 * certbot (Debian's, when installed) runs beside them in the single scenarios: `certonly
 * --standalone` on the same responder port, behind the same HAProxy route.
 *
 * Writes test/bench/results/issue-bench.json and .md; returns the tables.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findMissingPeerBinaries, startPeers, type Peers } from '../peers';
import { issueCertificate } from '../../src/issuance';
import { AcmeService } from '../../src/acme';
import { ChallengeResponder, MemoryChallengeTokenRegistry } from '../../src/challenge';
import { FileIssuedCertificateStore, openFileBackend, FileLocks } from '../../src/storage';
import { silentLogger } from '../../src/log';
import { systemClock } from '../../src/clock';
import { formatBreakdown, medianTrace, readTrace, TRACE_PRELOAD_SOURCE, type IssuanceTrace } from './_issuanceTrace';
import { measureStartup, type StartupSample } from './_issuanceStartup';

import { cliArguments } from './_cli';
const RESULTS_DIR = resolve(__dirname, 'results');
const RUN_TIMEOUT_MS = 120_000;
const BATCH = 10;

interface Sample {
  wallMs: number;
  maxRssKb: number;
}

interface Row {
  scenario: string;
  tool: string;
  wallMs: number;
  peakRssKb: number;
  note: string;
}

let counter = 0;
function uniqueDomain(tool: string): string {
  counter += 1;
  return `${tool}-${counter}-${Date.now().toString(36)}.bench.test`;
}

/** Runs a command under /usr/bin/time to get wall time and peak RSS; rejects on non-zero exit. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'MAXRSS=%M', command, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: RUN_TIMEOUT_MS,
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) {
        fail(new Error(`${command} exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      const rss = /MAXRSS=(\d+)/.exec(stderr);
      done({ wallMs, maxRssKb: rss ? Number(rss[1]) : NaN });
    });
  });
}

/** Where a traced run writes its summary: the preload file and the output file. */
interface TraceFiles {
  preload: string;
  output: string;
}

/** How one `acme issue` runs: quiet (default) or with its progress lines; with the hot swap into the peers' HAProxy. */
interface AcmeRunOptions {
  quiet?: boolean;
  swap?: boolean;
}

function acmeRun(peers: Peers, home: string, trace?: TraceFiles, options: AcmeRunOptions = {}): Promise<Sample> {
  const args = [
    ...(trace === undefined ? [] : ['-r', trace.preload]),
    ...cliArguments([
      'issue',
      '-d',
      uniqueDomain('acme'),
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      ...(options.quiet === false ? [] : ['-q']),
      ...(options.swap === true
        ? ['--haproxy-socket', peers.haproxyAdminSocket, '--haproxy-crt-list', peers.haproxyCrtList]
        : []),
    ]),
  ];
  const env =
    trace === undefined ? { PATH: process.env.PATH } : { PATH: process.env.PATH, ACME_BENCH_TRACE: trace.output };
  return timed(process.execPath, args, env);
}

const TRACED_RUNS = 5;

/** TRACED_RUNS traced `acme issue` runs: the median of each phase. */
async function tracedRuns(peers: Peers, home: string, work: string): Promise<IssuanceTrace & { other: number }> {
  const preload = join(work, 'trace-preload.cjs');
  await writeFile(preload, TRACE_PRELOAD_SOURCE);
  const traces: IssuanceTrace[] = [];
  for (let i = 0; i < TRACED_RUNS; i += 1) {
    const output = join(work, `trace-${i}.json`);
    await acmeRun(peers, home, { preload, output }, { swap: true });
    traces.push(await readTrace(output));
  }
  return medianTrace(traces);
}

function legoRun(peers: Peers, path: string): Promise<Sample> {
  const args = [
    '--server',
    peers.directoryUrl,
    '--accept-tos',
    '--email',
    'bench@example.test',
    '--domains',
    uniqueDomain('lego'),
    '--http',
    '--http.port',
    `127.0.0.1:${peers.responderPort}`,
    '--path',
    path,
    'run',
  ];
  return timed('lego', args, { PATH: process.env.PATH, LEGO_CA_CERTIFICATES: peers.caBundlePath });
}

const SINGLE_RUNS = 5;

/** Debian's certbot, when installed (scripts/setup.sh installs it); the comparison leaves it out otherwise. */
function hasCertbot(): boolean {
  return spawnSync('certbot', ['--version'], { stdio: 'ignore', timeout: RUN_TIMEOUT_MS }).status === 0;
}

/**
 * `certbot certonly --standalone`: certbot's own HTTP-01 server on the responder port, behind the
 * same HAProxy route, against the same pebble (trusted through REQUESTS_CA_BUNDLE); its
 * configuration, work and log directories under `dir`, so the first run registers the account
 * and the later ones reuse it.
 */
function certbotRun(peers: Peers, dir: string): Promise<Sample> {
  const args = [
    'certonly',
    '--standalone',
    '--non-interactive',
    '--agree-tos',
    '-m',
    'bench@example.test',
    '--server',
    peers.directoryUrl,
    '--preferred-challenges',
    'http',
    '--http-01-address',
    '127.0.0.1',
    '--http-01-port',
    String(peers.responderPort),
    '--config-dir',
    join(dir, 'config'),
    '--work-dir',
    join(dir, 'work'),
    '--logs-dir',
    join(dir, 'logs'),
    '-d',
    uniqueDomain('certbot'),
  ];
  return timed('certbot', args, { PATH: process.env.PATH, HOME: dir, REQUESTS_CA_BUNDLE: peers.caBundlePath });
}

/** Runs `once` `runs` times one after another: median wall time, its spread, and the peak RSS. */
async function medianOf(runs: number, once: () => Promise<Sample>): Promise<Sample & { minMs: number; maxMs: number }> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i += 1) samples.push(await once());
  const walls = samples.map((x) => x.wallMs).sort((a, b) => a - b);
  return {
    wallMs: walls[Math.floor(walls.length / 2)]!,
    minMs: walls[0]!,
    maxMs: walls[walls.length - 1]!,
    maxRssKb: Math.max(...samples.map((x) => x.maxRssKb)),
  };
}

async function sequence(runs: number, once: () => Promise<Sample>): Promise<Sample> {
  const started = process.hrtime.bigint();
  let maxRssKb = 0;
  for (let i = 0; i < runs; i += 1) maxRssKb = Math.max(maxRssKb, (await once()).maxRssKb);
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, maxRssKb };
}

/** 10 orders in flight at once in this process, through the same use case the CLI runs. */
async function concurrentInProcess(peers: Peers, home: string): Promise<Sample> {
  const caBundlePem = await readFile(peers.caBundlePath, 'utf8');
  const { store, bundles } = openFileBackend({ home, clock: systemClock, logger: silentLogger });
  const responder = new ChallengeResponder({
    address: { kind: 'tcp', host: '127.0.0.1', port: peers.responderPort },
    registry: new MemoryChallengeTokenRegistry(),
    logger: silentLogger,
  });
  const deps = {
    directoryUrl: peers.directoryUrl,
    store,
    bundles,
    issued: new FileIssuedCertificateStore({ home }),
    locks: new FileLocks({ home, clock: systemClock, logger: silentLogger }),
    responder,
    acmeFor: (keyPem: string) =>
      new AcmeService(keyPem, { directoryUrl: peers.directoryUrl, caBundlePem, logger: silentLogger }),
    clock: systemClock,
    logger: silentLogger,
  };
  // Register the account first, as a real deployment has one already.
  await issueCertificate({ name: 'warmup', domains: [uniqueDomain('warm')], keyType: 'ec256' }, deps);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: BATCH }, () => {
      const domain = uniqueDomain('conc');
      return issueCertificate({ name: domain, domains: [domain], keyType: 'ec256' }, deps);
    }),
  );
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { wallMs, maxRssKb: process.resourceUsage().maxRSS };
}

function formatTable(rows: Row[], ratios: Record<string, number>): string {
  const lines = ['| scenario | tool | wall time | peak RSS | note |', '|---|---|---|---|---|'];
  for (const row of rows)
    lines.push(
      `| ${row.scenario} | ${row.tool} | ${(row.wallMs / 1000).toFixed(2)} s | ${(row.peakRssKb / 1024).toFixed(1)} MiB | ${row.note} |`,
    );
  lines.push('', '| ratio | value | target |', '|---|---|---|');
  lines.push(`| acme single / lego single | ${ratios.single!.toFixed(3)} | ≤ 0.25 |`);
  if (ratios.singleCertbot !== undefined)
    lines.push(`| acme single / certbot single | ${ratios.singleCertbot.toFixed(3)} | (reported) |`);
  lines.push(`| acme 10 sequential / lego 10 sequential | ${ratios.sequential!.toFixed(3)} | (reported) |`);
  lines.push(`| acme 10 concurrent / lego 10 sequential | ${ratios.concurrent!.toFixed(3)} | ≤ 0.25 |`);
  return lines.join('\n');
}

/** What the targets table needs. */
interface TargetInputs {
  single: Sample & { minMs: number; maxMs: number };
  concurrentMs: number;
  startup: StartupSample;
}

/** The targets, measured value next to goal, each with a verdict. */
function formatTargets({ single, concurrentMs, startup }: TargetInputs): string {
  const rows: [string, string, string, boolean][] = [
    [
      'single issuance from the CLI, warm account (median wall)',
      `${single.wallMs.toFixed(0)} ms`,
      '≤ 300 ms',
      single.wallMs <= 300,
    ],
    [
      'peak RSS of `acme issue`',
      `${(single.maxRssKb / 1024).toFixed(1)} MiB`,
      '≤ 64 MiB',
      single.maxRssKb / 1024 <= 64,
    ],
    [
      `\`acme --version\` / \`node -e 0\` (median wall, ${startup.runs} runs each, ${startup.tool === 'hyperfine' ? 'hyperfine' : 'interleaved loop; hyperfine is not installed'})`,
      `${startup.ratio.toFixed(2)}x (${startup.versionMs.toFixed(0)} / ${startup.nodeMs.toFixed(0)} ms)`,
      '≤ 2x',
      startup.ratio <= 2,
    ],
    [
      `${BATCH} concurrent orders in one process`,
      `${(concurrentMs / 1000).toFixed(2)} s`,
      '≤ 0.5 s',
      concurrentMs <= 500,
    ],
  ];
  const lines = ['| target | measured | goal | met |', '|---|---|---|---|'];
  for (const [name, value, goal, met] of rows)
    lines.push(`| ${name} | ${value} | ${goal} | ${met ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}

/** The peer variables the newer pair comes in through, as the test matrix reads them. */
const NEWER_PAIR_ENV = {
  ACME_TEST_PEBBLE: 'ACME_TEST_PEBBLE_NEW',
  ACME_TEST_CHALLTESTSRV: 'ACME_TEST_CHALLTESTSRV_NEW',
  ACME_TEST_HAPROXY: 'ACME_TEST_HAPROXY_NEW',
} as const;

/** `pebble 2.7.0 + HAProxy 3.0.11`: the pair a row was measured on. */
function pairLabel(peers: Peers): string {
  const pebble = peers.versions.pebble.version.replace(/[+-].*$/, '');
  const haproxy = peers.versions.haproxy.version.replace(/[+-].*$/, '');
  return `pebble ${pebble} + HAProxy ${haproxy}`;
}

/**
 * The single-issuance comparison again on the newer pair (pebble 2.7 with ARI, profiles and async
 * finalize; HAProxy 3.0), when ACME_TEST_*_NEW name it; undefined otherwise. The peer variables are
 * swapped for the run and restored after it.
 */
async function onNewerPair(work: string, withCertbot: boolean): Promise<Row[] | undefined> {
  if (Object.values(NEWER_PAIR_ENV).every((name) => (process.env[name] ?? '') === '')) return undefined;
  const saved = Object.fromEntries(Object.keys(NEWER_PAIR_ENV).map((name) => [name, process.env[name]]));
  for (const [name, newer] of Object.entries(NEWER_PAIR_ENV)) {
    const value = process.env[newer];
    if (value !== undefined && value !== '') process.env[name] = value;
  }
  let peers: Peers | undefined;
  try {
    peers = await startPeers();
    const acmeHome = join(work, 'acme-home-newer');
    const legoPath = join(work, 'lego-newer');
    const certbotDir = join(work, 'certbot-newer');
    await acmeRun(peers, acmeHome);
    await legoRun(peers, legoPath);
    if (withCertbot) await certbotRun(peers, certbotDir);
    const acme = await medianOf(SINGLE_RUNS, () => acmeRun(peers!, acmeHome));
    const lego = await medianOf(SINGLE_RUNS, () => legoRun(peers!, legoPath));
    const certbot = withCertbot ? await medianOf(SINGLE_RUNS, () => certbotRun(peers!, certbotDir)) : undefined;
    const scenario = `single, ${pairLabel(peers)}`;
    return [
      { scenario, tool: 'haproxy-acme (CLI)', ...toRow(acme), note: spreadNote(acme) },
      ...(certbot === undefined ? [] : [{ scenario, tool: 'certbot', ...toRow(certbot), note: spreadNote(certbot) }]),
      { scenario, tool: 'lego', ...toRow(lego), note: spreadNote(lego) },
    ];
  } finally {
    await peers?.stop();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function certbotVersion(): string {
  const run = spawnSync('certbot', ['--version'], { encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  return `${run.stdout}${run.stderr}`.trim();
}

function spreadNote(sample: Sample & { minMs: number; maxMs: number }): string {
  return `median of ${SINGLE_RUNS} runs (min ${(sample.minMs / 1000).toFixed(2)} s, max ${(sample.maxMs / 1000).toFixed(2)} s)`;
}

/** Runs the issuance benchmark, writes results/issue-bench.{json,md} and returns the table. */
export async function runIssuanceBench(): Promise<string> {
  const missing = findMissingPeerBinaries();
  if (missing.length > 0)
    throw new Error(`Cannot run the benchmark: missing ${missing.join(', ')}; run "bash scripts/setup.sh" first`);
  const peers = await startPeers();
  const work = await mkdtemp(join(tmpdir(), 'haproxy-acme-bench-'));
  try {
    const acmeHome = join(work, 'acme-home');
    const legoPath = join(work, 'lego');
    // Warm-up: both tools register their account once, so every measured run reuses one.
    const certbotDir = join(work, 'certbot');
    const withCertbot = hasCertbot();
    await acmeRun(peers, acmeHome);
    await legoRun(peers, legoPath);
    if (withCertbot) await certbotRun(peers, certbotDir);

    const acmeSingle = await medianOf(SINGLE_RUNS, () => acmeRun(peers, acmeHome));
    const acmeProgress = await medianOf(SINGLE_RUNS, () => acmeRun(peers, acmeHome, undefined, { quiet: false }));
    const acmeSwap = await medianOf(SINGLE_RUNS, () => acmeRun(peers, acmeHome, undefined, { swap: true }));
    const legoSingle = await medianOf(SINGLE_RUNS, () => legoRun(peers, legoPath));
    const certbotSingle = withCertbot ? await medianOf(SINGLE_RUNS, () => certbotRun(peers, certbotDir)) : undefined;
    const acmeSeq = await sequence(BATCH, () => acmeRun(peers, acmeHome));
    const legoSeq = await sequence(BATCH, () => legoRun(peers, legoPath));
    const acmeConc = await concurrentInProcess(peers, join(work, 'acme-concurrent'));
    const breakdown = await tracedRuns(peers, acmeHome, work);
    const startup = await measureStartup(cliArguments([]));
    const newer = await onNewerPair(work, withCertbot);

    const rows: Row[] = [
      { scenario: 'single', tool: 'haproxy-acme (CLI, -q)', ...toRow(acmeSingle), note: spreadNote(acmeSingle) },
      {
        scenario: 'single',
        tool: 'haproxy-acme (CLI, progress lines on stderr)',
        ...toRow(acmeProgress),
        note: `${spreadNote(acmeProgress)}; writing lines loads winston`,
      },
      {
        scenario: 'single',
        tool: 'haproxy-acme (CLI, -q, hot swap into HAProxy)',
        ...toRow(acmeSwap),
        note: `${spreadNote(acmeSwap)}; --haproxy-socket: set/commit ssl cert, add to the crt-list, verified`,
      },
      ...(certbotSingle === undefined
        ? []
        : [{ scenario: 'single', tool: 'certbot', ...toRow(certbotSingle), note: spreadNote(certbotSingle) }]),
      { scenario: 'single', tool: 'lego', ...toRow(legoSingle), note: spreadNote(legoSingle) },
      { scenario: `${BATCH} sequential`, tool: 'haproxy-acme (CLI)', ...toRow(acmeSeq), note: `${BATCH} processes` },
      { scenario: `${BATCH} sequential`, tool: 'lego', ...toRow(legoSeq), note: `${BATCH} processes` },
      {
        scenario: `${BATCH} concurrent`,
        tool: 'haproxy-acme (in-process)',
        ...toRow(acmeConc),
        note: 'one process, shared responder',
      },
      ...(newer ?? []),
    ];
    const ratios = {
      single: acmeSingle.wallMs / legoSingle.wallMs,
      sequential: acmeSeq.wallMs / legoSeq.wallMs,
      concurrent: acmeConc.wallMs / legoSeq.wallMs,
      ...(certbotSingle === undefined ? {} : { singleCertbot: acmeSingle.wallMs / certbotSingle.wallMs }),
    };
    const table = [
      formatTable(rows, ratios),
      formatTargets({ single: acmeSingle, concurrentMs: acmeConc.wallMs, startup }),
      formatBreakdown(breakdown, TRACED_RUNS),
      newer === undefined
        ? 'The newer pair (pebble 2.7, HAProxy 3.0) was not measured: set ACME_TEST_PEBBLE_NEW, ACME_TEST_CHALLTESTSRV_NEW and ACME_TEST_HAPROXY_NEW.'
        : `Rows "${newer[0]!.scenario}": the single comparison again on the newer pair.`,
      withCertbot
        ? `certbot: ${certbotVersion()}, \`certonly --standalone\` on the same port and route.`
        : "certbot: not measured (not installed; scripts/setup.sh installs Debian's).",
    ].join('\n\n');
    const environment = {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      date: new Date().toISOString(),
      peers: peers.versions,
      pair: pairLabel(peers),
    };
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(
      join(RESULTS_DIR, 'issue-bench.json'),
      `${JSON.stringify({ environment, rows, ratios, startup, breakdown }, null, 2)}\n`,
    );
    await writeFile(
      join(RESULTS_DIR, 'issue-bench.md'),
      `# Issuance benchmark\n\n${JSON.stringify(environment)}\n\n${table}\n`,
    );
    return `${table}\n\nResults written to ${RESULTS_DIR}/issue-bench.{json,md}`;
  } finally {
    await peers.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function toRow(sample: Sample): { wallMs: number; peakRssKb: number } {
  return { wallMs: sample.wallMs, peakRssKb: sample.maxRssKb };
}
