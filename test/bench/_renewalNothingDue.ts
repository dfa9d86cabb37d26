/**
 * Renewal benchmark, part (a): the nothing-due check over 1000 stored certificates, with no CA at
 * all. The certificates are 90-day leaves issued one day ago by a local CA, stored through the
 * real FileCertificateStore. `acmeFor` counts its calls and throws, and the directory URL points at
 * a closed loopback port: any network use shows up as a call or as an ARI warning.
 *
 * Two states of the home are timed, in-process (`renewCertificates()`) and as `acme renew` (one
 * process, home lock, JSON output):
 * - fresh:      no ACME account and no renewal state yet: the lifetime rule decides;
 * - cached ARI: an account is stored and every certificate has an ARI window whose Retry-After is
 *               in the future: the production steady state, decided from the cache alone.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renewCertificates, type RenewalDeps } from '../../src/issuance';
import { ariCertId } from '../../src/pem';
import { runCli } from './_cli';
import { createLocalCa, storeLocalCertificates } from './_localCerts';
import { DEAD_DIRECTORY, offlineRenewalDeps } from './_offlineRenewal';
import { timeMs } from './_stats';

/** Certificates in the home. */
export const NOTHING_DUE_COUNT = 1000;
/** Timed passes per state; the median is reported. */
const IN_PROCESS_RUNS = 5;
const CLI_RUNS = 3;
const CLI_TIMEOUT_MS = 60_000;
const DAY_MS = 86_400_000;

/** Timings of one state of the home, in milliseconds. */
export interface NothingDueTimings {
  inProcessRunsMs: number[];
  inProcessMedianMs: number;
  cliRunsMs: number[];
  cliMedianMs: number;
}

/** What part (a) measured. */
export interface NothingDueResult {
  certificates: number;
  setupMs: number;
  fresh: NothingDueTimings;
  cachedAri: NothingDueTimings;
  /** Calls of `acmeFor` across every in-process pass: MUST be 0. */
  acmeCalls: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeInProcess(deps: RenewalDeps): Promise<number[]> {
  const runs: number[] = [];
  for (let i = 0; i < IN_PROCESS_RUNS; i += 1) {
    let outcomes: Awaited<ReturnType<typeof renewCertificates>> = [];
    runs.push(await timeMs(async () => (outcomes = await renewCertificates(deps, { nextCheckAt: new Date() }))));
    const due = outcomes.filter((o) => o.decision.due || o.error !== undefined);
    if (outcomes.length !== NOTHING_DUE_COUNT || due.length > 0) {
      throw new Error(
        `Cannot benchmark the nothing-due check: ${outcomes.length} outcomes, ${due.length} due or failed (first: ${JSON.stringify(due[0])})`,
      );
    }
  }
  return runs;
}

async function timeCli(home: string): Promise<number[]> {
  const runs: number[] = [];
  for (let i = 0; i < CLI_RUNS; i += 1) {
    const run = await runCli(['renew', '--home', home, '--directory', DEAD_DIRECTORY, '--json'], CLI_TIMEOUT_MS);
    const outcomes =
      run.code === 0
        ? (JSON.parse(run.stdout) as { certificates: Array<{ decision: { due: boolean } }> }).certificates
        : [];
    if (run.code !== 0 || outcomes.length !== NOTHING_DUE_COUNT || outcomes.some((o) => o.decision.due)) {
      throw new Error(
        `Cannot benchmark "acme renew" with nothing due: exit ${run.code}, ${outcomes.length} outcomes; stderr: ${run.stderr.slice(-1500)}`,
      );
    }
    if (run.stderr.includes('Cannot fetch the ARI renewal window')) {
      throw new Error(
        'Cannot benchmark "acme renew" with nothing due: it tried to fetch an ARI window although a cached one was valid',
      );
    }
    runs.push(run.wallMs);
  }
  return runs;
}

async function timings(home: string, deps: RenewalDeps): Promise<NothingDueTimings> {
  const inProcessRunsMs = await timeInProcess(deps);
  const cliRunsMs = await timeCli(home);
  return { inProcessRunsMs, inProcessMedianMs: median(inProcessRunsMs), cliRunsMs, cliMedianMs: median(cliRunsMs) };
}

/** As after a successful ARI fetch: an account, and a window 30 days ahead, asked again in 6 hours. */
async function cacheAriWindows(deps: RenewalDeps, names: string[]): Promise<void> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await deps.store.saveAccount({
    directoryUrl: DEAD_DIRECTORY,
    accountUrl: 'https://127.0.0.1:9/acct/1',
    keyPem,
    createdAt: new Date().toISOString(),
  });
  const now = Date.now();
  for (const name of names) {
    const stored = await deps.store.loadCertificate(name);
    const { value: state, revision } = await deps.renewalState.load(name);
    state.ari = {
      certId: ariCertId(stored!.certPem),
      start: new Date(now + 30 * DAY_MS).toISOString(),
      end: new Date(now + 32 * DAY_MS).toISOString(),
      chosenAt: new Date(now + 31 * DAY_MS).toISOString(),
      retryAfter: new Date(now + DAY_MS / 4).toISOString(),
    };
    await deps.renewalState.save(name, state, { expectedRevision: revision });
  }
}

/** Runs part (a) in a temp home, removed afterwards. */
export async function benchNothingDue(): Promise<NothingDueResult> {
  const home = await mkdtemp(join(tmpdir(), 'haproxy-acme-bench-renew-idle-'));
  try {
    let acmeCalls = 0;
    const deps = offlineRenewalDeps(home, 'nothing-due', () => (acmeCalls += 1));
    const names = Array.from({ length: NOTHING_DUE_COUNT }, (_, i) => `site-${String(i).padStart(4, '0')}.bench.test`);
    const now = new Date();
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
    const fresh = await timings(home, deps);
    await cacheAriWindows(deps, names);
    const cachedAri = await timings(home, deps);
    if (acmeCalls !== 0)
      throw new Error(`Cannot call the nothing-due check network-free: acmeFor was called ${acmeCalls} times`);
    return { certificates: NOTHING_DUE_COUNT, setupMs, fresh, cachedAri, acmeCalls };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
