/** `acme issue --dual`: an ECDSA and an RSA certificate for the same name, both live in HAProxy, chosen per client. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type ConnectionOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPeers, startStandaloneHaproxy, type Peers, type StandaloneHaproxy } from '../peers';
import { runAcme } from './_support/runAcme';

/** Key kind and serial of what HAProxy serves to a client with these TLS options. */
function served(port: number, options: ConnectionOptions): Promise<{ kind: 'ec' | 'rsa'; serial: string }> {
  return new Promise((done, fail) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, timeout: 5000, ...options }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      done({ kind: peer.asn1Curve !== undefined ? 'ec' : 'rsa', serial: peer.serialNumber.toUpperCase() });
    });
    socket.once('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', fail);
  });
}

describe('acme issue --dual', () => {
  let peers: Peers;
  let haproxy: StandaloneHaproxy;
  let home: string;

  beforeAll(async () => {
    [peers, haproxy] = await Promise.all([startPeers(), startStandaloneHaproxy()]);
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-dual-'));
  });
  afterAll(async () => {
    await Promise.all([peers?.stop(), haproxy?.stop()]);
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme issue --dual stores and deploys an ECDSA and an RSA certificate; each client type gets its own', async () => {
    const name = `dual-${process.pid}.example.test`;
    const run = await runAcme([
      'issue',
      '-d',
      name,
      '--dual',
      '--json',
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      '--haproxy-socket',
      haproxy.adminSocket,
      '--haproxy-crt-list',
      haproxy.crtList,
    ]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const document = JSON.parse(run.stdout);
    expect(document.certificate).toMatchObject({ name, keyType: 'ec256' });
    expect(
      document.alsoIssued.map((i: { certificate: { name: string; keyType: string } }) => [
        i.certificate.name,
        i.certificate.keyType,
      ]),
    ).toEqual([[`${name}.rsa`, 'rsa2048']]);
    expect(await readFile(haproxy.crtList, 'utf8')).toBe(
      `${join(home, 'haproxy', `${name}.pem`)}\n${join(home, 'haproxy', `${name}.rsa.pem`)}\n`,
    );

    // A default client offers ECDSA; a TLS 1.2 client with RSA-only ciphers cannot use it.
    expect(await served(haproxy.httpsPort, { servername: name })).toEqual({
      kind: 'ec',
      serial: document.certificate.serial,
    });
    expect(
      await served(haproxy.httpsPort, {
        servername: name,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      }),
    ).toEqual({
      kind: 'rsa',
      serial: document.alsoIssued[0].certificate.serial,
    });
  });
});
