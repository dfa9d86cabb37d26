/**
 * The runtime API client against the run's real HAProxy (Debian's 2.6, or 3.0) started here,
 * outcomes checked with real TLS handshakes (SNI) to its HTTPS frontend: what HAProxy serves, not
 * what it says. Where the versions differ (2.6's one-transaction bug, 2.7+'s synchronous master
 * `reload`), each test asserts what the version it runs against does.
 */
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { CertificateError, HaproxyError } from '../../src/errors';
import {
  MasterClient,
  RuntimeClient,
  addCertificate,
  swapCertificate,
  type SwapCertificateInput,
} from '../../src/haproxy';
import { CapturingLogger } from '../../src/log';
import { certs } from '../fixtures/certs';
import {
  generateCert,
  haproxyAtLeast,
  peerVersions,
  servedSerial,
  startStandaloneHaproxy,
  type StandaloneHaproxy,
  type TestCert,
} from '../peers';

/** HAProxy 2.6 lets `set ssl cert` of another certificate into the open transaction; 2.8 and later refuse it. */
const hasTransactionBug = (): boolean => !haproxyAtLeast(peerVersions().haproxy, 2, 8);
/** The master CLI's `reload` answers `Success=1|0` from 2.7 on; 2.6 answers nothing and reloads asynchronously. */
const reloadsSynchronously = (): boolean => haproxyAtLeast(peerVersions().haproxy, 2, 7);

const swapInput = (p: string, cert: TestCert, bundlePem = cert.bundle): SwapCertificateInput => ({
  path: p,
  bundlePem,
  expectedSha1: cert.sha1,
  expectedSerial: cert.serial,
});

