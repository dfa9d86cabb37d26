/**
 * External account binding (RFC 8555 §7.3.4) through the real acme-client, against a local stand-in
 * that answers newNonce and newAccount and records every JWS it receives.
 */
import { createHmac } from 'node:crypto';
import { AcmeService } from '../../../src/acme';
import { AcmeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { jwsPayload, sendJson, startHttpServer, type LocalServer, useStandIns } from './_servers';

const KID = 'kid-1';
/** pebble's sample EAB key: base64url, 48 bytes. */
const HMAC_KEY = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';
const ERR = 'urn:ietf:params:acme:error:';

interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

const standIns = useStandIns();
const { servers, services } = standIns;

/** A directory whose newAccount answers 201 (or `refusal` when given) and whose nonces always work. */
async function accountServer(refusal?: { status: number; problem: object }): Promise<LocalServer> {
  const server = await startHttpServer((req, res, base) => {
    const nonce = { 'Replay-Nonce': `bm9uY2Ut${Date.now()}` };
    if (req.url === '/dir')
      return sendJson(res, 200, {
        newNonce: `${base}/nonce`,
        newAccount: `${base}/account`,
        newOrder: `${base}/order`,
      });
    if (req.url === '/nonce') return void res.writeHead(200, nonce).end();
    if (refusal !== undefined) return sendJson(res, refusal.status, refusal.problem, nonce);
    return sendJson(
      res,
      201,
      { status: 'valid', orders: `${base}/acct/1/orders` },
      { ...nonce, Location: `${base}/acct/1` },
    );
  });
  servers.push(server);
  return server;
}

function service(directoryUrl: string, eab: boolean, logger = new CapturingLogger()): AcmeService {
  const acme = new AcmeService(standIns.accountKey, {
    directoryUrl,
    logger,
    sleep: async () => undefined,
    ...(eab ? { externalAccountBinding: { kid: KID, hmacKey: HMAC_KEY } } : {}),
  });
  services.push(acme);
  return acme;
}

const newAccountBodies = (server: LocalServer): string[] =>
  server.requests.filter((r) => r.method === 'POST' && r.path === '/account').map((r) => r.body);

describe('AcmeService.ensureAccount() with external account binding', () => {
  test('ensureAccount() signs the account key into externalAccountBinding with HS256, the kid and the newAccount URL', async () => {
    const server = await accountServer();
    const acme = service(`${server.base}/dir`, true);

    expect(await acme.ensureAccount({ email: 'ops@example.test' })).toBe(`${server.base}/acct/1`);

    const [body] = newAccountBodies(server);
    const outer = JSON.parse(body as string) as FlattenedJws;
    const outerHeader = decode(outer.protected);
    const payload = jwsPayload(body as string) as {
      externalAccountBinding: FlattenedJws;
      termsOfServiceAgreed: boolean;
      contact: string[];
    };
    const binding = payload.externalAccountBinding;
    expect({ termsOfServiceAgreed: payload.termsOfServiceAgreed, contact: payload.contact }).toEqual({
      termsOfServiceAgreed: true,
      contact: ['mailto:ops@example.test'],
    });
    // RFC 8555 §7.3.4: protected {alg: MAC, kid: key ID, url: same as outer}; payload: the outer JWK.
    expect(decode(binding.protected)).toEqual({ alg: 'HS256', kid: KID, url: `${server.base}/account` });
    expect(decode(binding.payload)).toEqual(outerHeader.jwk);
    expect(outerHeader.url).toBe(`${server.base}/account`);
    const mac = createHmac('sha256', Buffer.from(HMAC_KEY, 'base64url'))
      .update(`${binding.protected}.${binding.payload}`)
      .digest('base64url');
    expect(binding.signature).toBe(mac);
  });

  test('ensureAccount() sends no externalAccountBinding when none is configured', async () => {
    const server = await accountServer();
    await service(`${server.base}/dir`, false).ensureAccount();
    expect(Object.keys(jwsPayload(newAccountBodies(server)[0] as string) as object)).toEqual(['termsOfServiceAgreed']);
  });

  test('lookupAccount() never sends the binding: onlyReturnExisting creates nothing', async () => {
    const server = await accountServer();
    await service(`${server.base}/dir`, true).lookupAccount();
    expect(jwsPayload(newAccountBodies(server)[0] as string)).toEqual({ onlyReturnExisting: true });
  });

  test('ensureAccount() names --eab-kid and --eab-hmac-key when the CA requires EAB and none is configured', async () => {
    const problem = { type: `${ERR}externalAccountRequired`, detail: 'Account creation requires EAB', status: 400 };
    const server = await accountServer({ status: 400, problem });
    const error = await service(`${server.base}/dir`, false)
      .ensureAccount()
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(AcmeError);
    expect(error).toMatchObject({
      code: 'ACME_PROBLEM',
      problemType: `${ERR}externalAccountRequired`,
      status: 400,
      message:
        `Cannot register the ACME account: Account creation requires EAB (${ERR}externalAccountRequired); ` +
        'pass the key ID and HMAC key from your CA account with --eab-kid and --eab-hmac-key',
    });
    expect((error as AcmeError).cause).toBeInstanceOf(AcmeError);
  });

  test('ensureAccount() passes a CA refusal of the binding through without the key in any message or log line', async () => {
    const problem = {
      type: `${ERR}unauthorized`,
      detail: 'external account binding JWS verification error',
      status: 403,
    };
    const server = await accountServer({ status: 403, problem });
    const logger = new CapturingLogger();
    const error = await service(`${server.base}/dir`, true, logger)
      .ensureAccount()
      .catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({
      problemType: `${ERR}unauthorized`,
      message: `Cannot register the ACME account: external account binding JWS verification error (${ERR}unauthorized)`,
    });
    expect(JSON.stringify([logger.records, (error as Error).message, (error as Error).stack])).not.toContain(HMAC_KEY);
  });
});
