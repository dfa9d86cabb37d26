/**
 * Part 2 of the upgrade benchmark: one certificate issued over TLS-ALPN-01 against HTTP-01, both
 * through HAProxy, by `acme issue` and by lego. Pebble's VA dials TLS-ALPN-01 on its `tlsPort`,
 * where a standalone HAProxy runs the TCP frontend of tlsAlpnFront(): ALPN `acme-tls/1` goes to
 * the port of its acme backend, where `acme issue --challenge-type tls-alpn-01 --http-port` (or
 * `lego --tls --tls.port`) listens for the run. HTTP-01 goes through the peers' HAProxy HTTP
 * frontend (pebble's `httpPort`) to the responder port. The runs are interleaved (acme TLS-ALPN-01,
 * acme HTTP-01, lego TLS-ALPN-01, lego HTTP-01, then again), so that a slow moment of the machine
 * does not land on one column only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tlsAlpnFront } from '../../src/haproxyTlsAlpn';
import { freePort, generateCert, type Peers } from '../peers';
import { requireBinary } from '../peers/_binaries';
import { spawnTracked, stopChild, type TrackedChild } from '../peers/_process';
import { canConnect, waitForReady } from '../peers/_wait';
import { cliArguments } from './_cli';
import { rssRunOk, summariseRuns, type Budget, type RssRun, type RunSummary } from './_rssRun';

/** Runs per tool and challenge type; the median is reported. */
export const CHALLENGE_RUNS = 5;
/** lego polls with sleeps: one order takes from 0.1 s to several seconds. */
const RUN_TIMEOUT_MS = 120_000;

export type ChallengeType = 'tls-alpn-01' | 'http-01';

/** What the challenge part measured. */
export interface ChallengeResult {
  runs: number;
  /** Pebble's tlsPort: the standalone HAProxy's TCP frontend. */
  tlsPort: number;
  /** The port the TCP frontend's acme backend points to. */
  tlsAlpnResponderPort: number;
  acme: Record<ChallengeType, RunSummary>;
  lego: Record<ChallengeType, RunSummary>;
}

/** What the challenge part needs from the scenario: accounts already registered in both homes. */
export interface ChallengeContext {
  peers: Peers;
  work: string;
  acmeHome: string;
  legoPath: string;
  email: string;
  budget: Budget;
}

/** The standalone HAProxy whose TCP frontend answers pebble's TLS-ALPN-01 connections. */
interface AlpnHaproxy {
  tlsPort: number;
  responderPort: number;
  child: TrackedChild;
}

