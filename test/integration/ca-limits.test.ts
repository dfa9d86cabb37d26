/**
 * The built CLI against a CA that breaks RFC 8555 in ways that cost a client its memory or its
 * liveness, through the fault proxy (test/peers/_fault-proxy.ts) in front of REAL pebble, with a
 * certificate already issued and served by the REAL HAProxy of the peers: an order listing
 * 100,000 authorization URLs, newAccount answered without `Location`, and a CA that stalls past
 * the command's deadline (`--timeout`), also under `acme daemon`. Every case ends with exit code
 * 1 and a message that names the CA's misbehaviour or the step, the previous certificate intact
 * on disk and in HAProxy, and no lock file left behind.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servedSerial, startFaultProxy, startPeers, type FaultProxy, type Peers } from '../peers';
import { runAcme, type AcmeRun } from './_support/runAcme';
import { runDaemonUntilFirstPass } from './_support/runDaemon';

const ERR = 'urn:ietf:params:acme:error:';
const NO_LOCATION =
  'the CA answered newAccount without a Location header (RFC 8555 §7.3), so the account URL is unknown';
const RAISE = 'raise --timeout (ACME_TIMEOUT, snap option acme-timeout) if the CA is slow';
/** Longer than any deadline below: a run that does not stop by itself is killed at this point and fails its test. */
const RUN_KILL_MS = 60_000;

/** The `error` of the one certificate in a `renew --json` document, or of a failed command's document. */
function errorOf(run: AcmeRun): string {
  const document = JSON.parse(run.stdout) as { certificates?: Array<{ error?: string }>; error?: { message: string } };
  return document.certificates?.[0]?.error ?? document.error?.message ?? '';
}

