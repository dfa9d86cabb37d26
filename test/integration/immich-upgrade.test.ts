/**
 * Upgrading Immich Distribution's lego-based HTTPS to haproxy-acme in place, end to end, with real
 * HAProxy, real pebble and Debian's lego:
 *
 * 1. The lego-based release, reproduced by test/fixtures/immich/lego-era (its haproxy.cfg frontends, its
 *    wrapper that links haproxy/cert.crt to lego's certificate, options as environment variables): lego
 *    issues (`lets-encrypt`) and renews twice into $SNAP_COMMON/acme, and HAProxy serves the certificate
 *    from the directory bind.
 * 2. `snap refresh` to the release the maintainer guide describes (snap/immich-distribution/snapcraft.yaml's
 *    apps and environment on this repository's tree, test/fixtures/immich/hooks as the guide changes that
 *    snap's hooks), as snapd runs it: the lego-era HAProxy stops, the post-refresh and configure hooks
 *    run, then the haproxy service starts.
 * 3. The same serial is served, `acme list` shows it adopted from lego, lego's files are byte for byte
 *    what they were, and a forced renewal is hot-swapped in while HTTPS clients see no failed request.
 * 4. `snap revert`: the lego-era HAProxy starts again on lego's untouched files and serves lego's last
 *    certificate.
 *
 * Topology: pebble's VA validates HTTP-01 on the peers' HAProxy, which forwards /.well-known/acme-challenge/
 * to `responderPort`; the snap's HTTP frontend (lego-era or ours) binds that port, so every validation
 * really passes through the snap's frontend to lego, then to our responder.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readdir, readFile, readlink, lstat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MasterClient } from '../../src/haproxy';
import { createLogger } from '../../src/log';
import { servedSerial, startPeers, type Peers } from '../peers';
import { freePorts } from '../peers/_ports';
import { requireBinary } from '../peers/_binaries';
import { spawnTracked, stopChild, type TrackedChild } from '../peers/_process';
import { canConnect, waitForReady } from '../peers/_wait';
import {
  createFakeSnap,
  REPO_ROOT,
  requireBuiltCli,
  type FakeSnap,
  type SnapOverlay,
} from '../fixtures/snap/primeTree';
import { runFile as run } from '../fixtures/snap/runFile';
import { httpsStatus, loadHttps } from './_support/httpsLoad';

const FIXTURE = join(__dirname, '..', 'fixtures', 'immich');
const LEGO_ERA = join(FIXTURE, 'lego-era');

/**
 * Immich Distribution as docs/immich-distribution-maintainers.md changes it: the apps and environment of
 * snap/immich-distribution/snapcraft.yaml, its hooks with the guide's lines, its HAProxy build and 503 page.
 */
const IMMICH: SnapOverlay = {
  yaml: join(REPO_ROOT, 'snap', 'immich-distribution', 'snapcraft.yaml'),
  hooksDir: join(FIXTURE, 'hooks'),
  files: { 'bin/haproxy': requireBinary('haproxy'), 'etc/5xx.http': join(FIXTURE, '5xx.http') },
};

