/**
 * AcmeService against a CA stand-in that breaks RFC 8555 in ways that used to cost the client
 * its memory or its liveness: an order with far more authorizations than identifiers, an order
 * for other identifiers, and newAccount answered without `Location`. Through the real acme-client
 * and axios; the stand-in records every request.
 */
import { AcmeService } from '../../../src/acme';
import { CapturingLogger } from '../../../src/log';
import { jwsPayload, sendJson, startHttpServer, type LocalServer, useStandIns, failure } from './_servers';

const standIns = useStandIns();
const { servers, services } = standIns;

interface StandIn {
  server: LocalServer;
  /** Most authorization requests in flight at once. */
  peakAuthorizations: () => number;
}

/** What the stand-in answers: newAccount status and headers; the order's members from the requested identifiers. */
interface Behaviour {
  accountStatus?: number;
  accountLocation?: boolean;
  order?: (requested: Array<{ type: string; value: string }>, base: string) => object;
}

async function standIn(behaviour: Behaviour = {}): Promise<StandIn> {
  let inFlight = 0;
  let peak = 0;
  const server: LocalServer = await startHttpServer((req, res, base) => {
    const nonce = { 'Replay-Nonce': `bm9uY2Ut${Date.now()}` };
    const url = req.url ?? '';
    if (url === '/dir')
      return sendJson(res, 200, {
        newNonce: `${base}/nonce`,
        newAccount: `${base}/account`,
        newOrder: `${base}/order`,
      });
    if (url === '/nonce') return void res.writeHead(200, nonce).end();
    if (url === '/account') {
      const location: Record<string, string> =
        behaviour.accountLocation === false ? {} : { Location: `${base}/acct/1` };
      return sendJson(res, behaviour.accountStatus ?? 201, { status: 'valid' }, { ...nonce, ...location });
    }
    if (url === '/acct/1') return sendJson(res, 200, { status: 'valid' }, nonce);
    if (url === '/order') {
      const { identifiers } = jwsPayload(server.requests[server.requests.length - 1]!.body) as {
        identifiers: Array<{ type: string; value: string }>;
      };
      const members = behaviour.order?.(identifiers, base) ?? {
        identifiers,
        authorizations: identifiers.map((_, i) => `${base}/authz/${i}`),
      };
      return sendJson(
        res,
        201,
        { status: 'pending', finalize: `${base}/order/1/finalize`, ...members },
        { ...nonce, Location: `${base}/order/1` },
      );
    }
    if (url.startsWith('/authz/')) {
      const index = Number(url.slice('/authz/'.length));
      const { identifiers } = jwsPayload(server.requests.find((r) => r.path === '/order')!.body) as {
        identifiers: Array<{ type: string; value: string }>;
      };
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      const challenge = { type: 'http-01', url: `${base}/chall/${index}`, status: 'pending', token: `token-${index}` };
      setTimeout(() => {
        inFlight -= 1;
        sendJson(res, 200, { status: 'pending', identifier: identifiers[index], challenges: [challenge] }, nonce);
      }, 20);
      return;
    }
    return void res.writeHead(404, nonce).end();
  });
  servers.push(server);
  return { server, peakAuthorizations: () => peak };
}

function service(directoryUrl: string): AcmeService {
  const acme = new AcmeService(standIns.accountKey, {
    directoryUrl,
    logger: new CapturingLogger(),
    sleep: async () => undefined,
  });
  services.push(acme);
  return acme;
}

const requestsTo = (server: LocalServer, prefix: string): number =>
  server.requests.filter((r) => r.path.startsWith(prefix)).length;
const names = (count: number): string[] => Array.from({ length: count }, (_, i) => `n${i}.test`);

