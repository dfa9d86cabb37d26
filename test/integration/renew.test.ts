/**
 * `acme renew` end to end: real pebble behind the ARI proxy (pebble 2.4 has no renewalInfo), a
 * real HAProxy serving the certificate, real deploy hooks. Renewal is made due by the ARI window
 * the test serves, never by touching the clock.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ariCertId } from '../../src/pem';
import { servedSerial, startAriProxy, startPeers, type AriProxy, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

const PROBE_HOOK = join(__dirname, '..', 'fixtures', 'hooks', 'probe-env.sh');
const HOUR_MS = 3_600_000;

describe('acme renew through ARI, into HAProxy, with hooks', () => {
  let peers: Peers;
  let proxy: AriProxy;
  let home: string;
  let common: string[];
  const due = `due-${process.pid}.example.test`;
  const notDue = `notdue-${process.pid}.example.test`;

  async function certIdOf(name: string): Promise<string> {
    return ariCertId(await readFile(join(home, 'certificates', name, 'cert.pem'), 'utf8'));
  }

  /** As if the stored window's Retry-After had passed: the next run asks the CA (the proxy) again. */
  async function forgetAriWindow(name: string): Promise<void> {
    const path = join(home, 'renewal', `${name}.json`);
    const state = JSON.parse(await readFile(path, 'utf8'));
    delete state.ari;
    await writeFile(path, JSON.stringify(state));
  }

  async function readProbe(path: string): Promise<Record<string, string>> {
    const text = await readFile(path, 'utf8');
    return Object.fromEntries(
      text
        .split('\0')
        .filter((e) => e !== '')
        .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
    );
  }

  beforeAll(async () => {
    peers = await startPeers();
    proxy = await startAriProxy(peers);
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-renew-'));
    await chmod(PROBE_HOOK, 0o755);
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
    ];
    for (const name of [due, notDue]) {
      const run = await runAcme(['issue', '-d', name, ...common]);
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    }
  });
  afterAll(async () => {
    await proxy?.stop();
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme renew renews only what ARI says is due, with replaces, swaps it into HAProxy and runs the hook with the documented environment', async () => {
    const now = Date.now();
    const dueId = await certIdOf(due);
    proxy.setWindow(dueId, { start: new Date(now - 2 * HOUR_MS), end: new Date(now - HOUR_MS) });
    proxy.setWindow(await certIdOf(notDue), {
      start: new Date(now + 30 * 24 * HOUR_MS),
      end: new Date(now + 31 * 24 * HOUR_MS),
    });
    const notDueServed = await servedSerial(peers.haproxyHttpsPort, notDue);
    const ordersBefore = proxy.orders.length;
    const probe = join(home, 'probe.env');

    const run = await runAcme(['renew', '--json', ...common, '--deploy-hook', `${PROBE_HOOK} ${probe}`]);

    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const outcomes = JSON.parse(run.stdout).certificates as Array<{
      name: string;
      decision: { due: boolean; reason: string };
      renewed?: { serial: string };
    }>;
    const byName = new Map(outcomes.map((o) => [o.name, o]));
    expect(byName.get(due)!.decision).toMatchObject({ due: true, reason: 'ari-window' });
    expect(byName.get(notDue)!.decision).toMatchObject({ due: false, reason: 'not-yet' });
    expect(byName.get(notDue)!.renewed).toBeUndefined();
    expect(proxy.orders.slice(ordersBefore).map((o) => o.replaces)).toEqual([dueId]);

    const newSerial = byName.get(due)!.renewed!.serial;
    expect(await servedSerial(peers.haproxyHttpsPort, due)).toBe(newSerial);
    expect(await servedSerial(peers.haproxyHttpsPort, notDue)).toBe(notDueServed);

    const env = await readProbe(probe);
    expect(env).toMatchObject({
      ACME_HOOK_NAME: due,
      ACME_HOOK_DOMAINS: due,
      ACME_HOOK_SERIAL: newSerial,
      ACME_HOOK_BUNDLE_PATH: join(home, 'haproxy', `${due}.pem`),
      ACME_HOOK_CERT_PATH: join(home, 'certificates', due, 'cert.pem'),
      ACME_HOOK_KEY_PATH: join(home, 'certificates', due, 'privkey.pem'),
      RENEWED_LINEAGE: join(home, 'certificates', due),
      RENEWED_DOMAINS: due,
    });
    expect(new Date(env.ACME_HOOK_NOT_AFTER!).getTime()).toBeGreaterThan(now);
  });

  test('acme renew with nothing due makes no order and runs no hook', async () => {
    const now = Date.now();
    for (const name of [due, notDue]) {
      proxy.setWindow(await certIdOf(name), {
        start: new Date(now + 30 * 24 * HOUR_MS),
        end: new Date(now + 31 * 24 * HOUR_MS),
      });
    }
    const ordersBefore = proxy.orders.length;
    const probe = join(home, 'probe-not-due.env');
    const run = await runAcme(['renew', '--json', ...common, '--deploy-hook', `${PROBE_HOOK} ${probe}`]);
    expect(run.code).toBe(0);
    expect(proxy.orders.length).toBe(ordersBefore);
    await expect(readFile(probe)).rejects.toThrow('ENOENT');
  });

  test('two concurrent acme renew runs place exactly one order for a due certificate', async () => {
    await forgetAriWindow(due);
    proxy.setWindow(await certIdOf(due), {
      start: new Date(Date.now() - 2 * HOUR_MS),
      end: new Date(Date.now() - HOUR_MS),
    });
    const ordersBefore = proxy.orders.length;
    const [a, b] = await Promise.all([
      runAcme(['renew', '--json', ...common]),
      runAcme(['renew', '--json', ...common]),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(proxy.orders.slice(ordersBefore).filter((o) => o.identifiers.some((i) => i.value === due))).toHaveLength(1);
  });

  test('a failed renewal is recorded and not retried before its backoff, then --force retries at once', async () => {
    // A CA that cannot be reached, not a broken challenge route: pebble reuses a valid
    // authorization about once in 100 orders even with PEBBLE_AUTHZREUSE=0, and then validates nothing.
    const deadCa = common.map((arg, i) => (common[i - 1] === '--directory' ? 'https://127.0.0.1:9/dir' : arg));
    const ordersBefore = proxy.orders.length;
    const failed = await runAcme(['renew', '--name', notDue, '--force', '--json', ...deadCa]);
    expect(failed.code).toBe(1);
    const failure = JSON.parse(failed.stdout).certificates[0];
    expect(failure.error).toContain('Cannot reach "https://127.0.0.1:9/dir"');
    const state = JSON.parse(await readFile(join(home, 'renewal', `${notDue}.json`), 'utf8'));
    expect(state.failure).toMatchObject({ failures: 1 });
    expect(Date.parse(state.failure.nextAttemptAt) - Date.parse(state.failure.lastFailureAt)).toBe(60_000);

    // Due by ARI now, but inside the backoff: no new order.
    await forgetAriWindow(notDue);
    proxy.setWindow(await certIdOf(notDue), {
      start: new Date(Date.now() - 2 * HOUR_MS),
      end: new Date(Date.now() - HOUR_MS),
    });
    const ordersAfterFailure = proxy.orders.length;
    expect(ordersAfterFailure).toBe(ordersBefore); // the failed attempt never reached the CA
    const waiting = await runAcme(['renew', '--name', notDue, '--json', ...common]);
    expect(waiting.code).toBe(0);
    expect(JSON.parse(waiting.stdout).certificates[0].decision).toMatchObject({ due: false, reason: 'backoff' });
    expect(proxy.orders.length).toBe(ordersAfterFailure);

    const forced = await runAcme(['renew', '--name', notDue, '--force', '--json', ...common]);
    expect(forced.code).toBe(0);
    expect(proxy.orders.length).toBe(ordersAfterFailure + 1);
    const after = JSON.parse(await readFile(join(home, 'renewal', `${notDue}.json`), 'utf8'));
    // The streak is cleared by the success; the counter and the last failure time stay (metrics).
    expect([after.failure, after.failuresTotal, after.lastFailureAt]).toEqual([
      undefined,
      1,
      state.failure.lastFailureAt,
    ]);
  });
});
