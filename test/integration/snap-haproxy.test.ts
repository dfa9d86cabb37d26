/**
 * The snap's HAProxy end to end, as snapd would run it but without snapd: a fake $SNAP assembled from
 * snapcraft.yaml (test/fixtures/snap/primeTree.ts), the stand-in snapctl holding the options, the real
 * install and configure hooks, then the real bin/haproxy-wrapper (render, then exec haproxy -W -S) and
 * `acme issue` through bin/acme-wrapper with the acme app's environment and no flags at all.
 *
 * Topology: pebble's VA validates on the peers' HAProxy (its fixed httpPort), which forwards
 * /.well-known/acme-challenge/ to `responderPort`; the snap's HAProxy binds its HTTP frontend there, so the
 * CA's request really passes through the rendered frontend to the responder on acme-port, like a front
 * load balancer in front of the snap. No change to test/peers is needed.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { copyFile, mkdtemp, readFile, stat } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { snapLayout, type SnapLayout } from '../../src/snap';
import { freePort, generateCert, servedSerial, startPeers, type Peers } from '../peers';
import { spawnTracked, stopChild, type TrackedChild } from '../peers/_process';
import { canConnect, waitForReady } from '../peers/_wait';
import { createFakeSnap, requireBuiltCli, type FakeSnap } from '../fixtures/snap/primeTree';
import { runFile, type FileRun as Run } from '../fixtures/snap/runFile';

const run = (file: string, args: string[], env: Record<string, string>): Promise<Run> =>
  runFile(file, args, env, 90_000);
import { checkHaproxyConfig, EMPTY_CRT_LIST_WARNING } from './_support/haproxyCheck';

/** One plain HTTP GET to 127.0.0.1 (no redirect following). */
function get(
  port: number,
  path: string,
  host: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${path} on port ${port} timed out`)));
    req.once('error', reject);
    req.end();
  });
}

/** One HTTPS GET to 127.0.0.1 with SNI `servername`; the issuer is pebble's, so it is not verified here. */
function httpsGet(port: number, path: string, servername: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      path,
      servername,
      headers: { host: servername },
      rejectUnauthorized: false,
      timeout: 10_000,
    };
    const req = httpsRequest(options, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${path} on port ${port} timed out`)));
    req.once('error', reject);
    req.end();
  });
}

