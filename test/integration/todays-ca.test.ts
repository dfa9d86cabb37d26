/**
 * Certificates as today's CAs issue them, end to end: the built CLI against the run's pebble and
 * HAProxy (Debian's pebble 2.4 and HAProxy 2.6 by default; pebble 2.7 and HAProxy 3.0 through
 * ACME_TEST_PEBBLE and ACME_TEST_HAPROXY). pebble 2.7 issues leaves with an empty subject, as Let's
 * Encrypt does under its tlsserver and shortlived profiles, and offers profiles; 2.4 puts the
 * first name in the subject and offers none. Each test asserts what the run's pebble does.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerVersions, servedSerial, startPeers, type Peers } from '../peers';
import { runAcme, type AcmeRun } from './_support/runAcme';

jest.setTimeout(120_000);

const SHORTLIVED_SECONDS = 518_400;
/** Whether the run's pebble offers profiles (2.7) or not (2.4): the same binaries as the run's shared peers. */
const OFFERS_PROFILES = peerVersions().pebble.profiles;

function expectExit(run: AcmeRun, code: number): void {
  expect({ code: run.code, stderr: run.code === code ? '' : run.stderr }).toEqual({ code, stderr: '' });
}

/** The leaf of a bundle file. */
async function leafOf(path: string): Promise<X509Certificate> {
  const pem = await readFile(path, 'utf8');
  return new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0]);
}

/** `show ssl cert <path>` on HAProxy's runtime socket: the serial it holds for that path. */
function heldSerial(socket: string, path: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const connection = createConnection(socket, () => connection.end(`show ssl cert ${path}\n`));
    connection.setTimeout(10_000, () => connection.destroy(new Error(`No reply from "${socket}" within 10 s`)));
    connection.on('data', (chunk: Buffer) => (reply += chunk.toString('utf8')));
    connection.once('error', reject);
    connection.once('close', () => resolve(/^Serial: (\S+)$/m.exec(reply)?.[1]));
  });
}

describe("certificates as today's CAs issue them, from the built CLI, served by HAProxy", () => {
  let peers: Peers;
  let home: string;
  let common: string[];
  const base = `today-${process.pid}.example.test`;

  beforeAll(async () => {
    peers = await startPeers();
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-today-'));
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
  });
  afterAll(async () => {
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme issue stores and serves the certificate, without a subject where the CA issues none', async () => {
    const run = await runAcme(['issue', '-d', base, '-d', `www.${base}`, '--json', ...common]);

    expectExit(run, 0);
    const { certificate } = JSON.parse(run.stdout) as { certificate: { serial: string; paths: { bundle: string } } };
    const leaf = await leafOf(certificate.paths.bundle);
    // Node 20 gives undefined for an empty subject, Node 24 ''.
    expect([leaf.subject ?? '', leaf.subjectAltName]).toEqual([
      OFFERS_PROFILES ? '' : `CN=${base}`,
      `DNS:${base}, DNS:www.${base}`,
    ]);
    expect(await servedSerial(peers.haproxyHttpsPort, `www.${base}`)).toBe(certificate.serial);
    const list = await runAcme(['list', '--json', '--home', home]);
    expect(JSON.parse(list.stdout)).toMatchObject({ certificates: [{ name: base, serial: certificate.serial }] });
  });

  test('acme issue --profile shortlived gets a 6-day certificate that HAProxy serves where the CA offers profiles, and is refused before any order where it offers none', async () => {
    const name = `short.${base}`;
    const run = await runAcme(['issue', '-d', name, '--profile', 'shortlived', '--json', ...common]);

    /** What the run shows, in the terms of both expectations below. */
    const observed = async (): Promise<Record<string, unknown>> => {
      if (run.code !== 0) return { code: run.code, refusal: /^Error: .*$/m.exec(run.stderr)?.[0] };
      const { certificate } = JSON.parse(run.stdout) as {
        certificate: { serial: string; notBefore: string; notAfter: string };
      };
      const meta = JSON.parse(await readFile(join(home, 'certificates', name, 'meta.json'), 'utf8')) as {
        profile?: string;
      };
      return {
        code: run.code,
        shortlived: (Date.parse(certificate.notAfter) - Date.parse(certificate.notBefore)) / 1000 <= SHORTLIVED_SECONDS,
        served: (await servedSerial(peers.haproxyHttpsPort, name)) === certificate.serial,
        profile: meta.profile,
      };
    };
    expect(await observed()).toEqual(
      OFFERS_PROFILES
        ? { code: 0, shortlived: true, served: true, profile: 'shortlived' }
        : {
            code: 1,
            refusal:
              'Error: Cannot create an order with profile "shortlived": the CA offers no profiles; omit the profile',
          },
    );
  });

  test('acme renew --force renews the certificate and HAProxy serves the new one', async () => {
    const before = await servedSerial(peers.haproxyHttpsPort, base);

    const run = await runAcme(['renew', '--force', '--name', base, '--json', ...common]);

    expectExit(run, 0);
    const [outcome] = JSON.parse(run.stdout).certificates as Array<{ renewed: { serial: string } }>;
    expect(outcome!.renewed.serial).not.toBe(before);
    expect(await servedSerial(peers.haproxyHttpsPort, base)).toBe(outcome!.renewed.serial);
  });

  test('acme issue -d 127.0.0.1 stores an IP certificate (shortlived where offered) that HAProxy holds', async () => {
    const run = await runAcme(['issue', '-d', '127.0.0.1', '--json', ...common]);

    expectExit(run, 0);
    const { certificate } = JSON.parse(run.stdout) as {
      certificate: { serial: string; notBefore: string; notAfter: string; paths: { bundle: string } };
    };
    const leaf = await leafOf(certificate.paths.bundle);
    expect([leaf.subjectAltName, leaf.checkIP('127.0.0.1')]).toEqual(['IP Address:127.0.0.1', '127.0.0.1']);
    expect((Date.parse(certificate.notAfter) - Date.parse(certificate.notBefore)) / 1000).toBeLessThanOrEqual(
      OFFERS_PROFILES ? SHORTLIVED_SECONDS : Infinity,
    );
    // A TLS client connecting to an IP sends no SNI and gets the bind's default certificate; HAProxy holds this one.
    expect(await heldSerial(peers.haproxyAdminSocket, certificate.paths.bundle)).toBe(certificate.serial);
    expect(await readFile(peers.haproxyCrtList, 'utf8')).toContain(`${certificate.paths.bundle}\n`);
  });
});
