/**
 * IP address identifiers (RFC 8738) end to end: the built CLI orders `-d 127.0.0.1` and `-d ::1` from
 * real pebble, whose VA validates HTTP-01 at `http://<ip>:<HAProxy HTTP port>/` through the real
 * HAProxy of the peers into our responder, and stores certificates with IP Address SANs.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeIpv6Loopback, hasIpv6Loopback, startPeers, type Ipv6LoopbackBridge, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

if (!hasIpv6Loopback)
  console.warn('Skipping the ::1 issuance in ip-identifiers.test.ts: this machine has no IPv6 loopback address');
// STYLE §5: a machine without what the test needs skips it with a message.
const testIfIpv6 = hasIpv6Loopback ? test : test.skip;

/** The leaf (first certificate) of a stored PEM file. */
async function leafOf(path: string): Promise<X509Certificate> {
  const pem = await readFile(path, 'utf8');
  return new X509Certificate(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
}

describe('acme issue for IP addresses against pebble through HAProxy', () => {
  let peers: Peers;
  let home: string;
  let common: string[];
  let bridge: Ipv6LoopbackBridge | undefined;

  beforeAll(async () => {
    peers = await startPeers();
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-ip-home-'));
    common = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
    ];
    if (hasIpv6Loopback) bridge = await bridgeIpv6Loopback(Number(new URL(peers.haproxyHttpUrl).port));
  });

  afterAll(async () => {
    if (bridge !== undefined) await new Promise<void>((resolve) => bridge!.server.close(() => resolve()));
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme issue -d 127.0.0.1 stores a certificate named 127.0.0.1 for IP Address:127.0.0.1', async () => {
    const run = await runAcme(['issue', '-d', '127.0.0.1', '--json', ...common]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      certificate: { name: '127.0.0.1', domains: ['127.0.0.1'] },
    });

    const leaf = await leafOf(join(home, 'haproxy', '127.0.0.1.pem'));
    expect([leaf.subjectAltName, leaf.checkIP('127.0.0.1')]).toEqual(['IP Address:127.0.0.1', '127.0.0.1']);
  });

  testIfIpv6(
    'acme issue -d [::1] stores a certificate named ip6---1 for IP Address ::1, validated over IPv6',
    async () => {
      const before = bridge!.connections;
      const run = await runAcme(['issue', '-d', '[0:0:0:0:0:0:0:1]', '--json', ...common]);
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, certificate: { name: 'ip6---1', domains: ['::1'] } });

      const leaf = await leafOf(join(home, 'haproxy', 'ip6---1.pem'));
      // Node prints IPv6 SANs uncompressed.
      expect([leaf.subjectAltName, leaf.checkIP('::1')]).toEqual(['IP Address:0:0:0:0:0:0:0:1', '::1']);
      // pebble's VA dialled [::1]:<HTTP port>: only the bridge listens there.
      expect(bridge!.connections).toBeGreaterThan(before);
    },
  );

  test('acme issue refuses an IPv6 zone ID before contacting the CA, with exit code 2', async () => {
    const run = await runAcme(['issue', '-d', 'fe80::1%eth0', ...common]);
    expect([run.code, run.stderr]).toEqual([
      2,
      expect.stringContaining('Invalid --domain "fe80::1%eth0": an IPv6 zone ID cannot be certified; remove "%eth0"'),
    ]);
  });
});