/** An HTTP server on 127.0.0.1:port answering `reply(path, headers)`; resolves once it listens. */
async function listen(port: number, reply: (path: string, headers: IncomingHttpHeaders) => string): Promise<Server> {
  const server = createServer((req, res) => res.end(reply(req.url ?? '', req.headers)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

const close = (server: Server | undefined): Promise<void> =>
  new Promise((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));

describe("the snap's haproxy service (snap/local/haproxy-wrapper)", () => {
  const name = `snap-${process.pid}.example.test`;
  let peers: Peers;
  let fake: FakeSnap;
  let layout: SnapLayout;
  let haproxy: TrackedChild | undefined;
  let app: Server | undefined;
  let httpsPort: number;
  let acmePort: number;

  async function startHaproxy(): Promise<void> {
    haproxy = spawnTracked('snap-haproxy', [join(fake.snap, 'bin', 'haproxy-wrapper')], {
      env: await fake.appEnv('haproxy'),
    });
    await waitForReady(haproxy, { what: `its HTTPS port ${httpsPort}`, ready: () => canConnect(httpsPort) });
  }

  beforeAll(async () => {
    requireBuiltCli();
    peers = await startPeers();
    fake = await createFakeSnap();
    layout = snapLayout({ SNAP_DATA: fake.data, SNAP_COMMON: fake.common });
    const ports = new Set([peers.responderPort]);
    while (ports.size < 4) ports.add(await freePort());
    const appPort = [...ports][3] as number;
    [httpsPort, acmePort] = [...ports].slice(1, 3) as [number, number];
    app = await listen(appPort, (path, headers) => `app ${path} ${headers['x-forwarded-proto'] ?? 'plain'}`);
    await fake.setOptions({
      'acme-domain': name,
      'acme-email': 'admin@example.com',
      'acme-directory': peers.directoryUrl,
      'acme-ca-bundle': peers.caBundlePath,
      'acme-port': acmePort,
      'https-enabled': true,
      'https-redirect': true,
      'haproxy-http-bind': `127.0.0.1:${peers.responderPort}`,
      'haproxy-https-bind': `127.0.0.1:${httpsPort}`,
      'haproxy-backend': `127.0.0.1:${appPort}`,
    });
    for (const hook of ['install', 'configure']) {
      const result = await run(join(fake.snap, 'meta', 'hooks', hook), [], fake.env);
      expect({ hook, code: result.code, stderr: result.stderr }).toEqual({ hook, code: 0, stderr: '' });
    }
    await startHaproxy();
  });

  afterAll(async () => {
    if (haproxy !== undefined) await stopChild(haproxy);
    await close(app);
    await peers?.stop();
    await fake?.remove();
  });

  test('the rendered configuration passes "haproxy -c" with one warning only: the documented one for the still-empty crt-list behind strict-sni', async () => {
    const checked = await checkHaproxyConfig(layout.haproxyConfig);
    expect({ code: checked.code, warnings: checked.warnings, alerts: checked.alerts }).toEqual({
      code: 0,
      warnings: [expect.stringMatching(EMPTY_CRT_LIST_WARNING)],
      alerts: [],
    });
    expect((await stat(layout.haproxyConfig)).mode & 0o777).toBe(0o600);
  });

  test('the runtime and master sockets are unix sockets with mode 600', async () => {
    const [admin, master] = await Promise.all([stat(layout.adminSocket), stat(layout.masterSocket)]);
    expect([admin.isSocket(), admin.mode & 0o777, master.isSocket(), master.mode & 0o777]).toEqual([
      true,
      0o600,
      true,
      0o600,
    ]);
  });

  test('with https-redirect, plain HTTP is redirected to HTTPS, except the challenge path, which reaches the responder on acme-port', async () => {
    const redirect = await get(peers.responderPort, '/photos?id=1', name);
    expect([redirect.status, redirect.headers.location]).toEqual([301, `https://${name}/photos?id=1`]);

    const idle = await get(peers.responderPort, '/.well-known/acme-challenge/probe', name);
    expect(idle.status).toBe(503);

    const responder = await listen(acmePort, (path) => `responder ${path}`);
    try {
      const answered = await get(peers.responderPort, '/.well-known/acme-challenge/probe', name);
      expect([answered.status, answered.body]).toEqual([200, 'responder /.well-known/acme-challenge/probe']);
    } finally {
      await close(responder);
    }
  });

  describe('after "acme issue" through the acme app', () => {
    let serial: string;

    beforeAll(async () => {
      const issued = await run(join(fake.snap, 'bin', 'acme-wrapper'), ['issue', '--json'], await fake.appEnv('acme'));
      expect({ code: issued.code, stderr: issued.code === 0 ? '' : issued.stderr }).toEqual({ code: 0, stderr: '' });
      serial = (JSON.parse(issued.stdout) as { certificate: { serial: string } }).certificate.serial;
    });

    test('the certificate is served by SNI on the HTTPS bind, and the request reaches the application', async () => {
      expect(await servedSerial(httpsPort, name)).toBe(serial);
      expect(await readFile(layout.crtList, 'utf8')).toBe(`${join(layout.home, 'haproxy', `${name}.pem`)}\n`);
      const page = await httpsGet(httpsPort, '/photos', name);
      expect([page.status, page.body]).toEqual([200, 'app /photos https']);
    });

    test('once the crt-list names the certificate, "haproxy -c" on the rendered configuration warns of nothing', async () => {
      const checked = await checkHaproxyConfig(layout.haproxyConfig);
      expect({ code: checked.code, warnings: checked.warnings, alerts: checked.alerts }).toEqual({
        code: 0,
        warnings: [],
        alerts: [],
      });
    });

    test('after a restart of the haproxy service the certificate is still served from the crt-list', async () => {
      await stopChild(haproxy!);
      await startHaproxy();
      expect(await servedSerial(httpsPort, name)).toBe(serial);
    });
  });

  describe("a certificate dropped in by hand, as Immich Distribution's docs say", () => {
    const manualName = `manual-${process.pid}.example.test`;
    let manualSerial: string;
    let reload: Run;

    beforeAll(async () => {
      const made = await mkdtemp(join(fake.root, 'manual-'));
      const cert = await generateCert(made, 'cert', { dnsNames: [manualName] });
      manualSerial = cert.serial;
      await copyFile(cert.certPath, join(layout.home, 'haproxy', 'cert.crt'));
      await copyFile(cert.keyPath, join(layout.home, 'haproxy', 'cert.crt.key'));
      // snap restart --reload: the haproxy app's reload-command.
      reload = await run(
        join(fake.snap, 'bin', 'acme-wrapper'),
        ['__snap', 'haproxy-reload'],
        await fake.appEnv('haproxy'),
      );
    });

    test('the reload command writes the manual crt-list and reloads, checked, without a restart', async () => {
      expect({ code: reload.code, stdout: reload.stdout }).toEqual({
        code: 0,
        stdout: `Wrote "${layout.haproxyConfig}"\nHAProxy reloaded\n`,
      });
      expect(await readFile(layout.manualCrtList, 'utf8')).toBe(`${join(layout.home, 'haproxy', 'cert.crt')}\n`);
    });

    test('it is served by SNI beside the issued one', async () => {
      expect(await servedSerial(httpsPort, manualName)).toBe(manualSerial);
      expect(await servedSerial(httpsPort, name)).toMatch(/^[0-9A-F]+$/);
    });

    test('acme list shows it as manual, never due', async () => {
      const listed = await run(join(fake.snap, 'bin', 'acme-wrapper'), ['list', '--json'], await fake.appEnv('acme'));
      const entries = (
        JSON.parse(listed.stdout) as { certificates: Array<{ kind: string; domains: string[]; nextRenewal: unknown }> }
      ).certificates;
      expect(
        entries.filter((entry) => entry.kind === 'manual').map((entry) => [entry.domains, entry.nextRenewal]),
      ).toEqual([[[manualName], null]]);
    });
  });
});
