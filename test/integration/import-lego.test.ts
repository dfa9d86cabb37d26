/**
 * `acme import lego` end to end: the real Debian lego 4.9.1 obtains a certificate from real pebble
 * (HTTP-01 through the real HAProxy), then haproxy-acme adopts lego's account and certificate,
 * deploys it into HAProxy, lists it, and renews it with lego's account: pebble registers no
 * new account (its log line "There are now N accounts in memory" appears once, for lego).
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servedSerial, startPeers, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

/** lego polls with sleeps: one HTTP-01 order takes 5-15 s on a quiet machine. */
const LEGO_TIMEOUT_MS = 180_000;
const EMAIL = 'admin@example.test';

function runLego(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'lego',
      args,
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
        timeout: LEGO_TIMEOUT_MS,
        maxBuffer: 4 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

function serialOf(pem: string): string {
  return new X509Certificate(pem).serialNumber.toUpperCase();
}

/** Every file and symlink under `dir` with a digest of its content (or target), sorted. */
async function treeDigest(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) out.push(`${path} -> ${await readlink(path)}`);
    else if (entry.isFile())
      out.push(
        `${path} ${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')}`,
      );
  }
  return out.sort();
}

describe('acme import lego from a directory the real lego wrote', () => {
  let peers: Peers;
  let work: string;
  let lego: string;
  let home: string;
  let common: string[];
  let legoAccountUrl: string;
  let legoSerial: string;
  const name = `lego-${process.pid}.example.test`;

  /** How many accounts pebble has created so far, from its log. */
  async function accountsCreated(): Promise<number> {
    const log = await readFile(join(work, 'logs', 'pebble.log'), 'utf8');
    return (log.match(/There are now \d+ accounts in memory/g) ?? []).length;
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'haproxy-acme-import-lego-'));
    peers = await startPeers({ logDir: join(work, 'logs') });
    lego = join(work, 'lego');
    home = join(work, 'home');
    const run = await runLego(
      [
        '--server',
        peers.directoryUrl,
        '--accept-tos',
        '--email',
        EMAIL,
        '--domains',
        name,
        '--http',
        '--http.port',
        `127.0.0.1:${peers.responderPort}`,
        '--path',
        lego,
        'run',
      ],
      { LEGO_CA_CERTIFICATES: peers.caBundlePath },
    );
    expect({ code: run.code, output: run.code === 0 ? '' : run.output.slice(-2000) }).toEqual({ code: 0, output: '' });
    const server = new URL(peers.directoryUrl).host.replace(':', '_');
    legoAccountUrl = JSON.parse(await readFile(join(lego, 'accounts', server, EMAIL, 'account.json'), 'utf8'))
      .registration.uri;
    legoSerial = serialOf(await readFile(join(lego, 'certificates', `${name}.crt`), 'utf8'));
    common = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--haproxy-socket',
      peers.haproxyAdminSocket,
      '--haproxy-crt-list',
      peers.haproxyCrtList,
    ];
  }, LEGO_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await peers?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test("acme import lego adopts the account and the certificate, and HAProxy serves lego's serial", async () => {
    const run = await runAcme(['import', 'lego', '--path', lego, ...common, '--json']);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(run.stdout).import;
    const account = JSON.parse(
      await readFile(
        join(home, 'accounts', new URL(peers.directoryUrl).host.replace(':', '_'), 'dir', 'account.json'),
        'utf8',
      ),
    );
    expect({
      account: [report.account.outcome, report.account.accountUrl, account.accountUrl, account.email],
      certificates: report.certificates.map(
        (c: { name: string; outcome: string; serial: string; deploy: Array<{ outcome: string }> }) => [
          c.name,
          c.outcome,
          c.serial,
          c.deploy.map((d) => d.outcome),
        ],
      ),
      onDisk: serialOf(await readFile(join(home, 'certificates', name, 'cert.pem'), 'utf8')),
      served: await servedSerial(peers.haproxyHttpsPort, name),
    }).toEqual({
      account: ['imported', legoAccountUrl, legoAccountUrl, EMAIL],
      certificates: [[name, 'imported', legoSerial, ['added']]],
      onDisk: legoSerial,
      served: legoSerial,
    });
  });

  test('acme import lego a second time changes nothing in --home and says "already imported"', async () => {
    const before = await treeDigest(home);
    const run = await runAcme(['import', 'lego', '--path', lego, ...common, '--json']);
    const report = JSON.parse(run.stdout).import;
    expect([
      run.code,
      report.account.outcome,
      report.certificates.map((c: { outcome: string; detail: string }) => [c.outcome, c.detail]),
      await treeDigest(home),
    ]).toEqual([
      0,
      'already-imported',
      [['already-imported', 'already imported: --home holds this certificate']],
      before,
    ]);
  });

  test('acme list shows the imported certificate', async () => {
    const run = await runAcme(['list', '--json', ...common]);
    const listed = JSON.parse(run.stdout).certificates.map((c: { name: string; serial: string; domains: string[] }) => [
      c.name,
      c.serial,
      c.domains,
    ]);
    expect([run.code, listed]).toEqual([0, [[name, legoSerial, [name]]]]);
  });

  test("acme renew --force renews with lego's account: pebble registers no new account", async () => {
    const accountsBefore = await accountsCreated();
    const run = await runAcme(['renew', '--force', '--json', '--http-port', String(peers.responderPort), ...common]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const renewed = JSON.parse(run.stdout).certificates[0].renewed.serial as string;
    const account = JSON.parse(
      await readFile(
        join(home, 'accounts', new URL(peers.directoryUrl).host.replace(':', '_'), 'dir', 'account.json'),
        'utf8',
      ),
    );
    expect([
      accountsBefore,
      await accountsCreated(),
      account.accountUrl,
      renewed === legoSerial,
      await servedSerial(peers.haproxyHttpsPort, name),
    ]).toEqual([1, 1, legoAccountUrl, false, renewed]);
  });
});
