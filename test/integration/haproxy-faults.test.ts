/**
 * HAProxy faults, end to end with the built CLI, real pebble and a real
 * standalone HAProxy 2.6 (master-worker, restartable from its configuration):
 * - HAProxy stops in the middle of a renewal: the certificate is stored, the deploy is recorded
 *   pending (exit 1), and the next run delivers it once HAProxy is back;
 * - HAProxy restarted from its configuration after a runtime swap serves the new certificate,
 *   because the file it loads at start is the new bundle;
 * - a runtime socket whose peer answers garbage, floods, or never answers: an error naming the
 *   socket, exit 1, nothing committed, the bundle on disk correct and the deploy state pending.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  servedSerial,
  startFaultProxy,
  startPeers,
  startStandaloneHaproxy,
  type FaultProxy,
  type Peers,
  type StandaloneHaproxy,
} from '../peers';
import { runAcme } from './_support/runAcme';

/** One master CLI exchange, bounded. */
const MASTER_TIMEOUT_MS = 5_000;
/** What a flooding peer sends at most before it stops (and keeps the connection open). */
const FLOOD_LIMIT_BYTES = 256 * 1024 * 1024;

/** Sends one command to a unix socket and resolves with everything until the peer closes. */
function askSocket(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const socket = net.connect({ path }, () => socket.end(`${command}\n`));
    const timer = setTimeout(
      () => socket.destroy(new Error(`"${command}" on "${path}" got no complete reply within ${MASTER_TIMEOUT_MS} ms`)),
      MASTER_TIMEOUT_MS,
    );
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('utf8')));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.once('error', reject);
  });
}

/** Stops the standalone HAProxy without removing its files: SIGTERM to the master (pid from `show proc`). */
async function stopHaproxy(haproxy: StandaloneHaproxy): Promise<void> {
  const proc = await askSocket(haproxy.masterSocket, 'show proc');
  const master = /^(\d+)\s+master\b/m.exec(proc);
  if (master === null) throw new Error(`Cannot find the master pid in "show proc": ${proc}`);
  const pid = Number(master[1]);
  process.kill(pid, 'SIGTERM');
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`HAProxy master ${pid} did not exit within 10 s of SIGTERM`);
}

/** A unix socket server standing in for a broken runtime socket. */
interface FakePeer {
  path: string;
  connections: number;
  close(): Promise<void>;
}

type PeerBehaviour = (socket: net.Socket) => void;

async function startFakePeer(path: string, behaviour: PeerBehaviour): Promise<FakePeer> {
  const sockets = new Set<net.Socket>();
  const peer: FakePeer = { path, connections: 0, close: () => Promise.resolve() };
  // Half-open, like HAProxy: the client half-closes after its request and still reads the reply.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    peer.connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    behaviour(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  peer.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return peer;
}

/** Writes 64 KiB chunks as fast as the reader takes them, up to FLOOD_LIMIT_BYTES, never closing. */
function flood(socket: net.Socket): void {
  const chunk = Buffer.alloc(64 * 1024, 'A');
  let sent = 0;
  const pump = (): void => {
    while (sent < FLOOD_LIMIT_BYTES && !socket.destroyed) {
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once('drain', pump);
    }
  };
  pump();
}

/**
 * A runtime socket in front of the real HAProxy that relays every command except those matching
 * `hangOn`, which it accepts and never answers: HAProxy that stalls in the middle of a swap.
 */
async function startStallingRelay(path: string, target: string, hangOn: RegExp): Promise<FakePeer> {
  return startFakePeer(path, (socket) => {
    let request = '';
    socket.on('data', (chunk: Buffer) => {
      request += chunk.toString('utf8');
      if (request.length > MAX_RELAYED_REQUEST_CHARS) socket.destroy();
    });
    socket.once('end', () => {
      if (hangOn.test(request.split('\n')[0] ?? '')) return;
      const upstream = net.connect({ path: target }, () => upstream.end(request));
      upstream.on('error', () => socket.destroy());
      upstream.pipe(socket);
    });
  });
}
const MAX_RELAYED_REQUEST_CHARS = 1024 * 1024;

/** What the deploy error must contain, given the socket label and the bundle path. */
type Expected = (where: string, bundle: string) => string;

