/**
 * TLS-ALPN-01 end to end with nothing on port 80: the built CLI issues and renews with
 * `--challenge-type tls-alpn-01` against real pebble, whose VA dials its `tlsPort`. There a real
 * HAProxy runs the TCP frontend of tlsAlpnFront() and NO HTTP frontend: ALPN `acme-tls/1` goes to
 * our responder, every other connection to the HTTPS frontend on a unix socket. While the CA
 * validates, ordinary HTTPS requests on the same port must all succeed.
 */
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { tlsAlpnFront } from '../../src/haproxyTlsAlpn';
import { freePort, generateCert, servedSerial, startPeers, type Peers, type TestCert } from '../peers';
import { requireBinary } from '../peers/_binaries';
import { spawnTracked, stopChild, type TrackedChild } from '../peers/_process';
import { canConnect, waitForReady } from '../peers/_wait';
import { checkHaproxyConfig } from './_support/haproxyCheck';
import { runAcme } from './_support/runAcme';

/** Ordinary HTTPS requests sent at most, and for at most this long, while one command runs. */
const MAX_REQUESTS = 3000;
const MAX_LOAD_MS = 60_000;

interface Load {
  ok: number;
  failures: string[];
}

/** One HTTPS request with SNI `servername` and ALPN http/1.1, through the TCP frontend; resolves with the failure, or undefined. */
function httpsOnce(port: number, servername: string, expectedSerial: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername,
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: false,
    });
    let body = '';
    const timer = setTimeout(() => socket.destroy(new Error('timed out after 5 s')), 5000);
    socket.once('secureConnect', () => {
      const serial = socket.getPeerCertificate().serialNumber?.toUpperCase();
      if (serial !== expectedSerial) socket.destroy(new Error(`served serial ${serial}, expected ${expectedSerial}`));
      else socket.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(
        /^HTTP\/1\.1 200 /.test(body) && body.endsWith('ok')
          ? undefined
          : `answered ${JSON.stringify(body.slice(0, 80))}`,
      );
    });
  });
}

/** Sends ordinary HTTPS requests one after another until `done` settles (bounded in count and time). */
async function loadWhile(done: Promise<unknown>, port: number, servername: string, serial: string): Promise<Load> {
  const load: Load = { ok: 0, failures: [] };
  let finished = false;
  void done.finally(() => (finished = true));
  const started = Date.now();
  for (let i = 0; i < MAX_REQUESTS && !finished && Date.now() - started < MAX_LOAD_MS; i += 1) {
    const failure = await httpsOnce(port, servername, serial);
    if (failure === undefined) load.ok += 1;
    else load.failures.push(failure);
  }
  return load;
}

function certificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
}

