import { CertificateError, HaproxyError } from '../../../src/errors';
import { Mutex, RuntimeClient, addCertificate, swapCertificate } from '../../../src/haproxy';
import { CapturingLogger } from '../../../src/log';
import { certs } from '../../fixtures/certs';
import { transcript } from '../../fixtures/haproxy';
import { FakeHaproxy, identityOf } from './_fakeHaproxy';
import { startFakeSocket, type FakeSocket } from './_fakeSocket';

const A = '/srv/a.pem';
const B = '/srv/b.pem';
const bundle1 = certs.ecLeaf + certs.ecIntermediate + certs.ecLeafKey;
const bundle2 = certs.ecLeaf2 + certs.ecIntermediate + certs.ecLeaf2Key;
const bundleRsa = certs.rsaLeaf + certs.ecIntermediate + certs.rsaLeafKey;
const id1 = identityOf(bundle1);
const id2 = identityOf(bundle2);
const idRsa = identityOf(bundleRsa);
const input2 = { path: A, bundlePem: bundle2, expectedSha1: id2.sha1, expectedSerial: id2.serial };

let fake: FakeSocket | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup() {
  const haproxy = new FakeHaproxy();
  haproxy.certs.set(A, id1);
  haproxy.certs.set(B, id1);
  fake = await startFakeSocket((request) => haproxy.respond(request));
  const logger = new CapturingLogger();
  const client = new RuntimeClient({ endpoint: { kind: 'unix', path: fake.socketPath }, logger });
  return { haproxy, client, logger, socket: fake };
}

describe('swapCertificate()', () => {
  test('swapCertificate() sets, commits and verifies', async () => {
    const { haproxy, client, socket } = await setup();
    await expect(swapCertificate(client, input2)).resolves.toEqual({
      path: A,
      endpoint: client.where,
      dryRun: false,
      serial: id2.serial,
      sha1Fingerprint: id2.sha1,
      abortedStaleTransaction: false,
    });
    expect(socket.commands()).toEqual([
      'show ssl cert',
      `set ssl cert ${A}`,
      `commit ssl cert ${A}`,
      `show ssl cert ${A}`,
    ]);
    expect(haproxy.certs.get(A)).toEqual(id2);
  });

  test('swapCertificate() compares serials without colons, case or a leading zero byte', async () => {
    const { client } = await setup();
    const serial = `00:${id2.serial.toLowerCase().match(/../g)?.join(':')}`;
    await expect(
      swapCertificate(client, { ...input2, expectedSerial: serial, expectedSha1: id2.sha1.toLowerCase() }),
    ).resolves.toMatchObject({ serial: id2.serial });
  });

  test('swapCertificate() aborts a transaction left open for its own path, with a warning', async () => {
    const { haproxy, client, logger, socket } = await setup();
    haproxy.transaction = { path: A, pem: bundleRsa };
    await expect(swapCertificate(client, input2)).resolves.toMatchObject({
      abortedStaleTransaction: true,
      serial: id2.serial,
    });
    expect(socket.commands().slice(0, 3)).toEqual(['show ssl cert', `abort ssl cert ${A}`, `set ssl cert ${A}`]);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.message)).toEqual([
      'Aborting an SSL transaction left open for this certificate',
    ]);
  });

  test("swapCertificate() refuses to touch another certificate's open transaction", async () => {
    const { haproxy, client, socket } = await setup();
    haproxy.transaction = { path: B, pem: bundleRsa };
    await expect(swapCertificate(client, input2)).rejects.toThrow(
      expect.objectContaining({
        name: HaproxyError.name,
        retryable: true,
        message:
          `Cannot set SSL cert "${A}": another client has a transaction open for "${B}" (HAProxy has only one); ` +
          `retry later, or abort it by hand with: echo "abort ssl cert ${B}" | socat stdio UNIX-CONNECT:${socket.socketPath}`,
      }),
    );
    expect(socket.commands()).toEqual(['show ssl cert']);
    expect(haproxy.transaction).toEqual({ path: B, pem: bundleRsa });
  });

  test('swapCertificate() aborts after a failed commit and throws the commit error', async () => {
    const { haproxy, client, socket } = await setup();
    haproxy.commitReply = transcript('commit-ssl-cert-inconsistent.severity');
    await expect(swapCertificate(client, input2)).rejects.toThrow(
      /^Cannot commit SSL cert "\/srv\/a.pem": HAProxy replied "inconsistencies between private key and certificate/,
    );
    expect(socket.commands()).toEqual([
      'show ssl cert',
      `set ssl cert ${A}`,
      `commit ssl cert ${A}`,
      `abort ssl cert ${A}`,
    ]);
    expect(haproxy.transaction).toBeUndefined();
    expect(haproxy.certs.get(A)).toEqual(id1);
  });

  test('swapCertificate() keeps the commit error when the abort fails too, and logs the abort failure', async () => {
    const { haproxy, client, logger } = await setup();
    haproxy.commitReply = transcript('commit-ssl-cert-inconsistent.severity');
    haproxy.abortReply = transcript('permission-denied.severity');
    await expect(swapCertificate(client, input2)).rejects.toThrow(/^Cannot commit SSL cert/);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => [r.message, r.fields.error])).toEqual([
      [
        'Cannot abort the SSL transaction after a failure',
        `Cannot abort SSL cert "${A}": HAProxy replied "Permission denied"; the runtime socket needs "level admin" (stats socket <path> mode 600 level admin)`,
      ],
    ]);
  });

  test('swapCertificate() reports a commit that holds another certificate', async () => {
    const { haproxy, client } = await setup();
    haproxy.commitOverride = idRsa;
    await expect(swapCertificate(client, input2)).rejects.toThrow(
      expect.objectContaining({
        name: HaproxyError.name,
        command: `show ssl cert ${A}`,
        message: `Cannot verify SSL cert "${A}" after the commit: HAProxy holds serial "${idRsa.serial}" (SHA1 "${idRsa.sha1}") but the bundle has serial "${id2.serial}" (SHA1 "${id2.sha1}"); another client may have changed it, deploy again`,
      }),
    );
  });

  test('swapCertificate() with dryRun sets and aborts, and changes nothing', async () => {
    const { haproxy, client, socket } = await setup();
    await expect(swapCertificate(client, input2, { dryRun: true })).resolves.toMatchObject({
      dryRun: true,
      serial: undefined,
    });
    expect(socket.commands()).toEqual(['show ssl cert', `set ssl cert ${A}`, `abort ssl cert ${A}`]);
    expect({ cert: haproxy.certs.get(A), transaction: haproxy.transaction }).toEqual({
      cert: id1,
      transaction: undefined,
    });
  });

  test('swapCertificate() rejects a bundle without a key before opening a transaction', async () => {
    const { haproxy, client } = await setup();
    await expect(swapCertificate(client, { ...input2, bundlePem: certs.ecLeaf2 })).rejects.toThrow(CertificateError);
    expect(haproxy.transaction).toBeUndefined();
  });

  test('concurrent swapCertificate() calls on different certificates never cross', async () => {
    const { haproxy, client, socket } = await setup();
    const inputB = { path: B, bundlePem: bundleRsa, expectedSha1: idRsa.sha1, expectedSerial: idRsa.serial };
    await Promise.all([swapCertificate(client, input2), swapCertificate(client, inputB)]);
    expect({ a: haproxy.certs.get(A), b: haproxy.certs.get(B) }).toEqual({ a: id2, b: idRsa });
    expect(socket.commands().slice(0, 4)).toEqual([
      'show ssl cert',
      `set ssl cert ${A}`,
      `commit ssl cert ${A}`,
      `show ssl cert ${A}`,
    ]);
  });

  test('without the mutex, interleaved set/commit cross on the 2.6 imitation (why the mutex exists)', async () => {
    const { haproxy, client } = await setup();
    await client.setSslCert(A, bundle2);
    await expect(client.setSslCert(B, bundleRsa)).rejects.toThrow(
      `HAProxy put the payload into the open transaction of "${A}"`,
    );
    await client.commitSslCert(A);
    expect(haproxy.certs.get(A)).toEqual(idRsa);
  });
});

