/**
 * Several HAProxy nodes sharing one PostgreSQL store, for the cluster tests and the cluster
 * benchmark. Node i listens on its own loopback address 127.0.0.(10+i): its HAProxy takes pebble's
 * HTTP-01 requests on pebble's HTTP-01 port there, and serves HTTPS on a port of its own; its
 * `acme daemon` (with the store follower) and every command run with the node's options. Pebble's
 * DNS (pebble-challtestsrv) decides which node each validation reaches (routeTo()).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { freePort, generateCert, type PeersDescription } from '../../peers';
import { requireBinary } from '../../peers/_binaries';
import { spawnTracked, stopChild, type TrackedChild } from '../../peers/_process';
import type { TestPostgres } from '../../peers/_postgres';
import { CLI_PATH, recordTranscript, runAcme, type AcmeRun } from './runAcme';

/** How nodes answer HTTP-01: see `--http01-mode`. */
export type ClusterMode = 'shared' | 'stateless';

/** One node: its addresses, files, and what it runs. */
export interface ClusterNode {
  readonly id: string;
  /** Its own loopback address, e.g. `127.0.0.11`. */
  readonly ip: string;
  readonly home: string;
  readonly adminSocket: string;
  readonly crtList: string;
  readonly httpsPort: number;
  /** The options every command of this node gets (store, node id, HAProxy, responder, CA). */
  readonly args: readonly string[];
  /** Runs `acme <args> <node options>` to completion. */
  run(args: string[], options?: { timeoutMs?: number; faketime?: string }): Promise<AcmeRun>;
  /** Starts `acme <args> <node options>` and returns the child (for kill -9, SIGSTOP). */
  start(args: string[]): NodeCommand;
  /** Starts `acme daemon` (schedule far away: only its start-up pass and the store follower act). */
  startDaemon(options?: { faketime?: string }): Promise<void>;
  stopDaemon(): Promise<void>;
  /** The daemon's output so far (stderr and stdout). */
  daemonOutput(): string;
  /** Whether the daemon is running. */
  daemonRunning(): boolean;
  /** The serial this node's HAProxy serves for `servername` (upper-case hex). */
  servedSerial(servername: string): Promise<string>;
}

/** A command started with ClusterNode.start(). */
export interface NodeCommand {
  process: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves once `text` appears in its output (rejects after `timeoutMs`, or when it exits first). */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  /** Resolves with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** A running cluster. */
export interface Cluster {
  readonly nodes: readonly ClusterNode[];
  /** The store's URL (no password: trust on loopback). */
  readonly storage: string;
  /** Pebble's DNS answers `name` with this node's address, so the CA's validation reaches it alone. */
  routeTo(name: string, node: ClusterNode): Promise<void>;
  /** Runs SQL against the store's database. */
  sql(query: string): Promise<string>;
  /** Stops every daemon and HAProxy and removes the files. */
  stop(): Promise<void>;
}

/** Options of startCluster(). */
export interface ClusterOptions {
  peers: PeersDescription;
  postgres: TestPostgres;
  /** A database name of its own on that server. */
  database: string;
  mode: ClusterMode;
  /** Default: 3. */
  nodes?: number;
  /** `--lease`. Default: `4s`. */
  lease?: string;
  /** `--sync-interval`. Default: `5s`. */
  syncInterval?: string;
}

const TLS_TIMEOUT_MS = 3_000;

function httpPortOf(peers: PeersDescription): number {
  return Number(new URL(peers.haproxyHttpUrl).port);
}

/** The HAProxy configuration of one node: HTTP-01 on its address (to its responder, or answered by `answerLines`), HTTPS. */
function haproxyConfig(node: {
  ip: string;
  httpPort: number;
  httpsPort: number;
  responderPort: number;
  adminSocket: string;
  defaultBundle: string;
  crtList: string;
  answerLines: readonly string[] | undefined;
}): string {
  const http =
    node.answerLines === undefined
      ? [
          '  acl acme_challenge path_beg /.well-known/acme-challenge/',
          '  http-request return status 404 unless acme_challenge',
          '  use_backend acme',
          '',
          'backend acme',
          `  server responder ${node.ip}:${node.responderPort}`,
        ]
      : [...node.answerLines.map((line) => `  ${line}`), '  http-request return status 404'];
  return [
    'global',
    `  stats socket ${node.adminSocket} mode 600 level admin`,
    '  stats timeout 30s',
    '',
    'defaults',
    '  mode http',
    '  retries 0',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    '',
    'frontend https',
    `  bind ${node.ip}:${node.httpsPort} ssl crt ${node.defaultBundle} crt-list ${node.crtList}`,
    '  http-request return status 200 content-type text/plain string ok',
    '',
    'frontend http',
    `  bind ${node.ip}:${node.httpPort}`,
    ...http,
    '',
  ].join('\n');
}

function servedSerialAt(host: string, port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername, rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toUpperCase();
      socket.destroy();
      resolve(serial);
    });
    socket.setTimeout(TLS_TIMEOUT_MS, () => socket.destroy(new Error(`TLS handshake with ${host}:${port} timed out`)));
    socket.once('error', reject);
  });
}

