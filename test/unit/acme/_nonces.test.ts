import { AcmeService } from '../../../src/acme';
import type { HttpFailure } from '../../../src/acme';
import { NoncePool, readsOwnNonce } from '../../../src/acme/_nonces';
import { CapturingLogger } from '../../../src/log';
import { sendJson, startHttpServer, type LocalServer, useStandIns } from './_servers';

const CA = 'https://ca.test/acme/new-order';
const OTHER_CA = 'https://other-ca.test:8443/acme/order/1';

describe('NoncePool', () => {
  const pool = (): NoncePool => new NoncePool({ maxAgeMs: 1_000, maxPerOrigin: 3 });

  test.each<[string, (p: NoncePool) => (string | undefined)[]]>([
    ['hands out a kept nonce once', (p) => (p.put(CA, 'n1', 0), [p.take(CA, 10), p.take(CA, 10)])],
    ['hands out the newest first', (p) => (p.put(CA, 'n1', 0), p.put(CA, 'n2', 1), [p.take(CA, 2), p.take(CA, 2)])],
    ['shares nonces across URLs of one CA origin', (p) => (p.put(CA, 'n1', 0), [p.take('https://ca.test/nonce', 1)])],
    ['keeps CA origins apart', (p) => (p.put(CA, 'n1', 0), [p.take(OTHER_CA, 1), p.take(CA, 1)])],
    ['keeps the port in the origin', (p) => (p.put(OTHER_CA, 'n1', 0), [p.take('https://other-ca.test/x', 1)])],
    ['drops a nonce older than maxAgeMs', (p) => (p.put(CA, 'n1', 0), [p.take(CA, 1_001)])],
    ['keeps a nonce exactly maxAgeMs old', (p) => (p.put(CA, 'n1', 0), [p.take(CA, 1_000)])],
    ['drops a nonce from the future (clock stepped back)', (p) => (p.put(CA, 'n1', 5_000), [p.take(CA, 0)])],
    [
      'keeps at most maxPerOrigin, dropping the oldest',
      (p) => {
        for (const n of ['n1', 'n2', 'n3', 'n4']) p.put(CA, n, 0);
        return [p.take(CA, 0), p.take(CA, 0), p.take(CA, 0), p.take(CA, 0)];
      },
    ],
    ['takes nothing from an empty pool', (p) => [p.take(CA, 0)]],
    ['takes nothing for an unparsable URL', (p) => (p.put(CA, 'n1', 0), [p.take('not a url', 0)])],
  ])('NoncePool %s', (_name, run) => {
    const expected: Record<string, (string | undefined)[]> = {
      'hands out a kept nonce once': ['n1', undefined],
      'hands out the newest first': ['n2', 'n1'],
      'shares nonces across URLs of one CA origin': ['n1'],
      'keeps CA origins apart': [undefined, 'n1'],
      'keeps the port in the origin': [undefined],
      'drops a nonce older than maxAgeMs': [undefined],
      'keeps a nonce exactly maxAgeMs old': ['n1'],
      'drops a nonce from the future (clock stepped back)': [undefined],
      'keeps at most maxPerOrigin, dropping the oldest': ['n4', 'n3', 'n2', undefined],
      'takes nothing from an empty pool': [undefined],
      'takes nothing for an unparsable URL': [undefined],
    };
    expect(run(pool())).toEqual(expected[_name]);
  });

  test.each<[string, unknown, string]>([
    ['undefined (no header)', undefined, CA],
    ['an empty string', '', CA],
    ['padding (not base64url)', 'bm9uY2U=', CA],
    ['a space', 'n 1', CA],
    ['a header injection attempt', 'n1\r\nSet-Cookie: x=1', CA],
    ['an array (repeated header)', ['n1', 'n2'], CA],
    ['a number', 42, CA],
    ['more than 256 characters', 'a'.repeat(257), CA],
    ['a URL that does not parse', 'n1', '::not a url'],
  ])('NoncePool ignores %s', (_name, nonce, url) => {
    const p = pool();
    p.put(url, nonce, 0);
    expect(p.take(CA, 0)).toBeUndefined();
  });
});

describe('readsOwnNonce()', () => {
  const badNonce: HttpFailure = {
    kind: 'problem',
    problem: { type: 'urn:ietf:params:acme:error:badNonce', status: 400 },
  };
  const malformed: HttpFailure = { kind: 'problem', problem: { type: 'urn:ietf:params:acme:error:malformed' } };
  test.each<[string, string, HttpFailure | undefined, boolean]>([
    ['the newNonce HEAD answer', 'HEAD', undefined, true],
    ['a badNonce answer to a POST', 'POST', badNonce, true],
    ['a successful POST', 'POST', undefined, false],
    ['another problem answer to a POST', 'POST', malformed, false],
    ['a badNonce answer to a GET (not retried by acme-client)', 'GET', badNonce, false],
    ['a GET', 'GET', undefined, false],
  ])('readsOwnNonce() for %s is %p', (_name, method, failure, expected) => {
    expect(readsOwnNonce(method, failure)).toBe(expected);
  });
});

describe('the transport with Replay-Nonces', () => {
  const standIns = useStandIns();

  /** newAccount answers 201 with a fresh nonce each time; the first POST is refused with badNonce when asked. */
  async function accountServer(firstBadNonce: boolean): Promise<LocalServer> {
    let issued = 0;
    let refused = !firstBadNonce;
    const server = await startHttpServer((req, res, base) => {
      issued += 1;
      const nonce = { 'Replay-Nonce': `nonce${issued}` };
      if (req.url === '/dir') return sendJson(res, 200, { newNonce: `${base}/nonce`, newAccount: `${base}/account` });
      if (req.url === '/nonce') return void res.writeHead(200, nonce).end();
      if (!refused) {
        refused = true;
        return sendJson(res, 400, { type: 'urn:ietf:params:acme:error:badNonce', detail: 'stale' }, nonce);
      }
      return sendJson(res, 201, { status: 'valid' }, { ...nonce, Location: `${base}/acct/1` });
    });
    standIns.servers.push(server);
    return server;
  }

  function service(directoryUrl: string): AcmeService {
    const acme = new AcmeService(standIns.accountKey, {
      directoryUrl,
      logger: new CapturingLogger(),
      sleep: async () => undefined,
    });
    standIns.services.push(acme);
    return acme;
  }

  const noncesSent = (server: LocalServer): string[] =>
    server.requests
      .filter((r) => r.method === 'POST')
      .map((r) => {
        const header = JSON.parse(
          Buffer.from((JSON.parse(r.body) as { protected: string }).protected, 'base64url').toString(),
        );
        return (header as { nonce: string }).nonce;
      });

  test.each<[string, boolean, string[], string[]]>([
    [
      'a second signed request uses the nonce of the first answer instead of HEAD newNonce',
      false,
      ['GET /dir', 'HEAD /nonce', 'POST /account', 'GET /dir', 'POST /account'],
      ['nonce2', 'nonce3'],
    ],
    [
      "a badNonce answer's nonce is used once, by acme-client's retry, and the next answer's by the next request",
      true,
      ['GET /dir', 'HEAD /nonce', 'POST /account', 'POST /account', 'GET /dir', 'POST /account'],
      ['nonce2', 'nonce3', 'nonce4'],
    ],
  ])('%s', async (_name, firstBadNonce, requests, nonces) => {
    const server = await accountServer(firstBadNonce);
    const url = `${server.base}/dir`;
    await service(url).ensureAccount({});
    await service(url).ensureAccount({});
    expect([server.requests.map((r) => `${r.method} ${r.path}`), noncesSent(server)]).toEqual([requests, nonces]);
  });
});