/** Every file and link under `dir`: its path relative to `dir` → SHA-256 of its bytes, or `-> target` for a link. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  async function walk(path: string): Promise<void> {
    const info = await lstat(path);
    if (info.isSymbolicLink()) result[relative(dir, path)] = `-> ${await readlink(path)}`;
    else if (info.isDirectory()) for (const entry of await readdir(path)) await walk(join(path, entry));
    else
      result[relative(dir, path)] = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
  }
  await walk(dir);
  return result;
}

describe('upgrading Immich Distribution from lego in place', () => {
  const domain = `immich-${process.pid}.example.test`;
  const email = 'owner@example.com';
  let peers: Peers;
  let fake: FakeSnap;
  let app: Server;
  let httpsPort: number;
  let acmePort: number;
  let appPort: number;
  let haproxy: TrackedChild | undefined;
  let legoEnv: Record<string, string>;
  let legoServed: string;
  let legoFiles: Record<string, string>;

  const home = () => join(fake.common, 'acme');

  function legoArgs(...command: string[]): string[] {
    return [
      '--server',
      peers.directoryUrl,
      '--path',
      home(),
      '--email',
      email,
      '--domains',
      domain,
      '--accept-tos',
      '--http',
      '--http.port',
      `127.0.0.1:${acmePort}`,
      ...command,
    ];
  }

  async function lego(...command: string[]): Promise<void> {
    const result = await run('lego', legoArgs(...command), legoEnv);
    expect({ lego: command[0], code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
      lego: command[0],
      code: 0,
      stderr: '',
    });
  }

  /** The lego-era haproxy service, with the options its load-env would export. */
  async function startLegoEraHaproxy(httpsEnabled: boolean): Promise<void> {
    const env = {
      ...legoEnv,
      HAPROXY_BIN: requireBinary('haproxy'),
      ACME_CONFIG_PATH: home(),
      ACME_DOMAIN: domain,
      ACME_PORT: String(acmePort),
      HTTP_ENABLED: 'true',
      HTTPS_ENABLED: String(httpsEnabled),
      HAPROXY_HTTP_BIND: `127.0.0.1:${peers.responderPort}`,
      HAPROXY_HTTPS_BIND: `127.0.0.1:${httpsPort}`,
      IMMICH_SERVER: `127.0.0.1:${appPort}`,
    };
    haproxy = spawnTracked('immich-lego-haproxy', [join(LEGO_ERA, 'haproxy-wrapper')], { env });
    const port = httpsEnabled ? httpsPort : peers.responderPort;
    await waitForReady(haproxy, { what: `the lego-era HAProxy on port ${port}`, ready: () => canConnect(port) });
  }

  async function startOurHaproxy(): Promise<void> {
    haproxy = spawnTracked('immich-haproxy', [join(fake.snap, 'bin', 'haproxy-wrapper')], {
      env: await fake.appEnv('haproxy'),
    });
    await waitForReady(haproxy, {
      what: `the snap's HAProxy on port ${httpsPort}`,
      ready: () => canConnect(httpsPort),
    });
  }

  async function stopHaproxy(): Promise<void> {
    if (haproxy !== undefined) await stopChild(haproxy);
    haproxy = undefined;
  }

  beforeAll(async () => {
    requireBuiltCli();
    peers = await startPeers();
    fake = await createFakeSnap(IMMICH);
    [httpsPort, acmePort, appPort] = (await freePorts(3, [peers.responderPort])) as [number, number, number];
    app = createServer((req, res) => res.end(`immich ${req.url ?? ''}`));
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    legoEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: fake.root, LEGO_CA_CERTIFICATES: peers.caBundlePath };

    // The lego-based release: lets-encrypt issues with HAProxy serving HTTP only, turns HTTPS on and
    // restarts HAProxy; the acme timer renews (twice here) and restarts HAProxy each time.
    await startLegoEraHaproxy(false);
    await lego('run');
    await stopHaproxy();
    await startLegoEraHaproxy(true);
    for (let renewal = 0; renewal < 2; renewal += 1) {
      await lego('renew', '--days', '999', '--no-random-sleep');
      await stopHaproxy();
      await startLegoEraHaproxy(true);
    }
    legoServed = await servedSerial(httpsPort, domain);
    legoFiles = await fingerprint(home());

    // snap refresh: the old services stop, the new revision's post-refresh and configure hooks run, its services start.
    await stopHaproxy();
    await fake.setOptions({
      'acme-domain': domain,
      'acme-email': email,
      'acme-port': acmePort,
      'acme-challenge-type': 'http',
      'http-enabled': true,
      'https-enabled': true,
      'haproxy-http-bind': `127.0.0.1:${peers.responderPort}`,
      'haproxy-https-bind': `127.0.0.1:${httpsPort}`,
      'haproxy-backend': `127.0.0.1:${appPort}`,
      // Not in the real snap: pebble instead of Let's Encrypt.
      'acme-directory': peers.directoryUrl,
      'acme-ca-bundle': peers.caBundlePath,
    });
    // The refresh runs the new revision's hooks: Immich Distribution's, as the maintainer guide changes them.
    const refreshed = await run(join(fake.snap, 'meta', 'hooks', 'post-refresh'), [], fake.env);
    expect({ code: refreshed.code, adopted: refreshed.stderr.includes('Imported a lego certificate') }).toEqual({
      code: 0,
      adopted: true,
    });
    const configured = await run(join(fake.snap, 'meta', 'hooks', 'configure'), [], fake.env);
    expect({ code: configured.code, stderr: configured.stderr }).toEqual({ code: 0, stderr: '' });
    await startOurHaproxy();
  });

  afterAll(async () => {
    await stopHaproxy();
    await new Promise<void>((resolve) => (app === undefined ? resolve() : app.close(() => resolve())));
    await peers?.stop();
    await fake?.remove();
  });

  test("the lego-era HAProxy served lego's last renewal from the directory bind, through the links its wrapper made", async () => {
    const legoCert = await readFile(join(home(), 'certificates', `${domain}.crt`), 'utf8');
    const { X509Certificate } = await import('node:crypto');
    expect(new X509Certificate(legoCert).serialNumber.toUpperCase()).toBe(legoServed);
    expect(legoFiles).toMatchObject({ 'haproxy/cert.crt': `-> ${join(home(), 'certificates', `${domain}.crt`)}` });
  });

  test('after the refresh HTTPS serves the same serial, and requests reach Immich', async () => {
    expect(await servedSerial(httpsPort, domain)).toBe(legoServed);
    expect(await httpsStatus(httpsPort, domain, '/photos')).toBe(200);
  });

  test('the rendered configuration keeps what the hand-written one had: the statistics page and the health check', async () => {
    expect(await httpsStatus(httpsPort, domain, '/haproxy')).toBe(200);
    const config = await readFile(join(fake.data, 'haproxy', 'haproxy.cfg'), 'utf8');
    expect(config).toContain('    http-check send meth GET uri /server-info/ping\n');
    expect(config).toContain(`    errorfile 503 ${join(fake.snap, 'etc', '5xx.http')}\n`);
  });

  test('acme list shows the certificate adopted from lego, and configure wrote the defaults back', async () => {
    const listed = await run(
      join(fake.snap, 'bin', 'acme-wrapper'),
      ['list', '--json'],
      await fake.appEnv('haproxy-acme'),
    );
    expect(listed.code).toBe(0);
    const certificates = (
      JSON.parse(listed.stdout) as { certificates: Array<{ name: string; serial: string; adoptedFrom: string | null }> }
    ).certificates;
    expect(certificates.map((c) => [c.name, c.serial.replace(/:/g, '').toUpperCase(), c.adoptedFrom])).toEqual([
      [domain, legoServed, 'lego'],
    ]);
    expect(await fake.options()).toMatchObject({
      'http-enabled': true,
      'https-enabled': true,
      'acme-challenge-type': 'http',
      'database-password': expect.any(String),
    });
  });

  test("lego's files are byte for byte what lego left", async () => {
    const now = await fingerprint(home());
    const legoOnly = Object.fromEntries(Object.keys(legoFiles).map((path) => [path, now[path]]));
    expect(legoOnly).toEqual(legoFiles);
  });

  test('a forced renewal is hot-swapped while HTTPS clients see no failed request', async () => {
    const load = loadHttps(httpsPort, domain, '/photos');
    const renewed = await run(
      join(fake.snap, 'bin', 'acme-wrapper'),
      ['renew', '--force', '--json'],
      await fake.appEnv('haproxy-acme'),
    );
    const seen = await load.stop();
    expect({ code: renewed.code, stderr: renewed.code === 0 ? '' : renewed.stderr }).toEqual({ code: 0, stderr: '' });
    const served = await servedSerial(httpsPort, domain);
    expect(served).not.toBe(legoServed);
    expect(seen.failed).toEqual([]);
    expect(seen.ok).toBeGreaterThan(0);
    // Hot-swapped: the HAProxy master never reloaded, so the same worker served before and after.
    const master = new MasterClient({
      endpoint: { kind: 'unix', path: join(fake.data, 'haproxy', 'master.sock') },
      logger: createLogger({ verbosity: 'quiet' }),
    });
    expect((await master.showProc()).master.reloads).toBe(0);
  });

  test("snap revert: the lego-era HAProxy starts on lego's untouched files and serves lego's last certificate", async () => {
    await stopHaproxy();
    await startLegoEraHaproxy(true);
    expect(await servedSerial(httpsPort, domain)).toBe(legoServed);
  });
});
