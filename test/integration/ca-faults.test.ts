/**
 * CA faults: `acme renew --force` through the fault proxy (test/peers/_fault-proxy.ts)
 * in front of REAL pebble, with a certificate already issued and served by the REAL HAProxy of the
 * peers. Every failing case must end with exit code 1, a message naming the step and the cause, the
 * previous certificate intact on disk and in HAProxy, the failure backoff recorded, and within the
 * waits it is allowed: no run sleeps longer than its configured cap.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RETRY_DELAYS_MS } from '../../src/renewal';
import {
  peerVersions,
  servedSerial,
  startFaultProxy,
  startPeers,
  type FaultProxy,
  type FaultRule,
  type Peers,
} from '../peers';
import { runAcme } from './_support/runAcme';

/** --request-timeout of every run: short, yet above what pebble needs on a loaded 2-core machine. */
const REQUEST_TIMEOUT_MS = 3_000;
/**
 * Slack on top of a case's cap for starting Node, a normal issuance against pebble and a loaded
 * 2-core CI machine. The bound proves "no unbounded or uncapped wait", not speed.
 */
const SLACK_MS = 30_000;
const ERR = 'urn:ietf:params:acme:error:';

/** One CA fault: what breaks, what the error must say, and the longest the run may wait because of it. */
interface FailureCase {
  title: string;
  rules: FaultRule[];
  /** Refuse every connection from the start of the run. Default: false. */
  refuseFromStart?: boolean;
  /** Substrings the error MUST contain, in order: the step, then the cause. */
  expected: (name: string, proxyBase: string) => string[];
  /** The waits this fault is allowed to cause, from configured caps (request timeout, Retry-After cap). */
  capMs: number;
  /** The CA's Retry-After in seconds, which the failure backoff honours up to a day. Default: none. */
  retryAfterS?: number;
}

