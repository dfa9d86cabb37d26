import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpChallengeServer, MemoryChallengeTokenRegistry, preflightChallenge } from '../../../src/challenge';
import { ChallengeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { closeServer, freePort, KEY_AUTHORIZATION, TOKEN } from './_http';

const DOMAIN = 'a.example.test';
const TARGET = { domain: DOMAIN, token: TOKEN, keyAuthorization: KEY_AUTHORIZATION };
const LABEL = '127.0.0.1:34000';

type Reply = { status: number; body?: string | Buffer; headers?: Record<string, string> } | 'hang';

/** A stand-in for HAProxy's HTTP frontend that records what it was asked. */
async function frontend(
  reply: Reply,
): Promise<{ baseUrl: string; seen: { url?: string; headers?: IncomingHttpHeaders }; server: Server }> {
  const seen: { url?: string; headers?: IncomingHttpHeaders } = {};
  const server = createServer((req, res) => {
    seen.url = req.url;
    seen.headers = req.headers;
    if (reply === 'hang') return;
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

async function stopFrontend(server: Server): Promise<void> {
  server.closeAllConnections();
  await closeServer(server);
}

/** Runs a preflight against a fake frontend and returns its error message (or 'passed'). */
async function preflightAgainst(reply: Reply, options: { timeoutMs?: number; responderLabel?: string } = {}) {
  const { baseUrl, seen, server } = await frontend(reply);
  const logger = new CapturingLogger();
  try {
    await preflightChallenge(TARGET, { baseUrl, logger, responderLabel: LABEL, ...options });
    return { message: 'passed', baseUrl, seen, logger };
  } catch (error) {
    if (!(error instanceof ChallengeError)) throw error;
    return { message: error.message, baseUrl, seen, logger, error };
  } finally {
    await stopFrontend(server);
  }
}

const route = (baseUrl: string) =>
  `Preflight failed for "${DOMAIN}": GET ${baseUrl}/.well-known/acme-challenge/${TOKEN} with Host "${DOMAIN}"`;
const HINT = `check that HAProxy routes /.well-known/acme-challenge/ to the responder on ${LABEL}`;

describe('preflightChallenge()', () => {
  test('passes through the real responder and sends the path and Host the CA will use', async () => {
    const registry = new MemoryChallengeTokenRegistry();
    await registry.add(TOKEN, KEY_AUTHORIZATION);
    const logger = new CapturingLogger();
    const responder = new HttpChallengeServer({
      address: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      registry,
      logger,
    });
    await responder.start();
    const address = responder.address();
    try {
      const port = address.kind === 'tcp' ? address.port : 0;
      await expect(
        preflightChallenge(TARGET, { baseUrl: `http://127.0.0.1:${port}/`, logger }),
      ).resolves.toBeUndefined();
    } finally {
      await responder.stop();
    }
    expect(JSON.stringify(logger.records)).not.toContain(KEY_AUTHORIZATION);
  });

  test('sends GET with Host set to the domain and the challenge path', async () => {
    const result = await preflightAgainst({ status: 200, body: KEY_AUTHORIZATION });
    expect([result.message, result.seen.url, result.seen.headers?.host]).toEqual([
      'passed',
      `/.well-known/acme-challenge/${TOKEN}`,
      DOMAIN,
    ]);
  });

  test.each([
    ['a CRLF', `${KEY_AUTHORIZATION}\r\n`],
    ['spaces and tabs', `${KEY_AUTHORIZATION} \t\n`],
  ])('accepts a body with trailing whitespace (%s)', async (_label, body) => {
    expect((await preflightAgainst({ status: 200, body })).message).toBe('passed');
  });

  test.each([
    [
      'HTTP 404',
      { status: 404, body: 'no route' },
      (b: string) => `${route(b)} returned HTTP 404, expected the key authorization; ${HINT}`,
    ],
    [
      'HTTP 503',
      { status: 503, body: '<h1>503</h1>' },
      (b: string) => `${route(b)} returned HTTP 503, expected the key authorization; ${HINT}`,
    ],
    [
      'a redirect',
      { status: 301, headers: { location: 'https://a.example.test/.well-known/acme-challenge/x' } },
      (b: string) =>
        `${route(b)} returned a redirect (HTTP 301 to "https://a.example.test/.well-known/acme-challenge/x"), expected the key authorization; ${HINT} before any redirect`,
    ],
    [
      'a wrong body',
      { status: 200, body: 'SECRET-LOOKING-BODY' },
      (b: string) =>
        `${route(b)} returned a body that is not the key authorization (19 bytes); another server may be answering this route`,
    ],
    [
      'an empty body',
      { status: 200, body: '' },
      (b: string) =>
        `${route(b)} returned a body that is not the key authorization (0 bytes); another server may be answering this route`,
    ],
    [
      'a body over 4 KiB that starts with the key authorization',
      { status: 200, body: KEY_AUTHORIZATION + 'x'.repeat(5000) },
      (b: string) =>
        `${route(b)} returned a body that is not the key authorization (more than 4096 bytes); another server may be answering this route`,
    ],
    [
      'a body with leading whitespace',
      { status: 200, body: ` ${KEY_AUTHORIZATION}` },
      (b: string) =>
        `${route(b)} returned a body that is not the key authorization (88 bytes); another server may be answering this route`,
    ],
  ])('fails on %s with a message naming the route', async (_label, reply, expected) => {
    const result = await preflightAgainst(reply);
    expect([result.message, result.error?.code]).toEqual([expected(result.baseUrl), 'CHALLENGE_PREFLIGHT']);
  });

  test('never puts the key authorization or the response body in the message', async () => {
    const result = await preflightAgainst({ status: 200, body: `${KEY_AUTHORIZATION}-BODYMARKER` });
    expect([result.message.includes(KEY_AUTHORIZATION), result.message.includes('BODYMARKER')]).toEqual([false, false]);
  });

  test('fails on a refused connection with a question about the frontend', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const preflight = preflightChallenge(TARGET, { baseUrl, logger: new CapturingLogger(), responderLabel: LABEL });
    await expect(preflight).rejects.toMatchObject({
      code: 'CHALLENGE_PREFLIGHT',
      retryable: true,
      message: `${route(baseUrl)} could not connect to 127.0.0.1:${port} (ECONNREFUSED); is HAProxy's HTTP frontend listening there?`,
    });
  });

  test('fails on a frontend that never answers, naming the timeout', async () => {
    const before = Date.now();
    const result = await preflightAgainst('hang', { timeoutMs: 150 });
    expect([result.message, result.error?.retryable, Date.now() - before < 2000]).toEqual([
      `${route(result.baseUrl)} timed out after 150 ms; ${HINT}`,
      true,
      true,
    ]);
  });

  test('omits the responder address from the hint when no label is given', async () => {
    const { baseUrl, server } = await frontend({ status: 404 });
    const preflight = preflightChallenge(TARGET, { baseUrl, logger: new CapturingLogger() });
    await expect(preflight).rejects.toThrow(
      `${route(baseUrl)} returned HTTP 404, expected the key authorization; check that HAProxy routes /.well-known/acme-challenge/ to the responder`,
    );
    await stopFrontend(server);
  });

  test.each([
    [
      'ftp://127.0.0.1/',
      'Preflight failed for "a.example.test": the preflight URL "ftp://127.0.0.1/" is not an http or https URL',
    ],
    ['not a url', 'Preflight failed for "a.example.test": the preflight URL "not a url" is not an http or https URL'],
  ])('rejects the base URL %j', async (baseUrl, message) => {
    await expect(preflightChallenge(TARGET, { baseUrl, logger: new CapturingLogger() })).rejects.toMatchObject({
      code: 'CHALLENGE_PREFLIGHT',
      message,
    });
  });

  test('rejects a malformed token before any request', async () => {
    const preflight = preflightChallenge(
      { ...TARGET, token: '../admin' },
      { baseUrl: 'http://127.0.0.1:1', logger: new CapturingLogger() },
    );
    await expect(preflight).rejects.toMatchObject({
      code: 'CHALLENGE_INVALID',
      message: 'Cannot preflight HTTP-01 token "../admin": it is not base64url of 16 to 128 characters',
    });
  });
});