describe('addCertificate()', () => {
  const C = '/srv/c.pem';
  const inputC = {
    path: C,
    bundlePem: bundle2,
    expectedSha1: id2.sha1,
    expectedSerial: id2.serial,
    crtList: '/l',
    sni: ['c.example.test'],
  };

  test('addCertificate() creates, sets, commits, verifies and adds the crt-list line', async () => {
    const { haproxy, client, socket } = await setup();
    await expect(addCertificate(client, inputC)).resolves.toMatchObject({ path: C, serial: id2.serial, dryRun: false });
    expect(socket.commands()).toEqual([
      'show ssl cert',
      'show ssl cert',
      `new ssl cert ${C}`,
      `set ssl cert ${C}`,
      `commit ssl cert ${C}`,
      `show ssl cert ${C}`,
      'show ssl crt-list -n /l',
      'add ssl crt-list /l',
    ]);
    expect(socket.requests.at(-1)).toBe(`set severity-output number; add ssl crt-list /l <<\n${C} c.example.test\n\n`);
    expect(haproxy.crtLists.get('/l')).toEqual([C]);
  });

  test('addCertificate() is idempotent: a retry neither re-creates the store nor duplicates the line', async () => {
    const { haproxy, client, socket } = await setup();
    await addCertificate(client, inputC);
    const before = socket.commands().length;
    await addCertificate(client, inputC);
    expect(socket.commands().slice(before)).toEqual([
      'show ssl cert',
      'show ssl cert',
      `set ssl cert ${C}`,
      `commit ssl cert ${C}`,
      `show ssl cert ${C}`,
      'show ssl crt-list -n /l',
    ]);
    expect(haproxy.crtLists.get('/l')).toEqual([C]);
  });
});

describe('Mutex', () => {
  test('Mutex.runExclusive() runs in call order and survives a rejection', async () => {
    const mutex = new Mutex();
    const events: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      mutex.runExclusive(task('a')),
      mutex.runExclusive(task('b', true)),
      mutex.runExclusive(task('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
