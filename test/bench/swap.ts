/**
 * Swap benchmark: what a certificate change costs the clients of a live HAProxy 2.6 (master-worker,
 * test/peers startStandaloneHaproxy(), everything on 127.0.0.1), in one run, side by side:
 * - load: wrk with a new TLS handshake per request for 10 s, the certificate changed at 3 s and 6 s by
 *   (none) nothing (control), (a) our hot swap (HaproxyInstance.swapCertificate over the runtime
 *   socket), (b) a HAProxy restart (stop + start: the reference deployment), (c) a master-worker
 *   reload (`reload` on the master socket); failed requests and connections for each;
 * - latency: swapCertificate() for 1 certificate (alternating two bundles) and for 100 certificates
 *   (added at runtime first, then each swapped once), idle HAProxy.
 * Certificates come from a local test CA (openssl CLI, EC P-256), not from pebble: the point is the
 * swap. After each change, and at the end for every certificate, a real TLS handshake (SNI) must
 * see the new serial, or the benchmark fails.
 *
 * Writes test/bench/results/swap-bench.json and .md; returns the table.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { servedSerial, startStandaloneHaproxy, type StandaloneHaproxy } from '../peers';
import { HaproxyInstance, MasterClient, RuntimeClient } from '../../src/haproxy';
import { silentLogger } from '../../src/log';
import { createTestCa, issueTestBundles, type TestBundle } from './_certs';
import { summarise, timeMs } from './_stats';
import { normaliseSerial, waitUntilServed } from './_served';
import { formatSwapTable, type LoadRow, type SwapBenchResult } from './_swapReport';
import { startWrk, writeNewHandshakeScript } from './_wrk';

const RESULTS_DIR = resolve(__dirname, 'results');
/** The certificate under load: wrk sends SNI "127.0.0.1", the TLS checks send this name. */
const LOAD_NAME = 'swap.bench.test';
const LOAD_DURATION_S = 10;
const CHANGE_AT_MS = [3_000, 6_000];
const SINGLE_SWAPS = 200;
const MANY_CERTS = 100;
/** Each latency loop is also bounded in time: a stuck HAProxy fails the run instead of hanging it. */
const LOOP_BUDGET_MS = 120_000;
/** After a change, poll the served serial this often, this many times (2 s). */
const SERVED_POLL = { attempts: 100, intervalMs: 20 };

type Change = (bundle: TestBundle) => Promise<unknown>;

interface Context {
  haproxy: StandaloneHaproxy;
  instance: HaproxyInstance;
  /** The bundle path of the certificate under load. */
  loadPath: string;
}

/** Writes `text` next to `path`, then renames it over `path` (HAProxy never reads half a bundle). */
async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, path);
}

function delivery(path: string, bundle: TestBundle) {
  return { path, bundlePem: bundle.bundlePem, expectedSerial: bundle.serial, expectedSha1: bundle.sha1Fingerprint };
}

/** Fails the benchmark unless a TLS handshake with `servername` sees `bundle`'s serial. */
async function assertServed(port: number, servername: string, bundle: TestBundle): Promise<void> {
  const served = normaliseSerial(await servedSerial(port, servername));
  if (served !== normaliseSerial(bundle.serial)) {
    throw new Error(
      `Cannot verify the swap of "${servername}": HAProxy serves serial "${served}", expected "${normaliseSerial(bundle.serial)}"`,
    );
  }
}

/** Puts the load certificate in the crt-list on disk (SNI "127.0.0.1" for wrk) and restarts, before any measurement. */
async function prepareLoadCertificate(ctx: Context, first: TestBundle): Promise<void> {
  await writeAtomic(ctx.loadPath, first.bundlePem);
  await writeAtomic(ctx.haproxy.crtList, `${ctx.loadPath} 127.0.0.1 ${LOAD_NAME}\n`);
  await ctx.haproxy.restart();
  const servedAfterMs = await waitUntilServed(ctx.haproxy.httpsPort, LOAD_NAME, first.serial, SERVED_POLL);
  if (servedAfterMs === undefined)
    throw new Error(`Cannot start the swap benchmark: HAProxy does not serve "${ctx.loadPath}" after a restart`);
}

