/**
 * --http01-mode stateless end to end: HAProxy answers HTTP-01 itself with the lines `acme
 * haproxy-config --http01-mode stateless` prints, and no responder runs. Pebble's DNS sends the
 * test's names to 127.0.0.2, where a HAProxy configured from that output listens on pebble's
 * HTTP-01 port (the shared peers' HAProxy keeps 127.0.0.1). The `--http-port` given to `acme issue`
 * is held by a listener that counts connections: a responder could not bind it, and nothing may
 * ever reach it.
 */
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, generateCert, servedSerial, startPeers, type Peers } from '../peers';
import { requireBinary } from '../peers/_binaries';
import { spawnTracked, stopChild, type TrackedChild } from '../peers/_process';
import { canConnect, waitForReady } from '../peers/_wait';
import { checkHaproxyConfig } from './_support/haproxyCheck';
import { runAcme } from './_support/runAcme';

/** Where this test's HAProxy takes pebble's HTTP-01 requests: a loopback address of its own. */
const HTTP_HOST = '127.0.0.2';
const PREFIX = '/.well-known/acme-challenge/';
/** A token of the shape CAs send (43 base64url characters). */
const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';

/** One GET with the request target exactly as given (never normalised); resolves with status and body. */
function getRaw(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HTTP_HOST, port, path: target, agent: false, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${target} timed out after 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Tells pebble's DNS (pebble-challtestsrv) to resolve `host` to `address`. */
async function addARecord(dnsManagementUrl: string, host: string, address: string): Promise<void> {
  const response = await fetch(`${dnsManagementUrl}/add-a`, {
    method: 'POST',
    body: JSON.stringify({ host, addresses: [address] }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`pebble-challtestsrv refused add-a for ${host}: HTTP ${response.status}`);
}

describe('HTTP-01 answered by HAProxy itself (--http01-mode stateless)', () => {
  let peers: Peers;
  let dir: string;
  let home: string;
  let haproxy: TrackedChild | undefined;
  let trap: Server | undefined;
  let trapConnections = 0;
  let httpPort: number;
  let httpsPort: number;
  let common: string[];
  let stateless: { thumbprint: string; lines: string[]; haproxyConfig: string };
  const name = `stateless-${process.pid}.example.test`;

  beforeAll(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'haproxy-acme-stateless-'));
    peers = await startPeers({ logDir: dir });
    httpPort = Number(new URL(peers.haproxyHttpUrl).port);
    httpsPort = await freePort();
    home = join(dir, 'home');
    await fs.mkdir(home, { mode: 0o700 });
    trap = createServer((socket) => {
      trapConnections += 1;
      socket.destroy();
    });
    const trapPort = await freePort();
    await new Promise<void>((resolve) => trap!.listen({ host: '127.0.0.1', port: trapPort }, resolve));
    common = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http01-mode',
      'stateless',
      '--http-port',
      String(trapPort),
      '--haproxy-socket',
      join(dir, 'admin.sock'),
      '--haproxy-crt-list',
      join(dir, 'crt-list.txt'),
    ];
    await fs.writeFile(join(dir, 'crt-list.txt'), '', { mode: 0o600 });
    const registered = await runAcme(['account', 'register', ...common]);
    if (registered.code !== 0) throw new Error(`acme account register failed: ${registered.stderr}`);
    const printed = await runAcme(['haproxy-config', '--json', ...common]);
    if (printed.code !== 0) throw new Error(`acme haproxy-config failed: ${printed.stderr}`);
    stateless = JSON.parse(printed.stdout) as typeof stateless;

    // The printed configuration as it is, on this test's addresses instead of :80 and :443.
    const config = stateless.haproxyConfig
      .replace(/^ {4}bind :80$/m, `    bind ${HTTP_HOST}:${httpPort}`)
      .replace(/^ {4}bind :443 /m, `    bind 127.0.0.1:${httpsPort} `);
    await fs.writeFile(join(dir, 'haproxy.cfg'), config);
    const placeholder = await generateCert(dir, 'placeholder');
    await fs.writeFile(join(home, 'haproxy-default.pem'), placeholder.bundle, { mode: 0o600 });
    haproxy = spawnTracked('haproxy-stateless', [requireBinary('haproxy'), '-f', join(dir, 'haproxy.cfg'), '-db']);
    await waitForReady(haproxy, { what: `its HTTPS frontend on ${httpsPort}`, ready: () => canConnect(httpsPort) });
    await addARecord(peers.dnsManagementUrl, name, HTTP_HOST);
  });

  afterAll(async () => {
    if (haproxy !== undefined) await stopChild(haproxy);
    if (trap !== undefined) await new Promise((resolve) => trap!.close(resolve));
    await peers?.stop();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  test('acme haproxy-config --http01-mode stateless prints the lines, with no route to a responder, and "haproxy -c" accepts it without a warning', async () => {
    const text = await fs.readFile(join(dir, 'haproxy.cfg'), 'utf8');
    for (const line of stateless.lines) expect(text).toContain(`\n    ${line}\n`);
    expect(stateless.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(text).not.toMatch(/backend acme_challenge|server acme /);
    const check = await checkHaproxyConfig(join(dir, 'haproxy.cfg'));
    expect({ code: check.code, warnings: check.warnings, alerts: check.alerts }).toEqual({
      code: 0,
      warnings: [],
      alerts: [],
    });
  });

  test('acme issue --http01-mode stateless validates through HAProxy alone, and HAProxy serves the new certificate', async () => {
    const run = await runAcme([
      'issue',
      '-d',
      name,
      '--preflight',
      `http://${HTTP_HOST}:${httpPort}`,
      '--json',
      ...common,
    ]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const document = JSON.parse(run.stdout) as { certificate: { serial: string } };
    const leaf = new X509Certificate(await fs.readFile(join(home, 'haproxy', `${name}.pem`), 'utf8'));
    expect([leaf.checkHost(name), leaf.serialNumber.toUpperCase()]).toEqual([name, document.certificate.serial]);
    expect(await servedSerial(httpsPort, name)).toBe(document.certificate.serial);
    expect(trapConnections).toBe(0);
  });

  test.each<[string, string, number, string]>([
    ['a token', `${PREFIX}${TOKEN}`, 200, `${TOKEN}.`],
    ['a token with a query string', `${PREFIX}${TOKEN}?x=../../etc`, 200, `${TOKEN}.`],
    ['the longest token (128)', `${PREFIX}${'a'.repeat(128)}`, 200, `${'a'.repeat(128)}.`],
    ['..', `${PREFIX}..`, 404, 'not found'],
    ['../ before a token', `${PREFIX}../${TOKEN}`, 404, 'not found'],
    ['%2e%2e', `${PREFIX}%2e%2e`, 404, 'not found'],
    ['%2e%2e/ before a token', `${PREFIX}%2e%2e/${TOKEN}`, 404, 'not found'],
    ['a short token (15)', `${PREFIX}${'a'.repeat(15)}`, 404, 'not found'],
    ['a long token (129)', `${PREFIX}${'a'.repeat(129)}`, 404, 'not found'],
    ['a trailing slash', `${PREFIX}${TOKEN}/`, 404, 'not found'],
    ['a percent-encoded letter', `${PREFIX}${TOKEN}%41`, 404, 'not found'],
    ['a log-format expression', `${PREFIX}%25%5Bsrc%5D`, 404, 'not found'],
    ['the bare prefix', PREFIX, 404, 'not found'],
  ])('HAProxy answers a challenge path with %s by itself, never forwarding it', async (_what, target, status, body) => {
    const response = await getRaw(httpPort, target);
    const expectedBody = status === 200 ? `${body}${stateless.thumbprint}` : body;
    expect([response.status, response.body, trapConnections]).toEqual([status, expectedBody, 0]);
  });
});
