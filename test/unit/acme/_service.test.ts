/**
 * AcmeService end to end through the real acme-client and axios, against local stand-ins for
 * an unreachable, failing, slow, untrusted or rate-limiting ACME server. The happy path against
 * a real CA is the integration suite's job (pebble).
 */
import { AcmeService, type AcmeServiceOptions } from '../../../src/acme';
import { fixedClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log';
import {
  closedPort,
  jwsPayload,
  selfSignedCertificate,
  sendJson,
  startHttpServer,
  startHttpsServer,
  type LocalServer,
  useStandIns,
  failure,
} from './_servers';

const ERR = 'urn:ietf:params:acme:error:';
const HINT = 'check the directory URL and that the ACME server is reachable';

const standIns = useStandIns();
const { servers, services } = standIns;

function service(
  directoryUrl: string,
  options: Partial<AcmeServiceOptions> = {},
): { acme: AcmeService; slept: number[]; logger: CapturingLogger } {
  const slept: number[] = [];
  const logger = new CapturingLogger();
  const acme = new AcmeService(standIns.accountKey, {
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

/** A directory whose newNonce works and whose newOrder answers `status` with `problem`. */
function orderRefusingServer(status: number, problem: object, headers: Record<string, string> = {}) {
  return serve((req, res, base) => {
    if (req.url === '/dir')
      return sendJson(res, 200, {
        newNonce: `${base}/nonce`,
        newAccount: `${base}/account`,
        newOrder: `${base}/order`,
      });
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
      async (acme) =>
        acme.newOrder([(await acme.ensureAccount({ accountUrl: 'http://127.0.0.1:1/acct/1' })) && 'a.test', 'b.test']),
      'create an order for "a.test", "b.test"',
    ],
    [
      'renewalInfo()',
      (acme) => acme.renewalInfo('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'),
      'fetch the renewal information for "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"',
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
    const server = await serve((_req, res) =>
      sendJson(res, 400, { type: `${ERR}malformed`, detail: 'Directory says no', status: 400 }),
    );
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

  test('directoryMeta() reports a plain 404 page with the URL and the status', async () => {
    const server = await serve(
      (_req, res) => void res.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>nope</h1>'),
    );
    const { acme } = service(`${server.base}/dir`);
    const error = await failure(acme.directoryMeta());
    expect([error.code, error.status, error.message]).toEqual([
      'ACME_PROBLEM',
      404,
      `Cannot read the ACME directory: "${server.base}/dir" answered HTTP 404`,
    ]);
  });

  test('directoryMeta() retries a 503 on the directory GET after Retry-After, then succeeds', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls += 1;
      if (calls <= 2)
        return sendJson(res, 503, { type: `${ERR}serverInternal`, detail: 'maintenance' }, { 'Retry-After': '2' });
      return sendJson(res, 200, { newNonce: 'x', meta: { termsOfService: 'https://ca.test/tos' } });
    });
    const { acme, slept } = service(`${server.base}/dir`);
    expect([await acme.directoryMeta(), slept, server.requests.length]).toEqual([
      { termsOfService: 'https://ca.test/tos', hasRenewalInfo: false },
      [2_000, 2_000],
      3,
    ]);
  });

  test('directoryMeta() follows a redirect of the directory GET, at most 3 in a row', async () => {
    const moved = await serve((req, res) => {
      if (req.url === '/dir') return sendJson(res, 200, { meta: { website: 'https://ca.test' } });
      if (req.url === '/old') return void res.writeHead(301, { Location: '/dir' }).end();
      return void res.writeHead(302, { Location: '/loop' }).end();
    });
    expect(await service(`${moved.base}/old`).acme.directoryMeta()).toEqual({
      website: 'https://ca.test',
      hasRenewalInfo: false,
    });
    const error = await failure(service(`${moved.base}/loop`).acme.directoryMeta());
    expect([error.message, moved.requests.filter((r) => r.path === '/loop').length]).toEqual([
      `Cannot read the ACME directory: "${moved.base}/loop" answered HTTP 302`,
      4,
    ]);
  });

  test('directoryMeta() gives up after 3 attempts of a persistent 503 and marks the error retryable', async () => {
    const server = await serve((_req, res) =>
      sendJson(res, 503, { type: `${ERR}serverInternal`, detail: 'maintenance' }),
    );
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
    const server = await serve((_req, res) =>
      sendJson(res, 429, { type: `${ERR}rateLimited`, detail: 'too many requests' }, { 'Retry-After': '3600' }),
    );
    const { acme, slept } = service(`${server.base}/dir`);
    const error = await failure(acme.directoryMeta());
    expect([error.code, error.retryAfterMs, slept, server.requests.length]).toEqual([
      'ACME_RATE_LIMITED',
      3_600_000,
      [],
      1,
    ]);
  });

  test('newOrder() never sleeps on a rate limit: ACME_RATE_LIMITED with retryAfterMs after one POST', async () => {
    const server = await orderRefusingServer(
      429,
      { type: `${ERR}rateLimited`, detail: 'too many new orders recently', status: 429 },
      { 'Retry-After': '10800' },
    );
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

  test("newOrder() repeats the step when badNonce outlasts acme-client's own retries, at most 3 times", async () => {
    const server = await orderRefusingServer(400, {
      type: `${ERR}badNonce`,
      detail: 'JWS has an invalid anti-replay nonce',
    });
    const { acme } = service(`${server.base}/dir`);
    await acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
    const error = await failure(acme.newOrder(['a.test']));
    expect(error.problemType).toBe(`${ERR}badNonce`);
    // acme-client sends each request 6 times (1 + 5 badNonce retries); the step runs 3 times.
    expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/order').length).toBe(18);
  });

  test('concurrent operations keep their own problem documents', async () => {
    const [one, two] = await Promise.all([
      orderRefusingServer(403, { type: `${ERR}unauthorized`, detail: 'first server says no' }),
      orderRefusingServer(400, { type: `${ERR}rejectedIdentifier`, detail: 'second server says no' }),
    ]);
    const a = service(`${one!.base}/dir`).acme;
    const b = service(`${two!.base}/dir`).acme;
    await Promise.all([
      a.ensureAccount({ accountUrl: `${one!.base}/acct/1` }),
      b.ensureAccount({ accountUrl: `${two!.base}/acct/1` }),
    ]);
    const errors = await Promise.all([
      failure(a.newOrder(['a.test'])),
      failure(b.newOrder(['b.test'])),
      failure(a.newOrder(['c.test'])),
    ]);
    expect(errors.map((error) => [error.problemType, error.message])).toEqual([
      [`${ERR}unauthorized`, `Cannot create an order for "a.test": first server says no (${ERR}unauthorized)`],
      [
        `${ERR}rejectedIdentifier`,
        `Cannot create an order for "b.test": second server says no (${ERR}rejectedIdentifier)`,
      ],
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
    const server = await startHttpsServer(tls, (_req, res) =>
      sendJson(res, 200, { meta: { website: 'https://ca.test' } }),
    );
    servers.push(server);
    const { acme } = service(`${server.base}/dir`, { caBundlePem: tls.certPem });
    expect(await acme.directoryMeta()).toEqual({ website: 'https://ca.test', hasRenewalInfo: false });
  });
});

describe('AcmeService logging', () => {
  test("acme-client's own lines go to logger.debug tagged component acme-client", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { meta: {} }));
    const { acme, logger } = service(`${server.base}/dir`);
    await acme.directoryMeta();
    expect(logger.records).toContainEqual({
      level: 'debug',
      message: `HTTP request: get ${server.base}/dir`,
      fields: { component: 'acme-client' },
    });
  });

  test('ensureAccount() with a stored account URL makes no request', async () => {
    const server = await serve((_req, res) => sendJson(res, 500, {}));
    const { acme } = service(`${server.base}/dir`);
    expect([await acme.ensureAccount({ accountUrl: `${server.base}/acct/7` }), server.requests]).toEqual([
      `${server.base}/acct/7`,
      [],
    ]);
  });
});

const CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';
const LE_PROFILES = { classic: 'c', tlsserver: 't', shortlived: 's' };
type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/**
 * A CA stand-in: a directory (plus `extra` members), nonces, and newOrder / renewal-info answers
 * from `orders` (one per POST, the last one repeats; default 201) and `renewalInfo`.
 */
async function caServer(
  options: { extra?: (base: string) => object; orders?: Answer[]; renewalInfo?: Answer } = {},
): Promise<LocalServer> {
  let posts = 0;
  const server: LocalServer = await serve((req, res, base) => {
    if (req.url === '/dir') {
      return sendJson(res, 200, {
        newNonce: `${base}/nonce`,
        newAccount: `${base}/account`,
        newOrder: `${base}/order`,
        ...options.extra?.(base),
      });
    }
    if (req.url === '/nonce') return void res.writeHead(200, { 'Replay-Nonce': `bm9uY2U${posts}` }).end();
    if (req.url?.startsWith('/ri/')) {
      const answer = options.renewalInfo ?? {
        status: 404,
        body: { type: `${ERR}malformed`, detail: 'unknown certificate' },
      };
      return sendJson(res, answer.status, answer.body, answer.headers);
    }
    const answer = options.orders?.[Math.min(posts, options.orders.length - 1)];
    posts += 1;
    if (answer !== undefined)
      return sendJson(res, answer.status, answer.body, { 'Replay-Nonce': 'bm9uY2Ux', ...answer.headers });
    // RFC 8555 §7.4: the order is for the identifiers the client asked for.
    const { identifiers } = jwsPayload(server.requests[server.requests.length - 1]!.body) as { identifiers: unknown };
    const order = { status: 'pending', identifiers, authorizations: [], finalize: `${base}/order/1/finalize` };
    return sendJson(res, 201, order, { Location: `${base}/order/1`, 'Replay-Nonce': 'bm9uY2Ux' });
  });
  return server;
}

const postedOrders = (server: LocalServer): unknown[] =>
  server.requests.filter((r) => r.method === 'POST').map((r) => jwsPayload(r.body));

describe('AcmeService.renewalInfo()', () => {
  const withAri = (base: string) => ({ renewalInfo: `${base}/ri` });

  test('renewalInfo() resolves undefined after only the directory GET when the CA has no renewalInfo', async () => {
    const server = await caServer();
    const { acme } = service(`${server.base}/dir`);
    expect([await acme.renewalInfo(CERT_ID), server.requests.map((r) => `${r.method} ${r.path}`)]).toEqual([
      undefined,
      ['GET /dir'],
    ]);
  });

  test('renewalInfo() GETs <renewalInfo>/<CertID> without a JWS and returns the window and Retry-After', async () => {
    const body = {
      suggestedWindow: { start: '2030-01-02T04:00:00Z', end: '2030-01-03T04:00:00Z' },
      explanationURL: 'https://ca.test/why',
    };
    const server = await caServer({
      extra: withAri,
      renewalInfo: { status: 200, body, headers: { 'Retry-After': '21600' } },
    });
    const { acme } = service(`${server.base}/dir`);
    expect(await acme.renewalInfo(CERT_ID)).toEqual({
      window: { start: new Date('2030-01-02T04:00:00Z'), end: new Date('2030-01-03T04:00:00Z') },
      explanationUrl: 'https://ca.test/why',
      retryAfterMs: 21_600_000,
    });
    expect(server.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['GET', '/dir', ''],
      ['GET', `/ri/${CERT_ID}`, ''],
    ]);
  });

  test('renewalInfo() reads an HTTP-date Retry-After against the clock', async () => {
    const body = { suggestedWindow: { start: '2030-01-02T04:00:00Z', end: '2030-01-03T04:00:00Z' } };
    const server = await caServer({
      extra: withAri,
      renewalInfo: { status: 200, body, headers: { 'Retry-After': 'Wed, 01 Jan 2025 01:00:00 GMT' } },
    });
    const { acme } = service(`${server.base}/dir`, { clock: fixedClock(new Date('2025-01-01T00:00:00Z')) });
    expect((await acme.renewalInfo(CERT_ID))?.retryAfterMs).toBe(3_600_000);
  });

  test.each<[string, Answer, (url: string) => object]>([
    [
      'a problem document',
      { status: 404, body: { type: `${ERR}malformed`, detail: 'unknown certificate' } },
      () => ({
        code: 'ACME_PROBLEM',
        status: 404,
        retryable: false,
        retryAfterMs: undefined,
        message: `Cannot fetch the renewal information for "${CERT_ID}": unknown certificate (${ERR}malformed)`,
      }),
    ],
    [
      'a plain 404 page',
      { status: 404, body: 'nope' },
      (url) => ({
        code: 'ACME_PROBLEM',
        status: 404,
        retryable: false,
        retryAfterMs: undefined,
        message: `Cannot fetch the renewal information for "${CERT_ID}": "${url}" answered HTTP 404`,
      }),
    ],
    [
      'a rate limit above the Retry-After cap (not waited for)',
      { status: 429, body: { type: `${ERR}rateLimited`, detail: 'slow down' }, headers: { 'Retry-After': '3600' } },
      () => ({
        code: 'ACME_RATE_LIMITED',
        status: 429,
        retryable: true,
        retryAfterMs: 3_600_000,
        message: `Cannot fetch the renewal information for "${CERT_ID}": slow down (${ERR}rateLimited)`,
      }),
    ],
    [
      'a body that is not JSON',
      { status: 200, body: '{"suggestedWindow":' },
      (url) => ({
        code: 'ACME_PROBLEM',
        status: undefined,
        retryable: true,
        retryAfterMs: undefined,
        message: `Cannot read the renewal information at "${url}": the answer is not a JSON object`,
      }),
    ],
    [
      'a window that ends when it starts',
      { status: 200, body: { suggestedWindow: { start: '2030-01-02T04:00:00Z', end: '2030-01-02T04:00:00Z' } } },
      (url) => ({
        code: 'ACME_PROBLEM',
        status: undefined,
        retryable: true,
        retryAfterMs: undefined,
        message: `Cannot read the renewal information at "${url}": the window ends ("2030-01-02T04:00:00.000Z") before or when it starts ("2030-01-02T04:00:00.000Z")`,
      }),
    ],
  ])('renewalInfo() reports %s', async (_name, answer, expected) => {
    const server = await caServer({
      extra: withAri,
      renewalInfo: typeof answer.body === 'string' ? { ...answer, headers: { 'Content-Type': 'text/plain' } } : answer,
    });
    const { acme, slept } = service(`${server.base}/dir`);
    const error = await failure(acme.renewalInfo(CERT_ID));
    const { code, status, retryable, retryAfterMs, message } = error;
    expect({ code, status, retryable, retryAfterMs, message }).toEqual(expected(`${server.base}/ri/${CERT_ID}`));
    expect(slept).toEqual([]);
  });

  test('renewalInfo() rejects a malformed CertID before any request', async () => {
    const server = await caServer({ extra: withAri });
    const { acme } = service(`${server.base}/dir`);
    const error = await failure(acme.renewalInfo('../../dir'));
    expect([error.code, error.message, server.requests]).toEqual([
      'ACME_PROBLEM',
      'Cannot fetch the renewal information for "../../dir": a CertID is two base64url parts joined by "." (RFC 9773 §4.1)',
      [],
    ]);
  });
});

describe('AcmeService.newOrder()', () => {
  async function ready(options: Parameters<typeof caServer>[0] = {}) {
    const server = await caServer(options);
    const created = service(`${server.base}/dir`);
    await created.acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
    return { server, ...created };
  }
  const withProfiles = () => ({ meta: { profiles: LE_PROFILES } });

  test('newOrder() types DNS names as dns and IP literals as ip, IPv6 in RFC 5952 form, and sends nothing else', async () => {
    const { server, acme } = await ready();
    const order = await acme.newOrder(['a.test', '127.0.0.1', '2001:DB8:0:0:0:0:0:1']);
    expect(postedOrders(server)).toEqual([
      {
        identifiers: [
          { type: 'dns', value: 'a.test' },
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '2001:db8::1' },
        ],
      },
    ]);
    expect([order.url, order.replacesAccepted]).toEqual([`${server.base}/order/1`, undefined]);
  });

  test('newOrder() sends an offered profile and replaces, and reports replacesAccepted', async () => {
    const { server, acme } = await ready({ extra: withProfiles });
    const order = await acme.newOrder(['a.test'], { profile: 'shortlived', replaces: CERT_ID });
    expect(postedOrders(server)).toEqual([
      { identifiers: [{ type: 'dns', value: 'a.test' }], profile: 'shortlived', replaces: CERT_ID },
    ]);
    expect(order.replacesAccepted).toBe(true);
  });

  test.each<[string, (base: string) => object, string]>([
    [
      'a profile the CA does not offer',
      withProfiles,
      'Cannot create an order with profile "longlived": the CA offers "classic", "tlsserver", "shortlived"',
    ],
    [
      'a profile from a CA without profiles',
      () => ({ meta: {} }),
      'Cannot create an order with profile "longlived": the CA offers no profiles; omit the profile',
    ],
  ])('newOrder() rejects %s before any POST', async (_name, extra, message) => {
    const { server, acme } = await ready({ extra });
    const error = await failure(acme.newOrder(['a.test'], { profile: 'longlived' }));
    expect([error.code, error.retryable, error.message, postedOrders(server)]).toEqual([
      'ACME_PROBLEM',
      false,
      message,
      [],
    ]);
  });

  test.each<[string, Answer]>([
    [
      'alreadyReplaced',
      { status: 409, body: { type: `${ERR}alreadyReplaced`, detail: 'already replaced', status: 409 } },
    ],
    [
      "Boulder's conflict",
      { status: 409, body: { type: `${ERR}conflict`, detail: 'which already has a replacement order', status: 409 } },
    ],
    [
      'malformed naming replaces',
      { status: 400, body: { type: `${ERR}malformed`, detail: 'unknown certificate in "replaces"', status: 400 } },
    ],
  ])('newOrder() retries exactly once without replaces after %s and logs a warning', async (_name, rejection) => {
    const { server, acme, logger } = await ready({
      extra: withProfiles,
      orders: [
        rejection,
        {
          status: 201,
          body: {
            status: 'pending',
            identifiers: [{ type: 'dns', value: 'a.test' }],
            authorizations: [],
            finalize: 'x',
          },
          headers: { Location: 'http://127.0.0.1:1/order/2' },
        },
      ],
    });
    const order = await acme.newOrder(['a.test'], { profile: 'tlsserver', replaces: CERT_ID });
    expect(postedOrders(server)).toEqual([
      { identifiers: [{ type: 'dns', value: 'a.test' }], profile: 'tlsserver', replaces: CERT_ID },
      { identifiers: [{ type: 'dns', value: 'a.test' }], profile: 'tlsserver' },
    ]);
    const body = rejection.body as { type: string; detail: string };
    expect([order.url, order.replacesAccepted, logger.records.filter((r) => r.level === 'warn')]).toEqual([
      'http://127.0.0.1:1/order/2',
      false,
      [
        {
          level: 'warn',
          message: 'The CA refused "replaces"; creating the order again without it',
          fields: { replaces: CERT_ID, problemType: body.type, detail: body.detail },
        },
      ],
    ]);
  });

  test.each<[string, Answer, string]>([
    [
      'malformed about something else',
      { status: 400, body: { type: `${ERR}malformed`, detail: 'bad identifier' } },
      `bad identifier (${ERR}malformed)`,
    ],
    [
      'a rate limit',
      {
        status: 429,
        body: { type: `${ERR}rateLimited`, detail: 'too many orders' },
        headers: { 'Retry-After': '3600' },
      },
      `too many orders (${ERR}rateLimited)`,
    ],
  ])('newOrder() does not retry after %s', async (_name, rejection, detail) => {
    const { server, acme } = await ready({ orders: [rejection] });
    const error = await failure(acme.newOrder(['a.test'], { replaces: CERT_ID }));
    expect([error.message, postedOrders(server).length]).toEqual([`Cannot create an order for "a.test": ${detail}`, 1]);
  });

  test('newOrder() fails with the second problem when the order without replaces is refused too', async () => {
    const { server, acme } = await ready({
      orders: [
        { status: 409, body: { type: `${ERR}alreadyReplaced`, detail: 'already replaced' } },
        { status: 400, body: { type: `${ERR}rejectedIdentifier`, detail: 'policy forbids "a.test"' } },
      ],
    });
    const error = await failure(acme.newOrder(['a.test'], { replaces: CERT_ID }));
    expect([error.problemType, error.message, postedOrders(server).length]).toEqual([
      `${ERR}rejectedIdentifier`,
      `Cannot create an order for "a.test": policy forbids "a.test" (${ERR}rejectedIdentifier)`,
      2,
    ]);
  });

  test('newOrder() rejects an IPv6 zone ID before any request', async () => {
    const { server, acme } = await ready();
    const error = await failure(acme.newOrder(['::1%1']));
    expect([error.message, server.requests]).toEqual([
      'Cannot order a certificate for "::1%1": an IPv6 zone ID cannot be certified; remove "%1"',
      [],
    ]);
  });
});
