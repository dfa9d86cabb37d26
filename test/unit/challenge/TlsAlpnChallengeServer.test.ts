import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import {
  ACME_TLS_ALPN_PROTOCOL,
  TlsAlpnChallengeServer,
  UNIX_SOCKET_MODE,
  type ListenAddress,
} from '../../../src/challenge';
import { ChallengeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { closeServer, KEY_AUTHORIZATION, occupyPort, TOKEN } from './_http';

const LOOPBACK: ListenAddress = { kind: 'tcp', host: '127.0.0.1', port: 0 };
const NAME = 'a.example.test';

type Handshake =
  | { kind: 'ok'; alpn: string | false | null; der: Buffer; closedByServer: Promise<boolean> }
  | { kind: 'refused'; error: string };

/** One TLS handshake against `address`; `servername` undefined sends no SNI, `alpn` undefined no ALPN. */
function handshake(
  address: ListenAddress,
  servername: string | undefined,
  alpn: string[] | undefined,
): Promise<Handshake> {
  return new Promise((resolve) => {
    const target = address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
    const socket: TLSSocket = connect({
      ...target,
      ...(servername === undefined ? {} : { servername }),
      ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ kind: 'refused', error: 'timeout' });
    }, 3000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const der = socket.getPeerCertificate().raw;
      const closedByServer = new Promise<boolean>((done) => {
        const wait = setTimeout(() => done(false), 2000);
        socket.once('end', () => {
          clearTimeout(wait);
          done(true);
        });
        socket.once('close', () => {
          clearTimeout(wait);
          done(true);
        });
      });
      socket.resume();
      resolve({ kind: 'ok', alpn: socket.alpnProtocol, der, closedByServer });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ kind: 'refused', error: error.message });
    });
  });
}

/** The SHA-256 inside the acmeIdentifier extension (OID 1.3.6.1.5.5.7.1.31, critical), found in the certificate's DER. */
function acmeDigestOf(der: Buffer): Buffer | undefined {
  const oidBytes = Buffer.from([0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f]);
  const at = der.indexOf(oidBytes);
  if (at === -1) return undefined;
  // OID, BOOLEAN TRUE (01 01 ff), OCTET STRING (04 22) holding OCTET STRING (04 20) + 32 bytes.
  const rest = der.subarray(at + oidBytes.length);
  if (!rest.subarray(0, 7).equals(Buffer.from([0x01, 0x01, 0xff, 0x04, 0x22, 0x04, 0x20]))) return undefined;
  return rest.subarray(7, 39);
}

