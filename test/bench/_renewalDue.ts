/**
 * Renewal benchmark, part (b): 100 due certificates renewed by ONE `acme renew` run (bounded
 * concurrency: the pass renews 4 at a time) against real pebble behind the ARI proxy, compared
 * with lego's sequential time for as many orders.
 *
 * The certificates are issued first (in-process, untimed) through the proxy, then made due the
 * realistic way: the proxy serves each CertID a suggested window that ended an hour ago. The run
 * must renew all 100, and every order must carry `replaces: <old CertID>` (RFC 9773 §5).
 *
 * lego: `lego renew` only renews lego's own certificates, and a renewal order costs the CA the same
 * as a new one (pebble reuses no authorization here), so lego is timed with `lego run` for new
 * names, one process after another: through the same proxy (the baseline of the ratio, same path
 * as ours), and straight to pebble (for reference: lego's authorization polling makes a run take
 * 0.1 s or ~6 s depending on whether validation finished before its first poll, and the proxy's
 * extra latency changes that). If the first LEGO_SAMPLE runs project past LEGO_BUDGET_MS for 100,
 * the sample is extrapolated ×(100 / LEGO_SAMPLE) and marked so.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AcmeService } from '../../src/acme';
import { ChallengeResponder, MemoryChallengeTokenRegistry } from '../../src/challenge';
import { systemClock } from '../../src/clock';
import { issueCertificate, type IssuanceDeps } from '../../src/issuance';
import { silentLogger } from '../../src/log';
import { ariCertId } from '../../src/pem';
import { FileIssuedCertificateStore, openFileBackend, FileLocks } from '../../src/storage';
import type { AriProxy, Peers } from '../peers';
import { runCli, timedRun } from './_cli';
import { timeMs } from './_stats';

/** Certificates renewed in the one timed run. */
export const DUE_COUNT = 100;
/** What `renewCertificates()` runs at once by default (the CLI does not change it). */
const RENEW_CONCURRENCY = 4;
const ISSUE_PARALLEL = 10;
const RENEW_TIMEOUT_MS = 10 * 60_000;
const LEGO_TIMEOUT_MS = 120_000;
const LEGO_SAMPLE = 20;
const LEGO_BUDGET_MS = 8 * 60_000;
const HOUR_MS = 3_600_000;

/** lego's sequential time for DUE_COUNT orders, measured or extrapolated. */
export interface LegoTiming {
  runs: number;
  measuredMs: number;
  estimatedMs: number;
  /** True when `estimatedMs` is `measuredMs × DUE_COUNT / runs`. */
  extrapolated: boolean;
}

