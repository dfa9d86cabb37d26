import { X509Certificate } from 'node:crypto';
import { promises as dns } from 'node:dns';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

import { describeWithPeers, PEER_BINARY_ENV, peerVersions, startPeers, type Peers } from '../peers';
import { resolveBinary } from '../peers/_binaries';

/** GET over plain HTTP with an explicit Host header; resolves with status and body. */
async function httpGet(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** GET over HTTPS trusting only `ca` (or nothing, when `ca` is undefined). */
async function httpsGet(url: string, ca: string | undefined): Promise<{ status: number; body: string }> {
  const tlsOptions = ca === undefined ? { rejectUnauthorized: false } : { ca };
  return new Promise((resolve, reject) => {
    https
      .get(url, tlsOptions, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Sends one command on HAProxy's stats socket (non-interactive) and reads until it closes. */
async function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const socket = net.connect(socketPath, () => socket.end(`${command}\n`));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
  });
}

/** `127.0.0.1:443` from /proc/net's little-endian `0100007F:01BB`; IPv6 stays hex (and fails the test). */
function decodeProcAddress(hex: string): string {
  const [address = '', port = ''] = hex.split(':');
  const host =
    address.length === 8
      ? (address.match(/../g) ?? [])
          .reverse()
          .map((byte) => parseInt(byte, 16))
          .join('.')
      : `[${address}]`;
  return `${host}:${parseInt(port, 16)}`;
}

/**
 * Every listening socket of `pid`, as `tcp 127.0.0.1:port` / `udp …`: socket inodes from
 * /proc/<pid>/fd matched against /proc/net/{tcp,tcp6,udp,udp6}. Sample /proc/net/tcp line:
 * `0: 0100007F:8703 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 123456 …`
 */
function listenersOf(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] !== undefined) inodes.add(match[1]);
  }
  const listeners: string[] = [];
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const lines = fs.readFileSync(`/proc/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [, local = '', , state, , , , , , inode = ''] = line.trim().split(/\s+/);
      const listening = table.startsWith('tcp') ? state === '0A' : state === '07';
      if (listening && inodes.has(inode)) listeners.push(`${table} ${decodeProcAddress(local)}`);
    }
  }
  return listeners.sort();
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** The exact listeners a peer set must have: each one on 127.0.0.1, nothing else. */
function expectedListeners(peers: Peers): string[] {
  const dnsPort = portOf(`udp://${peers.dnsServer}`);
  return [
    `tcp 127.0.0.1:${dnsPort}`,
    `tcp 127.0.0.1:${portOf(peers.dnsManagementUrl)}`,
    `tcp 127.0.0.1:${portOf(peers.directoryUrl)}`,
    `tcp 127.0.0.1:${portOf(peers.managementUrl)}`,
    `tcp 127.0.0.1:${portOf(peers.haproxyHttpUrl)}`,
    `tcp 127.0.0.1:${peers.haproxyHttpsPort}`,
    `udp 127.0.0.1:${dnsPort}`,
  ].sort();
}

function allListeners(peers: Peers): string[] {
  return Object.values(peers.pids)
    .flatMap((pid) => listenersOf(pid))
    .sort();
}

