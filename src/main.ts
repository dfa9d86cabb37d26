#!/usr/bin/env -S node --max-semi-space-size=1 --no-allocation-site-pretenuring
/**
 * Composition root: the only place that builds real adapters (clock, file storage, ACME client,
 * HTTP-01 responder, logger) and hands the real process to the CLI.
 */
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { CliDeps, Services } from './cli';
// Pure and tiny: loaded before the compile cache is on, at no cost.
import { systemClock } from './clock';
import { runtimeFlagsFor, selfArguments } from './launchFlags';
import type { Config } from './config';
import type { Logger } from './log';
import type { ReloadFallback } from './issuance';
import type { PassDeadlineMessage } from './renewal';

/** Creates `dir` (its parent must exist: Node's recursive mkdir spins on some paths, e.g. under /proc). */
function ownedDirectory(dir: string, uid: number): string | undefined {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // Exists already (checked below), or cannot be made (no cache).
  }
  try {
    const stat = lstatSync(dir);
    return stat.isDirectory() && stat.uid === uid && (stat.mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where Node's compile cache (V8 code of our modules and packages, reused by the next run) lives:
 * a directory only this user can write, since a planted entry would run as this user. Under snapd
 * `$SNAP_USER_COMMON/.cache` ($SNAP is read-only); otherwise a directory of our own in the OS temp
 * dir. Undefined: run without a cache.
 */
function compileCacheDir(): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const common = process.env.SNAP_USER_COMMON;
  if (common) {
    const cache = ownedDirectory(join(common, '.cache'), uid);
    return cache === undefined ? undefined : ownedDirectory(join(cache, 'node-compile-cache'), uid);
  }
  return ownedDirectory(join(tmpdir(), `haproxy-acme-compile-cache-${uid}`), uid);
}

/**
 * Enables Node's compile cache before the first of our modules loads: `acme issue` compiles ~700
 * modules on every run otherwise. NODE_COMPILE_CACHE, when set, is Node's own and wins. Never
 * fails: a cache that cannot be written only means a slower start.
 */
function enableStartupCache(): void {
  if (process.env.NODE_COMPILE_CACHE !== undefined) return;
  const dir = compileCacheDir();
  if (dir === undefined) return;
  try {
    enableCompileCache(dir);
  } catch {
    // A Node without the compile cache, or a directory it refuses: start without it.
  }
}
enableStartupCache();

/**
 * The adapters, required on first use rather than at start-up: `acme daemon`'s idle parent and
 * `acme --help` never need config's zod schemas, storage, HAProxy, ACME or challenge code (the
 * daemon idles at ~55 MB instead of ~75 MB). Types come from the static `import type`s.
 */
const lazy = {
  cli: () => require('./cli') as typeof import('./cli'),
  log: () => require('./log') as typeof import('./log'),
  config: () => require('./config') as typeof import('./config'),
  storage: () => require('./storage') as typeof import('./storage'),
  // Brings the pg driver: only a node on a shared store (`--storage postgres://…`) loads it.
  postgres: () => require('./storage/postgres') as typeof import('./storage/postgres'),
  haproxy: () => require('./haproxy') as typeof import('./haproxy'),
  issuance: () => require('./issuance') as typeof import('./issuance'),
  acme: () => require('./acme') as typeof import('./acme'),
  migration: () => require('./migration') as typeof import('./migration'),
  challenge: () => require('./challenge') as typeof import('./challenge'),
  snap: () => require('./snap') as typeof import('./snap'),
  manual: () => require('./manual') as typeof import('./manual'),
  deployHooks: () => require('./deploy-hooks') as typeof import('./deploy-hooks'),
  // Brings node-cron: loaded before `--no-opt` (see main()), it cost the daemon's parent 3.5 MB RSS.
  renewal: () => require('./renewal') as typeof import('./renewal'),
};

/** ACME operations in flight, oldest first: the newest is the step a passed deadline names. */
const operations: string[] = [];

function trackOperation(step: string): () => void {
  operations.push(step);
  return () => {
    const index = operations.lastIndexOf(step);
    if (index !== -1) operations.splice(index, 1);
  };
}

/**
 * After the deadline: ends the process once stdout and stderr have taken what was printed. The
 * fallback timer covers a stream that never drains (a stuck pipe).
 */
function exitNow(code: number): void {
  let pending = 2;
  const done = (): void => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
  setTimeout(() => process.exit(code), 2000);
}

/** Tells the parent `acme daemon` (when this is one of its passes) how long this pass may run. */
function announceDeadline(timeoutMs: number): void {
  if (process.send === undefined || !process.connected) return;
  const message: PassDeadlineMessage = { kind: lazy.renewal().PASS_DEADLINE_KIND, timeoutMs };
  process.send(message, undefined, {}, () => undefined);
}

function readVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * The master socket's checked reload wins over the reload command, which may restart HAProxy. The
 * command runs as a deploy hook does: checked, from its descriptor, with the minimal environment.
 */
function createFallback(config: Config, logger: Logger): ReloadFallback | undefined {
  const { CommandReloadFallback, MasterReloadFallback, RELOAD_COMMAND_TIMEOUT_MS } = lazy.haproxy();
  if (config.haproxy.masterSocket !== undefined)
    return new MasterReloadFallback({ endpoint: config.haproxy.masterSocket, logger });
  if (config.haproxy.reloadCommand !== undefined) {
    const { programEnvironment, runProgram } = lazy.deployHooks();
    const env = programEnvironment(process.env);
    return new CommandReloadFallback({
      argv: config.haproxy.reloadCommand,
      run: (argv) =>
        runProgram(
          { label: argv.join(' '), argv: [...argv] },
          { env, logger, role: 'reload command', timeoutMs: RELOAD_COMMAND_TIMEOUT_MS },
        ),
    });
  }
  return undefined;
}

/** The command holding locks, for "held by" messages: `acme renew`, `acme sync`, … */
function commandLabel(): string {
  return ['acme', ...process.argv.slice(2, 3)].join(' ');
}

/**
 * What differs between the file store (one node) and a shared PostgreSQL store (several nodes):
 * where certificates, state and certificate locks live. This node's bundles, crt-list, kept
 * certificates and home lock stay in `--home` either way.
 */
function createStorage(config: Config, logger: Logger) {
  const {
    FileAccountKeyStage,
    FileDeployStateStore,
    FileLocalBundles,
    FileLocks,
    FileRenewalStateStore,
    LocksByScope,
    openFileBackend,
  } = lazy.storage();
  const homeLocks = new FileLocks({ home: config.home, clock: systemClock, logger, command: commandLabel() });
  if (config.storage.kind === 'postgres') {
    const shared = lazy.postgres().openPostgresBackend({
      url: config.storage.url,
      node: config.nodeId,
      leaseMs: config.leaseMs,
      clock: systemClock,
      logger,
      command: commandLabel(),
    });
    const bundles = new FileLocalBundles({ home: config.home, store: shared.store, logger });
    return {
      store: shared.store,
      bundles,
      // One file per node holds leaf, chain and key: hooks get its path for every PEM variable.
      certificatePaths: (name: string) => {
        const bundle = bundles.pathOf(name);
        return { dir: config.home, cert: bundle, chain: bundle, fullchain: bundle, privkey: bundle, meta: '', bundle };
      },
      archiveDir: (archiveId: string) => `archive "${archiveId}" of ${shared.db.label}`,
      deployState: shared.deployState,
      renewalState: shared.renewalState,
      accountKeyStage: shared.accountKeyStage,
      locks: new LocksByScope({ home: homeLocks, certificates: shared.locks }),
      cluster: { feed: shared.feed, tokens: shared.tokens, storage: shared.db.label },
    };
  }
  const backend = openFileBackend({ home: config.home, clock: systemClock, logger });
  return {
    store: backend.store,
    bundles: backend.bundles,
    certificatePaths: (name: string) => backend.store.paths(name),
    archiveDir: (archiveId: string) => backend.store.archiveDir(archiveId),
    deployState: new FileDeployStateStore({ home: config.home, node: config.nodeId }),
    renewalState: new FileRenewalStateStore({ home: config.home }),
    accountKeyStage: new FileAccountKeyStage({ home: config.home }),
    locks: homeLocks,
    cluster: undefined,
  };
}

function createServices(config: Config, logger: Logger): Services {
  const { FileCrtList, FileIssuedCertificateStore, migrateHome } = lazy.storage();
  const { HaproxyInstance } = lazy.haproxy();
  const { postRenewHooksDir, runPostRenewHooks } = lazy.issuance();
  const { checkPrograms, programEnvironment } = lazy.deployHooks();
  const { AcmeService } = lazy.acme();
  const { LegoDirectoryReader } = lazy.migration();
  const { MemoryChallengeTokenRegistry, responderFor, formatListenAddress, preflightChallenge, preflightTlsAlpn } =
    lazy.challenge();
  const caBundlePem = config.caBundlePath === undefined ? undefined : readFileSync(config.caBundlePath, 'utf8');
  const preflightUrl = config.preflightUrl;
  const storage = createStorage(config, logger);
  const { store, bundles } = storage;
  return {
    store,
    bundles,
    certificatePaths: storage.certificatePaths,
    archiveDir: storage.archiveDir,
    issued: new FileIssuedCertificateStore({ home: config.home }),
    deployState: storage.deployState,
    node: config.nodeId,
    locks: storage.locks,
    ...(storage.cluster === undefined ? {} : { cluster: storage.cluster }),
    prepareHome: async () => {
      await migrateHome(config.home, { node: config.nodeId, logger });
      // Finish what a killed run left: a bundle that does not match its stored version is rewritten.
      await bundles.reconcile();
    },
    haproxyEndpoints: config.haproxy.sockets.map(
      (endpoint) => new HaproxyInstance({ endpoint, bufferSize: config.haproxy.bufferSize, logger }),
    ),
    crtList: config.haproxy.crtList === undefined ? undefined : new FileCrtList(config.haproxy.crtList),
    fallback: createFallback(config, logger),
    renewalState: storage.renewalState,
    runHooks: (certificate) =>
      runPostRenewHooks(certificate, {
        home: config.home,
        commands: config.deployHooks,
        baseEnv: process.env,
        timeoutMs: config.hookTimeoutMs,
        logger,
        paths: storage.certificatePaths(certificate.meta.name),
      }),
    checkPrograms: () =>
      checkPrograms({
        hooksDir: postRenewHooksDir(config.home),
        deployHooks: config.deployHooks,
        reloadCommand: config.haproxy.reloadCommand,
        searchPath: programEnvironment(process.env).PATH,
      }),
    random: Math.random,
    accountKeyStage: storage.accountKeyStage,
    legoReader: new LegoDirectoryReader(),
    acmeFor: (accountKeyPem) =>
      new AcmeService(accountKeyPem, {
        directoryUrl: config.directoryUrl,
        caBundlePem,
        requestTimeoutMs: config.requestTimeoutMs,
        externalAccountBinding: config.eab,
        logger,
        onOperation: trackOperation,
      }),
    // local: listens while an order runs; shared: publishes to every node's responder; stateless: HAProxy answers.
    responder: responderFor(config.http01Mode, {
      address: config.httpAddress,
      challengeType: config.challengeType,
      registry: config.http01Mode === 'shared' ? storage.cluster?.tokens : new MemoryChallengeTokenRegistry(),
      logger,
    }),
    preflight:
      preflightUrl === undefined
        ? undefined
        : (target) =>
            (config.challengeType === 'tls-alpn-01' ? preflightTlsAlpn : preflightChallenge)(target, {
              baseUrl: preflightUrl,
              logger,
              responderLabel: formatListenAddress(config.httpAddress),
            }),
  };
}

/** Runs this CLI again in a child process sharing stdio (lets-encrypt's `acme issue`); resolves with its exit code. */
function runSelf(args: readonly string[]): Promise<number> {
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, selfArguments(__filename, args), { stdio: 'inherit', env: process.env });
    child.once('error', reject);
    // Killed by a signal: no exit code, which counts as a failure.
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * `acme __snap <command>`: the snap's hooks, apps and haproxy wrapper (src/snap), with the real snapctl,
 * port probe, lego adoption, manual crt-list writer, master-socket reload and child CLI.
 */
const SNAP_ADOPTION_LOCK_TIMEOUT_MS = 10_000;

function runSnap(args: string[]): Promise<number> {
  const { ExecSnapctl, isTcpPortFree, runSnapCommand } = lazy.snap();
  const logger = lazy.log().createLogger({ format: process.stderr.isTTY ? 'text' : 'json', plain: true });
  return runSnapCommand(args, {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    snapctl: new ExecSnapctl({ env: process.env }),
    isPortFree: (port) => isTcpPortFree(port),
    uid: process.geteuid?.() ?? -1,
    adoptLego: async (layout, config) => {
      // A hook or HAProxy's start waits at most 10 s for a running command; the adoption is retried later anyway.
      const lockTimeoutMs = Math.min(config.lockTimeoutMs, SNAP_ADOPTION_LOCK_TIMEOUT_MS);
      const options = {
        directoryUrl: config.directoryUrl,
        node: config.nodeId,
        logger,
        crtListPath: layout.crtList,
        lockTimeoutMs,
        command: `acme __snap ${args[0] ?? ''}`,
      };
      await lazy
        .migration()
        .adoptLegoHomeLocked(layout.home, config.email === undefined ? options : { ...options, email: config.email });
    },
    hasLegoLayout: (home) => lazy.migration().hasLegoLayout(home),
    writeManualCrtList: (home, target) => lazy.manual().writeManualCrtList(home, target),
    reloadHaproxy: async (layout) => {
      const { MasterClient, RuntimeClient, reloadUntilRuntimeReady } = lazy.haproxy();
      const master = new MasterClient({ endpoint: { kind: 'unix', path: layout.masterSocket }, logger });
      await reloadUntilRuntimeReady(
        master,
        new RuntimeClient({ endpoint: { kind: 'unix', path: layout.adminSocket }, logger }),
      );
    },
    runAcme: runSelf,
  });
}

async function main(): Promise<void> {
  // A daemon pass has an IPC channel to its parent (see runPass); it must never keep this
  // process alive on its own.
  process.channel?.unref();
  // `acme list | head` closes stdout early: that is the reader's choice, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const deps: CliDeps = {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTty: process.stderr.isTTY === true,
    clock: systemClock,
    version: readVersion(),
    createLogger: (options) => lazy.log().createLogger(options),
    loadConfig: (flags) => lazy.config().loadConfig({ flags, env: process.env, cwd: process.cwd() }),
    createServices,
    runSelf: (args, logger) => lazy.renewal().runPass(process.execPath, selfArguments(__filename, args), { logger }),
    superviseSelf: (args, logger, signal) =>
      lazy.renewal().superviseFollower(process.execPath, selfArguments(__filename, args), { logger, signal }),
    currentStep: () => operations.at(-1),
    announceDeadline,
    exitNow,
    onInterrupt: (listener) => {
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
    waitForShutdown: () =>
      new Promise((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          resolve(signal);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      }),
  };
  // Set the exit code and let Node exit by itself, so that piped stderr (journald) is flushed.
  const args = process.argv.slice(2);
  // `acme --version` alone prints what commander would, without loading commander or the CLI:
  // start-up stays within 2x of bare Node.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${readVersion()}\n`);
    return;
  }
  // Before any of our code runs hot: see launchFlags.ts. The daemon's passes are children, which
  // choose their own.
  const runtimeFlags = runtimeFlagsFor(args[0]);
  if (runtimeFlags !== undefined) setFlagsFromString(runtimeFlags);
  // Only a hidden `__…` verb can be the snap's entry, so other runs never load src/snap.
  const isSnapEntry = args[0]?.startsWith('__') === true && args[0] === lazy.snap().SNAP_COMMAND;
  process.exitCode = isSnapEntry ? await runSnap(args.slice(1)) : await lazy.cli().runCli(args, deps);
}

void main();
