/**
 * The transport under AcmeService against local servers that break an answer the way the fault
 * proxy of the integration suite does: a body cut short, a connection reset mid-body,
 * a load balancer's HTML page, an answer trickled slower than the request timeout.
 */
import type { ServerResponse } from 'node:http';
import { AcmeService } from '../../../src/acme';
import { CapturingLogger } from '../../../src/log';
import { sendJson, startHttpServer, type LocalServer, useStandIns, failure } from './_servers';

const HINT = 'check the directory URL and that the ACME server is reachable';
const ORDER = JSON.stringify({
  status: 'pending',
  identifiers: [{ type: 'dns', value: 'a.test' }],
  authorizations: [],
  finalize: 'x',
});

const standIns = useStandIns();
const { servers, services } = standIns;

type Answer = (res: ServerResponse) => void;

/**
 * A CA whose directory and nonce work and whose newOrder (and every other URL) gets `answer`.
 * The request timeout is generous unless a case is about it, so a busy machine cannot turn an
 * answer into a timeout.
 */
async function caAnswering(
  answer: Answer,
  requestTimeoutMs = 10_000,
): Promise<{ acme: AcmeService; server: LocalServer; slept: number[] }> {
  const server = await startHttpServer((req, res, base) => {
    if (req.url === '/dir')
      return sendJson(res, 200, {
        newNonce: `${base}/nonce`,
        newAccount: `${base}/account`,
        newOrder: `${base}/order`,
      });
    if (req.url === '/nonce') return void res.writeHead(200, { 'Replay-Nonce': 'bm9uY2U' }).end();
    answer(res);
  });
  servers.push(server);
  const slept: number[] = [];
  const acme = new AcmeService(standIns.accountKey, {
    directoryUrl: `${server.base}/dir`,
    logger: new CapturingLogger(),
    requestTimeoutMs,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  services.push(acme);
  await acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
  return { acme, server, slept };
}

const half = ORDER.slice(0, Math.floor(ORDER.length / 2));

describe('the transport names what broke in an answer', () => {
  test.each<[string, Answer, (base: string) => object]>([
    [
      'a load balancer HTML page with HTTP 503 and Retry-After by its status, retryable',
      (res) =>
        void res
          .writeHead(503, { 'Content-Type': 'text/html', 'Retry-After': '120', 'Replay-Nonce': 'bm9uY2UtMg' })
          .end('<html><h1>503</h1></html>'),
      (base) => ({
        code: 'ACME_PROBLEM',
        status: 503,
        retryable: true,
        retryAfterMs: 120_000,
        message: `Cannot create an order for "a.test": "${base}/order" answered HTTP 503`,
      }),
    ],
    [
      'an empty HTTP 429 as a rate limit',
      (res) => void res.writeHead(429, { 'Retry-After': '86400', 'Replay-Nonce': 'bm9uY2UtMg' }).end(),
      (base) => ({
        code: 'ACME_RATE_LIMITED',
        status: 429,
        retryable: true,
        retryAfterMs: 86_400_000,
        message: `Cannot create an order for "a.test": "${base}/order" answered HTTP 429`,
      }),
    ],
    [
      'JSON cut short by its size, not by what acme-client then trips over',
      (res) =>
        void res
          .writeHead(201, { 'Content-Type': 'application/json', Location: 'x', 'Replay-Nonce': 'bm9uY2UtMg' })
          .end(half),
      (base) => ({
        code: 'ACME_PROBLEM',
        status: 201,
        retryable: true,
        retryAfterMs: undefined,
        message: `Cannot create an order for "a.test": "${base}/order" answered HTTP 201 with JSON that does not parse (${half.length} bytes, cut short or corrupted)`,
      }),
    ],
    [
      'a connection reset in the middle of the body as a network failure, not as "answered HTTP 201"',
      (res) => {
        res.writeHead(201, {
          'Content-Type': 'application/json',
          'Content-Length': String(ORDER.length),
          'Replay-Nonce': 'bm9uY2UtMg',
        });
        res.write(half, () => res.destroy());
      },
      (base) => ({
        code: 'ACME_NETWORK',
        status: undefined,
        retryable: true,
        retryAfterMs: undefined,
        message: `Cannot reach "${base}/order" to create an order for "a.test": the connection broke in the middle of its HTTP 201 answer (after ${half.length} of ${ORDER.length} bytes); ${HINT}`,
      }),
    ],
  ])('newOrder() reports %s', async (_name, answer, expected) => {
    const { acme, server, slept } = await caAnswering(answer);
    const { code, status, retryable, retryAfterMs, message } = await failure(acme.newOrder(['a.test']));
    expect({ code, status, retryable, retryAfterMs, message }).toEqual(expected(server.base));
    expect(slept).toEqual([]);
  });

  test('newOrder() gives up at the request timeout on an answer trickled one byte every 100 ms', async () => {
    const timers: NodeJS.Timeout[] = [];
    const { acme, server } = await caAnswering((res) => {
      res.writeHead(201, {
        'Content-Type': 'application/json',
        'Content-Length': String(ORDER.length),
        'Replay-Nonce': 'bm9uY2UtMg',
      });
      // Bounded: at most the whole body, one byte per tick; the socket's idle timer never fires.
      let sent = 0;
      const tick = (): void => {
        if (res.destroyed || sent >= ORDER.length) return void res.end();
        res.write(ORDER[sent]);
        sent += 1;
        timers.push(setTimeout(tick, 100));
      };
      tick();
    }, 300);
    const error = await failure(acme.newOrder(['a.test']));
    timers.forEach((timer) => clearTimeout(timer));
    expect([error.code, error.retryable, error.message]).toEqual([
      'ACME_TIMEOUT',
      true,
      `Cannot create an order for "a.test": "${server.base}/order" did not answer within 300 ms`,
    ]);
  });
});
