/**
 * AcmeService end to end through the real acme-client and axios, against local stand-ins for
 * an unreachable, failing, slow, untrusted or rate-limiting ACME server. The happy path against
 * a real CA is the integration suite's job (pebble).
 */
import { AcmeService, createAccountKey, type AcmeServiceOptions } from '../../../src/acme';
import { AcmeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { closedPort, selfSignedCertificate, sendJson, startHttpServer, startHttpsServer, type LocalServer } from './_servers';

const ERR = 'urn:ietf:params:acme:error:';
const HINT = 'check the directory URL and that the ACME server is reachable';

let accountKey: string;
const servers: LocalServer[] = [];
const services: AcmeService[] = [];

beforeAll(async () => {
  accountKey = await createAccountKey();
});

afterEach(async () => {
  services.splice(0).forEach((service) => service.close());
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function service(directoryUrl: string, options: Partial<AcmeServiceOptions> = {}): { acme: AcmeService; slept: number[]; logger: CapturingLogger } {
  const slept: number[] = [];
  const logger = new CapturingLogger();
  const acme = new AcmeService(accountKey, {
    directoryUrl,
    logger,
    sleep: async (ms) => {
      slept.push(ms);
    },
    ...options,
  });
  services.push(acme);
  return { acme, slept, logger };
}

async function serve(handler: Parameters<typeof startHttpServer>[0]): Promise<LocalServer> {
  const server = await startHttpServer(handler);
  servers.push(server);
  return server;
}

async function failure(promise: Promise<unknown>): Promise<AcmeError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AcmeError)) throw new Error(`expected an AcmeError, got ${String(error)}`);
  return error;
}

/** A directory whose newNonce works and whose newOrder answers `status` with `problem`. */
function orderRefusingServer(status: number, problem: object, headers: Record<string, string> = {}) {
  return serve((req, res, base) => {
    if (req.url === '/dir') return sendJson(res, 200, { newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order` });
    if (req.url === '/nonce') return void res.writeHead(200, { 'Replay-Nonce': 'bm9uY2U' }).end();
    return sendJson(res, status, problem, { 'Replay-Nonce': 'bm9uY2UtMg', ...headers });
  });
}

describe('AcmeService against an unreachable directory', () => {
  test.each<[string, (acme: AcmeService) => Promise<unknown>, string]>([
    ['directoryMeta()', (acme) => acme.directoryMeta(), 'read the ACME directory'],
    ['ensureAccount()', (acme) => acme.ensureAccount({ email: 'admin@a.test' }), 'register the ACME account'],
    [
      'newOrder()',
      async (acme) => acme.newOrder([await acme.ensureAccount({ accountUrl: 'http://127.0.0.1:1/acct/1' }) && 'a.test', 'b.test']),
      'create an order for "a.test", "b.test"',
    ],
  ])('%s reports ECONNREFUSED with the directory URL, not a TypeError', async (_name, call, step) => {
    const directoryUrl = `http://127.0.0.1:${await closedPort()}/dir`;
    const { acme } = service(directoryUrl);
    const error = await failure(call(acme));
    expect([error.code, error.retryable, error.message]).toEqual([
      'ACME_NETWORK',
      true,
      `Cannot reach "${directoryUrl}" to ${step}: ECONNREFUSED (connection refused); ${HINT}`,
    ]);
  });

  test('directoryMeta() reports ACME_TIMEOUT naming the request timeout when the server never answers', async () => {
    const server = await serve(() => undefined);
    const { acme } = service(`${server.base}/dir`, { requestTimeoutMs: 200 });
    const error = await failure(acme.directoryMeta());
    expect([error.code, error.retryable, error.message]).toEqual([
      'ACME_TIMEOUT',
      true,
      `Cannot read the ACME directory: "${server.base}/dir" did not answer within 200 ms`,
    ]);
  });
});

describe('AcmeService against a directory that answers with an error', () => {
  test('directoryMeta() turns a problem+json 400 into ACME_PROBLEM with type and status', async () => {
    const server = await serve((_req, res) => sendJson(res, 400, { type: `${ERR}malformed`, detail: 'Directory says no', status: 400 }));
    const { acme } = service(`${server.base}/dir`);
    const error = await failure(acme.directoryMeta());
    expect([error.code, error.problemType, error.status, error.retryable, error.message]).toEqual([
      'ACME_PROBLEM',
      `${ERR}malformed`,
      400,
      false,
      `Cannot read the ACME directory: Directory says no (${ERR}malformed)`,
    ]);
  });

  test('directoryMeta() reports a plain 404 page with the URL', async () => {
    const server = await serve((_req, res) => void res.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>nope</h1>'));
    const { acme } = service(`${server.base}/dir`);
    const error = await failure(acme.directoryMeta());
    expect([error.code, error.status, error.message]).toEqual([
      'ACME_PROBLEM',
      undefined,
      `Cannot read the ACME directory: Attempting to read ACME directory returned error 404: ${server.base}/dir`,
    ]);
  });

  test('directoryMeta() retries a 503 on the directory GET after Retry-After, then succeeds', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls += 1;
      if (calls <= 2) return sendJson(res, 503, { type: `${ERR}serverInternal`, detail: 'maintenance' }, { 'Retry-After': '2' });
      return sendJson(res, 200, { newNonce: 'x', meta: { termsOfService: 'https://ca.test/tos' } });
    });
    const { acme, slept } = service(`${server.base}/dir`);
    expect([await acme.directoryMeta(), slept, server.requests.length]).toEqual([{ termsOfService: 'https://ca.test/tos' }, [2_000, 2_000], 3]);
  });

  test('directoryMeta() gives up after 3 attempts of a persistent 503 and marks the error retryable', async () => {
    const server = await serve((_req, res) => sendJson(res, 503, { type: `${ERR}serverInternal`, detail: 'maintenance' }));
    const { acme, slept } = service(`${server.base}/dir`);
    const error = await failure(acme.directoryMeta());
    expect([error.code, error.retryable, error.status, error.message, slept, server.requests.length]).toEqual([
      'ACME_PROBLEM',
      true,
      503,
      `Cannot read the ACME directory: maintenance (${ERR}serverInternal)`,
      [250, 500],
      3,
    ]);
  });

  test('directoryMeta() does not wait out a Retry-After above the cap: ACME_RATE_LIMITED at once', async () => {
    const server = await serve((_req, res) => sendJson(res, 429, { type: `${ERR}rateLimited`, detail: 'too many requests' }, { 'Retry-After': '3600' }));
    const { acme, slept } = service(`${server.base}/dir`);
    const error = await failure(acme.directoryMeta());
    expect([error.code, error.retryAfterMs, slept, server.requests.length]).toEqual(['ACME_RATE_LIMITED', 3_600_000, [], 1]);
  });

  test('newOrder() never sleeps on a rate limit: ACME_RATE_LIMITED with retryAfterMs after one POST', async () => {
    const server = await orderRefusingServer(429, { type: `${ERR}rateLimited`, detail: 'too many new orders recently', status: 429 }, { 'Retry-After': '10800' });
    const { acme, slept } = service(`${server.base}/dir`);
    await acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
    const error = await failure(acme.newOrder(['a.test']));
    expect([error.code, error.problemType, error.status, error.retryable, error.retryAfterMs, error.message]).toEqual([
      'ACME_RATE_LIMITED',
      `${ERR}rateLimited`,
      429,
      true,
      10_800_000,
      `Cannot create an order for "a.test": too many new orders recently (${ERR}rateLimited)`,
    ]);
    expect([slept, server.requests.filter((r) => r.method === 'POST').length]).toEqual([[], 1]);
  });

  test('concurrent operations keep their own problem documents', async () => {
    const [one, two] = await Promise.all([
      orderRefusingServer(403, { type: `${ERR}unauthorized`, detail: 'first server says no' }),
      orderRefusingServer(400, { type: `${ERR}rejectedIdentifier`, detail: 'second server says no' }),
    ]);
    const a = service(`${one!.base}/dir`).acme;
    const b = service(`${two!.base}/dir`).acme;
    await Promise.all([a.ensureAccount({ accountUrl: `${one!.base}/acct/1` }), b.ensureAccount({ accountUrl: `${two!.base}/acct/1` })]);
    const errors = await Promise.all([failure(a.newOrder(['a.test'])), failure(b.newOrder(['b.test'])), failure(a.newOrder(['c.test']))]);
    expect(errors.map((error) => [error.problemType, error.message])).toEqual([
      [`${ERR}unauthorized`, `Cannot create an order for "a.test": first server says no (${ERR}unauthorized)`],
      [`${ERR}rejectedIdentifier`, `Cannot create an order for "b.test": second server says no (${ERR}rejectedIdentifier)`],
      [`${ERR}unauthorized`, `Cannot create an order for "c.test": first server says no (${ERR}unauthorized)`],
    ]);
  });
});

