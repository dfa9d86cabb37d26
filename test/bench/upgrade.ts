/**
 * Upgrade benchmark (`npm run bench -- upgrade`): what moving from lego to haproxy-acme costs, in
 * one run against one real pebble, every server on 127.0.0.1, every loop bounded in count and time
 * (a 10-minute budget for the whole scenario, a timeout on every child):
 * 1. Adoption: synthetic lego homes (lego's exact layout, a real lego account of this pebble,
 *    locally signed certificates) of 1, 100 and 1000 certificates adopted in place by `acme renew
 *    --json` (then run again), side by side with `acme import lego --path <copy>` into a fresh home
 *    (then run again); wall time and peak RSS of each, and checks that fail the scenario (every
 *    serial adopted, lego's account URL, nothing renewed, no order at pebble).
 * 2. Challenges: one certificate over TLS-ALPN-01 (a standalone HAProxy's tlsAlpnFront() on
 *    pebble's tlsPort) against HTTP-01 (the peers' HAProxy HTTP frontend), `acme issue` and lego,
 *    the median of 5 runs each.
 * Writes test/bench/results/upgrade-bench.{json,md}; returns the tables.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findMissingPeerBinaries, startPeers } from '../peers';
import { readLegoAccount } from './_legoLayout';
import { createLocalCa } from './_localCerts';
import { Budget, type RunSummary } from './_rssRun';
import { benchAdoption, type AdoptionResult, type StepCost } from './_upgradeAdoption';
import { benchChallenges, registerAccounts, type ChallengeResult, type ChallengeType } from './_upgradeChallenges';

const RESULTS_DIR = resolve(__dirname, 'results');
const SIZES = [1, 100, 1000] as const;
const EMAIL = 'bench@example.test';
/** The whole scenario; it takes about 2-3 minutes on a quiet 2-core machine. */
const BUDGET_MS = 600_000;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (kb: number): string => `${(kb / 1024).toFixed(1)} MiB`;

function adoptionTable(results: AdoptionResult[]): string {
  const lines = [
    '| certificates | run | wall time | per certificate | peak RSS | warnings logged |',
    '|---|---|---|---|---|---|',
  ];
  const row = (size: number, label: string, step: StepCost): string =>
    `| ${size} | ${label} | ${seconds(step.wallMs)} | ${(step.wallMs / size).toFixed(1)} ms | ${mib(step.maxRssKb)} | ${step.warnings}${step.firstWarning === undefined ? '' : ` (first: ${step.firstWarning.replace(/\|/g, '\\|')})`} |`;
  for (const r of results) {
    lines.push(row(r.certificates, '`acme renew --json` in the lego home (adopts)', r.renewAdopting));
    lines.push(row(r.certificates, '`acme renew --json` again (nothing to adopt, nothing due)', r.renewAgain));
    lines.push(row(r.certificates, '`acme import lego --path <copy>` into a fresh home', r.importFresh));
    lines.push(row(r.certificates, '`acme import lego --path <copy>` again (all imported)', r.importAgain));
  }
  lines.push(
    '',
    '| certificates | in place / explicit import (first run) | second renew / first renew | orders at pebble | lego home written in |',
    '|---|---|---|---|---|',
  );
  for (const r of results) {
    lines.push(
      `| ${r.certificates} | ${(r.renewAdopting.wallMs / r.importFresh.wallMs).toFixed(2)} | ${(r.renewAgain.wallMs / r.renewAdopting.wallMs).toFixed(2)} | ${r.orders} | ${seconds(r.generateMs)} |`,
    );
  }
  return lines.join('\n');
}

