/**
 * AcmeService.pendingChallenges(): the challenge of the configured type, and a clear error naming
 * what the CA offered when it is absent. Through the real acme-client and axios against a CA
 * stand-in that offers, for every authorization, the challenges a test gives it.
 */
import { accountKeyThumbprint, AcmeService, type ChallengeType } from '../../../src/acme';
import { CapturingLogger } from '../../../src/log';
import { jwsPayload, sendJson, startHttpServer, type LocalServer, useStandIns, failure } from './_servers';

const standIns = useStandIns();
const { servers, services } = standIns;

type Offer = Array<Record<string, unknown>>;

/** A CA whose authorizations offer `offer(base)`; its challenges answer `valid`, or `invalid` with a problem. */
async function standIn(
  offer: (base: string) => Offer,
  options: { authzStatus?: string; validation?: 'valid' | 'invalid' } = {},
): Promise<LocalServer> {
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
    if (url === '/acct/1') return sendJson(res, 200, { status: 'valid' }, nonce);
    if (url === '/order') {
      const { identifiers } = jwsPayload(server.requests[server.requests.length - 1]!.body) as {
        identifiers: Array<{ type: string; value: string }>;
      };
      const authorizations = identifiers.map((_, i) => `${base}/authz/${i}`);
      return sendJson(
        res,
        201,
        { status: 'pending', finalize: `${base}/order/1/finalize`, identifiers, authorizations },
        { ...nonce, Location: `${base}/order/1` },
      );
    }
    if (url.startsWith('/authz/')) {
      const index = Number(url.slice('/authz/'.length));
      const { identifiers } = jwsPayload(server.requests.find((r) => r.path === '/order')!.body) as {
        identifiers: Array<{ type: string; value: string }>;
      };
      const answered = server.requests.some((r) => r.path.startsWith('/chall/'));
      const status = !answered ? (options.authzStatus ?? 'pending') : (options.validation ?? 'valid');
      const challenges = offer(base).map((c) =>
        status === 'invalid' && c.type === 'tls-alpn-01'
          ? { ...c, status, error: { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'no acme-tls/1 answer' } }
          : c,
      );
      return sendJson(res, 200, { status, identifier: identifiers[index], challenges }, nonce);
    }
    if (url.startsWith('/chall/'))
      return sendJson(res, 200, { type: 'tls-alpn-01', status: 'processing', url: `${base}${url}` }, nonce);
    return void res.writeHead(404, nonce).end();
  });
  servers.push(server);
  return server;
}

function service(directoryUrl: string): AcmeService {
  const acme = new AcmeService(standIns.accountKey, {
    directoryUrl,
    logger: new CapturingLogger(),
    sleep: async () => undefined,
    poll: { initialDelayMs: 1, maxDelayMs: 1 },
  });
  services.push(acme);
  return acme;
}

const HTTP = (base: string) => ({
  type: 'http-01',
  url: `${base}/chall/http`,
  status: 'pending',
  token: 'aHR0cC10b2tlbi0wMDAwMDAwMDAwMDA',
});
const TLS = (base: string) => ({
  type: 'tls-alpn-01',
  url: `${base}/chall/tls`,
  status: 'pending',
  token: 'dGxzLXRva2VuLTAwMDAwMDAwMDAwMDA',
});
const DNS = (base: string) => ({
  type: 'dns-01',
  url: `${base}/chall/dns`,
  status: 'pending',
  token: 'ZG5zLXRva2VuLTAwMDAwMDAwMDAwMDA',
});

async function ordered(server: LocalServer, names: string[] = ['a.test']) {
  const acme = service(`${server.base}/dir`);
  await acme.ensureAccount({ accountUrl: `${server.base}/acct/1` });
  return { acme, order: await acme.newOrder(names) };
}