/** libfaketime from Debian's faketime package, preloaded directly so that signals reach node itself. */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

function faketimeEnv(offset: string | undefined): Record<string, string> {
  if (offset === undefined) return {};
  // Only the wall clock moves: leases are proven with the monotonic clock, which stays true.
  return { LD_PRELOAD: LIBFAKETIME, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

function startCommand(argv: string[], env: Record<string, string>, faketime?: string): NodeCommand {
  const child = spawn(process.execPath, [CLI_PATH, ...argv], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, ...faketimeEnv(faketime) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<{ text: string; done: () => void }> = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const waiter of waiters.filter((w) => output.includes(w.text))) waiter.done();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // 'exit', not 'close': a grandchild that outlives it (a daemon's pass) must not keep the wait open.
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => recordTranscript(argv, code, { stdout: '', stderr: output }));
  return {
    process: child,
    output: () => output,
    exited,
    waitFor: (text, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (output.includes(text)) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`"${text}" did not appear within ${timeoutMs} ms:\n${output.slice(-3000)}`)),
          timeoutMs,
        );
        const waiter = {
          text,
          done: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        waiters.push(waiter);
        void exited.then(() => {
          clearTimeout(timer);
          if (!output.includes(text)) reject(new Error(`exited before "${text}" appeared:\n${output.slice(-3000)}`));
        });
      }),
  };
}

