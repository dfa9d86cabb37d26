/**
 * Tiny local HTTP(S) servers on 127.0.0.1 that stand in for an unreachable, failing or
 * rate-limiting ACME directory. Not a fake CA: they answer only the one or two requests a test needs.
 */
import { webcrypto } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { AcmeService, createAccountKey } from '../../../src/acme';
import { AcmeError } from '../../../src/errors';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The request body (a JWS for ACME POSTs), UTF-8. */
  body: string;
}

export interface LocalServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  base: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void;

async function listen(server: Server, scheme: 'http' | 'https', handler: Handler): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  let base = '';
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      handler(req, res, base);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts an HTTP server on 127.0.0.1 with a free port. */
export function startHttpServer(handler: Handler): Promise<LocalServer> {
  return listen(createHttpServer(), 'http', handler);
}

/** Starts an HTTPS server on 127.0.0.1 with the given certificate. */
export function startHttpsServer(tls: { certPem: string; keyPem: string }, handler: Handler): Promise<LocalServer> {
  return listen(createHttpsServer({ cert: tls.certPem, key: tls.keyPem }) as unknown as Server, 'https', handler);
}

/** Returns a port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes a JSON body (problem documents get `application/problem+json`). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const isProblem = typeof body === 'object' && body !== null && 'type' in body && status >= 400;
  res.writeHead(status, { 'Content-Type': isProblem ? 'application/problem+json' : 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A self-signed ECDSA certificate for 127.0.0.1 and localhost, valid for one day. */
export async function selfSignedCertificate(): Promise<{ certPem: string; keyPem: string }> {
  x509.cryptoProvider.set(webcrypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=haproxy-acme unit test',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem };
}

/** The JSON payload of a flattened JWS request body (RFC 7515 §7.2.2), e.g. a newOrder request. */
export function jwsPayload(body: string): unknown {
  const { payload } = JSON.parse(body) as { payload: string };
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** What a test file of AcmeService against stand-in CAs keeps: one account key, and what each test opened. */
export interface StandIns {
  /** Made once per file, in beforeAll. */
  accountKey: string;
  /** Closed after each test. */
  servers: LocalServer[];
  /** Closed after each test. */
  services: AcmeService[];
}

/** Registers the file's beforeAll (the account key) and afterEach (close every service and server a test opened). */
export function useStandIns(): StandIns {
  const standIns: StandIns = { accountKey: '', servers: [], services: [] };
  beforeAll(async () => {
    standIns.accountKey = await createAccountKey();
  });
  afterEach(async () => {
    standIns.services.splice(0).forEach((service) => service.close());
    await Promise.all(standIns.servers.splice(0).map((server) => server.close()));
  });
  return standIns;
}

/** The AcmeError `promise` rejects with; anything else (a resolve, another error) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<AcmeError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AcmeError)) throw new Error(`expected an AcmeError, got ${String(error)}`);
  return error;
}