/** 10 s of wrk with a change at 3 s and 6 s; every change must become visible in a TLS handshake. */
async function runLoad(
  ctx: Context,
  label: string,
  scriptPath: string,
  change?: { apply: Change; bundles: TestBundle[] },
): Promise<LoadRow> {
  const wrk = startWrk(`https://127.0.0.1:${ctx.haproxy.httpsPort}/`, scriptPath, {
    threads: 2,
    connections: 20,
    durationSeconds: LOAD_DURATION_S,
  });
  const started = Date.now();
  const changeMs: number[] = [];
  const servedAfterMs: number[] = [];
  try {
    for (const [index, atMs] of CHANGE_AT_MS.entries()) {
      const bundle = change?.bundles[index];
      if (change === undefined || bundle === undefined) break;
      await sleep(Math.max(0, started + atMs - Date.now()));
      changeMs.push(await timeMs(() => change.apply(bundle)));
      const visible = await waitUntilServed(ctx.haproxy.httpsPort, LOAD_NAME, bundle.serial, SERVED_POLL);
      if (visible === undefined)
        throw new Error(
          `Cannot verify ${label}: HAProxy does not serve serial "${bundle.serial}" 2 s after the change`,
        );
      servedAfterMs.push(visible);
    }
    return { label, wrk: await wrk.done, changeMs, servedAfterMs, commandLine: wrk.commandLine };
  } finally {
    wrk.kill();
  }
}

/** ≥100 swaps of one certificate, alternating two bundles; the last one must be served. */
async function singleCertificateLatency(ctx: Context, pair: [TestBundle, TestBundle]): Promise<number[]> {
  const samples: number[] = [];
  const deadline = Date.now() + LOOP_BUDGET_MS;
  let last = pair[0];
  for (let i = 0; i < SINGLE_SWAPS; i += 1) {
    if (Date.now() > deadline)
      throw new Error(`Cannot finish ${SINGLE_SWAPS} swaps within ${LOOP_BUDGET_MS} ms: ${i} done`);
    last = pair[i % 2]!;
    samples.push(await timeMs(() => ctx.instance.swapCertificate(delivery(ctx.loadPath, last), { dryRun: false })));
  }
  await writeAtomic(ctx.loadPath, last.bundlePem); // disk agrees with memory, as after a deploy
  await assertServed(ctx.haproxy.httpsPort, LOAD_NAME, last);
  return samples;
}

/** Adds 100 certificates at runtime (crt-list line on disk first), then swaps each once; all must be served. */
async function manyCertificatesLatency(
  ctx: Context,
  initial: TestBundle[],
  replacements: TestBundle[],
): Promise<{ add: number[]; swap: number[] }> {
  const add: number[] = [];
  const swap: number[] = [];
  const deadline = Date.now() + LOOP_BUDGET_MS;
  const crtListLines = [`${ctx.loadPath} 127.0.0.1 ${LOAD_NAME}`];
  const pathOf = (index: number): string => ctx.haproxy.bundlePath(`c${index}`);
  for (const [index, bundle] of initial.entries()) {
    if (Date.now() > deadline)
      throw new Error(`Cannot add ${MANY_CERTS} certificates within ${LOOP_BUDGET_MS} ms: ${index} done`);
    await writeAtomic(pathOf(index), bundle.bundlePem);
    crtListLines.push(pathOf(index));
    await writeAtomic(ctx.haproxy.crtList, `${crtListLines.join('\n')}\n`);
    add.push(await timeMs(() => ctx.instance.addCertificate(delivery(pathOf(index), bundle), ctx.haproxy.crtList)));
  }
  for (const [index, bundle] of replacements.entries()) {
    if (Date.now() > deadline)
      throw new Error(`Cannot swap ${MANY_CERTS} certificates within ${LOOP_BUDGET_MS} ms: ${index} done`);
    await writeAtomic(pathOf(index), bundle.bundlePem);
    swap.push(await timeMs(() => ctx.instance.swapCertificate(delivery(pathOf(index), bundle), { dryRun: false })));
  }
  for (const bundle of replacements) await assertServed(ctx.haproxy.httpsPort, bundle.dnsNames[0]!, bundle);
  return { add, swap };
}