const FAILURES: FailureCase[] = [
  {
    title: 'connections refused from the start',
    rules: [],
    refuseFromStart: true,
    // renew looks the account up before it orders: the first request that needs the CA fails.
    expected: (_name, base) => [
      `Cannot reach "${base}/dir" to look up the ACME account: ECONNREFUSED (connection refused)`,
    ],
    capMs: 0,
  },
  {
    title: 'connections refused after the newOrder',
    rules: [{ resource: 'newOrder', nth: 1, fault: { kind: 'refuse' } }],
    expected: (name, base) => [
      `Cannot reach "${base}/`,
      `to fetch the authorizations for "${name}": ECONNREFUSED (connection refused)`,
    ],
    capMs: 0,
  },
  {
    title: 'the connection reset in the middle of the finalize response',
    rules: [{ resource: 'finalize', fault: { kind: 'reset' } }],
    expected: (name, base) => [
      `Cannot reach "${base}/finalize-order/`,
      `to finalize the order for "${name}": the connection broke in the middle of its HTTP 200 answer`,
    ],
    capMs: 0,
  },
  {
    title: 'HTTP 500 serverInternal on newOrder',
    rules: [{ resource: 'newOrder', fault: { kind: 'status', status: 500 } }],
    expected: (name) => [`Cannot create an order for "${name}": Fault proxy answered HTTP 500 (${ERR}serverInternal)`],
    capMs: 0,
  },
  {
    title: 'HTTP 503 with Retry-After on finalize',
    rules: [{ resource: 'finalize', fault: { kind: 'status', status: 503, retryAfter: '120' } }],
    expected: (name) => [
      `Cannot finalize the order for "${name}": Fault proxy answered HTTP 503 (${ERR}serverInternal)`,
    ],
    capMs: 0,
    retryAfterS: 120,
  },
  {
    title: 'HTTP 503 HTML page without Retry-After on newOrder',
    rules: [{ resource: 'newOrder', fault: { kind: 'status', status: 503, html: true } }],
    expected: (name, base) => [`Cannot create an order for "${name}": "${base}/order-plz" answered HTTP 503`],
    capMs: 0,
  },
  {
    title: 'HTTP 429 rateLimited with a huge Retry-After on newOrder',
    rules: [{ resource: 'newOrder', fault: { kind: 'status', status: 429, retryAfter: '999999999' } }],
    expected: (name) => [`Cannot create an order for "${name}": Fault proxy answered HTTP 429 (${ERR}rateLimited)`],
    capMs: 0,
    retryAfterS: 999999999,
  },
  {
    title: 'HTTP 429 with a huge Retry-After on every directory GET',
    rules: [{ resource: 'directory', fault: { kind: 'status', status: 429, retryAfter: '86400' } }],
    expected: () => [`Cannot look up the ACME account: Fault proxy answered HTTP 429 (${ERR}rateLimited)`],
    capMs: 0,
    retryAfterS: 86400,
  },
  {
    title: 'HTTP 503 with Retry-After: 1 on every directory GET (retried, then given up)',
    rules: [{ resource: 'directory', fault: { kind: 'status', status: 503, retryAfter: '1' } }],
    expected: () => [`Cannot look up the ACME account: Fault proxy answered HTTP 503 (${ERR}serverInternal)`],
    // Two reads of the directory (ARI, then the account), each retried twice after Retry-After.
    capMs: 2 * 2 * 1_000,
    retryAfterS: 1,
  },
  {
    title: 'HTTP 429 with a huge Retry-After on the first authorization poll',
    rules: [{ resource: 'authorization', nth: 2, fault: { kind: 'status', status: 429, retryAfter: '86400' } }],
    expected: (name) => [`Cannot validate "${name}" over HTTP-01: Fault proxy answered HTTP 429 (${ERR}rateLimited)`],
    // Above DEFAULT_POLL_POLICY.retryAfterCapMs: not waited for at all (it was: 30 s, then a new poll).
    capMs: 0,
    retryAfterS: 86400,
  },
  {
    title: 'newOrder answered slower than the request timeout',
    rules: [{ resource: 'newOrder', fault: { kind: 'slow', delayMs: 20_000 } }],
    expected: (name, base) => [
      `Cannot create an order for "${name}": "${base}/order-plz" did not answer within ${REQUEST_TIMEOUT_MS} ms`,
    ],
    capMs: REQUEST_TIMEOUT_MS,
  },
  {
    title: 'finalize answered one byte at a time, slower in total than the request timeout',
    rules: [{ resource: 'finalize', fault: { kind: 'trickle', intervalMs: 400 } }],
    expected: (name, base) => [
      `Cannot finalize the order for "${name}": "${base}/finalize-order/`,
      `did not answer within ${REQUEST_TIMEOUT_MS} ms`,
    ],
    capMs: REQUEST_TIMEOUT_MS,
  },
  {
    title: 'truncated JSON from newOrder',
    rules: [{ resource: 'newOrder', fault: { kind: 'truncate' } }],
    // The first newOrder is cut. Pebble 2.4 ignores `replaces` and creates the order (201). Pebble
    // 2.7 checks it: the reset finalize above completed a replacement of the stored certificate,
    // so it refuses this one with 409 (the renewal would place it again without `replaces`).
    expected: (name, base) => [
      `Cannot create an order for "${name}": "${base}/order-plz" answered HTTP ${peerVersions().pebble.ari ? 409 : 201} with JSON that does not parse`,
    ],
    capMs: 0,
  },
  {
    title: 'truncated JSON from finalize',
    rules: [{ resource: 'finalize', fault: { kind: 'truncate' } }],
    expected: (name, base) => [
      `Cannot finalize the order for "${name}": "${base}/finalize-order/`,
      'answered HTTP 200 with JSON that does not parse',
    ],
    capMs: 0,
  },
];

/** Faults a renewal rides out: it succeeds, and the new certificate is served. */
const ABSORBED: Array<{ title: string; rules: FaultRule[]; capMs: number }> = [
  {
    title: 'one HTTP 503 with Retry-After: 1 on the order poll after finalize',
    rules: [{ resource: 'order', nth: 1, fault: { kind: 'status', status: 503, retryAfter: '1' } }],
    capMs: 1_000,
  },
  {
    title: 'one badNonce on newOrder',
    rules: [{ resource: 'newOrder', nth: 1, fault: { kind: 'status', status: 400, problemType: `${ERR}badNonce` } }],
    capMs: 0,
  },
  {
    title: 'one authorization poll answered slower than the request timeout',
    rules: [{ resource: 'authorization', nth: 2, fault: { kind: 'slow', delayMs: 5_000 } }],
    capMs: REQUEST_TIMEOUT_MS,
  },
];