describeWithPeers('shared test peers (global setup)', (getPeers) => {
  let peers: Peers;
  let ca: string;
  beforeAll(() => {
    peers = getPeers();
    ca = fs.readFileSync(peers.caBundlePath, 'utf8');
  });

  test('directoryUrl serves an ACME directory over the generated TLS certificate', async () => {
    const { status, body } = await httpsGet(peers.directoryUrl, ca);
    expect(status).toBe(200);
    const directory = JSON.parse(body) as Record<string, unknown> & { meta: Record<string, unknown> };
    const { ari, profiles } = peerVersions().pebble;
    // pebble 2.7 adds ARI's renewalInfo, and lists the profiles of its configuration; 2.4 has neither.
    const keys = [
      'keyChange',
      'meta',
      'newAccount',
      'newNonce',
      'newOrder',
      ...(ari ? ['renewalInfo'] : []),
      'revokeCert',
    ];
    expect(Object.keys(directory).sort()).toEqual(keys);
    expect(directory.meta.profiles).toEqual(profiles ? { default: '90 days', shortlived: '6 days' } : undefined);
    expect(directory.newOrder).toBe(`${new URL(peers.directoryUrl).origin}/order-plz`);
  });

  test('peerVersions() names the binaries the ACME_TEST_* variables name (else those on PATH) and the versions they report', () => {
    const versions = peerVersions();
    const paths = [versions.pebble.path, versions.challtestsrv.path, versions.haproxy.path];
    expect(paths).toEqual(['pebble', 'pebble-challtestsrv', 'haproxy'].map((name) => resolveBinary(name)));
    expect(Object.values(PEER_BINARY_ENV).sort()).toEqual([
      'ACME_TEST_CHALLTESTSRV',
      'ACME_TEST_HAPROXY',
      'ACME_TEST_PEBBLE',
    ]);
    expect(versions.haproxy.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(versions.haproxy.version.startsWith(versions.haproxy.branch.join('.'))).toBe(true);
    expect(versions.pebble.ari).toBe(versions.pebble.profiles);
  });

  test('every listening socket of pebble, pebble-challtestsrv and HAProxy is on 127.0.0.1', () => {
    expect(Object.keys(peers.pids).sort()).toEqual(['haproxy', 'pebble', 'pebble-challtestsrv']);
    expect(allListeners(peers)).toEqual(expectedListeners(peers));
  });

  test('HAProxy answers 404 outside /.well-known/acme-challenge/', async () => {
    await expect(httpGet(`${peers.haproxyHttpUrl}/.well-known/other`, 'a.example.test')).resolves.toEqual({
      status: 404,
      body: expect.any(String) as string,
    });
  });

  test('HAProxy serves its default certificate on haproxyHttpsPort and answers "ok"', async () => {
    await expect(httpsGet(`https://127.0.0.1:${peers.haproxyHttpsPort}/`, undefined)).resolves.toEqual({
      status: 200,
      body: 'ok',
    });
    expect(fs.readFileSync(peers.haproxyCrtList, 'utf8')).toBe('');
  });

  test('the HAProxy admin socket answers "show info"', async () => {
    const reply = await adminCommand(peers.haproxyAdminSocket, 'show info');
    // The same version `haproxy -v` printed: 2.6.12-1+deb12u4 (Debian), 3.0.11-9e587df, …
    expect(reply.split('\n').slice(0, 2)).toEqual(['Name: HAProxy', `Version: ${peerVersions().haproxy.version}`]);
    expect(fs.statSync(peers.haproxyAdminSocket).mode & 0o777).toBe(0o600);
  });

  test('fetchIssuanceRoots() returns the issuing root and the intermediate it signed', async () => {
    const pems = await peers.fetchIssuanceRoots();
    expect(pems).toHaveLength(2);
    const [root, intermediate] = pems.map((pem) => new X509Certificate(pem)) as [X509Certificate, X509Certificate];
    expect(root.subject).toMatch(/^CN=Pebble Root CA/);
    expect(intermediate.issuer).toBe(root.subject);
    expect(intermediate.verify(root.publicKey)).toBe(true);
  });

  test('pebble-challtestsrv resolves any name to 127.0.0.1 and gives no IPv6 answer', async () => {
    const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([peers.dnsServer]);
    await expect(resolver.resolve4('any-name.example.test')).resolves.toEqual(['127.0.0.1']);
    await expect(resolver.resolve6('any-name.example.test')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  test('stop() of the shared peers rejects: global teardown owns them', async () => {
    await expect(peers.stop()).rejects.toThrow(
      'Cannot stop the shared test peers from a test: global teardown stops them',
    );
  });
});

describeWithPeers('startPeers() private set next to the shared one', (getShared) => {
  let peers: Peers;
  let responder: http.Server | undefined;
  beforeAll(async () => {
    peers = await startPeers({ nonceRejectPercent: 50 });
  });
  afterAll(async () => {
    await new Promise((resolve) => (responder ? responder.close(resolve) : resolve(undefined)));
    await peers?.stop();
  });

  test('startPeers() picks ports and a work dir distinct from the shared set', () => {
    const shared = getShared();
    const ours = new Set(expectedListeners(peers).map((listener) => listener.split(':')[1]));
    const overlap = expectedListeners(shared).filter((listener) => ours.has(listener.split(':')[1]));
    expect(overlap).toEqual([]);
    expect(peers.workDir).not.toBe(shared.workDir);
    expect(allListeners(peers)).toEqual(expectedListeners(peers));
  });

  test('startPeers() passes nonceRejectPercent to pebble as PEBBLE_WFE_NONCEREJECT', () => {
    const environ = fs.readFileSync(`/proc/${peers.pids.pebble}/environ`, 'utf8').split('\0');
    expect(environ).toEqual(
      expect.arrayContaining(['PEBBLE_WFE_NONCEREJECT=50', 'PEBBLE_VA_NOSLEEP=1', 'PEBBLE_AUTHZREUSE=0']),
    );
  });

  test('HAProxy answers 503 within 2 s when nothing listens on responderPort', async () => {
    const startedAt = Date.now();
    const { status } = await httpGet(`${peers.haproxyHttpUrl}/.well-known/acme-challenge/x`, 'a.example.test');
    expect(status).toBe(503);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  test('HAProxy routes /.well-known/acme-challenge/ to responderPort with the Host header', async () => {
    responder = http.createServer((req, res) => res.end(`responder saw ${req.headers.host} ${req.url}`));
    await new Promise<void>((resolve) => responder?.listen(peers.responderPort, '127.0.0.1', resolve));
    await expect(
      httpGet(`${peers.haproxyHttpUrl}/.well-known/acme-challenge/tok-1`, 'foo.example.test'),
    ).resolves.toEqual({
      status: 200,
      body: 'responder saw foo.example.test /.well-known/acme-challenge/tok-1',
    });
  });

  test('stop() kills every child and removes workDir', async () => {
    await peers.stop();
    for (const pid of Object.values(peers.pids)) expect(() => process.kill(pid, 0)).toThrow('kill ESRCH');
    expect(fs.existsSync(peers.workDir)).toBe(false);
  });
});