const BROKEN_PEERS: Array<{ title: string; behaviour: PeerBehaviour; expected: Expected }> = [
  {
    title: 'answers binary junk and closes',
    behaviour: (socket) => socket.end(Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x7f])),
    expected: (_where, bundle) => `Cannot show SSL cert "${bundle}": HAProxy replied "`,
  },
  {
    title: 'answers like a web server',
    behaviour: (socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
    expected: (_where, bundle) => `Cannot show SSL cert "${bundle}": HAProxy replied "HTTP/1.1 400 Bad Request`,
  },
  {
    title: 'floods without end',
    behaviour: flood,
    expected: (where, bundle) =>
      `Cannot run "show ssl cert ${bundle}" on HAProxy socket "${where}": the reply exceeded 67108864 bytes`,
  },
  {
    // DEFAULT_RUNTIME_TIMEOUT_MS (src/haproxy/RuntimeClient.ts) bounds the wait.
    title: 'accepts and never answers',
    behaviour: () => undefined,
    expected: (where, bundle) =>
      `Cannot run "show ssl cert ${bundle}" on HAProxy socket "${where}": no complete reply within 30000 ms`,
  },
];

/** The JSON log line the deploy writes for an endpoint it could not deliver to. */
function deliveryWarning(stderr: string): Record<string, unknown> | undefined {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((record) => record.message === 'Cannot deliver the certificate through the runtime API');
}

