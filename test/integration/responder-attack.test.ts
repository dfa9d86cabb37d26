/**
 * The HTTP-01 responder under attack, over real loopback sockets: slowloris,
 * huge headers, path tricks, other methods, smuggling shapes, garbage, pipelining and a flood.
 * No CA: a ChallengeResponder on 127.0.0.1 with two current tokens and one cleaned up. Every
 * response any test receives is checked: 200 only with a current key authorization, anything
 * else only with one of the responder's fixed bodies.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ChallengeResponder, type ListenAddress } from '../../src/challenge';
import { CapturingLogger } from '../../src/log';
import { freePort, httpRequest } from '../unit/challenge/_http';
import { flood, startSlowloris } from '../unit/challenge/_attack';
import { parseResponses, sendRaw, violations, type RawReply } from '../unit/challenge/_rawHttp';

const P = '/.well-known/acme-challenge/';
const TOKEN_A = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
const TOKEN_B = 'Rk9PQkFSX2F0dGFja190ZXN0X3Rva2VuX2JfMDEyMzQ';
const TOKEN_GONE = 'Z29uZV90b2tlbl9jbGVhbmVkX3VwX2FmdGVyX3VzZQ';
const KA = (token: string): string => `${token}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;
const CURRENT: ReadonlySet<string> = new Set([KA(TOKEN_A), KA(TOKEN_B)]);
/** Short header timeout so the slowloris cases end quickly; production uses 5000 ms. */
const REQUEST_TIMEOUT_MS = 2000;
const MARKER = 'EchoMarker7Q';

// Exposes gc() without a jest flag, so heap figures compare collected heaps.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let responder: ChallengeResponder;
let address: ListenAddress;
let logger: CapturingLogger;
let release: () => Promise<void>;