interface ListedCertificate {
  name: string;
  serial: string;
  lastError: { message: string; at: string; failures: number; nextAttemptAt: string } | null;
}

describe('acme renew through a faulty CA keeps the certificate in service', () => {
  let peers: Peers;
  let proxy: FaultProxy;
  let home: string;
  let common: string[];
  const name = `faults-${process.pid}.example.test`;

  async function listed(): Promise<ListedCertificate> {
    const run = await runAcme(['list', '--json', '--home', home]);
    return (JSON.parse(run.stdout).certificates as ListedCertificate[]).find((c) => c.name === name)!;
  }

  /** Serial of the stored certificate after checking that every file parses and agrees. */
  async function intactSerial(): Promise<string> {
    const dir = join(home, 'certificates', name);
    const [certPem, keyPem, bundle] = await Promise.all(
      ['cert.pem', 'privkey.pem']
        .map((f) => readFile(join(dir, f), 'utf8'))
        .concat(readFile(join(home, 'haproxy', `${name}.pem`), 'utf8')),
    );
    const cert = new X509Certificate(certPem!);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem!))).toBe(true);
    expect(new X509Certificate(bundle!).serialNumber).toBe(cert.serialNumber);
    expect(cert.checkPrivateKey(createPrivateKey(bundle!))).toBe(true);
    return cert.serialNumber.toUpperCase();
  }

  beforeAll(async () => {
    peers = await startPeers();
    proxy = await startFaultProxy(peers);
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-ca-faults-'));
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
      '--request-timeout',
      String(REQUEST_TIMEOUT_MS),
    ];
    const run = await runAcme(['issue', '-d', name, ...common]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  });
  afterEach(async () => {
    proxy?.setFaults([]);
    await proxy?.acceptConnections();
  });
  afterAll(async () => {
    await proxy?.stop();
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test.each(FAILURES)('acme renew --force fails cleanly on $title', async (c) => {
    const serial = await intactSerial();
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(serial);
    const failuresBefore = (await listed()).lastError?.failures ?? 0;
    const base = new URL(proxy.directoryUrl).origin;
    proxy.setFaults(c.rules);
    if (c.refuseFromStart === true) await proxy.refuseConnections();

    const startedMs = Date.now();
    const run = await runAcme(['renew', '--name', name, '--force', '--json', ...common]);
    const elapsedMs = Date.now() - startedMs;
    proxy.setFaults([]);
    await proxy.acceptConnections();

    expect(run.code).toBe(1);
    const error = JSON.parse(run.stdout).certificates[0].error as string;
    for (const part of c.expected(name, base)) expect(error).toContain(part);
    expect(run.stderr).toContain(JSON.stringify(error).slice(1, -1));
    expect(await intactSerial()).toBe(serial);
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(serial);
    const { lastError } = await listed();
    expect(lastError).toMatchObject({ message: error, failures: failuresBefore + 1 });
    // The backoff waits for the CA's Retry-After when it is longer, up to a day.
    const scheduled = RETRY_DELAYS_MS[Math.min(failuresBefore + 1, RETRY_DELAYS_MS.length) - 1]!;
    const delay =
      c.retryAfterS === undefined ? scheduled : Math.max(scheduled, Math.min(c.retryAfterS * 1000, 86_400_000));
    expect(Date.parse(lastError!.nextAttemptAt) - Date.parse(lastError!.at)).toBe(delay);
    expect(elapsedMs).toBeLessThan(c.capMs + SLACK_MS);
  });

  test.each(ABSORBED)('acme renew --force rides out $title', async (c) => {
    const serial = await intactSerial();
    const seen = proxy.requests.length;
    proxy.setFaults(c.rules);
    const startedMs = Date.now();
    const run = await runAcme(['renew', '--name', name, '--force', '--json', ...common]);
    const elapsedMs = Date.now() - startedMs;
    const faulted = proxy.requests.slice(seen).filter((r) => r.fault !== undefined).length;
    proxy.setFaults([]);

    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(faulted).toBeGreaterThan(0);
    const renewed = await intactSerial();
    expect(renewed).not.toBe(serial);
    expect(await servedSerial(peers.haproxyHttpsPort, name)).toBe(renewed);
    expect((await listed()).lastError).toBeNull();
    expect(elapsedMs).toBeLessThan(c.capMs + SLACK_MS);
  });
});
