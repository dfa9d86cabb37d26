import { createPublicKey } from 'node:crypto';
import Module from 'node:module';
import type * as AcmeClient from 'acme-client';

/**
 * acme-client, loaded on first use rather than at start-up, and only the part we run: its Client
 * (client.js, http.js, api.js, util.js). Its package entry also loads node-forge, and its Client
 * loads axios (with form-data and mime-db) and @peculiar/x509 (with ~190 modules): together
 * ~230 ms of CPU and ~23 MB RSS for every `acme issue`, for code we never run. So before its
 * Client is required, two of its modules are provided from here (acme-client is pinned at 5.4.0,
 * whose internals these follow):
 * - `src/axios.js`: a request function that calls the adapter _transport.ts installs, as axios
 *   did (same headers, same body serialisation, same lenient JSON parse of the answer). Our
 *   adapter did every request already; axios only carried it there.
 * - `src/crypto/index.js`: getJwk() and getPemBodyAsB64u(), the two helpers the Client's JWS and
 *   finalize/revoke use, with node:crypto. CSRs come from _csr.ts. The X.509 helpers behind
 *   acme-client features we do not use (auto(), verifyChallenge(), preferredChain) throw.
 * Where a module registry ignores this (jest's), acme-client loads its own modules unchanged.
 */

/** The request as our adapter receives it: axios' config, or this module's equivalent. */
export interface AcmeRequestConfig {
  url?: string;
  method?: string;
  /** Plain headers, or axios' AxiosHeaders (which has toJSON()). */
  headers?: Record<string, unknown> | { toJSON(): Record<string, unknown> };
  data?: unknown;
}

/** The answer our adapter resolves with. */
export interface AcmeResponse {
  data: unknown;
  status: number;
  statusText: string;
  headers: Record<string, unknown>;
  config: AcmeRequestConfig;
}

/** What performs one request. */
export type AcmeAdapter = (config: AcmeRequestConfig) => Promise<AcmeResponse>;

/** The HTTP client acme-client sends requests with (its `acme.axios`), as far as we use it. */
export interface AcmeHttp {
  defaults: { adapter?: unknown; headers?: unknown };
  request(options: AcmeRequestConfig & Record<string, unknown>): Promise<AcmeResponse>;
  get(url: string, options?: Record<string, unknown>): Promise<AcmeResponse>;
}

/** The parts of acme-client we use. */
export interface AcmeLib {
  Client: typeof AcmeClient.Client;
  axios: AcmeHttp;
  setLogger: (logger: (message: string) => void) => void;
}

// What acme-client 5.4.0's axios instance sends by default (axios' Accept, its own User-Agent).
const DEFAULT_ACCEPT = 'application/json, text/plain, */*';
const USER_AGENT = 'node-acme-client/5.4.0';

/** axios' default transformResponse: a non-empty string that parses as JSON becomes the value. */
function parsedLikeAxios(data: unknown): unknown {
  if (typeof data !== 'string' || data === '') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

/**
 * The stand-in for acme-client's axios instance: merges default and request headers, serialises
 * an object body to JSON, hands the request to `defaults.adapter` and parses a JSON-looking
 * string answer, as axios did; no status check (acme-client and we pass `validateStatus: null`).
 * @throws {Error} when no adapter is installed (installTransport() was not called)
 */
export function createAcmeHttp(): AcmeHttp {
  const defaults: { adapter?: unknown; headers: { common: Record<string, string> } } = {
    headers: { common: { 'User-Agent': USER_AGENT } },
  };
  const request = async (options: AcmeRequestConfig & Record<string, unknown>): Promise<AcmeResponse> => {
    const adapter = defaults.adapter;
    if (typeof adapter !== 'function')
      throw new Error('Cannot send an ACME request: no HTTP adapter is installed; call installTransport() first');
    const headers = { Accept: DEFAULT_ACCEPT, ...defaults.headers.common, ...(options.headers ?? {}) };
    const body = options.data;
    const data = body === undefined || body === null || typeof body === 'string' ? body : JSON.stringify(body);
    const config = { ...options, method: (options.method ?? 'get').toLowerCase(), headers, data };
    const response = await (adapter as AcmeAdapter)(config);
    return { ...response, data: parsedLikeAxios(response.data) };
  };
  return { defaults, request, get: (url, options = {}) => request({ ...options, url, method: 'get' }) };
}

/** acme-client's getJwk(): the public JWK of a private key PEM, members sorted (RFC 7638 order). */
function getJwk(keyPem: string | Buffer): Record<string, unknown> {
  const jwk = createPublicKey(keyPem).export({ format: 'jwk' }) as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(jwk)
      .sort()
      .map((name) => [name, jwk[name]]),
  );
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*?)-----END \1-----/;

/**
 * acme-client's getPemBodyAsB64u(): the first PEM object's DER as base64url.
 * @throws {Error} when there is no PEM object
 */
function getPemBodyAsB64u(pem: string | Buffer): string {
  const match = PEM_BLOCK.exec(pem.toString());
  if (match === null) throw new Error('Unable to parse PEM body from string');
  return Buffer.from((match[2] ?? '').replace(/\s/g, ''), 'base64').toString('base64url');
}

function unavailable(name: string): () => never {
  return () => {
    throw new Error(`Cannot run acme-client's ${name}(): its X.509 helpers are not loaded in haproxy-acme`);
  };
}

/** The stand-in for acme-client's src/crypto/index.js. */
export const ACME_CRYPTO = Object.freeze({
  getJwk,
  getPemBodyAsB64u,
  splitPemChain: unavailable('splitPemChain'),
  readCertificateInfo: unavailable('readCertificateInfo'),
  readCsrDomains: unavailable('readCsrDomains'),
  isAlpnCertificateAuthorizationValid: unavailable('isAlpnCertificateAuthorizationValid'),
});

/** Puts `exports` in Node's module cache as `id`, unless that module is loaded already. */
function provide(id: string, exports: unknown): void {
  const filename = require.resolve(id);
  if (require.cache[filename] !== undefined) return;
  const stand = new Module(filename);
  stand.filename = filename;
  stand.loaded = true;
  stand.exports = exports;
  require.cache[filename] = stand;
}

let loaded: AcmeLib | undefined;

/** acme-client's Client, HTTP client and setLogger, loaded once (see above). */
export function acmeLib(): AcmeLib {
  if (loaded !== undefined) return loaded;
  provide('acme-client/src/crypto/index.js', ACME_CRYPTO);
  provide('acme-client/src/axios.js', createAcmeHttp());
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy on purpose, see above */
  loaded = {
    Client: require('acme-client/src/client') as typeof AcmeClient.Client,
    axios: require('acme-client/src/axios') as AcmeHttp,
    setLogger: (require('acme-client/src/logger') as { setLogger: AcmeLib['setLogger'] }).setLogger,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return loaded;
}