async function environment(ctx: Context): Promise<SwapBenchResult['environment']> {
  const info = await new RuntimeClient({
    endpoint: { kind: 'unix', path: ctx.haproxy.adminSocket },
    logger: silentLogger,
  }).showInfo();
  return {
    node: process.version,
    haproxy: info.version,
    haproxyThreads: info.fields.Nbthread ?? 'unknown',
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  };
}

async function measure(ctx: Context, bundles: TestBundle[], scriptPath: string): Promise<SwapBenchResult> {
  const take = (n: number): TestBundle[] => bundles.splice(0, n);
  await prepareLoadCertificate(ctx, take(1)[0]!);
  const master = new MasterClient({ endpoint: { kind: 'unix', path: ctx.haproxy.masterSocket }, logger: silentLogger });
  const hotSwap: Change = async (bundle) => {
    await writeAtomic(ctx.loadPath, bundle.bundlePem);
    await ctx.instance.swapCertificate(delivery(ctx.loadPath, bundle), { dryRun: false });
  };
  const restart: Change = async (bundle) => {
    await writeAtomic(ctx.loadPath, bundle.bundlePem);
    await ctx.haproxy.restart();
  };
  const reload: Change = async (bundle) => {
    await writeAtomic(ctx.loadPath, bundle.bundlePem);
    await master.reload();
  };
  const load = [
    await runLoad(ctx, '(none) no change (control)', scriptPath),
    await runLoad(ctx, '(a) hot swap (runtime API)', scriptPath, { apply: hotSwap, bundles: take(2) }),
    await runLoad(ctx, '(b) HAProxy restart (stop + start)', scriptPath, { apply: restart, bundles: take(2) }),
    await runLoad(ctx, '(c) master-worker reload', scriptPath, { apply: reload, bundles: take(2) }),
  ];
  const single = await singleCertificateLatency(ctx, take(2) as [TestBundle, TestBundle]);
  const many = await manyCertificatesLatency(ctx, take(MANY_CERTS), take(MANY_CERTS));
  return {
    environment: await environment(ctx),
    wrkCommandLine: load[0]!.commandLine,
    load,
    latency: { single: summarise(single), many: summarise(many.swap), manyAdd: summarise(many.add) },
  };
}

/** Runs the swap benchmark, writes results/swap-bench.{json,md} and returns the table. */
export async function runSwapBench(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'haproxy-acme-swap-bench-'));
  let haproxy: StandaloneHaproxy | undefined;
  try {
    const ca = await createTestCa(join(work, 'ca'));
    const names = [
      ...Array.from({ length: 9 }, () => [LOAD_NAME]),
      ...Array.from({ length: MANY_CERTS * 2 }, (_, i) => [`c${i % MANY_CERTS}.${LOAD_NAME}`]),
    ];
    const bundles = await issueTestBundles(ca, names);
    const scriptPath = await writeNewHandshakeScript(work);
    haproxy = await startStandaloneHaproxy();
    const instance = new HaproxyInstance({
      endpoint: { kind: 'unix', path: haproxy.adminSocket },
      logger: silentLogger,
    });
    const result = await measure({ haproxy, instance, loadPath: haproxy.bundlePath(LOAD_NAME) }, bundles, scriptPath);
    const table = formatSwapTable(result);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(join(RESULTS_DIR, 'swap-bench.json'), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(
      join(RESULTS_DIR, 'swap-bench.md'),
      `# Swap benchmark\n\n${JSON.stringify(result.environment)}\n\n\`${result.wrkCommandLine}\` (Lua: \`wrk.headers["Connection"] = "close"\`)\n\n${table}\n`,
    );
    return `${table}\n\nResults written to ${RESULTS_DIR}/swap-bench.{json,md}`;
  } finally {
    await haproxy?.stop();
    await rm(work, { recursive: true, force: true });
  }
}
