/**
 * Hot swap end to end: the built CLI issues from real pebble and puts the certificate into two
 * real HAProxy 2.6 processes through their runtime sockets; every check is a real TLS handshake.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servedSerial, startPeers, startStandaloneHaproxy, type Peers, type StandaloneHaproxy } from '../peers';
import { runAcme } from './_support/runAcme';

describe('acme issue / deploy into running HAProxy', () => {
  let peers: Peers;
  let standalone: StandaloneHaproxy;
  let home: string;
  let ca: string[];
  const name = `swap-${process.pid}.example.test`;

  beforeAll(async () => {
    [peers, standalone] = await Promise.all([startPeers(), startStandaloneHaproxy()]);
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-deploy-'));
    ca = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
    ];
  });
  afterAll(async () => {
    await Promise.all([peers?.stop(), standalone?.stop()]);
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme issue adds a certificate HAProxy has never seen: reachable by SNI, listed in the crt-list file', async () => {
    const run = await runAcme([
      'issue',
      '-d',
      name,
      '--json',
      ...ca,
      '--haproxy-socket',
      standalone.adminSocket,
      '--haproxy-crt-list',
      standalone.crtList,
    ]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const document = JSON.parse(run.stdout);
    expect(document.deploy).toEqual([
      { endpoint: `unix@${standalone.adminSocket}`, outcome: 'added', serial: document.certificate.serial },
    ]);
    expect(await servedSerial(standalone.httpsPort, name)).toBe(document.certificate.serial);
    expect(await readFile(standalone.crtList, 'utf8')).toBe(`${join(home, 'haproxy', `${name}.pem`)}\n`);
  });

  test('a renewal is swapped live and survives a HAProxy restart from its configuration', async () => {
    const before = await servedSerial(standalone.httpsPort, name);
    const run = await runAcme([
      'issue',
      '-d',
      name,
      '--json',
      ...ca,
      '--haproxy-socket',
      standalone.adminSocket,
      '--haproxy-crt-list',
      standalone.crtList,
    ]);
    expect(run.code).toBe(0);
    const serial = JSON.parse(run.stdout).certificate.serial as string;
    expect(serial).not.toBe(before);
    expect(JSON.parse(run.stdout).deploy[0].outcome).toBe('swapped');
    expect(await servedSerial(standalone.httpsPort, name)).toBe(serial);

    await standalone.restart();
    expect(await servedSerial(standalone.httpsPort, name)).toBe(serial);
  });

  test('acme issue --dry-run proves the path and leaves the served certificate and the disk unchanged', async () => {
    const served = await servedSerial(standalone.httpsPort, name);
    const bundle = await readFile(join(home, 'haproxy', `${name}.pem`), 'utf8');
    const run = await runAcme([
      'issue',
      '-d',
      name,
      '--dry-run',
      '--json',
      ...ca,
      '--haproxy-socket',
      standalone.adminSocket,
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      dryRun: true,
      certificate: { stored: false },
      deploy: [{ outcome: 'dry-run' }],
    });
    expect(await servedSerial(standalone.httpsPort, name)).toBe(served);
    expect(await readFile(join(home, 'haproxy', `${name}.pem`), 'utf8')).toBe(bundle);
  });

  test('with one socket missing the certificate is stored and marked pending (exit 1), and acme deploy completes it', async () => {
    const missing = join(standalone.workDir, 'gone.sock');
    const run = await runAcme([
      'issue',
      '-d',
      name,
      '--json',
      ...ca,
      '--haproxy-socket',
      standalone.adminSocket,
      '--haproxy-socket',
      missing,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`run "acme deploy --name ${name}"`);
    const serial = JSON.parse(run.stdout).certificate.serial as string;
    expect(JSON.parse(run.stdout).deploy.map((d: { outcome: string }) => d.outcome)).toEqual(['swapped', 'pending']);
    expect(await servedSerial(standalone.httpsPort, name)).toBe(serial);

    const listed = await runAcme([
      'list',
      '--json',
      '--home',
      home,
      '--haproxy-socket',
      standalone.adminSocket,
      '--haproxy-socket',
      missing,
    ]);
    const endpoints = JSON.parse(listed.stdout).certificates[0].endpoints;
    expect(endpoints.map((e: { current: boolean; pendingDeploy: boolean }) => [e.current, e.pendingDeploy])).toEqual([
      [true, false],
      [false, true],
    ]);

    // A second HAProxy (the peers') gets it through acme deploy; the first is left alone.
    await writeFile(peers.haproxyCrtList, '');
    const deployed = await runAcme([
      'deploy',
      '--json',
      '--home',
      home,
      '--haproxy-socket',
      standalone.adminSocket,
      '--haproxy-socket',
      peers.haproxyAdminSocket,
      '--haproxy-crt-list',
      peers.haproxyCrtList,
    ]);
    expect({ code: deployed.code, stderr: deployed.code === 0 ? '' : deployed.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(JSON.parse(deployed.stdout).certificates[0].outcomes.map((o: { outcome: string }) => o.outcome)).toEqual([
      'unchanged',
      'added',
    ]);
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(serial);
  });

  test('when the runtime socket is unreachable, a checked master-socket reload delivers the certificate from disk', async () => {
    const missing = join(standalone.workDir, 'gone.sock');
    const run = await runAcme([
      'issue',
      '-d',
      name,
      '--json',
      ...ca,
      '--haproxy-socket',
      missing,
      '--haproxy-master-socket',
      standalone.masterSocket,
    ]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const document = JSON.parse(run.stdout);
    expect(document.deploy.map((d: { outcome: string }) => d.outcome)).toEqual(['reloaded']);
    expect(await servedSerial(standalone.httpsPort, name)).toBe(document.certificate.serial);
  });

  test('a reload command that runs but leaves HAProxy serving the old certificate is not "reloaded": pending, exit 1; it gets only the minimal environment', async () => {
    const before = await servedSerial(standalone.httpsPort, name);
    const scripts = await mkdtemp(join(tmpdir(), 'haproxy-acme-reload-cmd-'));
    const dump = join(scripts, 'env.txt');
    await writeFile(join(scripts, 'reload'), `#!/bin/sh\nenv > ${dump}\n`, { mode: 0o755 });
    try {
      const missing = join(standalone.workDir, 'gone.sock');
      const run = await runAcme(
        [
          'issue',
          '-d',
          name,
          '--json',
          ...ca,
          '--haproxy-socket',
          missing,
          '--haproxy-reload-cmd',
          join(scripts, 'reload'),
        ],
        {
          env: { HAPROXY_ACME_PARENT_SECRET: 'must-not-leak', HOME: '/root' },
        },
      );
      expect(run.code).toBe(1);
      const document = JSON.parse(run.stdout);
      expect(document.deploy).toEqual([
        {
          endpoint: `unix@${missing}`,
          outcome: 'pending',
          serial: document.certificate.serial,
          error: expect.stringContaining(
            `; reload fallback "command "${join(scripts, 'reload')}"" ran, but what HAProxy serves cannot be read`,
          ),
        },
      ]);
      expect(await servedSerial(standalone.httpsPort, name)).toBe(before);
      const names = (await readFile(dump, 'utf8')).split('\n').map((line) => line.split('=')[0]);
      expect(names).not.toContain('HAPROXY_ACME_PARENT_SECRET');
      expect(names).not.toContain('HOME');
      expect(names).toContain('PATH');
    } finally {
      await rm(scripts, { recursive: true, force: true });
    }
  });

  test('a runtime socket on a non-loopback TCP address is refused before anything happens', async () => {
    const run = await runAcme(['deploy', '--home', home, '--haproxy-socket', 'ipv4@192.0.2.10:9999']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('a TCP runtime socket has no authentication');
  });
});