describe('AcmeService.newOrder() and http01Challenges() against a CA that breaks RFC 8555 §7.4', () => {
  test.each<[string, Behaviour['order'], string]>([
    [
      '100,000 authorizations for one identifier',
      (identifiers, base) => ({
        identifiers,
        authorizations: Array.from({ length: 100_000 }, (_, i) => `${base}/authz/${i}`),
      }),
      'Cannot create an order for "a.test": the CA\'s order lists 100000 authorizations for 1 identifier; RFC 8555 §7.4 allows at most one per identifier',
    ],
    [
      'an order for another name',
      (_identifiers, base) => ({
        identifiers: [{ type: 'dns', value: 'evil.test' }],
        authorizations: [`${base}/authz/0`],
      }),
      'Cannot create an order for "a.test": the CA\'s order is for "evil.test" instead of "a.test"; RFC 8555 §7.4 requires the requested identifiers',
    ],
  ])('newOrder() refuses %s, not retryable, before any authorization is fetched', async (_name, order, message) => {
    const { server } = await standIn({ order });
    const acme = service(`${server.base}/dir`);
    await acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
    const error = await failure(acme.newOrder(['a.test']));
    expect([error.code, error.retryable, error.message, requestsTo(server, '/authz/')]).toEqual([
      'ACME_PROBLEM',
      false,
      message,
      0,
    ]);
  });

  test('http01Challenges() fetches the authorizations of a 20-name order at most 4 at a time, in order', async () => {
    const { server, peakAuthorizations } = await standIn();
    const acme = service(`${server.base}/dir`);
    await acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
    const challenges = await acme.http01Challenges(await acme.newOrder(names(20)));
    expect([challenges.map((c) => c.domain), requestsTo(server, '/authz/'), peakAuthorizations()]).toEqual([
      names(20),
      20,
      4,
    ]);
  });

  test('http01Challenges() refuses an authorization for a name the order does not list', async () => {
    const { server } = await standIn();
    const acme = service(`${server.base}/dir`);
    await acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
    const order = await acme.newOrder(['a.test', 'b.test']);
    // The authorizations answer for the identifiers actually ordered; this order object claims others.
    const forged = {
      ...order,
      identifiers: [
        { type: 'dns', value: 'a.test' },
        { type: 'dns', value: 'c.test' },
      ],
    };
    const error = await failure(acme.http01Challenges(forged));
    expect([error.code, error.message]).toEqual([
      'ACME_PROBLEM',
      `Cannot fetch the authorizations for "a.test", "c.test": the CA's authorization "${server.base}/authz/1" is for "b.test", which the order does not list or another authorization already covers (RFC 8555 §7.1.4)`,
    ]);
  });
});

describe('AcmeService account registration against a CA that answers newAccount without Location', () => {
  test.each<[string, number, (acme: AcmeService) => Promise<unknown>, string]>([
    [
      "ensureAccount() with HTTP 200 (the key's existing account)",
      200,
      (acme) => acme.ensureAccount(),
      'register the ACME account',
    ],
    ['ensureAccount() with HTTP 201 (a new account)', 201, (acme) => acme.ensureAccount(), 'register the ACME account'],
    ['lookupAccount() with HTTP 200', 200, (acme) => acme.lookupAccount(), 'look up the ACME account'],
  ])('%s fails at once after one newAccount request, not retryable', async (_name, status, call, step) => {
    const { server } = await standIn({ accountStatus: status, accountLocation: false });
    const error = await failure(call(service(`${server.base}/dir`)));
    expect([error.code, error.retryable, error.status, error.message, requestsTo(server, '/account')]).toEqual([
      'ACME_PROBLEM',
      false,
      status,
      `Cannot ${step}: the CA answered newAccount without a Location header (RFC 8555 §7.3), so the account URL is unknown; report this to the CA or use another directory`,
      1,
    ]);
  });

  test("ensureAccount() still accepts HTTP 200 with a Location (the key's existing account)", async () => {
    const { server } = await standIn({ accountStatus: 200 });
    expect(await service(`${server.base}/dir`).ensureAccount()).toBe(`${server.base}/acct/1`);
  });
});