describe('TlsAlpnChallengeServer on TCP', () => {
  let server: TlsAlpnChallengeServer;
  let logger: CapturingLogger;
  beforeAll(async () => {
    logger = new CapturingLogger();
    server = new TlsAlpnChallengeServer({ address: LOOPBACK, logger, handshakeTimeoutMs: 1000 });
    server.present(TOKEN, KEY_AUTHORIZATION, { type: 'dns', value: NAME });
    server.present('tokenForTheIpIdentifier1', 'tokenForTheIpIdentifier1.thumb', { type: 'ip', value: '192.0.2.7' });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  test('a handshake with SNI of a presented name and ALPN acme-tls/1 gets its challenge certificate, then the server closes', async () => {
    const result = await handshake(server.address(), NAME, [ACME_TLS_ALPN_PROTOCOL]);
    expect(result.kind).toBe('ok');
    const ok = result as Extract<Handshake, { kind: 'ok' }>;
    expect(ok.alpn).toBe(ACME_TLS_ALPN_PROTOCOL);
    const certificate = new X509Certificate(ok.der);
    expect(certificate.subjectAltName).toBe(`DNS:${NAME}`);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(acmeDigestOf(ok.der)).toEqual(createHash('sha256').update(KEY_AUTHORIZATION).digest());
    expect(ok.der.includes(Buffer.from(KEY_AUTHORIZATION))).toBe(false);
    expect(certificate.toLegacyObject().ext_key_usage).toBeUndefined();
    expect(await ok.closedByServer).toBe(true);
  });

  test.each([
    ['upper case', 'A.EXAMPLE.TEST'],
    ['a trailing dot', 'a.example.test.'],
  ])('the SNI name matches with %s', async (_what, servername) => {
    expect(await handshake(server.address(), servername, [ACME_TLS_ALPN_PROTOCOL])).toEqual(
      expect.objectContaining({ kind: 'ok', alpn: ACME_TLS_ALPN_PROTOCOL }),
    );
  });

  test('an IP identifier answers to its reverse-mapping SNI name with an iPAddress SAN (RFC 8738 §6)', async () => {
    const result = await handshake(server.address(), '7.2.0.192.in-addr.arpa', [ACME_TLS_ALPN_PROTOCOL]);
    expect(result.kind).toBe('ok');
    expect(new X509Certificate((result as Extract<Handshake, { kind: 'ok' }>).der).subjectAltName).toBe(
      'IP Address:192.0.2.7',
    );
  });

  test.each<[string, string | undefined, string[] | undefined]>([
    ['an unknown SNI name', 'b.example.test', [ACME_TLS_ALPN_PROTOCOL]],
    ['a sub-name of a presented name', `x.${NAME}`, [ACME_TLS_ALPN_PROTOCOL]],
    ['a presented name with a prefix', `x${NAME}`, [ACME_TLS_ALPN_PROTOCOL]],
    ['a wildcard SNI', `*.example.test`, [ACME_TLS_ALPN_PROTOCOL]],
    ['the IP literal instead of its reverse name', '192.0.2.7', [ACME_TLS_ALPN_PROTOCOL]],
    ['an SNI name of 300 characters', `${'a'.repeat(63)}.`.repeat(4) + 'b'.repeat(44), [ACME_TLS_ALPN_PROTOCOL]],
    ['a presented name with a suffix', `${NAME}.evil.test`, [ACME_TLS_ALPN_PROTOCOL]],
    ['an SNI with a newline', `${NAME}\nx`, [ACME_TLS_ALPN_PROTOCOL]],
    ['an SNI with a non-ASCII letter', 'ä.example.test', [ACME_TLS_ALPN_PROTOCOL]],
    ['"__proto__" as SNI', '__proto__', [ACME_TLS_ALPN_PROTOCOL]],
    ['no SNI', undefined, [ACME_TLS_ALPN_PROTOCOL]],
    ['ALPN h2', NAME, ['h2']],
    ['ALPN http/1.1', NAME, ['http/1.1']],
    ['ALPN acme-tls/2', NAME, ['acme-tls/2']],
    ['ALPN acme-tls/1 with a suffix', NAME, ['acme-tls/1x']],
    ['ALPN ACME-TLS/1 in upper case', NAME, ['ACME-TLS/1']],
    ['no ALPN', NAME, undefined],
    ['no SNI and no ALPN', undefined, undefined],
  ])('refuses %s', async (_what, servername, alpn) => {
    const result = await handshake(server.address(), servername, alpn);
    // A client without ALPN may see its handshake finish; the server then closes at once and sends nothing.
    const outcome =
      result.kind === 'ok'
        ? { alpn: result.alpn, closed: await result.closedByServer }
        : { refused: result.error !== 'timeout' };
    expect([{ alpn: false, closed: true }, { refused: true }]).toContainEqual(outcome);
  });

  test('a client that offers several protocols including acme-tls/1 is answered with acme-tls/1', async () => {
    expect(await handshake(server.address(), NAME, ['h2', ACME_TLS_ALPN_PROTOCOL, 'http/1.1'])).toEqual(
      expect.objectContaining({ kind: 'ok', alpn: ACME_TLS_ALPN_PROTOCOL }),
    );
  });

  test('a connection that never sends a ClientHello is closed after the handshake timeout', async () => {
    const address = server.address() as Extract<ListenAddress, { kind: 'tcp' }>;
    const started = Date.now();
    const closed = await new Promise<boolean>((resolve) => {
      const socket = netConnect({ host: address.host, port: address.port });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, 4000);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('never logs a key, a certificate or the key authorization', () => {
    const text = JSON.stringify(logger.records);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('CERTIFICATE');
    expect(text).not.toContain(KEY_AUTHORIZATION);
  });
});

describe('TlsAlpnChallengeServer presenting and removing', () => {
  test('remove() stops answering for the token and leaves other names; a later present() replaces an earlier one', async () => {
    const server = new TlsAlpnChallengeServer({ address: LOOPBACK, logger: new CapturingLogger() });
    server.present('tokenOne00000000000', 'tokenOne00000000000.x', { type: 'dns', value: 'one.example.test' });
    server.present('tokenTwo00000000000', 'tokenTwo00000000000.x', { type: 'dns', value: 'two.example.test' });
    server.present('tokenTwoAgain000000', 'tokenTwoAgain000000.x', { type: 'dns', value: 'two.example.test' });
    await server.start();
    try {
      server.remove('tokenOne00000000000');
      server.remove('tokenTwo00000000000');
      server.remove('neverPresented00000');
      expect((await handshake(server.address(), 'one.example.test', [ACME_TLS_ALPN_PROTOCOL])).kind).toBe('refused');
      const two = await handshake(server.address(), 'two.example.test', [ACME_TLS_ALPN_PROTOCOL]);
      expect(acmeDigestOf((two as Extract<Handshake, { kind: 'ok' }>).der)).toEqual(
        createHash('sha256').update('tokenTwoAgain000000.x').digest(),
      );
    } finally {
      await server.stop();
    }
  });

  test.each<[string, 'dns' | 'ip', string]>([
    ['a wildcard', 'dns', '*.example.test'],
    ['a name with a space', 'dns', 'a b.example.test'],
    ['a name with a newline', 'dns', 'a.example.test\nb'],
    ['an empty name', 'dns', ''],
    ['a name of 254 characters', 'dns', 'a'.repeat(254)],
    ['a non-ASCII name', 'dns', 'ä.example.test'],
    ['an IP that is not one', 'ip', '999.1.1.1'],
    ['an IPv6 zone ID', 'ip', 'fe80::1%eth0'],
    ['a DNS name as IP', 'ip', 'a.example.test'],
  ])('present() refuses %s with ChallengeError CHALLENGE_INVALID', (_what, type, value) => {
    const server = new TlsAlpnChallengeServer({ address: LOOPBACK, logger: new CapturingLogger() });
    expect(() => server.present(TOKEN, KEY_AUTHORIZATION, { type, value })).toThrow(
      expect.objectContaining({
        name: 'ChallengeError',
        code: 'CHALLENGE_INVALID',
        message: expect.stringMatching(
          /^Cannot present TLS-ALPN-01 for ".*": it is not a DNS name or IP address a certificate can name$/s,
        ),
      }),
    );
  });

  test('start() on a taken port fails with ChallengeError CHALLENGE_BIND naming TLS-ALPN-01', async () => {
    const { server: occupier, port } = await occupyPort();
    try {
      const server = new TlsAlpnChallengeServer({
        address: { kind: 'tcp', host: '127.0.0.1', port },
        logger: new CapturingLogger(),
      });
      const failure = server.start();
      await expect(failure).rejects.toThrow(ChallengeError);
      await expect(failure).rejects.toThrow(
        `Cannot listen on "127.0.0.1:${port}" for TLS-ALPN-01: the address is in use by another process`,
      );
    } finally {
      await closeServer(occupier);
    }
  });

  test('beyond maxConnections the oldest connection is closed, and the server still answers', async () => {
    const logger = new CapturingLogger();
    const server = new TlsAlpnChallengeServer({
      address: LOOPBACK,
      logger,
      maxConnections: 3,
      handshakeTimeoutMs: 5000,
    });
    server.present(TOKEN, KEY_AUTHORIZATION, { type: 'dns', value: NAME });
    await server.start();
    const address = server.address() as Extract<ListenAddress, { kind: 'tcp' }>;
    const idle = Array.from({ length: 6 }, () => {
      const socket = netConnect({ host: address.host, port: address.port });
      socket.on('error', () => undefined);
      return socket;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(server.openConnections()).toBeLessThanOrEqual(3);
      expect(await handshake(address, NAME, [ACME_TLS_ALPN_PROTOCOL])).toEqual(expect.objectContaining({ kind: 'ok' }));
      expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.message)).toEqual([
        'TLS-ALPN-01 responder reached its connection limit; closing the oldest connections',
      ]);
    } finally {
      idle.forEach((socket) => socket.destroy());
      await server.stop();
    }
    expect(server.openConnections()).toBe(0);
  });
});

describe('TlsAlpnChallengeServer on a unix socket', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tls-alpn-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('listens on the socket with mode 0660, answers there, and removes the socket file on stop()', async () => {
    const path = join(dir, 'responder.sock');
    const server = new TlsAlpnChallengeServer({ address: { kind: 'unix', path }, logger: new CapturingLogger() });
    server.present(TOKEN, KEY_AUTHORIZATION, { type: 'dns', value: NAME });
    await server.start();
    try {
      expect((await stat(path)).mode & 0o777).toBe(UNIX_SOCKET_MODE);
      expect(await handshake({ kind: 'unix', path }, NAME, [ACME_TLS_ALPN_PROTOCOL])).toEqual(
        expect.objectContaining({ kind: 'ok', alpn: ACME_TLS_ALPN_PROTOCOL }),
      );
    } finally {
      await server.stop();
    }
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });
});