describe('AcmeService.pendingChallenges()', () => {
  test.each<[string, (base: string) => Offer, ChallengeType, string]>([
    ['tls-alpn-01 among three', (b) => [HTTP(b), DNS(b), TLS(b)], 'tls-alpn-01', 'tls'],
    ['tls-alpn-01 alone', (b) => [TLS(b)], 'tls-alpn-01', 'tls'],
    ['http-01 among three', (b) => [TLS(b), DNS(b), HTTP(b)], 'http-01', 'http'],
  ])('picks the challenge when the CA offers %s', async (_what, offer, type, which) => {
    const server = await standIn(offer);
    const { acme, order } = await ordered(server);
    const [challenge] = await acme.pendingChallenges(order, type);
    const token = which === 'tls' ? TLS('').token : HTTP('').token;
    expect(challenge).toEqual({
      type,
      domain: 'a.test',
      identifierType: 'dns',
      authorizationUrl: `${server.base}/authz/0`,
      challengeUrl: `${server.base}/chall/${which}`,
      token,
      // RFC 8737 §3 uses the RFC 8555 §8.1 key authorization unchanged, like http-01.
      keyAuthorization: `${token}.${accountKeyThumbprint(standIns.accountKey)}`,
    });
  });

  test.each<[string, (base: string) => Offer, ChallengeType, string]>([
    [
      'only http-01 and dns-01',
      (b) => [HTTP(b), DNS(b)],
      'tls-alpn-01',
      'the CA offered no tls-alpn-01 challenge (offered: "http-01", "dns-01")',
    ],
    ['only tls-alpn-01', (b) => [TLS(b)], 'http-01', 'the CA offered no http-01 challenge (offered: "tls-alpn-01")'],
    ['no challenge at all', () => [], 'tls-alpn-01', 'the CA offered no tls-alpn-01 challenge (offered: none)'],
    [
      'a type in other case',
      (b) => [{ ...TLS(b), type: 'TLS-ALPN-01' }],
      'tls-alpn-01',
      'the CA offered no tls-alpn-01 challenge (offered: "TLS-ALPN-01")',
    ],
    [
      'the retired tls-sni-01',
      (b) => [{ ...TLS(b), type: 'tls-sni-01' }],
      'tls-alpn-01',
      'the CA offered no tls-alpn-01 challenge (offered: "tls-sni-01")',
    ],
    [
      'a type with a newline and quotes',
      (b) => [{ ...TLS(b), type: 'x\n"y' }],
      'tls-alpn-01',
      'the CA offered no tls-alpn-01 challenge (offered: "x\\n\\"y")',
    ],
    [
      'a type of 10,000 characters',
      (b) => [{ ...TLS(b), type: 'z'.repeat(10_000) }],
      'tls-alpn-01',
      `the CA offered no tls-alpn-01 challenge (offered: "${'z'.repeat(40)}")`,
    ],
    [
      'a type that is a number',
      (b) => [{ ...TLS(b), type: 7 }],
      'tls-alpn-01',
      'the CA offered no tls-alpn-01 challenge (offered: "7")',
    ],
  ])('refuses an authorization that offers %s, naming what was offered', async (_what, offer, type, detail) => {
    const server = await standIn(offer);
    const { acme, order } = await ordered(server);
    const error = await failure(acme.pendingChallenges(order, type));
    const label = type === 'tls-alpn-01' ? 'TLS-ALPN-01' : 'HTTP-01';
    expect([error.code, error.retryable, error.message]).toEqual([
      'ACME_PROBLEM',
      false,
      `Cannot prepare ${label} for "a.test": ${detail}; choose one it offers with --challenge-type`,
    ]);
  });

  test('http01Challenges() is pendingChallenges(order, "http-01")', async () => {
    const server = await standIn((b) => [TLS(b), HTTP(b)]);
    const { acme, order } = await ordered(server);
    expect(await acme.http01Challenges(order)).toEqual(await acme.pendingChallenges(order, 'http-01'));
  });

  test('skips an authorization that is already valid', async () => {
    const server = await standIn((b) => [TLS(b)], { authzStatus: 'valid' });
    const { acme, order } = await ordered(server);
    expect(await acme.pendingChallenges(order, 'tls-alpn-01')).toEqual([]);
  });

  test('answerChallenge() posts to the TLS-ALPN-01 challenge, and a failed validation names TLS-ALPN-01 and the CA problem', async () => {
    const server = await standIn((b) => [HTTP(b), TLS(b)], { validation: 'invalid' });
    const { acme, order } = await ordered(server);
    const [challenge] = await acme.pendingChallenges(order, 'tls-alpn-01');
    await acme.answerChallenge(challenge!);
    expect(server.requests.filter((r) => r.path.startsWith('/chall/')).map((r) => r.path)).toEqual(['/chall/tls']);
    const error = await failure(acme.waitForAuthorization(challenge!));
    expect([error.code, error.problemType, error.message]).toEqual([
      'ACME_PROBLEM',
      'urn:ietf:params:acme:error:unauthorized',
      expect.stringMatching(/^Cannot validate "a\.test" over TLS-ALPN-01: .*no acme-tls\/1 answer/),
    ]);
  });
});
