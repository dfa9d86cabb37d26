/** RFC 8555 §6.5 badNonce: with pebble rejecting half of all nonces, issuance still succeeds. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { findMissingPeerBinaries, startPeers, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

const describeIfPeers = findMissingPeerBinaries().length === 0 || process.env.CI ? describe : describe.skip;

describeIfPeers('acme issue with PEBBLE_WFE_NONCEREJECT=50', () => {
  let peers: Peers;
  let home: string;

  beforeAll(async () => {
    peers = await startPeers({ nonceRejectPercent: 50 });
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-nonce-'));
  });
  afterAll(async () => {
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme issue succeeds three times in a row while pebble rejects 50% of nonces', async () => {
    const common = ['--home', home, '--directory', peers.directoryUrl, '--ca-bundle', peers.caBundlePath, '--http-port', String(peers.responderPort)];
    const serials: string[] = [];
    for (const label of ['n1', 'n2', 'n3']) {
      const name = `${label}-${process.pid}.nonce.example.test`;
      const run = await runAcme(['issue', '-d', name, '--json', ...common]);
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      const bundle = await readFile(join(home, 'haproxy', `${name}.pem`), 'utf8');
      serials.push(new X509Certificate(bundle).serialNumber.toUpperCase());
      expect(serials[serials.length - 1]).toBe(JSON.parse(run.stdout).certificate.serial);
    }
    expect(new Set(serials).size).toBe(3);
  });
});
