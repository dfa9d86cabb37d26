/**
 * Concurrency: five `acme renew` runs started at once on one `--home`, with two
 * certificates due (by their ARI window) and one not. The home lock lets one run renew; the others
 * wait for it, then find nothing due. Orders are counted by the ARI proxy in front of real pebble,
 * which records every newOrder; HAProxy must serve the one new certificate of each due name.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ariCertId } from '../../src/pem';
import { servedSerial, startAriProxy, startPeers, type AriProxy, type Peers } from '../peers';
import { checkHome, currentSerial, normaliseSerial, snapshotCertificate } from './_support/crashHome';
import { runAcme } from './_support/runAcme';

const HOUR_MS = 3_600_000;
const RUNS = 5;

interface Outcome {
  name: string;
  decision: { due: boolean; reason: string };
  renewed?: { serial: string };
}

describe('five acme renew runs at once on one home', () => {
  let peers: Peers;
  let proxy: AriProxy;
  let home: string;
  let common: string[];
  const due = [`due-a-${process.pid}.example.test`, `due-b-${process.pid}.example.test`];
  const notDue = `notdue-${process.pid}.example.test`;

  beforeAll(async () => {
    peers = await startPeers();
    proxy = await startAriProxy(peers);
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-concurrency-'));
    common = [
      '--home',
      home,
      '--directory',
      proxy.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      '--haproxy-socket',
      peers.haproxyAdminSocket,
      '--haproxy-crt-list',
      peers.haproxyCrtList,
      '--json',
    ];
    for (const name of [...due, notDue]) {
      const run = await runAcme(['issue', '-d', name, ...common]);
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    }
  });

  afterAll(async () => {
    await proxy?.stop();
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  async function certIdOf(name: string): Promise<string> {
    return ariCertId(await readFile(join(home, 'certificates', name, 'cert.pem'), 'utf8'));
  }

  test('exactly one order per due certificate; the other runs wait for the lock, then find nothing due and exit 0', async () => {
    const now = Date.now();
    for (const name of due)
      proxy.setWindow(await certIdOf(name), { start: new Date(now - 2 * HOUR_MS), end: new Date(now - HOUR_MS) });
    proxy.setWindow(await certIdOf(notDue), {
      start: new Date(now + 30 * 24 * HOUR_MS),
      end: new Date(now + 31 * 24 * HOUR_MS),
    });
    const oldSerials = await Promise.all(due.map((name) => currentSerial(home, name)));
    const ordersBefore = proxy.orders.length;

    const runs = await Promise.all(Array.from({ length: RUNS }, () => runAcme(['renew', ...common])));

    expect(runs.map((r) => ({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }))).toEqual(
      Array.from({ length: RUNS }, () => ({ code: 0, stderr: '' })),
    );
    const orders = proxy.orders.slice(ordersBefore).map((o) => o.identifiers.map((i) => i.value).join(','));
    expect(orders.sort()).toEqual([...due].sort());
    const passes = runs.map((r) => JSON.parse(r.stdout).certificates as Outcome[]);
    const renewers = passes.filter((outcomes) => outcomes.some((o) => o.renewed !== undefined));
    expect(renewers).toHaveLength(1);
    expect(
      renewers[0]!
        .filter((o) => o.renewed !== undefined)
        .map((o) => o.name)
        .sort(),
    ).toEqual([...due].sort());
    for (const waiter of passes.filter((outcomes) => !renewers.includes(outcomes))) {
      expect(waiter.map((o) => ({ name: o.name, due: o.decision.due, renewed: o.renewed }))).toEqual(
        [...due, notDue].sort().map((name) => ({ name, due: false, renewed: undefined })),
      );
    }
    for (const [i, name] of due.entries()) {
      const stored = await currentSerial(home, name);
      expect(stored).not.toBe(oldSerials[i]);
      expect(normaliseSerial(await servedSerial(peers.haproxyHttpsPort, name))).toBe(stored);
    }
    const settled = new Map(
      await Promise.all([...due, notDue].map(async (name) => [name, await snapshotCertificate(home, name)] as const)),
    );
    expect(await checkHome(home, { before: settled, settled: true })).toEqual([]);
  });
});
