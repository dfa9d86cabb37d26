/**
 * Certificate and account lifecycle end to end against real pebble and a real HAProxy:
 * `acme revoke` (checked in pebble's management API), `acme remove` (checked by a TLS handshake
 * with HAProxy, the crt-list file and the archive), `acme account show` and `acme account
 * rollover` followed by an issuance signed with the new key.
 */
import { readFile, readdir, rm, mkdtemp } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servedSerial, startPeers, type Peers } from '../peers';
import { runAcme, type AcmeRun } from './_support/runAcme';

/** GET on pebble's management interface, trusting its self-signed certificate. */
function managementGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** The run's outcome in one comparable value: stderr only matters when it failed. */
const outcome = (run: AcmeRun) => ({ code: run.code, stderr: run.code === 0 ? '' : run.stderr });

describe('certificate and account lifecycle against pebble and HAProxy', () => {
  let peers: Peers;
  let home: string;
  let ca: string;
  let acmeArgs: string[];
  let haproxyArgs: string[];
  const name = `life-${process.pid}.example.test`;
  let issuedSerial: string;
  let defaultSerial: string;

  beforeAll(async () => {
    peers = await startPeers();
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-lifecycle-'));
    ca = await readFile(peers.caBundlePath, 'utf8');
    acmeArgs = ['--home', home, '--directory', peers.directoryUrl, '--ca-bundle', peers.caBundlePath];
    haproxyArgs = ['--haproxy-socket', peers.haproxyAdminSocket, '--haproxy-crt-list', peers.haproxyCrtList];
    defaultSerial = await servedSerial(peers.haproxyHttpsPort, 'nothing.example.test');
    const issued = await runAcme([
      'issue',
      '--json',
      '-d',
      name,
      ...acmeArgs,
      '--http-port',
      String(peers.responderPort),
      ...haproxyArgs,
    ]);
    expect(outcome(issued)).toEqual({ code: 0, stderr: '' });
    issuedSerial = (JSON.parse(issued.stdout) as { certificate: { serial: string } }).certificate.serial;
  });
  afterAll(async () => {
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('the issued certificate is served by SNI (precondition of the removal below)', async () => {
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(issuedSerial);
    expect(issuedSerial).not.toBe(defaultSerial);
  });

  test('acme revoke --reason superseded revokes at the CA, records it, and a second revoke is refused as alreadyRevoked', async () => {
    const run = await runAcme(['revoke', '--json', '--name', name, '--reason', 'superseded', ...acmeArgs]);
    expect(outcome(run)).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      revoked: { name, serial: issuedSerial, reason: 'superseded', reasonCode: 4 },
    });

    // Pebble prints the serial as Go's big.Int does: lower-case hex, no leading zeros.
    const pebbleSerial = issuedSerial.toLowerCase().replace(/^0+(?=.)/, '');
    const status = await managementGet(`${peers.managementUrl}/cert-status-by-serial/${pebbleSerial}`, ca);
    expect([status.status, JSON.parse(status.body)]).toEqual([
      200,
      expect.objectContaining({ Status: 'Revoked', Reason: 4 }),
    ]);

    const state = JSON.parse(await readFile(join(home, 'renewal', `${name}.json`), 'utf8')) as { revocation: object };
    expect(state.revocation).toMatchObject({ serial: issuedSerial, reason: 'superseded', reasonCode: 4 });

    const again = await runAcme(['revoke', '--name', name, ...acmeArgs]);
    expect([again.code, again.stderr]).toEqual([
      1,
      expect.stringContaining('urn:ietf:params:acme:error:alreadyRevoked'),
    ]);
  });

  test('acme renew treats the revoked certificate as an emergency: renewed at once and swapped into HAProxy', async () => {
    const run = await runAcme([
      'renew',
      '--json',
      '--name',
      name,
      ...acmeArgs,
      '--http-port',
      String(peers.responderPort),
      ...haproxyArgs,
    ]);
    expect(outcome(run)).toEqual({ code: 0, stderr: '' });
    const [renewal] = (
      JSON.parse(run.stdout) as {
        certificates: Array<{ decision: { reason: string; detail: string }; renewed: { serial: string } }>;
      }
    ).certificates;
    expect(renewal!.decision).toEqual({
      due: true,
      reason: 'emergency',
      detail: expect.stringContaining('the certificate was revoked on'),
    });
    expect(renewal!.renewed.serial).not.toBe(issuedSerial);
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(renewal!.renewed.serial);
  });

  test('acme remove takes it out of HAProxy (the default certificate answers its SNI), out of the crt-list, and archives the files', async () => {
    const bundle = join(home, 'haproxy', `${name}.pem`);
    expect(await readFile(peers.haproxyCrtList, 'utf8')).toContain(bundle);

    const run = await runAcme(['remove', '--json', '--name', name, ...acmeArgs, ...haproxyArgs]);

    expect(outcome(run)).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      endpoints: Array<{ outcome: string }>;
      crtListEntryRemoved: boolean;
      archive: { dir: string };
    };
    expect([result.ok, result.endpoints.map((e) => e.outcome), result.crtListEntryRemoved]).toEqual([
      true,
      ['removed'],
      true,
    ]);
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(defaultSerial);
    expect(await readFile(peers.haproxyCrtList, 'utf8')).not.toContain(bundle);
    expect((await readdir(join(home, 'archive'))).filter((d) => d.startsWith(`${name}-`))).toHaveLength(1);
    expect(await readFile(join(result.archive.dir, 'haproxy', `${name}.pem`), 'utf8')).toContain('PRIVATE KEY');
    await expect(readFile(bundle)).rejects.toThrow('ENOENT');

    const list = await runAcme(['list', '--json', ...acmeArgs]);
    expect(
      (JSON.parse(list.stdout) as { certificates: Array<{ name: string }> }).certificates.map((c) => c.name),
    ).not.toContain(name);
  });

  test('acme account show prints URL, contact, key type and thumbprint, never the key; rollover changes the key and issuance keeps working', async () => {
    const show = await runAcme(['account', 'show', '--json', ...acmeArgs]);
    expect(outcome(show)).toEqual({ code: 0, stderr: '' });
    const before = (JSON.parse(show.stdout) as { account: { accountUrl: string; keyThumbprint: string } }).account;
    expect(before).toMatchObject({
      accountUrl: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\//),
      keyType: 'ec256',
      registeredAtCa: true,
      pendingRollover: false,
    });
    expect(show.stdout).not.toContain('PRIVATE KEY');

    const rollover = await runAcme(['account', 'rollover', '--json', ...acmeArgs]);
    expect(outcome(rollover)).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(rollover.stdout)).toMatchObject({
      ok: true,
      rollover: { accountUrl: before.accountUrl, previousKeyThumbprint: before.keyThumbprint, recovered: false },
    });

    const after = (
      JSON.parse((await runAcme(['account', 'show', '--json', ...acmeArgs])).stdout) as {
        account: { accountUrl: string; keyThumbprint: string; registeredAtCa: boolean };
      }
    ).account;
    expect([after.accountUrl, after.keyThumbprint === before.keyThumbprint, after.registeredAtCa]).toEqual([
      before.accountUrl,
      false,
      true,
    ]);

    const other = `after-rollover-${process.pid}.example.test`;
    const issued = await runAcme([
      'issue',
      '--json',
      '-d',
      other,
      ...acmeArgs,
      '--http-port',
      String(peers.responderPort),
    ]);
    expect(outcome(issued)).toEqual({ code: 0, stderr: '' });
    expect(
      (JSON.parse(issued.stdout) as { certificate: { accountUrl: string; accountReused: boolean } }).certificate,
    ).toMatchObject({ accountUrl: before.accountUrl, accountReused: true });
  });
});
