/**
 * A home written by the release before the layout-2 migration (test/fixtures/homes/layout1), on a
 * copy: every read command works on it as it is, the state-changing ones migrate it under the home
 * lock, and nothing stored is lost. Real pebble and HAProxy 2.6 on loopback.
 */
import { chmod, cp, lstat, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { servedSerial, startPeers, startStandaloneHaproxy, type Peers, type StandaloneHaproxy } from '../peers';
import { runAcme } from './_support/runAcme';

const FIXTURE = join(__dirname, '..', 'fixtures', 'homes', 'layout1');
const NODE = 'layout1-node';
const ALPHA = { name: 'alpha.example.test', serial: '40ACE159B3D1C9F4' };
const BETA = { name: 'beta.example.test', serial: '7A3C81C0229201C1' };
/** The HAProxy the previous release deployed alpha to (gone since): its deploy state must survive. */
const OLD_ENDPOINT = 'unix@/tmp/haproxy-acme-standalone-HC8FxN/admin.sock';

/** Every regular file and symlink under `root`, with its content or target. */
async function files(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const stat = await lstat(path);
      if (stat.isDirectory()) await walk(path);
      else out[relative(root, path)] = stat.isSymbolicLink() ? 'symlink' : await readFile(path, 'utf8');
    }
  }
  await walk(root);
  return out;
}

/** Git keeps no modes: 0700 directories and 0600 files, as the previous release wrote them. */
async function restoreModes(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const stat = await lstat(path);
    if (stat.isDirectory()) await restoreModes(path);
    else if (stat.isFile()) await chmod(path, 0o600);
  }
}

describe('a home written by the previous release (layout 1)', () => {
  let peers: Peers;
  let standalone: StandaloneHaproxy;
  let home: string;
  let common: string[];
  let before: Record<string, string>;

  beforeAll(async () => {
    [peers, standalone] = await Promise.all([startPeers(), startStandaloneHaproxy()]);
    home = join(await mkdtemp(join(tmpdir(), 'haproxy-acme-layout1-')), 'home');
    await cp(FIXTURE, home, { recursive: true, verbatimSymlinks: true });
    await restoreModes(home);
    before = await files(home);
    common = [
      '--home',
      home,
      '--node',
      NODE,
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
    if (home !== undefined) await rm(join(home, '..'), { recursive: true, force: true });
  });

  test('acme list reads it as it is: both certificates, and nothing written', async () => {
    const run = await runAcme(['list', ...common]);
    expect({ code: run.code, names: [ALPHA.name, BETA.name].filter((n) => run.stdout.includes(n)) }).toEqual({
      code: 0,
      names: [ALPHA.name, BETA.name],
    });
    expect(await files(home)).toEqual(before);
  });

  test("acme list --json shows the previous release's deploy as this node's, and the ARI windows", async () => {
    const run = await runAcme(['list', '--json', ...common]);
    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout).certificates as Array<Record<string, unknown>>;
    expect(listed.map((c) => [c.name, c.serial, (c.ari as { start: string } | null)?.start, c.nodes])).toEqual([
      [
        ALPHA.name,
        ALPHA.serial,
        '2030-01-01T00:00:00.000Z',
        [
          {
            node: NODE,
            thisNode: true,
            endpoints: [
              expect.objectContaining({
                endpoint: OLD_ENDPOINT,
                status: 'deployed',
                serial: ALPHA.serial,
                method: 'add',
              }),
            ],
          },
        ],
      ],
      [BETA.name, BETA.serial, '2030-01-01T00:00:00.000Z', []],
    ]);
  });

  test('acme doctor checks it without failing on its files', async () => {
    const run = await runAcme(['doctor', '--json', ...common, '--preflight', 'off', '--local-ports', '1']);
    const checks = (JSON.parse(run.stdout) as { checks: Array<{ id: string; status: string }> }).checks;
    expect(checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual([]);
  });

  test('acme renew with nothing due exits 0, renews nothing, and migrates the home to layout 2', async () => {
    const run = await runAcme(['renew', '--json', ...common]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const outcomes = JSON.parse(run.stdout).certificates as Array<{ name: string; decision: { due: boolean } }>;
    expect(outcomes.map((o) => [o.name, o.decision.due])).toEqual([
      [ALPHA.name, false],
      [BETA.name, false],
    ]);
    expect(JSON.parse(await readFile(join(home, 'layout.json'), 'utf8'))).toEqual({ layout: 2 });
  });

  test('acme deploy puts both into a running HAProxy and records them under this node, next to the old record', async () => {
    const run = await runAcme([
      'deploy',
      '--json',
      ...common,
      '--haproxy-socket',
      standalone.adminSocket,
      '--haproxy-crt-list',
      standalone.crtList,
    ]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect([
      await servedSerial(standalone.httpsPort, ALPHA.name),
      await servedSerial(standalone.httpsPort, BETA.name),
    ]).toEqual([ALPHA.serial, BETA.serial]);
    const alpha = JSON.parse(await readFile(join(home, 'deploy', `${ALPHA.name}.json`), 'utf8'));
    expect(Object.keys(alpha.nodes)).toEqual([NODE]);
    expect(Object.keys(alpha.nodes[NODE].endpoints).sort()).toEqual(
      [OLD_ENDPOINT, `unix@${standalone.adminSocket}`].sort(),
    );
  });

  test('nothing stored was lost: accounts, certificates, versions and bundles are byte-identical, every file is still there', async () => {
    const after = await files(home);
    const kept = Object.keys(before).filter((f) => /^(accounts|certificates|haproxy)\//.test(f));
    expect({
      missing: Object.keys(before).filter((f) => !(f in after)),
      changed: kept.filter((f) => after[f] !== before[f]),
      layout: after['layout.json'],
    }).toEqual({ missing: [], changed: [], layout: '{\n  "layout": 2\n}\n' });
  });
});