let counter = 0;
function uniqueDomain(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Date.now().toString(36)}.bench.test`;
}

async function startAlpnHaproxy(peers: Peers, dir: string): Promise<AlpnHaproxy> {
  const tlsPort = (
    JSON.parse(await readFile(join(peers.workDir, 'pebble-config.json'), 'utf8')) as { pebble: { tlsPort: number } }
  ).pebble.tlsPort;
  const responderPort = await freePort();
  const placeholder = await generateCert(dir, 'placeholder');
  await writeFile(join(dir, 'placeholder.pem'), placeholder.bundle, { mode: 0o600 });
  const { front, httpsBind } = tlsAlpnFront({
    bind: `127.0.0.1:${tlsPort}`,
    internalSocket: join(dir, 'https.sock'),
    responder: `127.0.0.1:${responderPort}`,
    httpsEnabled: true,
  });
  const config = [
    'global',
    `    stats socket ${join(dir, 'admin.sock')} mode 600 level admin`,
    '',
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 10s',
    '    timeout server 10s',
    '',
    ...front,
    'frontend https',
    `    ${httpsBind(`ssl crt ${join(dir, 'placeholder.pem')} alpn h2,http/1.1`)}`,
    '    http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n');
  await writeFile(join(dir, 'haproxy.cfg'), config);
  const child = spawnTracked('haproxy-tls-alpn', [requireBinary('haproxy'), '-f', join(dir, 'haproxy.cfg'), '-db'], {
    logDir: dir,
  });
  try {
    await waitForReady(child, { what: `its TCP frontend on ${tlsPort}`, ready: () => canConnect(tlsPort) });
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { tlsPort, responderPort, child };
}

function acmeIssue(context: ChallengeContext, type: ChallengeType, port: number): Promise<RssRun> {
  const { peers } = context;
  const args = [
    'issue',
    '-d',
    uniqueDomain(`acme-${type}`),
    '--home',
    context.acmeHome,
    '--directory',
    peers.directoryUrl,
    '--ca-bundle',
    peers.caBundlePath,
  ];
  return rssRunOk(
    process.execPath,
    cliArguments([...args, '--challenge-type', type, '--http-port', String(port), '-q']),
    {
      timeoutMs: Math.min(RUN_TIMEOUT_MS, context.budget.leftMs()),
    },
  );
}

function legoRun(context: ChallengeContext, type: ChallengeType, port: number): Promise<RssRun> {
  const { peers } = context;
  const challenge =
    type === 'tls-alpn-01'
      ? ['--tls', '--tls.port', `127.0.0.1:${port}`]
      : ['--http', '--http.port', `127.0.0.1:${port}`];
  const args = [
    '--server',
    peers.directoryUrl,
    '--accept-tos',
    '--email',
    context.email,
    '--domains',
    uniqueDomain(`lego-${type}`),
    ...challenge,
    '--path',
    context.legoPath,
    'run',
  ];
  return rssRunOk('lego', args, {
    env: { LEGO_CA_CERTIFICATES: peers.caBundlePath },
    timeoutMs: Math.min(RUN_TIMEOUT_MS, context.budget.leftMs()),
  });
}

/** Registers both tools' accounts with one HTTP-01 issuance each, so that every measured run reuses one. */
export async function registerAccounts(context: ChallengeContext): Promise<void> {
  await acmeIssue(context, 'http-01', context.peers.responderPort);
  await legoRun(context, 'http-01', context.peers.responderPort);
}

/** Runs CHALLENGE_RUNS issuances per tool and challenge type, interleaved, through HAProxy. */
export async function benchChallenges(context: ChallengeContext): Promise<ChallengeResult> {
  const haproxy = await startAlpnHaproxy(context.peers, context.work);
  try {
    const ports: Record<ChallengeType, number> = {
      'tls-alpn-01': haproxy.responderPort,
      'http-01': context.peers.responderPort,
    };
    const samples = {
      acme: { 'tls-alpn-01': [] as RssRun[], 'http-01': [] as RssRun[] },
      lego: { 'tls-alpn-01': [] as RssRun[], 'http-01': [] as RssRun[] },
    };
    for (let i = 0; i < CHALLENGE_RUNS; i += 1) {
      for (const type of ['tls-alpn-01', 'http-01'] as const) {
        context.budget.check(`acme issue --challenge-type ${type}, run ${i + 1}`);
        samples.acme[type].push(await acmeIssue(context, type, ports[type]));
      }
      for (const type of ['tls-alpn-01', 'http-01'] as const) {
        context.budget.check(`lego run over ${type}, run ${i + 1}`);
        samples.lego[type].push(await legoRun(context, type, ports[type]));
      }
    }
    const summary = (runs: Record<ChallengeType, RssRun[]>): Record<ChallengeType, RunSummary> => ({
      'tls-alpn-01': summariseRuns(runs['tls-alpn-01']),
      'http-01': summariseRuns(runs['http-01']),
    });
    return {
      runs: CHALLENGE_RUNS,
      tlsPort: haproxy.tlsPort,
      tlsAlpnResponderPort: haproxy.responderPort,
      acme: summary(samples.acme),
      lego: summary(samples.lego),
    };
  } finally {
    await stopChild(haproxy.child);
  }
}
