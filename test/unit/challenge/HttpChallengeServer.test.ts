import { mkdtemp, rename, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpChallengeServer, MemoryChallengeTokenRegistry, type ListenAddress } from '../../../src/challenge';
import { ChallengeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { closeServer, httpRequest, KEY_AUTHORIZATION, occupyPort, rawExchange, requestErrorCode, TOKEN } from './_http';

const UNKNOWN = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4';
const LOOPBACK: ListenAddress = { kind: 'tcp', host: '127.0.0.1', port: 0 };

async function startServer(options: { address?: ListenAddress; requestTimeoutMs?: number } = {}) {
  const registry = new MemoryChallengeTokenRegistry();
  await registry.add(TOKEN, KEY_AUTHORIZATION);
  const logger = new CapturingLogger();
  const server = new HttpChallengeServer({
    address: options.address ?? LOOPBACK,
    registry,
    logger,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  await server.start();
  return { server, logger, registry };
}

/** Splits a raw HTTP/1.1 response into status code, lower-cased headers and body. */
function parseRaw(text: string): { status: number; headers: Map<string, string>; body: string } {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('HttpChallengeServer on TCP', () => {
  let server: HttpChallengeServer;
  let logger: CapturingLogger;
  beforeAll(async () => {
    ({ server, logger } = await startServer());
  });
  afterAll(async () => {
    await server.stop();
  });

  const P = '/.well-known/acme-challenge/';
  test.each([
    ['a GET for a known token', `GET ${P}${TOKEN} HTTP/1.1\r\nHost: a.example.test\r\n`, 200, KEY_AUTHORIZATION],
    ['a GET with a query string', `GET ${P}${TOKEN}?x=1&y=../ HTTP/1.1\r\nHost: a\r\n`, 200, KEY_AUTHORIZATION],
    ['a HEAD for a known token', `HEAD ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\n`, 200, ''],
    ['an unknown token', `GET ${P}${UNKNOWN} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['a token with a bad character', `GET ${P}${TOKEN.slice(1)}$ HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['a token with a dot', `GET ${P}${TOKEN}.x HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['a token of 15 characters', `GET ${P}${TOKEN.slice(0, 15)} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['a trailing slash', `GET ${P}${TOKEN}/ HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['a dot-dot segment', `GET ${P}../x HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['a dot-dot before the token', `GET ${P}../acme-challenge/${TOKEN} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['a percent-encoded dot-dot', `GET ${P}%2e%2e/${TOKEN} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['a percent-encoded token', `GET ${P}%65${TOKEN.slice(1)} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    [
      'a percent-encoded slash',
      `GET /.well-known%2facme-challenge%2f${TOKEN} HTTP/1.1\r\nHost: a\r\n`,
      404,
      'not found\n',
    ],
    ['a double leading slash', `GET /${P}${TOKEN} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['an upper-case prefix', `GET /.WELL-KNOWN/acme-challenge/${TOKEN} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['an absolute-form target', `GET http://a${P}${TOKEN} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['the bare prefix', `GET ${P} HTTP/1.1\r\nHost: a\r\n`, 404, 'not found\n'],
    ['the root', 'GET / HTTP/1.1\r\nHost: a\r\n', 404, 'not found\n'],
    [
      'a POST for a known token',
      `POST ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n`,
      405,
      'method not allowed\n',
    ],
    ['a PUT for a known token', `PUT ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\n`, 405, 'method not allowed\n'],
    ['an OPTIONS for a known token', `OPTIONS ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\n`, 405, 'method not allowed\n'],
    ['a GET with HTTP/1.0', `GET ${P}${TOKEN} HTTP/1.0\r\n`, 200, KEY_AUTHORIZATION],
  ])('answers %s', async (_label, head, status, body) => {
    const reply = parseRaw((await rawExchange(server.address(), `${head}Connection: close\r\n\r\n`)).text);
    const length = String(status === 200 ? KEY_AUTHORIZATION.length : body.length);
    expect([reply.status, reply.headers.get('content-type'), reply.headers.get('content-length'), reply.body]).toEqual([
      status,
      'text/plain',
      length,
      body,
    ]);
  });

  test.each([
    [
      'a POST with a content-length body',
      `POST /.well-known/acme-challenge/${TOKEN} HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello`,
      405,
      'method not allowed\n',
    ],
    [
      'a GET with a body',
      `GET /.well-known/acme-challenge/${TOKEN} HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello`,
      404,
      'not found\n',
    ],
    [
      'a chunked body',
      `GET /.well-known/acme-challenge/${TOKEN} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      404,
      'not found\n',
    ],
  ])('answers %s without reading it and closes the connection', async (_label, payload, status, body) => {
    const exchange = await rawExchange(server.address(), payload);
    const reply = parseRaw(exchange.text);
    expect([reply.status, reply.headers.get('connection'), reply.body, exchange.closedByServer]).toEqual([
      status,
      'close',
      body,
      true,
    ]);
  });

  test('answers a request whose headers exceed maxHeaderBytes with 431', async () => {
    const payload = `GET /.well-known/acme-challenge/${TOKEN} HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(3000)}\r\n\r\n`;
    const exchange = await rawExchange(server.address(), payload);
    expect([exchange.text.split('\r\n')[0], exchange.closedByServer]).toEqual([
      'HTTP/1.1 431 Request Header Fields Too Large',
      true,
    ]);
  });

  test.each([
    ['the path', (m: string) => `GET /.well-known/acme-challenge/${m}/x HTTP/1.1\r\nHost: a\r\n\r\n`],
    ['the token position', (m: string) => `GET /.well-known/acme-challenge/${m} HTTP/1.1\r\nHost: a\r\n\r\n`],
    [
      'the query of a served token',
      (m: string) => `GET /.well-known/acme-challenge/${TOKEN}?${m} HTTP/1.1\r\nHost: a\r\n\r\n`,
    ],
    [
      'a header',
      (m: string) => `GET /.well-known/acme-challenge/${TOKEN} HTTP/1.1\r\nHost: a\r\nX-Marker: ${m}\r\n\r\n`,
    ],
    ['the Host header', (m: string) => `GET /x HTTP/1.1\r\nHost: ${m}\r\n\r\n`],
    ['the method', (m: string) => `${m} / HTTP/1.1\r\nHost: a\r\n\r\n`],
    ['a body', (m: string) => `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${m.length}\r\n\r\n${m}`],
    ['a malformed request line', (m: string) => `GET /${m} HTTP/9.9 ${m}\r\n\r\n`],
    ['an oversized header', (m: string) => `GET / HTTP/1.1\r\nHost: a\r\nX-${m}: ${m.repeat(200)}\r\n\r\n`],
  ])('never echoes a marker sent in %s', async (_label, build) => {
    const marker = `MarkerQ7xZ${Date.now()}`;
    const exchange = await rawExchange(server.address(), build(marker), 500);
    expect([exchange.text.length > 0, exchange.text.toLowerCase().includes(marker.toLowerCase())]).toEqual([
      true,
      false,
    ]);
  });

  test('logs the served token and remote address at debug, never the key authorization', async () => {
    logger.records.length = 0;
    await httpRequest(server.address(), `/.well-known/acme-challenge/${TOKEN}`);
    await httpRequest(server.address(), `/.well-known/acme-challenge/${UNKNOWN}`);
    expect(logger.records).toEqual([
      {
        level: 'debug',
        message: 'Served HTTP-01 token',
        fields: { token: TOKEN, remoteAddress: '127.0.0.1', method: 'GET' },
      },
      { level: 'debug', message: 'HTTP-01 token not found', fields: { token: UNKNOWN, remoteAddress: '127.0.0.1' } },
    ]);
  });

  test('address() resolves port 0 to the bound port', () => {
    const address = server.address();
    expect(address.kind === 'tcp' && address.host === '127.0.0.1' && address.port > 0).toBe(true);
  });
});

describe('HttpChallengeServer lifecycle', () => {
  test('start() on a port in use fails with CHALLENGE_BIND naming the port and the fix', async () => {
    const { server: occupier, port } = await occupyPort();
    try {
      const server = new HttpChallengeServer({
        address: { kind: 'tcp', host: '127.0.0.1', port },
        registry: new MemoryChallengeTokenRegistry(),
        logger: new CapturingLogger(),
      });
      const started = server.start();
      await expect(started).rejects.toThrow(ChallengeError);
      await expect(started).rejects.toMatchObject({
        code: 'CHALLENGE_BIND',
        port,
        retryable: true,
        cause: expect.objectContaining({ code: 'EADDRINUSE' }),
        message: `Cannot listen on "127.0.0.1:${port}" for HTTP-01: the address is in use by another process; stop that process or pick another port with --http-port`,
      });
    } finally {
      await closeServer(occupier);
    }
  });

  test('start() on an address not on this host fails with CHALLENGE_BIND', async () => {
    const server = new HttpChallengeServer({
      address: { kind: 'tcp', host: '192.0.2.1', port: 0 },
      registry: new MemoryChallengeTokenRegistry(),
      logger: new CapturingLogger(),
    });
    await expect(server.start()).rejects.toMatchObject({
      code: 'CHALLENGE_BIND',
      message:
        'Cannot listen on "192.0.2.1:0" for HTTP-01: the address is not on this host; pick a local address such as 127.0.0.1 with --http-address',
    });
  });

  test('stop() returns promptly while a client holds a half-sent request', async () => {
    const { server } = await startServer();
    const pending = rawExchange(server.address(), 'GET / HTTP/1.1\r\nHost: a\r\n', 4000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = Date.now();
    await server.stop();
    const exchange = await pending;
    expect([Date.now() - before < 1000, exchange.closedByServer]).toEqual([true, true]);
  });

  test('stop() is idempotent, works before start(), and the server can start again', async () => {
    const { server } = await startServer();
    await new HttpChallengeServer({
      address: LOOPBACK,
      registry: new MemoryChallengeTokenRegistry(),
      logger: new CapturingLogger(),
    }).stop();
    const first = server.address();
    await Promise.all([server.stop(), server.stop()]);
    expect(await requestErrorCode(first, '/')).toBe('ECONNREFUSED');
    await server.start();
    const reply = await httpRequest(server.address(), `/.well-known/acme-challenge/${TOKEN}`);
    await server.stop();
    expect(reply.body).toBe(KEY_AUTHORIZATION);
  });

  test('a client that stalls inside its headers is cut off after requestTimeoutMs', async () => {
    const { server } = await startServer({ requestTimeoutMs: 200 });
    try {
      const before = Date.now();
      const exchange = await rawExchange(server.address(), 'GET / HTTP/1.1\r\nHost: a\r\n', 3000);
      // Node either answers 408 or, when the socket idle timeout fires first, just closes.
      expect(['', 'HTTP/1.1 408 Request Timeout']).toContain(exchange.text.split('\r\n')[0]);
      expect([exchange.closedByServer, Date.now() - before < 1500]).toEqual([true, true]);
    } finally {
      await server.stop();
    }
  });
});

describe('HttpChallengeServer on a unix socket', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'acme-challenge-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('serves over the socket with mode 0660 and removes the file on stop()', async () => {
    const path = join(dir, 'responder.sock');
    const { server } = await startServer({ address: { kind: 'unix', path } });
    const info = await stat(path);
    const reply = await httpRequest(server.address(), `/.well-known/acme-challenge/${TOKEN}`);
    await server.stop();
    expect([
      info.isSocket(),
      info.mode & 0o777,
      reply.status,
      reply.body,
      await stat(path).catch(() => 'gone'),
    ]).toEqual([true, 0o660, 200, KEY_AUTHORIZATION, 'gone']);
  });

  test('start() replaces a stale socket file left by a crashed run', async () => {
    const path = join(dir, 'responder.sock');
    // Listen elsewhere, move the socket into place, close: what a killed process leaves behind.
    const crashed = createNetServer();
    await new Promise<void>((resolve) => crashed.listen(join(dir, 'old.sock'), resolve));
    await rename(join(dir, 'old.sock'), path);
    await closeServer(crashed);
    const { server } = await startServer({ address: { kind: 'unix', path } });
    const reply = await httpRequest(server.address(), `/.well-known/acme-challenge/${TOKEN}`);
    await server.stop();
    expect(reply.status).toBe(200);
  });

  test('start() refuses a path that is a regular file and leaves it alone', async () => {
    const path = join(dir, 'responder.sock');
    await writeFile(path, 'keep me');
    const server = new HttpChallengeServer({
      address: { kind: 'unix', path },
      registry: new MemoryChallengeTokenRegistry(),
      logger: new CapturingLogger(),
    });
    await expect(server.start()).rejects.toMatchObject({
      code: 'CHALLENGE_BIND',
      port: path,
      message: `Cannot listen on "unix:${path}" for HTTP-01: the path exists and is not a socket; remove it or pick another path with --http-address`,
    });
    expect(await readFile(path, 'utf8')).toBe('keep me');
  });

  test('start() refuses a socket another process is listening on', async () => {
    const path = join(dir, 'responder.sock');
    const live = createNetServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => live.listen(path, resolve));
    try {
      const server = new HttpChallengeServer({
        address: { kind: 'unix', path },
        registry: new MemoryChallengeTokenRegistry(),
        logger: new CapturingLogger(),
      });
      await expect(server.start()).rejects.toMatchObject({
        code: 'CHALLENGE_BIND',
        message: `Cannot listen on "unix:${path}" for HTTP-01: the socket is in use by another process; stop that process or pick another path with --http-address`,
      });
    } finally {
      await closeServer(live);
    }
  });
});
