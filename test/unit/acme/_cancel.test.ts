/**
 * The typed HTTP boundary and cancellation, through the real acme-client against loopback
 * servers: a problem document reaches the caller typed (never matched back by its text), and an
 * AbortSignal stops a hanging request (the socket is closed) and a poll wait at once, rejecting
 * with the signal's reason.
 */
import type { IncomingMessage } from 'node:http';
import { AcmeHttpError, AcmeService, type PendingChallenge } from '../../../src/acme';
import { CapturingLogger } from '../../../src/log';
import { failure, sendJson, startHttpServer, type Handler, type LocalServer, useStandIns } from './_servers';

const ERR = 'urn:ietf:params:acme:error:';
const standIns = useStandIns();
const { servers, services } = standIns;

/** A CA whose directory and nonces work and whose other URLs `answer` handles. */
async function ca(answer: Handler): Promise<{ acme: AcmeService; server: LocalServer }> {
  const server = await startHttpServer((req, res, base) => {
    if (req.url === '/dir')
      return sendJson(res, 200, {
        newNonce: `${base}/nonce`,
        newAccount: `${base}/account`,
        newOrder: `${base}/order`,
      });
    if (req.url === '/nonce') return void res.writeHead(200, { 'Replay-Nonce': `bm9uY2U${Date.now()}` }).end();
    answer(req, res, base);
  });
  servers.push(server);
  // Real sleeps and a request timeout far above what any case waits for.
  const acme = new AcmeService(standIns.accountKey, {
    directoryUrl: `${server.base}/dir`,
    logger: new CapturingLogger(),
    requestTimeoutMs: 20_000,
  });
  services.push(acme);
  await acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
  return { acme, server };
}

/** What `promise` rejects with and after how many ms from `since`; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>, since: () => number): Promise<{ error: unknown; afterMs: number }> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (thrown: unknown) => thrown,
  );
  return { error, afterMs: performance.now() - since() };
}

describe('problem documents are typed at the HTTP boundary', () => {
  test('pendingChallenges() types a problem without detail while a parallel authorization answers later', async () => {
    // acme-client's message for this document is its JSON text; the other authorization's 200
    // arrives after it, so "the last problem seen" would be none. Only the typed error knows.
    const problem = {
      type: `${ERR}unauthorized`,
      status: 403,
      subproblems: [{ type: `${ERR}unauthorized`, detail: 'not yours', identifier: { type: 'dns', value: 'a.test' } }],
    };
    const { acme, server } = await ca((req, res) => {
      const nonce = { 'Replay-Nonce': `bm9uY2U${Date.now()}` };
      if (req.url === '/authz/0') return sendJson(res, 403, problem, { ...nonce, 'Retry-After': '7' });
      const authz = {
        status: 'pending',
        identifier: { type: 'dns', value: 'b.test' },
        challenges: [{ type: 'http-01', url: 'x', status: 'pending', token: 't' }],
      };
      setTimeout(() => sendJson(res, 200, authz, nonce), 50);
    });
    const order = {
      url: `${server.base}/order/1`,
      status: 'pending',
      identifiers: [
        { type: 'dns', value: 'a.test' },
        { type: 'dns', value: 'b.test' },
      ],
      authorizations: [`${server.base}/authz/0`, `${server.base}/authz/1`],
      finalize: 'x',
      expires: '',
    } as Parameters<AcmeService['pendingChallenges']>[0];
    const error = await failure(acme.pendingChallenges(order, 'http-01'));
    expect([error.code, error.problemType, error.status, error.retryAfterMs, error.message]).toEqual([
      'ACME_PROBLEM',
      `${ERR}unauthorized`,
      403,
      7_000,
      `Cannot fetch the authorizations for "a.test", "b.test": no detail given (${ERR}unauthorized); "a.test": not yours`,
    ]);
    expect(error.cause).toBeInstanceOf(AcmeHttpError);
    expect((error.cause as AcmeHttpError).failure).toEqual({
      kind: 'problem',
      problem: { ...problem, detail: undefined, url: `${server.base}/authz/0`, retryAfterMs: 7_000 },
    });
  });
});

describe('an AbortSignal cancels ACME calls', () => {
  test('an abort during a request the CA never answers rejects within 100 ms with the reason and closes the socket', async () => {
    let arrived: (req: IncomingMessage) => void = () => undefined;
    const requestArrived = new Promise<IncomingMessage>((resolve) => (arrived = resolve));
    const { acme } = await ca((req) => arrived(req)); // never answers
    const controller = new AbortController();
    const reason = new Error('stop: the command was interrupted');
    const call = acme.newOrder(['a.test'], { signal: controller.signal });
    const req = await requestArrived;
    const socketClosed = new Promise<number>((resolve) => req.socket.once('close', () => resolve(performance.now())));
    const abortedAt = performance.now();
    controller.abort(reason);
    const { error, afterMs } = await rejection(call, () => abortedAt);
    expect(error).toBe(reason);
    expect(afterMs).toBeLessThan(100);
    expect((await socketClosed) - abortedAt).toBeLessThan(100);
  });

  test('an abort during a poll wait (Retry-After: 20) ends the wait at once, with no further poll', async () => {
    const { acme, server } = await ca((_req, res) => {
      const authz = { status: 'pending', identifier: { type: 'dns', value: 'a.test' }, challenges: [] };
      sendJson(res, 200, authz, { 'Replay-Nonce': `bm9uY2U${Date.now()}`, 'Retry-After': '20' });
    });
    const controller = new AbortController();
    const reason = new Error('stop: the deadline passed');
    let abortedAt = 0;
    const challenge: PendingChallenge = {
      domain: 'a.test',
      authorizationUrl: `${server.base}/authz/1`,
      challengeUrl: `${server.base}/chall/1`,
      token: 't',
      keyAuthorization: 'k',
    };
    const waits: number[] = [];
    const call = acme.waitForAuthorization(challenge, {
      signal: controller.signal,
      onWait: (info) => {
        waits.push(info.delayMs);
        setTimeout(() => {
          abortedAt = performance.now();
          controller.abort(reason);
        }, 30);
      },
    });
    const { error, afterMs } = await rejection(call, () => abortedAt);
    expect([error, waits, server.requests.filter((r) => r.path === '/authz/1').length]).toEqual([reason, [20_000], 1]);
    expect(afterMs).toBeLessThan(100);
  });

  test('a signal aborted before the call rejects with its reason without any request', async () => {
    const { acme, server } = await ca((_req, res) => sendJson(res, 500, {}));
    const before = server.requests.length;
    const reason = new Error('already stopped');
    await expect(acme.directoryMeta({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.requests.length).toBe(before);
  });

  test('a signal that never fires changes nothing: badNonce is still retried by acme-client and then typed', async () => {
    const { acme, server } = await ca((_req, res) =>
      sendJson(res, 400, { type: `${ERR}badNonce`, detail: 'bad nonce' }, { 'Replay-Nonce': `bm9uY2U${Date.now()}` }),
    );
    const error = await failure(acme.newOrder(['a.test'], { signal: new AbortController().signal }));
    expect([error.problemType, error.retryable]).toEqual([`${ERR}badNonce`, true]);
    // 1 + 5 acme-client retries per attempt, 3 attempts of the step.
    expect(server.requests.filter((r) => r.path === '/order').length).toBe(18);
  });
});