function challengeTable(r: ChallengeResult): string {
  const lines = [`| challenge | tool | median wall (of ${r.runs}) | range | peak RSS |`, '|---|---|---|---|---|'];
  const row = (type: ChallengeType, tool: string, s: RunSummary): string =>
    `| ${type} | ${tool} | ${seconds(s.medianMs)} | ${seconds(s.minMs)} – ${seconds(s.maxMs)} | ${mib(s.peakRssKb)} |`;
  for (const type of ['tls-alpn-01', 'http-01'] as const) {
    lines.push(row(type, '`acme issue`', r.acme[type]));
    lines.push(row(type, 'lego `run`', r.lego[type]));
  }
  const ratio = (a: RunSummary, b: RunSummary): string => (a.medianMs / b.medianMs).toFixed(2);
  lines.push('', '| ratio of medians | value |', '|---|---|');
  lines.push(`| acme tls-alpn-01 / acme http-01 | ${ratio(r.acme['tls-alpn-01'], r.acme['http-01'])} |`);
  lines.push(`| lego tls-alpn-01 / lego http-01 | ${ratio(r.lego['tls-alpn-01'], r.lego['http-01'])} |`);
  lines.push(`| acme tls-alpn-01 / lego tls-alpn-01 | ${ratio(r.acme['tls-alpn-01'], r.lego['tls-alpn-01'])} |`);
  lines.push(`| acme http-01 / lego http-01 | ${ratio(r.acme['http-01'], r.lego['http-01'])} |`);
  return lines.join('\n');
}

function legoVersion(): string | undefined {
  const run = spawnSync('lego', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/** Runs the upgrade benchmark, writes results/upgrade-bench.{json,md} and returns the tables. */
export async function runUpgradeBench(): Promise<string> {
  const lego = legoVersion();
  const missing = [...findMissingPeerBinaries(), ...(lego === undefined ? ['lego'] : [])];
  if (missing.length > 0)
    throw new Error(
      `Cannot run the upgrade benchmark: missing ${missing.join(', ')}; run "bash scripts/setup.sh" first`,
    );
  const budget = new Budget('upgrade benchmark', BUDGET_MS);
  const work = await mkdtemp(join(tmpdir(), 'haproxy-acme-bench-upgrade-'));
  const logDir = join(work, 'logs');
  const peers = await startPeers({ logDir });
  try {
    const ordersPlaced = async (): Promise<number> =>
      ((await readFile(join(logDir, 'pebble.log'), 'utf8')).match(/\/order-plz -> calling handler\(\)/g) ?? []).length;
    const challengeContext = {
      peers,
      work,
      acmeHome: join(work, 'acme-home'),
      legoPath: join(work, 'lego'),
      email: EMAIL,
      budget,
    };
    process.stderr.write('bench: upgrade: registering both accounts…\n');
    await registerAccounts(challengeContext);

    const account = await readLegoAccount(challengeContext.legoPath, peers.directoryUrl, EMAIL);
    const ca = await createLocalCa(new Date());
    const adoption: AdoptionResult[] = [];
    for (const size of SIZES) {
      process.stderr.write(`bench: upgrade (1) adopting a lego home of ${size}…\n`);
      adoption.push(await benchAdoption({ peers, work, account, ca, ordersPlaced, budget }, size));
    }
    process.stderr.write('bench: upgrade (2) TLS-ALPN-01 vs HTTP-01 through HAProxy…\n');
    const challenges = await benchChallenges(challengeContext);

    const tables = `### Adopting a lego home\n\n${adoptionTable(adoption)}\n\n### TLS-ALPN-01 vs HTTP-01 through HAProxy\n\n${challengeTable(challenges)}`;
    const environment = {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      date: new Date().toISOString(),
      peers: peers.versions,
      lego,
    };
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(
      join(RESULTS_DIR, 'upgrade-bench.json'),
      `${JSON.stringify({ environment, adoption, challenges }, null, 2)}\n`,
    );
    await writeFile(
      join(RESULTS_DIR, 'upgrade-bench.md'),
      `# Upgrade benchmark\n\n${JSON.stringify(environment)}\n\n${tables}\n`,
    );
    return `${tables}\n\nResults written to ${RESULTS_DIR}/upgrade-bench.{json,md}`;
  } finally {
    await peers.stop();
    await rm(work, { recursive: true, force: true });
  }
}