describe('TLS-ALPN-01 through HAProxy port 443 with no HTTP frontend', () => {
  let peers: Peers;
  let dir: string;
  let haproxy: TrackedChild | undefined;
  let tlsPort: number;
  let responderPort: number;
  let adminSocket: string;
  let crtList: string;
  let existing: TestCert;
  let home: string;
  let common: string[];
  const name = `alpn-${process.pid}.example.test`;

  beforeAll(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'haproxy-acme-tls-alpn-'));
    peers = await startPeers({ logDir: dir });
    // Where pebble's VA dials TLS-ALPN-01 (its config's tlsPort): HAProxy's public "443" here.
    tlsPort = (
      JSON.parse(await fs.readFile(join(peers.workDir, 'pebble-config.json'), 'utf8')) as {
        pebble: { tlsPort: number };
      }
    ).pebble.tlsPort;
    responderPort = await freePort();
    adminSocket = join(dir, 'admin.sock');
    crtList = join(dir, 'crt-list.txt');
    home = join(dir, 'home');
    const placeholder = await generateCert(dir, 'placeholder');
    existing = await generateCert(dir, 'existing');
    await fs.writeFile(join(dir, 'placeholder.pem'), placeholder.bundle, { mode: 0o600 });
    await fs.writeFile(join(dir, 'existing.pem'), existing.bundle, { mode: 0o600 });
    await fs.writeFile(crtList, `${join(dir, 'existing.pem')}\n`, { mode: 0o600 });
    const { front, httpsBind } = tlsAlpnFront({
      bind: `127.0.0.1:${tlsPort}`,
      internalSocket: join(dir, 'https.sock'),
      responder: `127.0.0.1:${responderPort}`,
      httpsEnabled: true,
    });
    const config = [
      'global',
      `    stats socket ${adminSocket} mode 600 level admin`,
      '',
      'defaults',
      '    mode http',
      '    timeout connect 2s',
      '    timeout client 10s',
      '    timeout server 10s',
      '',
      ...front,
      'frontend https',
      `    ${httpsBind(`ssl crt ${join(dir, 'placeholder.pem')} crt-list ${crtList} alpn h2,http/1.1`)}`,
      '    http-request return status 200 content-type text/plain string ok',
      '',
    ].join('\n');
    await fs.writeFile(join(dir, 'haproxy.cfg'), config);
    haproxy = spawnTracked('haproxy-tls-alpn', [requireBinary('haproxy'), '-f', join(dir, 'haproxy.cfg'), '-db']);
    await waitForReady(haproxy, { what: `its TCP frontend on ${tlsPort}`, ready: () => canConnect(tlsPort) });
    common = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--challenge-type',
      'tls-alpn-01',
      '--http-port',
      String(responderPort),
      '--haproxy-socket',
      adminSocket,
      '--haproxy-crt-list',
      crtList,
    ];
  });

  afterAll(async () => {
    if (haproxy !== undefined) await stopChild(haproxy);
    await peers?.stop();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  test('the HAProxy configuration has no HTTP frontend and "haproxy -c" accepts it without a warning', async () => {
    const text = await fs.readFile(join(dir, 'haproxy.cfg'), 'utf8');
    expect(text).not.toMatch(/^frontend http$|bind \S*:80\b/m);
    const check = await checkHaproxyConfig(join(dir, 'haproxy.cfg'));
    expect({ code: check.code, warnings: check.warnings, alerts: check.alerts }).toEqual({
      code: 0,
      warnings: [],
      alerts: [],
    });
  });

  test('acme issue --challenge-type tls-alpn-01 validates through port 443 while ordinary HTTPS on it never fails, and HAProxy serves the certificate by SNI', async () => {
    const issued = runAcme(['issue', '-d', name, '--preflight', `https://127.0.0.1:${tlsPort}`, '--json', ...common]);
    const load = await loadWhile(issued, tlsPort, 'existing.example.test', existing.serial);
    const run = await issued;
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ someRequests: load.ok > 0, failures: load.failures }).toEqual({ someRequests: true, failures: [] });

    const document = JSON.parse(run.stdout) as { certificate: { serial: string } };
    const [leaf] = certificates(await fs.readFile(join(home, 'haproxy', `${name}.pem`), 'utf8'));
    const [root, intermediate] = (await peers.fetchIssuanceRoots()).map((pem) => new X509Certificate(pem));
    expect(leaf!.checkHost(name)).toBe(name);
    expect(leaf!.verify(intermediate!.publicKey)).toBe(true);
    expect(intermediate!.verify(root!.publicKey)).toBe(true);
    expect(leaf!.serialNumber.toUpperCase()).toBe(document.certificate.serial);
    expect(await servedSerial(tlsPort, name)).toBe(document.certificate.serial);
    expect(await servedSerial(tlsPort, 'existing.example.test')).toBe(existing.serial);
  });

  test('acme renew --force renews over TLS-ALPN-01 and HAProxy serves the new serial, ordinary HTTPS still never failing', async () => {
    const before = await servedSerial(tlsPort, name);
    const renewed = runAcme(['renew', '--force', '--name', name, '--json', ...common]);
    const load = await loadWhile(renewed, tlsPort, 'existing.example.test', existing.serial);
    const run = await renewed;
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ someRequests: load.ok > 0, failures: load.failures }).toEqual({ someRequests: true, failures: [] });
    const after = await servedSerial(tlsPort, name);
    expect(after).not.toBe(before);
    expect(JSON.parse(run.stdout).certificates[0].renewed.serial).toBe(after);
  });

  test('acme doctor --challenge-type tls-alpn-01 passes the probe through HAProxy port 443, and fails it with the fix when HAProxy routes elsewhere', async () => {
    const routeOf = (stdout: string): unknown =>
      (JSON.parse(stdout) as { checks: Array<{ id: string }> }).checks.find((c) => c.id === 'challenge-route');
    const args = [
      'doctor',
      '--json',
      ...common,
      '-d',
      name,
      '--preflight',
      `https://127.0.0.1:${tlsPort}`,
      '--local-ports',
      String(await freePort()),
    ];
    const run = await runAcme(args);
    expect(routeOf(run.stdout)).toEqual({
      id: 'challenge-route',
      title: 'acme-tls/1 route through HAProxy',
      status: 'ok',
      detail: `a TLS-ALPN-01 handshake with https://127.0.0.1:${tlsPort} for "${name}" got the probe's certificate`,
      fix: null,
    });

    const wrongPort = await freePort();
    const wrong = await runAcme([...args, '--http-port', String(wrongPort)]);
    expect(wrong.code).toBe(1);
    expect(routeOf(wrong.stdout)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(
          `^Preflight failed for "${name.replace(/\./g, '\\.')}": a TLS-ALPN-01 handshake with 127\\.0\\.0\\.1:${tlsPort} `,
        ),
      ),
      fix: `Send ALPN acme-tls/1 on HAProxy's port 443 to the responder on 127.0.0.1:${wrongPort} in a TCP frontend, ahead of the HTTPS one (see docs/haproxy.md, or "acme haproxy-config --challenge-type tls-alpn-01")`,
    });
  });

  test('acme doctor with http-01 where no HTTP frontend listens fails the probe and names TLS-ALPN-01 in the fix', async () => {
    const closed = await freePort();
    const args = common.filter((arg) => arg !== 'tls-alpn-01' && arg !== '--challenge-type');
    const run = await runAcme([
      'doctor',
      '--json',
      ...args,
      '-d',
      name,
      '--preflight',
      `http://127.0.0.1:${closed}`,
      '--local-ports',
      String(await freePort()),
    ]);
    expect(run.code).toBe(1);
    expect(
      (JSON.parse(run.stdout) as { checks: Array<{ id: string }> }).checks.find((c) => c.id === 'challenge-route'),
    ).toMatchObject({
      title: 'acme-challenge route through HAProxy',
      status: 'fail',
      detail: expect.stringContaining(`could not connect to 127.0.0.1:${closed} (ECONNREFUSED)`),
      fix: expect.stringContaining('--challenge-type tls-alpn-01 (snap: acme-challenge-type=tls)'),
    });
  });

  test('acme issue with http-01 cannot validate here (nothing on port 80), proving the TLS route was the one used', async () => {
    const run = await runAcme([
      'issue',
      '-d',
      `http-${process.pid}.example.test`,
      ...common.filter((arg) => arg !== 'tls-alpn-01' && arg !== '--challenge-type'),
      '--timeout',
      '60s',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/over HTTP-01/);
  });

  test('acme haproxy-config --challenge-type tls-alpn-01 prints a configuration "haproxy -c" accepts without a warning, with Immich on port 3001', async () => {
    const configHome = join(dir, 'config-home');
    await fs.mkdir(configHome, { mode: 0o700 });
    const run = await runAcme([
      'haproxy-config',
      '--home',
      configHome,
      '--haproxy-socket',
      join(configHome, 'admin.sock'),
      '--challenge-type',
      'tls-alpn-01',
    ]);
    expect(run.code).toBe(0);
    await fs.writeFile(join(configHome, 'haproxy-default.pem'), existing.bundle, { mode: 0o600 });
    await fs.writeFile(join(configHome, 'crt-list.txt'), '');
    await fs.writeFile(join(configHome, 'haproxy.cfg'), run.stdout);
    expect(run.stdout).toContain('    use_backend acme_tls_alpn if { req.ssl_alpn acme-tls/1 }\n');
    expect(run.stdout).toContain('    server app 127.0.0.1:3001\n');
    expect(run.stdout).not.toContain('bind :80');
    const check = await checkHaproxyConfig(join(configHome, 'haproxy.cfg'));
    expect({ code: check.code, warnings: check.warnings, alerts: check.alerts }).toEqual({
      code: 0,
      warnings: [],
      alerts: [],
    });
  });
});