describe('acme against a CA that breaks RFC 8555 stops cleanly and keeps the certificate', () => {
  let peers: Peers;
  let proxy: FaultProxy;
  let home: string;
  let common: string[];
  const name = `limits-${process.pid}.example.test`;

  async function storedSerial(certificate = name): Promise<string> {
    return new X509Certificate(
      await readFile(join(home, 'certificates', certificate, 'cert.pem'), 'utf8'),
    ).serialNumber.toUpperCase();
  }

  async function issue(certificate: string): Promise<string> {
    const run = await runAcme(['issue', '-d', certificate, ...common]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    return storedSerial(certificate);
  }

  beforeAll(async () => {
    peers = await startPeers();
    proxy = await startFaultProxy(peers);
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-ca-limits-'));
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
    await issue(name);
  });
  afterEach(() => {
    proxy?.setFaults([]);
  });
  afterAll(async () => {
    await proxy?.stop();
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme renew --force refuses an order listing 100,000 authorizations before fetching any of them', async () => {
    const serial = await storedSerial();
    const authorizationsBefore = proxy.countOf('authorization');
    proxy.setFaults([{ resource: 'newOrder', fault: { kind: 'authorizations', count: 100_000 } }]);

    const run = await runAcme(['renew', '--name', name, '--force', '--json', ...common], { timeoutMs: RUN_KILL_MS });

    expect([run.code, errorOf(run)]).toEqual([
      1,
      `Cannot create an order for "${name}": the CA's order lists 100000 authorizations for 1 identifier; RFC 8555 §7.4 allows at most one per identifier`,
    ]);
    expect([proxy.injectedAuthorizationRequests(), proxy.countOf('authorization') - authorizationsBefore]).toEqual([
      0, 0,
    ]);
    expect(await storedSerial()).toBe(serial);
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(serial);
    expect(existsSync(join(home, 'lock'))).toBe(false);
  });

  test('acme issue on a new home fails after one newAccount POST when the CA answers it without Location', async () => {
    const freshHome = await mkdtemp(join(tmpdir(), 'haproxy-acme-ca-limits-fresh-'));
    try {
      const postsBefore = proxy.countOf('newAccount', 'POST');
      proxy.setFaults([{ resource: 'newAccount', fault: { kind: 'noLocation' } }]);
      const args = [
        'issue',
        '-d',
        `fresh-${process.pid}.example.test`,
        '--home',
        freshHome,
        '--directory',
        proxy.directoryUrl,
        '--ca-bundle',
        peers.caBundlePath,
        '--http-port',
        String(peers.responderPort),
      ];

      const run = await runAcme(args, { timeoutMs: RUN_KILL_MS });

      expect([run.code, run.stderr.includes(`Error: Cannot register the ACME account: ${NO_LOCATION}`)]).toEqual([
        1,
        true,
      ]);
      expect(proxy.countOf('newAccount', 'POST') - postsBefore).toBe(1);
      expect(existsSync(join(freshHome, 'lock'))).toBe(false);
    } finally {
      await rm(freshHome, { recursive: true, force: true });
    }
  });

  test('acme renew --force stops at the first newAccount 200 without Location when the CA forgot the stored account', async () => {
    const serial = await storedSerial();
    const seen = proxy.requests.length;
    const postsBefore = proxy.countOf('newAccount', 'POST');
    // The account lookup (onlyReturnExisting) is told "no such account"; the registration that follows gets 200 without Location.
    proxy.setFaults([
      {
        resource: 'newAccount',
        nth: 1,
        fault: { kind: 'status', status: 400, problemType: `${ERR}accountDoesNotExist` },
      },
      { resource: 'newAccount', fault: { kind: 'noLocation' } },
    ]);

    // --timeout: without the Location check this run would loop until it, not until RUN_KILL_MS.
    const run = await runAcme(['renew', '--name', name, '--force', '--json', '--timeout', '30s', ...common], {
      timeoutMs: RUN_KILL_MS,
    });

    expect([run.code, errorOf(run)]).toEqual([
      1,
      `Cannot register the ACME account: ${NO_LOCATION}; report this to the CA or use another directory`,
    ]);
    const withoutLocation = proxy.requests
      .slice(seen)
      .filter((r) => r.resource === 'newAccount' && r.fault === 'noLocation');
    expect([proxy.countOf('newAccount', 'POST') - postsBefore, withoutLocation.length]).toEqual([2, 1]);
    expect(await storedSerial()).toBe(serial);
    expect(existsSync(join(home, 'lock'))).toBe(false);
  });

  test('acme renew --force --timeout 2s against a CA that stalls stops by itself: exit 1, the step named, the lock released', async () => {
    const serial = await storedSerial();
    proxy.setFaults([{ resource: 'newOrder', fault: { kind: 'slow', delayMs: 60_000 } }]);

    // --request-timeout above the stall: only the command's deadline can end this run.
    const run = await runAcme(
      ['renew', '--name', name, '--force', '--json', '--timeout', '2s', '--request-timeout', '120000', ...common],
      { timeoutMs: RUN_KILL_MS },
    );

    const document = JSON.parse(run.stdout) as {
      ok: boolean;
      error: { code: string; message: string; retryable: boolean };
    };
    expect([run.code, document.error]).toEqual([
      1,
      expect.objectContaining({
        code: 'DEADLINE_EXCEEDED',
        retryable: true,
        message: `Cannot finish within 2s (--timeout): it was still trying to create an order for "${name}"; ${RAISE}`,
      }),
    ]);
    expect(run.stderr).toContain('"message":"The command ran past its deadline; stopping it"');
    expect(existsSync(join(home, 'lock'))).toBe(false);
    expect(await storedSerial()).toBe(serial);
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(serial);
  });

  test('acme daemon: a pass stuck on a stalling CA ends at its deadline, and the daemon carries on and stops on SIGTERM', async () => {
    const stuck = `daemon-${process.pid}.example.test`;
    const serial = await issue(stuck);
    proxy.setFaults([{ resource: 'newOrder', fault: { kind: 'slow', delayMs: 60_000 } }]);
    // A key type other than the stored one makes this certificate due at once (a configuration change).
    const args = [
      '--schedule',
      '0 0 1 1 *',
      '-d',
      stuck,
      '--key-type',
      'ec384',
      '--timeout',
      '2s',
      '--request-timeout',
      '120000',
      ...common,
    ];
    const {
      exitCode,
      stderr,
      atFirstPass: lockLeft,
    } = await runDaemonUntilFirstPass(args, {
      timeoutMs: RUN_KILL_MS,
      atFirstPass: () => existsSync(join(home, 'lock')),
    });

    const lines = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((l) => l.message === 'Renewal pass finished')).toMatchObject({ exitCode: 1 });
    expect(stderr).toContain(
      `Error: Cannot finish within 2s (--timeout): it was still trying to create an order for "${stuck}"; ${RAISE}`,
    );
    expect([lockLeft, exitCode]).toEqual([false, 0]);
    expect(await storedSerial(stuck)).toBe(serial);
  });
});
