/**
 * Revocation and key rollover through the real acme-client and axios, against a local stand-in
 * that answers only revokeCert and keyChange; pebble covers the happy path end to end.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { AcmeService, accountKeyThumbprint, createAccountKey } from '../../../src/acme';
import { AcmeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { certs } from '../../fixtures/certs';
import { jwsPayload, sendJson, startHttpServer, type LocalServer } from './_servers';

const ERR = 'urn:ietf:params:acme:error:';
let accountKey: string;
let server: LocalServer | undefined;
let acme: AcmeService | undefined;
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  accountKey = await createAccountKey();
});
afterEach(async () => {
  acme?.close();
  await server?.close();
  server = undefined;
  answer = { status: 200, body: {} };
});

async function ready(): Promise<{ acme: AcmeService; server: LocalServer }> {
  server = await startHttpServer((req, res, base) => {
    if (req.url === '/dir')
      return sendJson(res, 200, {
        newNonce: `${base}/nonce`,
        newAccount: `${base}/account`,
        revokeCert: `${base}/revoke`,
        keyChange: `${base}/key-change`,
      });
    if (req.url === '/nonce') return void res.writeHead(200, { 'Replay-Nonce': 'bm9uY2U' }).end();
    return sendJson(res, answer.status, answer.body, { 'Replay-Nonce': 'bm9uY2Uy' });
  });
  acme = new AcmeService(accountKey, { directoryUrl: `${server.base}/dir`, logger: new CapturingLogger() });
  await acme.ensureAccount({ accountUrl: `${server.base}/acct/7` });
  return { acme, server };
}

const posts = (s: LocalServer) => s.requests.filter((r) => r.method === 'POST');
const protectedHeader = (body: string) =>
  JSON.parse(
    Buffer.from((JSON.parse(body) as { protected: string }).protected, 'base64url').toString('utf8'),
  ) as Record<string, unknown>;
const derOf = (pem: string) => new X509Certificate(pem).raw.toString('base64url');

describe('AcmeService.revokeCertificate()', () => {
  test.each<[string, number | undefined, object]>([
    ['without a reason', undefined, {}],
    ['with reason superseded', 4, { reason: 4 }],
    ['with reason keyCompromise', 1, { reason: 1 }],
  ])('revokeCertificate() posts the leaf DER %s, signed with kid', async (_label, reason, extra) => {
    const { acme, server } = await ready();
    await acme.revokeCertificate(certs.ecLeaf + certs.ecIntermediate, reason === undefined ? {} : { reason });
    const [post] = posts(server);
    expect([post!.path, jwsPayload(post!.body), protectedHeader(post!.body).kid]).toEqual([
      '/revoke',
      { certificate: derOf(certs.ecLeaf), ...extra },
      `${server.base}/acct/7`,
    ]);
  });

  test.each([2, 3, 6, 7, 8, 9, 10, -1, 1.5, Number.NaN])(
    'revokeCertificate() refuses reason code %p before any request',
    async (reason) => {
      const { acme, server } = await ready();
      const error = await acme.revokeCertificate(certs.ecLeaf, { reason }).catch((e: unknown) => e);
      expect([error instanceof AcmeError, (error as Error).message, posts(server)]).toEqual([
        true,
        `Cannot revoke with reason code ${String(reason)}: use 0 (unspecified), 1 (keyCompromise), 4 (superseded) or 5 (cessationOfOperation)`,
        [],
      ]);
    },
  );

  test('revokeCertificate() reports alreadyRevoked as ACME_PROBLEM with the problem type and the serial', async () => {
    const { acme } = await ready();
    answer = {
      status: 400,
      body: { type: `${ERR}alreadyRevoked`, detail: 'Certificate already revoked', status: 400 },
    };
    const error = (await acme.revokeCertificate(certs.ecLeaf).catch((e: unknown) => e)) as AcmeError;
    const serial = new X509Certificate(certs.ecLeaf).serialNumber.toUpperCase();
    expect([error.code, error.problemType, error.message]).toEqual([
      'ACME_PROBLEM',
      `${ERR}alreadyRevoked`,
      `Cannot revoke the certificate with serial "${serial}": Certificate already revoked (${ERR}alreadyRevoked)`,
    ]);
  });

  test('revokeCertificate() refuses a PEM without a certificate', async () => {
    const { acme } = await ready();
    await expect(acme.revokeCertificate(certs.ecLeafKey)).rejects.toThrow(
      'Cannot revoke the certificate: the PEM holds no certificate',
    );
  });
});

describe('AcmeService.rolloverAccountKey()', () => {
  test('rolloverAccountKey() posts to keyChange: outer JWS by kid, inner JWS by the new key over { account, oldKey }', async () => {
    const { acme, server } = await ready();
    const newKey = await createAccountKey();
    await acme.rolloverAccountKey(newKey);
    const [post] = posts(server);
    const inner = jwsPayload(post!.body) as { protected: string; payload: string };
    const innerHeader = protectedHeader(JSON.stringify(inner));
    const innerPayload = JSON.parse(Buffer.from(inner.payload, 'base64url').toString('utf8')) as {
      account: string;
      oldKey: { x: string };
    };
    expect([
      post!.path,
      protectedHeader(post!.body).kid,
      innerHeader.url,
      (innerHeader.jwk as { x: string }).x,
      innerPayload.account,
      innerPayload.oldKey.x,
    ]).toEqual([
      '/key-change',
      `${server.base}/acct/7`,
      `${server.base}/key-change`,
      createPublicKey(newKey).export({ format: 'jwk' }).x,
      `${server.base}/acct/7`,
      createPublicKey(accountKey).export({ format: 'jwk' }).x,
    ]);
  });

  test('rolloverAccountKey() turns a refusal into ACME_PROBLEM naming the step', async () => {
    const { acme } = await ready();
    answer = {
      status: 409,
      body: { type: `${ERR}malformed`, detail: 'new key is already in use for a different account', status: 409 },
    };
    await expect(acme.rolloverAccountKey(await createAccountKey())).rejects.toThrow(
      `Cannot roll over the ACME account key: new key is already in use for a different account (${ERR}malformed)`,
    );
  });
});

describe('accountKeyThumbprint()', () => {
  // RFC 7638 §3.1: the example RSA key and its thumbprint.
  const RFC_7638_JWK = {
    kty: 'RSA',
    n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    e: 'AQAB',
  };
  const rfcKeyPem = createPublicKey({ key: RFC_7638_JWK, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();

  test.each<[string, () => string, string]>([
    ['the RFC 7638 example RSA key', () => rfcKeyPem, 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'],
    [
      'the same key as a private key gives its public thumbprint',
      () => certs.ecLeafKey,
      accountKeyThumbprint(
        createPublicKey(createPrivateKey(certs.ecLeafKey)).export({ type: 'spki', format: 'pem' }).toString(),
      ),
    ],
  ])('accountKeyThumbprint() of %s', (_label, key, expected) => {
    expect(accountKeyThumbprint(key())).toBe(expected);
  });

  test.each([
    ['garbage', 'not a key'],
    ['a truncated private key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'],
  ])('accountKeyThumbprint() refuses %s without echoing it', (_label, input) => {
    expect(() => accountKeyThumbprint(input)).toThrow(
      /^Cannot compute the account key thumbprint: the key does not parse$/,
    );
  });
});
