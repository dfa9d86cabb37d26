/**
 * RFC 8555 §6.5 badNonce: with pebble rejecting half of all nonces
 * (PEBBLE_WFE_NONCEREJECT=50), 20 issuances in a row all succeed. They are 20 separate
 * `acme issue` runs, one certificate each, one after the other, through the fault proxy without
 * faults, which only records pebble's answers so that the test can show the rejections happened.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultProxy, startPeers, type FaultProxy, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

const ISSUANCES = 20;

describe('acme issue with PEBBLE_WFE_NONCEREJECT=50', () => {
  let peers: Peers;
  let proxy: FaultProxy;
  let home: string;

  beforeAll(async () => {
    peers = await startPeers({ nonceRejectPercent: 50 });
    proxy = await startFaultProxy(peers);
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-nonce-'));
  });
  afterAll(async () => {
    await proxy?.stop();
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  // 20 CLI runs: about 45 s on an idle 2-core machine, so the budget is above the 120 s default.
  test(`acme issue succeeds ${ISSUANCES} times in a row while pebble rejects 50% of nonces`, async () => {
    const common = [
      '--home',
      home,
      '--directory',
      proxy.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
    ];
    const serials: string[] = [];
    const failures: string[] = [];
    for (let i = 1; i <= ISSUANCES; i += 1) {
      const name = `n${i}-${process.pid}.nonce.example.test`;
      const run = await runAcme(['issue', '-d', name, '--json', ...common]);
      if (run.code !== 0) {
        failures.push(`${name}: exit ${String(run.code)}: ${run.stderr}`);
        continue;
      }
      const bundle = await readFile(join(home, 'haproxy', `${name}.pem`), 'utf8');
      const serial = new X509Certificate(bundle).serialNumber.toUpperCase();
      expect(serial).toBe(JSON.parse(run.stdout).certificate.serial);
      serials.push(serial);
    }
    expect(failures).toEqual([]);
    expect(new Set(serials).size).toBe(ISSUANCES);
    // pebble answers a rejected nonce with HTTP 400 badNonce: without rejections this proves nothing.
    expect(proxy.requests.filter((r) => r.method === 'POST' && r.status === 400).length).toBeGreaterThanOrEqual(
      ISSUANCES,
    );
  }, 300_000);
});