describe("RuntimeClient and swapCertificate() against the run's HAProxy", () => {
  let haproxy: StandaloneHaproxy;
  let certDir: string;
  let client: RuntimeClient;
  let A: string;
  let B: string;
  const serve = (name: string) => servedSerial(haproxy.httpsPort, name);
  const fresh = (name: string, dnsNames: string[]) =>
    generateCert(certDir, `${name}-${Math.random().toString(36).slice(2)}`, { dnsNames });
  const freshA = () => fresh('a', ['a.example.test']);
  const freshB = () => fresh('b', ['b.example.test']);

  beforeAll(async () => {
    certDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haproxy-acme-client-certs-'));
    const [a, b] = await Promise.all([freshA(), freshB()]);
    haproxy = await startStandaloneHaproxy({ certificates: { a: a.bundle, b: b.bundle } });
    A = haproxy.bundlePath('a');
    B = haproxy.bundlePath('b');
    client = new RuntimeClient({
      endpoint: { kind: 'unix', path: haproxy.adminSocket },
      logger: new CapturingLogger(),
      timeoutMs: 10_000,
    });
  });

  afterAll(async () => {
    await haproxy?.stop();
    if (certDir !== undefined) await fs.rm(certDir, { recursive: true, force: true });
  });

  afterEach(async () => {
    // No test may leave a transaction open for the next one.
    const { transaction } = await client.showSslCert();
    if (transaction !== undefined) await client.abortSslCert(transaction);
  });

  test('swapCertificate() changes the served serial', async () => {
    const next = await freshA();
    expect(await serve('a.example.test')).not.toBe(next.serial);
    await expect(swapCertificate(client, swapInput(A, next))).resolves.toMatchObject({
      serial: next.serial,
      sha1Fingerprint: next.sha1,
      dryRun: false,
    });
    expect(await serve('a.example.test')).toBe(next.serial);
  });

  test('swapCertificate() with a key that does not match is rejected; the old certificate is still served and no transaction is left', async () => {
    const before = await serve('a.example.test');
    const next = await freshA();
    const wrongKey = next.certPem + certs.mismatchKey;
    await expect(swapCertificate(client, swapInput(A, next, wrongKey))).rejects.toThrow(
      `Cannot commit SSL cert "${A}": HAProxy replied "inconsistencies between private key and certificate loaded '${A}'. Can't commit ${A}!"`,
    );
    expect(await serve('a.example.test')).toBe(before);
    expect((await client.showSslCert()).transaction).toBeUndefined();
  });

  test('swapCertificate() sends a bundle with CRLF, blank lines and Bag Attributes intact', async () => {
    const next = await freshA();
    const messy = `Bag Attributes\r\n    localKeyID: 01 00\r\n${next.certPem.replace(/\n/g, '\r\n')}\r\n\r\n${next.keyPem.replace(/\n(?=[A-Za-z0-9+/])/, '\n\n')}\n\n`;
    await swapCertificate(client, swapInput(A, next, messy));
    expect(await serve('a.example.test')).toBe(next.serial);
  });

  test('swapCertificate() refuses an oversized bundle clearly and changes nothing', async () => {
    const before = await serve('a.example.test');
    const next = await freshA();
    const huge = next.certPem + certs.ecIntermediate.repeat(25) + next.keyPem;
    await expect(swapCertificate(client, swapInput(A, next, huge))).rejects.toThrow(
      /^Cannot send "set ssl cert .*\/certs\/a.pem": the payload is \d{5} bytes but HAProxy's buffer \(tune.bufsize\) is 16384; use an ECDSA key or raise tune.bufsize and --haproxy-bufsize$/,
    );
    expect(await serve('a.example.test')).toBe(before);
    expect((await client.showSslCert()).transaction).toBeUndefined();
  });

  test('swapCertificate() with dryRun leaves the served serial and no open transaction', async () => {
    const before = await serve('a.example.test');
    await expect(swapCertificate(client, swapInput(A, await freshA()), { dryRun: true })).resolves.toMatchObject({
      dryRun: true,
    });
    expect(await serve('a.example.test')).toBe(before);
    expect((await client.showSslCert()).transaction).toBeUndefined();
  });

  test("swapCertificate() refuses while another client's transaction is open, and leaves it alone", async () => {
    const other = await freshB();
    await client.setSslCert(B, other.bundle); // "another client", mid-transaction
    await expect(swapCertificate(client, swapInput(A, await freshA()))).rejects.toThrow(
      expect.objectContaining({
        name: HaproxyError.name,
        retryable: true,
        message: expect.stringContaining(`another client has a transaction open for "${B}"`),
      }),
    );
    expect((await client.showSslCert()).transaction).toBe(B);
  });

  test('a second "set ssl cert" while a transaction is open: HAProxy 2.6 puts it into the first transaction (the bug the mutex guards against), 2.8 and later refuse it', async () => {
    const [nextA, nextB] = await Promise.all([freshA(), freshB()]);
    await client.setSslCert(A, nextA.bundle);
    // Raw command, so that setSslCert()'s own check does not hide what HAProxy does.
    const reply = await client.execute(`set ssl cert ${B}`, nextB.bundle);
    const [expectedReply, inTransactionA] = hasTransactionBug()
      ? [`\n[5]: Transaction updated for certificate ${A}!\n\n`, nextB.serial]
      : [
          `\n[3]: The ongoing transaction is about '${A}' but you are trying to set '${B}'\nCan't update ${B}!\n\n`,
          nextA.serial,
        ];
    expect(reply).toBe(expectedReply);
    expect((await client.showSslCert(`*${A}`)).serial).toBe(inTransactionA);
  });

  test('concurrent swapCertificate() calls on different certificates never cross', async () => {
    const [nextA, nextB] = await Promise.all([freshA(), freshB()]);
    await Promise.all([swapCertificate(client, swapInput(A, nextA)), swapCertificate(client, swapInput(B, nextB))]);
    expect([await serve('a.example.test'), await serve('b.example.test')]).toEqual([nextA.serial, nextB.serial]);
  });

  test('addCertificate() makes a new certificate reachable by SNI', async () => {
    const c = await fresh('c', ['c.example.test']);
    const C = haproxy.bundlePath('c');
    await fs.writeFile(C, c.bundle, { mode: 0o600 }); // disk first, as production does
    expect(await serve('c.example.test')).toBe(haproxy.defaultCert.serial);
    await addCertificate(client, { ...swapInput(C, c), crtList: haproxy.crtList, sni: ['c.example.test'] });
    expect(await serve('c.example.test')).toBe(c.serial);
    expect(await client.showSslCrtList(haproxy.crtList)).toContainEqual({ path: C, line: 3, sni: ['c.example.test'] });
  });

  test('setSslCert() rejects a bundle without a key before sending anything', async () => {
    await expect(client.setSslCert(A, (await freshA()).certPem)).rejects.toThrow(CertificateError);
    expect((await client.showSslCert()).transaction).toBeUndefined();
  });

  test('execute() times out on a peer that accepts and never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const hanging = new RuntimeClient({
      endpoint: { kind: 'tcp', host: '127.0.0.1', port },
      logger: new CapturingLogger(),
      timeoutMs: 300,
    });
    try {
      await expect(hanging.showVersion()).rejects.toThrow(
        expect.objectContaining({
          name: HaproxyError.name,
          retryable: true,
          message: `Cannot run "show version" on HAProxy socket "ipv4@127.0.0.1:${port}": no complete reply within 300 ms`,
        }),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});

describe("MasterClient against the run's HAProxy in master-worker mode", () => {
  let haproxy: StandaloneHaproxy;
  let master: MasterClient;

  beforeAll(async () => {
    haproxy = await startStandaloneHaproxy();
    master = new MasterClient({
      endpoint: { kind: 'unix', path: haproxy.masterSocket },
      logger: new CapturingLogger(),
    });
  });

  afterAll(async () => {
    await haproxy?.stop();
  });

  test('reload() succeeds, then a broken configuration is detected as a failed reload (2.6: by "show proc", 2.7 and later: by the "Success=" reply)', async () => {
    const before = await master.showProc();
    const sync = reloadsSynchronously();
    await expect(master.reload()).resolves.toEqual(
      sync ? { detectedBy: 'sync' } : { detectedBy: 'show proc', reloads: before.master.reloads + 1 },
    );
    await fs.appendFile(haproxy.configPath, '\nthis-is-not-a-keyword\n');
    await expect(master.reload()).rejects.toThrow(
      sync
        ? /^Cannot reload HAProxy through "unix@.*master.sock": the new configuration was rejected \(HAProxy replied "Success=0": .*unknown keyword 'this-is-not-a-keyword'/
        : /^Cannot reload HAProxy through "unix@.*master.sock": the new configuration was rejected \(show proc: \[failed: 1\]\)/,
    );
    expect(await servedSerial(haproxy.httpsPort, 'any.example.test')).toBe(haproxy.defaultCert.serial);
  });
});