describe('HAProxy faults around a renewal', () => {
  let peers: Peers;
  let proxy: FaultProxy;
  let haproxy: StandaloneHaproxy;
  let home: string;
  let ca: string[];
  let live: string[];
  const name = `hafaults-${process.pid}.example.test`;

  /** The stored certificate's serial, after checking that every file parses and the keys match. */
  async function storedSerial(): Promise<string> {
    const dir = join(home, 'certificates', name);
    const [certPem, keyPem, bundle] = await Promise.all([
      readFile(join(dir, 'cert.pem'), 'utf8'),
      readFile(join(dir, 'privkey.pem'), 'utf8'),
      readFile(join(home, 'haproxy', `${name}.pem`), 'utf8'),
    ]);
    const cert = new X509Certificate(certPem);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(new X509Certificate(bundle).serialNumber).toBe(cert.serialNumber);
    expect(cert.checkPrivateKey(createPrivateKey(bundle))).toBe(true);
    return cert.serialNumber.toUpperCase();
  }

  async function deployState(): Promise<Record<string, { status: string; serial: string; lastError?: string }>> {
    const files = await readFile(join(home, 'deploy', `${name}.json`), 'utf8').catch(() => undefined);
    return files === undefined
      ? {}
      : (JSON.parse(files).endpoints as Record<string, { status: string; serial: string; lastError?: string }>);
  }

  beforeAll(async () => {
    [peers, haproxy] = await Promise.all([startPeers(), startStandaloneHaproxy()]);
    proxy = await startFaultProxy(peers);
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-haproxy-faults-'));
    ca = [
      '--home',
      home,
      '--directory',
      proxy.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
    ];
    live = ['--haproxy-socket', haproxy.adminSocket, '--haproxy-crt-list', haproxy.crtList];
    const run = await runAcme(['issue', '-d', name, '--json', ...ca, ...live]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([peers?.stop(), haproxy?.stop()]);
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('HAProxy stopped during a renewal: stored, pending (exit 1), delivered by the next acme deploy once it is back', async () => {
    const before = await storedSerial();
    expect(await servedSerial(haproxy.httpsPort, name)).toBe(before);
    // Hold the finalize answer for 3 s and stop HAProxy meanwhile: it goes away in the middle of the renewal.
    const seen = proxy.requests.length;
    proxy.setFaults([{ resource: 'finalize', nth: 1, fault: { kind: 'slow', delayMs: 3_000 } }]);
    const renewal = runAcme(['renew', '--name', name, '--force', '--json', ...ca, ...live]);
    for (let i = 0; i < 600 && !proxy.requests.slice(seen).some((r) => r.resource === 'finalize'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await stopHaproxy(haproxy);
    const run = await renewal;
    proxy.setFaults([]);

    expect(run.code).toBe(1);
    const outcome = JSON.parse(run.stdout).certificates[0];
    const renewed = await storedSerial();
    expect(renewed).not.toBe(before);
    expect(outcome.renewed.serial).toBe(renewed);
    expect(outcome.deploy).toEqual([
      expect.objectContaining({ endpoint: `unix@${haproxy.adminSocket}`, outcome: 'pending', serial: renewed }),
    ]);
    expect(outcome.deploy[0].error).toContain(`on HAProxy socket "unix@${haproxy.adminSocket}"`);
    expect(await deployState()).toMatchObject({
      [`unix@${haproxy.adminSocket}`]: { status: 'pending', serial: renewed },
    });

    await haproxy.restart();
    const next = await runAcme(['deploy', '--name', name, '--json', '--home', home, ...live]);
    expect({ code: next.code, stderr: next.code === 0 ? '' : next.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await servedSerial(haproxy.httpsPort, name)).toBe(renewed);
    expect(await deployState()).toMatchObject({
      [`unix@${haproxy.adminSocket}`]: { status: 'deployed', serial: renewed },
    });
  });

  test('HAProxy restarted from its configuration after a runtime swap serves the new certificate from the file it loads', async () => {
    const before = await storedSerial();
    const run = await runAcme(['renew', '--name', name, '--force', '--json', ...ca, ...live]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const renewed = await storedSerial();
    expect(renewed).not.toBe(before);
    expect(JSON.parse(run.stdout).certificates[0].deploy[0].outcome).toBe('swapped');
    expect(await servedSerial(haproxy.httpsPort, name)).toBe(renewed);

    // The crt-list names our bundle, and that file holds the new certificate.
    const listed = (await readFile(haproxy.crtList, 'utf8')).split('\n').filter((line) => line.trim() !== '');
    expect(listed).toEqual([join(home, 'haproxy', `${name}.pem`)]);
    expect(new X509Certificate(await readFile(listed[0]!, 'utf8')).serialNumber.toUpperCase()).toBe(renewed);
    await haproxy.restart();
    expect(await servedSerial(haproxy.httpsPort, name)).toBe(renewed);
  });

  test('HAProxy stalling on "commit ssl cert" during a renewal: timeout naming the socket, transaction aborted, old certificate served, deploy pending', async () => {
    const before = await storedSerial();
    const path = join(home, 'stalling.sock');
    const where = `unix@${path}`;
    const relay = await startStallingRelay(path, haproxy.adminSocket, /commit ssl cert/);
    let renewed: string;
    try {
      const run = await runAcme(['renew', '--name', name, '--force', '--json', ...ca, '--haproxy-socket', path]);
      expect(run.code).toBe(1);
      renewed = await storedSerial();
      expect(renewed).not.toBe(before);
      const [outcome] = JSON.parse(run.stdout).certificates[0].deploy;
      expect(outcome).toMatchObject({ endpoint: where, outcome: 'pending', serial: renewed });
      expect(outcome.error).toBe(
        `Cannot run "commit ssl cert ${join(home, 'haproxy', `${name}.pem`)}" on HAProxy socket "${where}": no complete reply within 30000 ms`,
      );
      expect(deliveryWarning(run.stderr)).toMatchObject({ endpoint: where, error: outcome.error });
    } finally {
      await relay.close();
    }
    // Nothing committed: HAProxy serves the previous certificate and holds no open transaction.
    expect(await servedSerial(haproxy.httpsPort, name)).toBe(before);
    expect(await askSocket(haproxy.adminSocket, 'show ssl cert')).not.toContain('# transaction');
    expect(await deployState()).toMatchObject({ [where]: { status: 'pending', serial: renewed } });

    const next = await runAcme(['deploy', '--name', name, '--json', '--home', home, ...live]);
    expect({ code: next.code, stderr: next.code === 0 ? '' : next.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(next.stdout).certificates[0].outcomes[0].outcome).toBe('swapped');
    expect(await servedSerial(haproxy.httpsPort, name)).toBe(renewed);
  });

  test.each(BROKEN_PEERS)(
    'a runtime socket peer that $title: an error naming the socket, exit 1, nothing committed, deploy pending',
    async (c) => {
      const serial = await storedSerial();
      const served = await servedSerial(haproxy.httpsPort, name);
      const path = join(home, `broken-${BROKEN_PEERS.indexOf(c)}.sock`);
      const peer = await startFakePeer(path, c.behaviour);
      const where = `unix@${path}`;
      try {
        const run = await runAcme(['deploy', '--name', name, '--json', '--home', home, '--haproxy-socket', path]);
        expect(run.code).toBe(1);
        const [outcome] = JSON.parse(run.stdout).certificates[0].outcomes;
        expect(outcome).toMatchObject({ endpoint: where, outcome: 'pending', serial });
        expect(outcome.error).toContain(c.expected(where, join(home, 'haproxy', `${name}.pem`)));
        expect(deliveryWarning(run.stderr)).toMatchObject({ endpoint: where, error: outcome.error });
        expect(peer.connections).toBeGreaterThan(0);
      } finally {
        await peer.close();
      }
      expect(await storedSerial()).toBe(serial);
      expect(await servedSerial(haproxy.httpsPort, name)).toBe(served);
      expect(await deployState()).toMatchObject({ [where]: { status: 'pending', serial } });
    },
  );
});