/** What part (b) measured. */
export interface DueRenewalResult {
  certificates: number;
  setupMs: number;
  concurrency: number;
  acmeWallMs: number;
  renewed: number;
  failed: number;
  /** Orders the proxy saw during the run, and how many carried the right `replaces`. */
  orders: number;
  ordersWithReplaces: number;
  /** lego through the same ARI proxy: the baseline. */
  lego: LegoTiming;
  /** lego straight to pebble, for reference. */
  legoDirect: LegoTiming;
  /** acmeWallMs / lego.estimatedMs; target ≤ 0.1. */
  ratio: number;
  /** acmeWallMs / legoDirect.estimatedMs. */
  ratioDirect: number;
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Date.now().toString(36)}.bench.test`;
}

/** Issues `names` in-process (the first alone, so the account is registered once); returns name → CertID. */
async function issueAll(
  peers: Peers,
  directoryUrl: string,
  home: string,
  names: string[],
): Promise<Map<string, string>> {
  const caBundlePem = await readFile(peers.caBundlePath, 'utf8');
  const { store, bundles } = openFileBackend({ home, clock: systemClock, logger: silentLogger });
  const deps: IssuanceDeps = {
    directoryUrl,
    store,
    bundles,
    issued: new FileIssuedCertificateStore({ home }),
    locks: new FileLocks({ home, clock: systemClock, logger: silentLogger }),
    responder: new ChallengeResponder({
      address: { kind: 'tcp', host: '127.0.0.1', port: peers.responderPort },
      registry: new MemoryChallengeTokenRegistry(),
      logger: silentLogger,
    }),
    acmeFor: (keyPem: string) => new AcmeService(keyPem, { directoryUrl, caBundlePem, logger: silentLogger }),
    clock: systemClock,
    logger: silentLogger,
  };
  const issue = (name: string) => issueCertificate({ name, domains: [name], keyType: 'ec256' }, deps);
  await issue(names[0]!);
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next]!;
      next += 1;
      await issue(name);
    }
  };
  await Promise.all(Array.from({ length: ISSUE_PARALLEL }, worker));
  const certIds = new Map<string, string>();
  for (const name of names) certIds.set(name, ariCertId((await store.loadCertificate(name))!.certPem));
  return certIds;
}

/** Issues `count` certificates in a fresh home through `directoryUrl`; returns the home and name → CertID. */
export async function issueForBench(
  peers: Peers,
  directoryUrl: string,
  count: number,
): Promise<{ home: string; certIds: Map<string, string> }> {
  const home = await mkdtemp(join(tmpdir(), 'haproxy-acme-bench-renew-'));
  const names = Array.from({ length: count }, () => uniqueName('renew'));
  return { home, certIds: await issueAll(peers, directoryUrl, home, names) };
}

function legoRun(peers: Peers, directoryUrl: string, path: string): Promise<number> {
  const args = [
    '--server',
    directoryUrl,
    '--accept-tos',
    '--email',
    'bench@example.test',
    '--domains',
    uniqueName('lego'),
    '--http',
    '--http.port',
    `127.0.0.1:${peers.responderPort}`,
    '--path',
    path,
    'run',
  ];
  return timedRun('lego', args, { env: { LEGO_CA_CERTIFICATES: peers.caBundlePath }, timeoutMs: LEGO_TIMEOUT_MS }).then(
    (run) => {
      if (run.code !== 0) throw new Error(`Cannot time lego: it exited ${run.code}: ${run.stderr.slice(-1500)}`);
      return run.wallMs;
    },
  );
}

/** lego `run` for new names, one after another, after one untimed run that registers its account. */
async function timeLego(peers: Peers, directoryUrl: string, path: string): Promise<LegoTiming> {
  await legoRun(peers, directoryUrl, path);
  let measuredMs = 0;
  let runs = 0;
  while (runs < DUE_COUNT) {
    measuredMs += await legoRun(peers, directoryUrl, path);
    runs += 1;
    if (runs === LEGO_SAMPLE && (measuredMs * DUE_COUNT) / runs > LEGO_BUDGET_MS) break;
  }
  return { runs, measuredMs, estimatedMs: (measuredMs * DUE_COUNT) / runs, extrapolated: runs < DUE_COUNT };
}

/** Runs part (b) on running peers and proxy; the temp homes are removed afterwards. */
export async function benchDueRenewals(peers: Peers, proxy: AriProxy): Promise<DueRenewalResult> {
  let home: string | undefined;
  const legoPath = await mkdtemp(join(tmpdir(), 'haproxy-acme-bench-lego-'));
  const legoDirectPath = await mkdtemp(join(tmpdir(), 'haproxy-acme-bench-lego-direct-'));
  try {
    let certIds = new Map<string, string>();
    const setupMs = await timeMs(
      async () => ({ home, certIds } = await issueForBench(peers, proxy.directoryUrl, DUE_COUNT)),
    );
    const now = Date.now();
    for (const certId of certIds.values())
      proxy.setWindow(certId, { start: new Date(now - 2 * HOUR_MS), end: new Date(now - HOUR_MS) });
    const ordersBefore = proxy.orders.length;
    const args = [
      'renew',
      '--home',
      home!,
      '--directory',
      proxy.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      '--json',
    ];
    const run = await runCli(args, RENEW_TIMEOUT_MS);
    if (run.code !== 0 && run.code !== 1)
      throw new Error(`Cannot renew 100 certificates: "acme renew" exited ${run.code}: ${run.stderr.slice(-1500)}`);
    const outcomes = (JSON.parse(run.stdout) as { certificates: Array<{ renewed?: unknown; error?: string }> })
      .certificates;
    const orders = proxy.orders.slice(ordersBefore);
    const ordersWithReplaces = orders.filter(
      (o) => o.replaces !== undefined && o.replaces === certIds.get(o.identifiers[0]?.value ?? ''),
    ).length;
    const lego = await timeLego(peers, proxy.directoryUrl, legoPath);
    const legoDirect = await timeLego(peers, peers.directoryUrl, legoDirectPath);
    return {
      certificates: DUE_COUNT,
      setupMs,
      concurrency: RENEW_CONCURRENCY,
      acmeWallMs: run.wallMs,
      renewed: outcomes.filter((o) => o.renewed !== undefined).length,
      failed: outcomes.filter((o) => o.error !== undefined).length,
      orders: orders.length,
      ordersWithReplaces,
      lego,
      legoDirect,
      ratio: run.wallMs / lego.estimatedMs,
      ratioDirect: run.wallMs / legoDirect.estimatedMs,
    };
  } finally {
    if (home !== undefined) await rm(home, { recursive: true, force: true });
    await rm(legoPath, { recursive: true, force: true });
    await rm(legoDirectPath, { recursive: true, force: true });
  }
}
