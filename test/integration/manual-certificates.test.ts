/**
 * Manual certificates end to end: real pebble issues one certificate into --home, a user drops a
 * certificate into `<home>/haproxy/` as `cert.crt` with its key in `cert.crt.key`, writeManualCrtList()
 * writes the manual crt-list, and a real HAProxy whose HTTPS bind loads `ssl strict-sni crt-list
 * <ours> crt-list <manual>` (as the snap's does) serves each by SNI. The built CLI then lists the
 * manual certificate and checks it. Every listener binds to 127.0.0.1; every child is bounded in time.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeManualCrtList } from '../../src/manual';
import { freePort, generateCert, servedSerial, startPeers, type Peers, type TestCert } from '../peers';
import { requireBinary } from '../peers/_binaries';
import { spawnTracked, stopChild, type TrackedChild } from '../peers/_process';
import { canConnect, waitForReady } from '../peers/_wait';
import { checkHaproxyConfig } from './_support/haproxyCheck';
import { runAcme } from './_support/runAcme';

interface Listed {
  kind: string;
  name: string;
  serial: string | null;
  notAfter: string | null;
  keyPath?: string | null;
  problem?: string | null;
  nextRenewal: unknown;
}

interface Check {
  id: string;
  title: string;
  status: string;
  detail: string;
  fix: string | null;
}

/** The HTTPS frontend of the snap: strict SNI, our crt-list then the manual one. */
function haproxyConfig(port: number, ours: string, manual: string): string {
  return [
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    '',
    'frontend https',
    `  bind 127.0.0.1:${port} ssl strict-sni crt-list ${ours} crt-list ${manual}`,
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n');
}

describe('manual certificates served by a real HAProxy beside an issued one', () => {
  let peers: Peers;
  let root: string;
  let home: string;
  let common: string[];
  let manual: TestCert;
  let manualList: string;
  let configPath: string;
  let httpsPort: number;
  let haproxy: TrackedChild | undefined;
  let written: Awaited<ReturnType<typeof writeManualCrtList>>;
  const name = `managed-${process.pid}.example.test`;
  const manualName = `manual-${process.pid}.example.test`;

  beforeAll(async () => {
    peers = await startPeers();
    root = await mkdtemp(join(tmpdir(), 'haproxy-acme-manual-it-'));
    home = join(root, 'acme');
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
    const issued = await runAcme(['issue', '-d', name, ...common]);
    expect({ code: issued.code, stderr: issued.code === 0 ? '' : issued.stderr }).toEqual({ code: 0, stderr: '' });

    // What the user drops in: the certificate in cert.crt, its key beside it in cert.crt.key.
    const scratch = join(root, 'scratch');
    await mkdir(scratch);
    manual = await generateCert(scratch, 'manual', { dnsNames: [manualName] });
    await copyFile(manual.certPath, join(home, 'haproxy', 'cert.crt'));
    await copyFile(manual.keyPath, join(home, 'haproxy', 'cert.crt.key'));
    // Left by the lego-based release: a link into certificates/ (lego's copy, gone since), never manual.
    await symlink(join('..', 'certificates', 'legacy.example.test.crt'), join(home, 'haproxy', 'legacy.crt'));
    // A certificate without its key: left out of the list, so HAProxy still starts.
    await writeFile(join(home, 'haproxy', 'nokey.crt'), (await generateCert(scratch, 'nokey')).certPem, {
      mode: 0o600,
    });

    manualList = join(root, 'manual-crt-list.txt');
    httpsPort = await freePort();
    configPath = join(root, 'haproxy.cfg');
    await writeFile(configPath, haproxyConfig(httpsPort, peers.haproxyCrtList, manualList));
    // What the snap's HAProxy wrapper does at every start.
    written = await writeManualCrtList(home, manualList);
  });
  afterAll(async () => {
    if (haproxy !== undefined) await stopChild(haproxy);
    await peers?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  test("writeManualCrtList() lists cert.crt alone: not our bundle, not lego's link, not the one without a key", async () => {
    expect(written).toEqual({
      written: 1,
      skipped: [
        {
          path: join(home, 'haproxy', 'nokey.crt'),
          problem: `no private key: the file holds none and there is no "${join(home, 'haproxy', 'nokey.crt.key')}"`,
        },
      ],
    });
    expect(await readFile(manualList, 'utf8')).toBe(`${join(home, 'haproxy', 'cert.crt')}\n`);
    expect(await readFile(peers.haproxyCrtList, 'utf8')).toContain(join(home, 'haproxy', `${name}.pem`));
  });

  test('HAProxy accepts "ssl strict-sni crt-list <ours> crt-list <manual>" and serves each certificate by SNI', async () => {
    const check = await checkHaproxyConfig(configPath);
    expect({ code: check.code, alerts: check.alerts, warnings: check.warnings }).toEqual({
      code: 0,
      alerts: [],
      warnings: [],
    });
    haproxy = spawnTracked('manual-haproxy', [requireBinary('haproxy'), '-f', configPath, '-db']);
    await waitForReady(haproxy, { what: `its HTTPS port ${httpsPort}`, ready: () => canConnect(httpsPort) });

    const listed = JSON.parse((await runAcme(['list', '--json', '--home', home])).stdout).certificates as Listed[];
    const issuedSerial = listed.find((c) => c.kind === 'acme')?.serial;
    expect(await servedSerial(httpsPort, manualName)).toBe(manual.serial);
    expect(await servedSerial(httpsPort, name)).toBe(issuedSerial);
  });

  test('acme list --json shows the issued certificate as "acme" and the two manual ones as "manual", never due', async () => {
    const run = await runAcme(['list', '--json', '--home', home]);
    expect(run.code).toBe(0);
    const listed = (JSON.parse(run.stdout).certificates as Listed[]).map((c) => ({
      kind: c.kind,
      name: c.name,
      serial: c.serial,
      keyPath: c.keyPath ?? null,
      problem: c.problem === undefined || c.problem === null ? null : 'problem',
      due: c.nextRenewal,
    }));
    expect(listed).toEqual([
      {
        kind: 'acme',
        name,
        serial: expect.stringMatching(/^[0-9A-F]+$/),
        keyPath: null,
        problem: null,
        due: expect.objectContaining({ due: false }),
      },
      {
        kind: 'manual',
        name: 'cert.crt',
        serial: manual.serial,
        keyPath: join(home, 'haproxy', 'cert.crt.key'),
        problem: null,
        due: null,
      },
      {
        kind: 'manual',
        name: 'nokey.crt',
        serial: expect.stringMatching(/^[0-9A-F]+$/),
        keyPath: null,
        problem: 'problem',
        due: null,
      },
    ]);
  });

  test('acme doctor warns that cert.crt (a 2-day certificate) expires soon and fails the one without a key', async () => {
    const run = await runAcme(['doctor', '--json', ...common, '--local-ports', String(await freePort())]);
    const checks = (JSON.parse(run.stdout).checks as Check[]).filter((c) => c.id === 'manual-certificates');
    expect({ code: run.code, checks: checks.map((c) => [c.title, c.status]) }).toEqual({
      code: 1,
      checks: [
        ['manual certificate cert.crt', 'warn'],
        ['manual certificate nokey.crt', 'fail'],
      ],
    });
    expect(checks[0]).toMatchObject({
      detail: expect.stringMatching(
        new RegExp(`^expires on \\S+ \\(1 days left\\), for ${manualName.replace(/\./g, '\\.')}$`),
      ),
      fix: `Replace "${join(home, 'haproxy', 'cert.crt')}" and its key "${join(home, 'haproxy', 'cert.crt.key')}" with a renewed certificate, then restart HAProxy so that it loads them (under snapd: snap restart <snap>.haproxy); haproxy-acme never renews a certificate you put there`,
    });
  });
});