/** Starts the nodes' HAProxys on 127.0.0.11… and the database; daemons are started by the test. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { peers, postgres, mode } = options;
  const count = options.nodes ?? 3;
  const storage = await postgres.createDatabase(options.database);
  const workDir = await fs.mkdtemp(join(tmpdir(), 'haproxy-acme-cluster-'));
  const haproxyBinary = requireBinary('haproxy');
  const httpPort = httpPortOf(peers);
  const haproxys: TrackedChild[] = [];
  const daemons = new Map<string, NodeCommand>();
  const nodes: ClusterNode[] = [];
  const env = { ACME_LOCK_TIMEOUT_MS: '60000' };

  let answerLines: string[] | undefined;
  for (let i = 1; i <= count; i += 1) {
    const id = `node-${i}`;
    const ip = `127.0.0.${10 + i}`;
    const dir = join(workDir, id);
    await fs.mkdir(dir, { mode: 0o700 });
    const home = join(dir, 'home');
    const adminSocket = join(dir, 'admin.sock');
    const crtList = join(dir, 'crt-list.txt');
    await fs.writeFile(crtList, '', { mode: 0o600 });
    const responderPort = await freePort();
    const httpsPort = await freePort();
    const args = [
      '--storage',
      storage,
      '--node',
      id,
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--email',
      'cluster@example.com',
      '--haproxy-socket',
      adminSocket,
      '--haproxy-crt-list',
      crtList,
      '--http-address',
      `${ip}:${responderPort}`,
      '--http01-mode',
      mode,
      '--lease',
      options.lease ?? '4s',
      '--sync-interval',
      options.syncInterval ?? '5s',
    ];
    const run = (verb: string[], runOptions: { timeoutMs?: number; faketime?: string } = {}): Promise<AcmeRun> => {
      if (runOptions.faketime === undefined)
        return runAcme([...verb, ...args], { env, timeoutMs: runOptions.timeoutMs ?? 90_000 });
      const command = startCommand([...verb, ...args], env, runOptions.faketime);
      return command.exited.then((code) => ({ code, stdout: command.output(), stderr: command.output() }));
    };
    if (mode === 'stateless' && answerLines === undefined) {
      // Every node answers with the one shared account's thumbprint: register it once, print the lines.
      const registered = await run(['account', 'register']);
      if (registered.code !== 0) throw new Error(`acme account register failed:\n${registered.stderr}`);
      const printed = await run(['haproxy-config', '--json']);
      if (printed.code !== 0) throw new Error(`acme haproxy-config failed:\n${printed.stderr}`);
      answerLines = (JSON.parse(printed.stdout) as { lines: string[] }).lines;
    }
    const cert = await generateCert(dir, 'default');
    const defaultBundle = join(dir, 'default.pem');
    await fs.writeFile(defaultBundle, cert.bundle, { mode: 0o600 });
    const configPath = join(dir, 'haproxy.cfg');
    await fs.writeFile(
      configPath,
      haproxyConfig({ ip, httpPort, httpsPort, responderPort, adminSocket, defaultBundle, crtList, answerLines }),
    );
    const haproxy = spawnTracked(`haproxy-${id}`, [haproxyBinary, '-f', configPath, '-db']);
    haproxys.push(haproxy);
    const deadline = Date.now() + 10_000;
    while (
      !(await servedSerialAt(ip, httpsPort, 'default.test').then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error(`HAProxy of ${id} did not start:\n${haproxy.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    nodes.push({
      id,
      ip,
      home,
      adminSocket,
      crtList,
      httpsPort,
      args,
      run,
      start: (verb) => startCommand([...verb, ...args], env),
      startDaemon: async (daemonOptions = {}) => {
        const daemon = startCommand(['daemon', '--schedule', '0 0 1 1 *', ...args], env, daemonOptions.faketime);
        daemons.set(id, daemon);
        await daemon.waitFor('Following the shared store', 20_000);
      },
      stopDaemon: async () => {
        const daemon = daemons.get(id);
        if (daemon === undefined || daemon.process.exitCode !== null) return;
        daemon.process.kill('SIGTERM');
        const timer = setTimeout(() => daemon.process.kill('SIGKILL'), 15_000);
        await daemon.exited;
        clearTimeout(timer);
      },
      daemonOutput: () => daemons.get(id)?.output() ?? '',
      daemonRunning: () => {
        const daemon = daemons.get(id);
        return daemon !== undefined && daemon.process.exitCode === null && daemon.process.signalCode === null;
      },
      servedSerial: (servername) => servedSerialAt(ip, httpsPort, servername),
    });
  }

  return {
    nodes,
    storage,
    routeTo: async (name, node) => {
      const response = await fetch(`${peers.dnsManagementUrl}/add-a`, {
        method: 'POST',
        body: JSON.stringify({ host: name, addresses: [node.ip] }),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`pebble-challtestsrv refused add-a for ${name}: HTTP ${response.status}`);
    },
    sql: (query) => postgres.psqlIn(options.database, query),
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stopDaemon()));
      await Promise.all(haproxys.map((haproxy) => stopChild(haproxy)));
      await fs.rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 100 ms until it resolves true; rejects after `timeoutMs` with `what`. */
export async function eventually(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