beforeAll(async () => {
  logger = new CapturingLogger();
  address = { kind: 'tcp', host: '127.0.0.1', port: await freePort() };
  responder = new ChallengeResponder({ address, logger, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  release = await responder.acquire();
  for (const token of [TOKEN_A, TOKEN_B, TOKEN_GONE]) await responder.present(token, KA(token));
  await responder.cleanup(TOKEN_GONE);
});

afterAll(async () => {
  await release();
});

/** Sends raw bytes and checks every response received (see the file comment). */
async function exchange(
  payload: string | Buffer,
  options: { waitMs?: number; head?: boolean } = {},
): Promise<RawReply> {
  const reply = await sendRaw(address, payload, { waitMs: options.waitMs ?? 10_000 });
  expect(violations(reply, CURRENT, options.head)).toEqual([]);
  return reply;
}

const statusesOf = (reply: RawReply, head = false): number[] =>
  parseResponses(reply.text, head).responses.map((r) => r.status);
const get = (target: string, extra = ''): string =>
  `GET ${target} HTTP/1.1\r\nHost: a.example.test\r\n${extra}Connection: close\r\n\r\n`;

/** Polls `condition` every 50 ms, at most `polls` times; returns whether it came true. */
async function eventually(condition: () => boolean, polls = 600): Promise<boolean> {
  for (let i = 0; i < polls; i += 1) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

describe('tokens', () => {
  test.each([
    ['a current token', get(`${P}${TOKEN_A}`), false, [200], KA(TOKEN_A)],
    ['the other current token', get(`${P}${TOKEN_B}`), false, [200], KA(TOKEN_B)],
    [
      'HEAD for a current token',
      `HEAD ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      true,
      [200],
      '',
    ],
    ['a token removed by cleanup()', get(`${P}${TOKEN_GONE}`), false, [404], 'not found\n'],
    ['an unknown well-formed token', get(`${P}${'U'.repeat(43)}`), false, [404], 'not found\n'],
    ['a current token in lower case', get(`${P}${TOKEN_A.toLowerCase()}`), false, [404], 'not found\n'],
  ])('%s', async (_label, payload, head, statuses, body) => {
    const reply = await exchange(payload, { head });
    expect([statusesOf(reply, head), parseResponses(reply.text, head).responses[0]?.body]).toEqual([statuses, body]);
  });
});

describe('path traversal and encoding tricks', () => {
  test.each([
    ['dot-dot to /etc/passwd', 404, `${P}../../etc/passwd`],
    ['percent-encoded dot-dot', 404, `${P}%2e%2e/%2e%2e/etc/passwd`],
    ['upper-case percent-encoded dot-dot and slash', 404, `${P}%2E%2E%2F${TOKEN_A}`],
    ['double-encoded dot-dot', 404, `${P}%252e%252e/${TOKEN_A}`],
    ['a leading double slash', 404, `/${P}${TOKEN_A}`],
    ['a double slash inside the prefix', 404, `/.well-known//acme-challenge/${TOKEN_A}`],
    ['a double slash before the token', 404, `${P}/${TOKEN_A}`],
    ['a dot segment', 404, `/./.well-known/acme-challenge/${TOKEN_A}`],
    ['an encoded slash in the prefix', 404, `/.well-known/acme-challenge%2f${TOKEN_A}`],
    ['backslashes', 404, `${P}\\..\\..\\${TOKEN_A}`],
    ['an encoded NUL after the token', 404, `${P}${TOKEN_A}%00`],
    ['a raw NUL after the token', 400, `${P}${TOKEN_A}\0`],
    ['a path parameter', 404, `${P}${TOKEN_A};x=y`],
    ['a raw tab', 400, `${P}${TOKEN_A}\t`],
    ['UTF-8 é after the token', 400, `${P}${TOKEN_A}é`],
    ['a right-to-left override', 400, `${P}\u202e${TOKEN_A}`],
    ['fullwidth dots', 400, `${P}${TOKEN_A}\uff0e\uff0e`],
    ['an overlong token (129)', 404, `${P}${'A'.repeat(129)}`],
    ['a token of 1900 characters', 404, `${P}${'A'.repeat(1900)}`],
    ['a target beyond the header limit', 431, `${P}${'A'.repeat(3000)}`],
    ['an absolute-form target', 404, `http://a.example.test${P}${TOKEN_A}`],
    ['an asterisk', 404, '*'],
  ])('%s gets %d', async (_label, status, target) => {
    const reply = await exchange(Buffer.from(get(target), 'utf8'));
    expect([statusesOf(reply), reply.closedByServer]).toEqual([[status], true]);
  });
});

describe('methods other than GET and HEAD', () => {
  test.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH'])(
    '%s with a body gets 405 and nothing echoed',
    async (method) => {
      const body = `${MARKER}=1`;
      const reply = await exchange(
        `${method} ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nX-${MARKER}: 1\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      const [response] = parseResponses(reply.text).responses;
      expect([
        response?.status,
        response?.headers.get('allow'),
        reply.text.includes(MARKER),
        reply.closedByServer,
      ]).toEqual([405, 'GET, HEAD', false, true]);
    },
  );

  test('CONNECT gets 405 and the connection closes', async () => {
    const reply = await exchange(
      `CONNECT ${MARKER}.example.test:443 HTTP/1.1\r\nHost: ${MARKER}.example.test:443\r\n\r\n`,
    );
    expect([statusesOf(reply), reply.text.includes(MARKER), reply.closedByServer]).toEqual([[405], false, true]);
  });
});

describe('request smuggling shapes', () => {
  const smuggled = `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\n\r\n`;
  test.each([
    [
      'two different Content-Length',
      `GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
      [400],
    ],
    [
      'two equal Content-Length',
      `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n`,
      [400],
    ],
    [
      'Content-Length and Transfer-Encoding',
      `GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      [400],
    ],
    [
      'GET with a chunked body hiding a request',
      `GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`,
      [404],
    ],
    [
      'GET with a Content-Length body hiding a request',
      `GET / HTTP/1.1\r\nHost: a\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
      [404],
    ],
    [
      'GET of a token with a chunked body',
      `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      [404],
    ],
    [
      'an unknown transfer coding',
      `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${smuggled}`,
      [404],
    ],
    [
      '"chunked, identity"',
      `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
      [400],
    ],
    [
      'a space before the colon',
      `GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      [400],
    ],
    [
      'a signed Content-Length',
      `GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +${smuggled.length}\r\n\r\n${smuggled}`,
      [400],
    ],
    ['bare CR line ends', `GET ${P}${TOKEN_A} HTTP/1.1\rHost: a\r\r${smuggled}`, [400]],
  ])('%s: the hidden request is never answered and the connection closes', async (_label, payload, statuses) => {
    const reply = await exchange(payload);
    expect([statusesOf(reply), reply.closedByServer]).toEqual([statuses, true]);
  });
});

describe('HTTP/0.9, garbage and pipelining', () => {
  test.each([
    ['an HTTP/0.9 request line', 'GET /\r\n', []],
    ['a request line with no end', `GET ${P}${TOKEN_A} HTTP/1.1`, []],
    ['blank lines only', '\r\n\r\n\r\n', []],
    ['a TLS ClientHello', Buffer.from('160301020001000001fc0303', 'hex'), [400]],
    ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', [400]],
    ['a lower-case method', `get ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\n\r\n`, [400]],
    ['HTTP/1.2', `GET ${P}${TOKEN_A} HTTP/1.2\r\nHost: a\r\n\r\n`, [400]],
    ['HTTP/1.1 without Host', `GET ${P}${TOKEN_A} HTTP/1.1\r\n\r\n`, [400]],
    ['an obsolete folded header', `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n`, [400]],
  ])('%s is refused or dropped after the header timeout', async (_label, payload, statuses) => {
    const reply = await exchange(payload, { waitMs: REQUEST_TIMEOUT_MS + 10_000 });
    expect([statusesOf(reply), reply.closedByServer]).toEqual([statuses, true]);
  });

  test('pipelined requests are answered in order, each with its own answer', async () => {
    const one = (target: string): string => `GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`;
    const payload = [
      one(`${P}${TOKEN_A}`),
      one(`${P}${TOKEN_B}`),
      one(`${P}${TOKEN_GONE}`),
      `DELETE ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\n\r\n`,
      one('/'),
      get(`${P}${TOKEN_A}`),
    ];
    const reply = await exchange(payload.join(''));
    const responses = parseResponses(reply.text).responses.map((r) => [r.status, r.body]);
    expect([responses, reply.closedByServer]).toEqual([
      [
        [200, KA(TOKEN_A)],
        [200, KA(TOKEN_B)],
        [404, 'not found\n'],
        [405, 'method not allowed\n'],
        [404, 'not found\n'],
        [200, KA(TOKEN_A)],
      ],
      true,
    ]);
  });

  test('150 pipelined requests: 100 answered, the rest refused, then the connection closes', async () => {
    const reply = await exchange(`GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\n\r\n`.repeat(150), { waitMs: 10_000 });
    const statuses = statusesOf(reply);
    expect([
      statuses.filter((s) => s === 200).length,
      statuses.filter((s) => s !== 200 && s !== 503),
      reply.closedByServer,
    ]).toEqual([100, [], true]);
  });
});

describe('huge headers', () => {
  test.each([
    ['one 3 KiB header', `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(3 * 1024)}\r\n\r\n`],
    ['one 1 MiB header', `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(1024 * 1024)}\r\n\r\n`],
    ['2000 small headers', `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\n${'X-a: b\r\n'.repeat(2000)}\r\n`],
    ['a 64 KiB header name', `GET ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\n${'N'.repeat(64 * 1024)}: b\r\n\r\n`],
  ])('%s gets 431 or a closed connection', async (_label, payload) => {
    const reply = await exchange(payload);
    const statuses = statusesOf(reply);
    expect([statuses.length === 0 || (statuses.length === 1 && statuses[0] === 431), reply.closedByServer]).toEqual([
      true,
      true,
    ]);
  });
});

describe('slowloris', () => {
  test('200 connections dripping headers: a valid token is still answered meanwhile, and the server drops them all', async () => {
    const slow = await startSlowloris(address, { connections: 200 });
    try {
      const openWhenAnswered: number[] = [];
      const bodies: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const reply = await httpRequest(address, `${P}${TOKEN_A}`);
        openWhenAnswered.push(slow.open());
        bodies.push(`${reply.status} ${reply.body}`);
      }
      const allDropped = await eventually(() => slow.closedByServer() === 200);
      const replies = slow.replies();
      expect([
        bodies,
        openWhenAnswered.every((n) => n > 0),
        allDropped,
        replies.flatMap((r) => violations(r, CURRENT)),
        await eventually(() => responder.openConnections() === 0),
      ]).toEqual([Array(5).fill(`200 ${KA(TOKEN_A)}`), true, true, [], true]);
    } finally {
      slow.stop();
    }
  });

  test('more slowloris connections than maxConnections: the oldest are closed and the valid token is answered', async () => {
    const capped = new ChallengeResponder({
      address: { kind: 'tcp', host: '127.0.0.1', port: await freePort() },
      logger: new CapturingLogger(),
      maxConnections: 50,
    });
    const stop = await capped.acquire();
    await capped.present(TOKEN_A, KA(TOKEN_A));
    const slow = await startSlowloris(capped.address(), { connections: 150 });
    try {
      const counts: number[] = [capped.openConnections()];
      const bodies: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        bodies.push((await httpRequest(capped.address(), `${P}${TOKEN_A}`)).body);
        counts.push(capped.openConnections());
      }
      expect([bodies, Math.max(...counts) <= 50, slow.closedByServer() >= 100]).toEqual([
        Array(5).fill(KA(TOKEN_A)),
        true,
        true,
      ]);
    } finally {
      slow.stop();
      await stop();
    }
  });
});

describe('memory under a bounded flood', () => {
  test('10,000 junk requests and 500 abandoned connections: connections and heap return to baseline', async () => {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const payloads: Array<string | Buffer> = [
      get(`${P}${'U'.repeat(43)}`),
      get(`${P}../../etc/passwd`),
      `POST ${P}${TOKEN_A} HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello`,
      Buffer.from('160301020001000001fc0303', 'hex'),
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(8 * 1024)}\r\n\r\n`,
      get(`${P}${TOKEN_A}`),
    ];
    const abandoned: Socket[] = [];
    for (let i = 0; i < 500; i += 1)
      abandoned.push(
        connect({ host: '127.0.0.1', port: (address as { port: number }).port }).on('error', () => undefined),
      );
    const replies = await flood(address, payloads, { total: 10_000, concurrency: 50 });
    const peakConnections = responder.openConnections();
    const answered = replies.length;
    const bad = replies.flatMap((r) => violations(r, CURRENT));
    // Only the responder's own memory should be left to compare.
    replies.length = 0;
    const drained = await eventually(() => responder.openConnections() === 0);
    for (const socket of abandoned) socket.destroy();
    await sleep(200);
    gc();
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    const valid = await httpRequest(address, `${P}${TOKEN_A}`);
    expect([answered, bad, peakConnections <= 1024, drained, heapGrowthMb < 16, valid.body]).toEqual([
      10_000,
      [],
      true,
      true,
      true,
      KA(TOKEN_A),
    ]);
  });
});

test('no request in this file made the responder log a failure', () => {
  expect(logger.records.filter((r) => r.level !== 'debug')).toEqual([]);
});
