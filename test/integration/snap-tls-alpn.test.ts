/**
 * The snap with port 80 closed: `http-enabled=false` and `acme-challenge-type=tls`, HTTPS still off, then
 * the `lets-encrypt` app, as a user of Immich Distribution runs it. Real pebble validates TLS-ALPN-01 on
 * its `tlsPort`, where the snap's rendered TCP frontend listens: it hands the CA's `acme-tls/1`
 * handshakes to the responder on acme-port and (once HTTPS is on) every other connection to the HTTPS
 * frontend. lets-encrypt turns HTTPS on with one checked reload through the master socket, issues, and
 * hot-loads the certificate; a forced renewal afterwards is hot-swapped while HTTPS clients see no
 * failed request. Nothing ever listens on the HTTP bind.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { MasterClient } from '../../src/haproxy';
import { createLogger } from '../../src/log';
import { servedSerial, startPeers, type Peers } from '../peers';
import { freePorts } from '../peers/_ports';
import { spawnTracked, stopChild, type TrackedChild } from '../peers/_process';
import { canConnect, waitForReady } from '../peers/_wait';
import { createFakeSnap, requireBuiltCli, type FakeSnap } from '../fixtures/snap/primeTree';
import { runFile as run, type FileRun as Run } from '../fixtures/snap/runFile';
import { httpsStatus as httpsGet, loadHttps } from './_support/httpsLoad';

/** Whether a TLS handshake with SNI `servername` (ALPN h2/http1.1) completes on 127.0.0.1:port. */
function handshakes(port: number, servername: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(
      { host: '127.0.0.1', port, servername, ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false },
      () => {
        socket.destroy();
        resolve(true);
      },
    );
    socket.setTimeout(5_000, () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

describe('the snap with port 80 closed issues and renews over TLS-ALPN-01 through HAProxy', () => {
  const domain = `tls-${process.pid}.example.test`;
  let peers: Peers;
  let fake: FakeSnap;
  let app: Server;
  let haproxy: TrackedChild;
  let tlsPort: number;
  let httpPort: number;
  let master: MasterClient;
  let masterPid: number;

  beforeAll(async () => {
    requireBuiltCli();
    peers = await startPeers();
    fake = await createFakeSnap();
    tlsPort = (
      JSON.parse(await readFile(join(peers.workDir, 'pebble-config.json'), 'utf8')) as { pebble: { tlsPort: number } }
    ).pebble.tlsPort;
    const [acmePort, appPort, closedPort] = (await freePorts(3, [tlsPort, peers.responderPort])) as [
      number,
      number,
      number,
    ];
    httpPort = closedPort;
    app = createServer((req, res) => res.end(`immich ${req.url ?? ''}`));
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    await fake.setOptions({
      'acme-domain': domain,
      'acme-email': 'owner@example.com',
      'acme-directory': peers.directoryUrl,
      'acme-ca-bundle': peers.caBundlePath,
      'acme-port': acmePort,
      'acme-challenge-type': 'tls',
      'http-enabled': false,
      'haproxy-http-bind': `127.0.0.1:${httpPort}`,
      'haproxy-https-bind': `127.0.0.1:${tlsPort}`,
      'haproxy-backend': `127.0.0.1:${appPort}`,
    });
    for (const hook of ['install', 'configure']) {
      const result = await run(join(fake.snap, 'meta', 'hooks', hook), [], fake.env);
      expect({ hook, code: result.code }).toEqual({ hook, code: 0 });
    }
    haproxy = spawnTracked('snap-tls-haproxy', [join(fake.snap, 'bin', 'haproxy-wrapper')], {
      env: await fake.appEnv('haproxy'),
    });
    await waitForReady(haproxy, { what: `its TLS-ALPN-01 front on ${tlsPort}`, ready: () => canConnect(tlsPort) });
    master = new MasterClient({
      endpoint: { kind: 'unix', path: join(fake.data, 'haproxy', 'master.sock') },
      logger: createLogger({ verbosity: 'quiet' }),
    });
    // The TLS port answers before the master's CLI socket does: ask it until it answers (bounded).
    for (let attempt = 1; ; attempt += 1) {
      try {
        masterPid = (await master.showProc()).master.pid;
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  afterAll(async () => {
    if (haproxy !== undefined) await stopChild(haproxy);
    await new Promise<void>((resolve) => (app === undefined ? resolve() : app.close(() => resolve())));
    await peers?.stop();
    await fake?.remove();
  });

  test('before lets-encrypt, port 80 is closed and the HTTPS port completes no ordinary handshake', async () => {
    expect(await canConnect(httpPort)).toBe(false);
    expect(await handshakes(tlsPort, domain)).toBe(false);
  });

  describe('after lets-encrypt', () => {
    let issued: Run;

    beforeAll(async () => {
      issued = await run(
        join(fake.snap, 'bin', 'acme-wrapper'),
        ['__snap', 'lets-encrypt'],
        await fake.appEnv('lets-encrypt'),
      );
    });

    test('it succeeds, turns https-enabled on, and the certificate is served and reaches the application', async () => {
      expect({ code: issued.code, stderr: issued.code === 0 ? '' : issued.stderr }).toEqual({ code: 0, stderr: '' });
      expect(issued.stdout).toContain('HTTPS is on.');
      // Hot-loaded into the reloaded HAProxy: the runtime API delivered it, no second reload was needed.
      expect(issued.stdout).not.toContain('reloaded (fallback)');
      expect(await fake.options()).toMatchObject({ 'https-enabled': true });
      expect(await handshakes(tlsPort, domain)).toBe(true);
      expect(await httpsGet(tlsPort, domain)).toBe(200);
    });

    test('HAProxy was reloaded once through its master socket, never restarted, and port 80 stayed closed', async () => {
      const proc = await master.showProc();
      expect([proc.master.pid, proc.master.reloads]).toEqual([masterPid, 1]);
      expect(await canConnect(httpPort)).toBe(false);
    });

    test('a forced renewal over TLS-ALPN-01 is hot-swapped while HTTPS clients see no failed request', async () => {
      const before = await servedSerial(tlsPort, domain);
      const load = loadHttps(tlsPort, domain);
      const renewed = await run(
        join(fake.snap, 'bin', 'acme-wrapper'),
        ['renew', '--force', '--json'],
        await fake.appEnv('acme'),
      );
      const seen = await load.stop();
      expect({ code: renewed.code, stderr: renewed.code === 0 ? '' : renewed.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await servedSerial(tlsPort, domain)).not.toBe(before);
      expect(seen.failed).toEqual([]);
      expect(seen.ok).toBeGreaterThan(0);
      expect((await master.showProc()).master.reloads).toBe(1);
    });
  });
});
