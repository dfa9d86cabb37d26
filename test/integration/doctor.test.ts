/**
 * `acme doctor` end to end: real pebble issues, a real HAProxy 2.6 serves the certificate and
 * routes the challenge path to our responder, and the doctor reads this machine's /proc/net/tcp.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeClient } from '../../src/haproxy';
import { CapturingLogger } from '../../src/log';
import { freePort, generateCert, servedSerial, startPeers, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

interface Check {
  id: string;
  title: string;
  status: string;
  detail: string;
  fix: string | null;
}

describe('acme doctor against real pebble and HAProxy', () => {
  let peers: Peers;
  let home: string;
  let localPort: number;
  let doctorArgs: string[];
  let common: string[];
  const name = `doctor-${process.pid}.example.test`;

  async function doctor(extra: string[] = []): Promise<{ code: number | null; checks: Check[]; stderr: string }> {
    const run = await runAcme(['doctor', '--json', ...doctorArgs, ...extra]);
    return { code: run.code, checks: (JSON.parse(run.stdout) as { checks: Check[] }).checks, stderr: run.stderr };
  }

  beforeAll(async () => {
    peers = await startPeers();
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-doctor-'));
    localPort = await freePort();
    common = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      '--haproxy-socket',
      peers.haproxyAdminSocket,
      '--haproxy-crt-list',
      peers.haproxyCrtList,
    ];
    // The default list holds this machine's real services (5432, 6379, …): the test checks only a port it owns.
    doctorArgs = [...common, '--preflight', peers.haproxyHttpUrl, '--local-ports', String(localPort)];
    const run = await runAcme(['issue', '-d', name, ...common]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  });
  afterAll(async () => {
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('a healthy setup: exit 0 and every check ok, the probe token answered through HAProxy', async () => {
    const { code, checks, stderr } = await doctor();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['challenge-route', 'ok'],
      ['runtime-socket', 'ok'],
      ['home-permissions', 'ok'],
      ['programs', 'ok'],
      ['served-serial', 'ok'],
      ['expiry', 'ok'],
      ['manual-certificates', 'ok'],
      ['local-ports', 'ok'],
    ]);
    expect(checks[0]!.detail).toBe(
      `${peers.haproxyHttpUrl}/.well-known/acme-challenge/<probe token> with Host "${name}" answered the probe token`,
    );
    expect(checks[1]!.detail).toBe('reachable, level admin, mode 0600');
  });

  test('the challenge route fails when HAProxy routes to a port where no responder listens', async () => {
    const wrongPort = await freePort();
    const { code, checks } = await doctor(['--http-port', String(wrongPort)]);
    expect(code).toBe(1);
    const route = checks.find((c) => c.id === 'challenge-route')!;
    expect(route.status).toBe('fail');
    expect(route.detail).toMatch(
      new RegExp(
        `^Preflight failed for "${name.replace(/\./g, '\\.')}": GET ${peers.haproxyHttpUrl}/\\.well-known/acme-challenge/[A-Za-z0-9_-]{43} with Host "${name.replace(/\./g, '\\.')}" returned HTTP 503`,
      ),
    );
    expect(route.fix).toBe(
      `Route /.well-known/acme-challenge/ in HAProxy's HTTP frontend to the responder on 127.0.0.1:${wrongPort}, before any redirect to HTTPS (see docs/haproxy.md)`,
    );
  });

  test('a private key open to others: exit 1 and the chmod that fixes it', async () => {
    const key = join(home, 'certificates', name, 'privkey.pem');
    await chmod(key, 0o644);
    try {
      const run = await runAcme(['doctor', ...doctorArgs]);
      expect({ code: run.code, stdout: run.stdout }).toEqual({
        code: 1,
        stdout: expect.stringMatching(/^FAIL +files under /m),
      });
      // certificates/<name> links to the current version: the file itself is reported.
      const real = `${home}/certificates/.versions/${name}/[0-9TZ]+-[0-9A-F]+/privkey.pem`.replace(/\./g, '\\.');
      expect(run.stdout).toMatch(new RegExp(`\n {2}FAIL files under ${home}: Run: chmod 600 "${real}"\n`));
    } finally {
      await chmod(key, 0o600);
    }
  });

  test('a different certificate swapped in over the runtime API: served-serial fails, and "acme deploy" fixes it', async () => {
    const bundlePath = join(home, 'haproxy', `${name}.pem`);
    const stray = await generateCert(home, 'stray', { dnsNames: [name] });
    const client = new RuntimeClient({
      endpoint: { kind: 'unix', path: peers.haproxyAdminSocket },
      logger: new CapturingLogger(),
    });
    await client.setSslCert(bundlePath, stray.bundle);
    await client.commitSslCert(bundlePath);
    await rm(stray.keyPath);
    await rm(stray.certPath);
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(stray.serial);

    const { code, checks } = await doctor();
    expect(code).toBe(1);
    const served = checks.find((c) => c.id === 'served-serial')!;
    expect(served).toMatchObject({
      status: 'fail',
      fix: `Run "acme deploy --name ${name}" with the same --haproxy-socket`,
    });
    expect(served.detail).toMatch(new RegExp(`^serves serial ${stray.serial}, the stored one is [0-9A-F]+$`));

    const deploy = await runAcme([
      'deploy',
      '--name',
      name,
      '--home',
      home,
      '--haproxy-socket',
      peers.haproxyAdminSocket,
    ]);
    expect(deploy.code).toBe(0);
    expect((await doctor()).code).toBe(0);
  });

  test('a listener on 0.0.0.0 on a port that should be local: exit 1, naming it', async () => {
    // Bound to every interface only for this one doctor run, and it drops every connection at once.
    const server: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(localPort, '0.0.0.0', resolve);
    });
    try {
      const { code, checks } = await doctor();
      expect(code).toBe(1);
      expect(checks.find((c) => c.id === 'local-ports')).toEqual({
        id: 'local-ports',
        title: 'ports that should be local',
        status: 'fail',
        detail: `listening beyond loopback: 0.0.0.0:${localPort}`,
        fix: `Bind the service on port ${localPort} to 127.0.0.1 (or ::1), or firewall it from other hosts`,
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