describe('AcmeService over TLS', () => {
  let tls: { certPem: string; keyPem: string };
  beforeAll(async () => {
    tls = await selfSignedCertificate();
  });

  test('directoryMeta() tells to pass --ca-bundle when the server certificate is not trusted', async () => {
    const server = await startHttpsServer(tls, (_req, res) => sendJson(res, 200, { meta: {} }));
    servers.push(server);
    const { acme } = service(`${server.base}/dir`);
    const error = await failure(acme.directoryMeta());
    expect([error.code, error.retryable, error.message]).toEqual([
      'ACME_NETWORK',
      false,
      `Cannot reach "${server.base}/dir" to read the ACME directory: the server's TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT); pass the CA's root with --ca-bundle`,
    ]);
  });

  test('caBundlePem adds the CA to the trusted roots', async () => {
    const server = await startHttpsServer(tls, (_req, res) => sendJson(res, 200, { meta: { website: 'https://ca.test' } }));
    servers.push(server);
    const { acme } = service(`${server.base}/dir`, { caBundlePem: tls.certPem });
    expect(await acme.directoryMeta()).toEqual({ website: 'https://ca.test' });
  });
});

describe('AcmeService logging', () => {
  test("acme-client's own lines go to logger.debug tagged component acme-client", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { meta: {} }));
    const { acme, logger } = service(`${server.base}/dir`);
    await acme.directoryMeta();
    expect(logger.records).toContainEqual({ level: 'debug', message: `HTTP request: get ${server.base}/dir`, fields: { component: 'acme-client' } });
  });

  test('ensureAccount() with a stored account URL makes no request', async () => {
    const server = await serve((_req, res) => sendJson(res, 500, {}));
    const { acme } = service(`${server.base}/dir`);
    expect([await acme.ensureAccount({ accountUrl: `${server.base}/acct/7` }), server.requests]).toEqual([`${server.base}/acct/7`, []]);
  });
});
