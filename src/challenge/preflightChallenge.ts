import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, isIPv6 } from 'node:net';
import { ChallengeError } from '../errors';
import type { Logger } from '../log';
import { assertValidToken } from './_token';

/** Bytes of response body read at most; a key authorization is about 90. */
const MAX_BODY_BYTES = 4096;

/** Errors that mean the TCP (or TLS) connection was never made. */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Options of preflightChallenge. */
export interface PreflightOptions {
  /** The local HAProxy HTTP frontend, e.g. `http://127.0.0.1:80`. */
  baseUrl: string;
  /** Whole-request deadline: connect, headers and body. Default: 5000 ms. */
  timeoutMs?: number;
  logger: Logger;
  /** Names the responder in hints, e.g. `127.0.0.1:34000`. Default: none (the hint says "the responder"). */
  responderLabel?: string;
}

/** What to fetch: the route the CA will use for this identifier. */
export interface PreflightTarget {
  domain: string;
  token: string;
  keyAuthorization: string;
}

type Outcome =
  | { kind: 'response'; status: number; location: string | undefined; body: Buffer; truncated: boolean }
  | { kind: 'error'; error: NodeJS.ErrnoException; connected: boolean }
  | { kind: 'timeout' };

/** Reads at most MAX_BODY_BYTES; more is dropped and reported as truncated. */
function readBody(response: IncomingMessage, done: (body: Buffer, truncated: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      response.destroy();
      done(Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES), true);
    }
  });
  response.on('end', () => done(Buffer.concat(chunks), false));
}

/** One GET with an explicit Host header and no redirect handling; never rejects. */
function fetchOnce(url: URL, host: string, sniName: string | undefined, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
      req.destroy();
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      headers: { host, accept: 'text/plain', 'user-agent': 'haproxy-acme-preflight', connection: 'close' },
      agent: false,
      // Only the public key authorization is compared; the frontend's certificate may be the
      // one we are about to replace, so it is not verified.
      rejectUnauthorized: false,
      servername: sniName,
    });
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    req.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    req.on('error', (error: NodeJS.ErrnoException) => settle({ kind: 'error', error, connected }));
    req.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      readBody(response, (body, truncated) => settle({ kind: 'response', status, location, body, truncated }));
    });
    req.end();
  });
}

function describeError(outcome: Extract<Outcome, { kind: 'error' }>, url: URL, hint: string): string {
  const code = outcome.error.code ?? 'error';
  if (!outcome.connected && CONNECT_ERROR_CODES.has(code)) {
    const question = code === 'ECONNREFUSED' ? "; is HAProxy's HTTP frontend listening there?" : '';
    return `could not connect to ${url.host} (${code})${question}`;
  }
  return `failed: ${outcome.error.message}; ${hint}`;
}

function describeResponse(
  outcome: Extract<Outcome, { kind: 'response' }>,
  expected: string,
  hint: string,
): string | undefined {
  const { status, location, body, truncated } = outcome;
  if (status >= 300 && status < 400) {
    const to = location === undefined ? '' : ` to ${JSON.stringify(location.slice(0, 200))}`;
    return `returned a redirect (HTTP ${status}${to}), expected the key authorization; ${hint} before any redirect`;
  }
  if (status !== 200) return `returned HTTP ${status}, expected the key authorization; ${hint}`;
  // RFC 8555 §8.3: the client verifies the body after trimming trailing whitespace.
  if (!truncated && body.toString('utf8').trimEnd() === expected) return undefined;
  const size = truncated ? `more than ${MAX_BODY_BYTES} bytes` : `${body.length} bytes`;
  return `returned a body that is not the key authorization (${size}); another server may be answering this route`;
}

/** The detail after "GET … with Host …", or undefined when the route answered correctly. */
function describeFailure(
  outcome: Outcome,
  expected: string,
  url: URL,
  timeoutMs: number,
  hint: string,
): string | undefined {
  switch (outcome.kind) {
    case 'timeout':
      return `timed out after ${timeoutMs} ms; ${hint}`;
    case 'error':
      return describeError(outcome, url, hint);
    case 'response':
      return describeResponse(outcome, expected, hint);
  }
}

/** Whether a failed preflight may pass on a later attempt (HAProxy restarting, backend down). */
function isRetryable(outcome: Outcome): boolean {
  return outcome.kind !== 'response' || outcome.status >= 500;
}

/**
 * Fetches the challenge through the local HAProxy frontend exactly as the CA will (path and
 * Host), so a broken route fails here instead of spending a CA validation. Follows no redirects.
 * Neither the key authorization nor the response body ever appear in the error.
 * @throws ChallengeError CHALLENGE_PREFLIGHT, or CHALLENGE_INVALID for a malformed token
 */
export async function preflightChallenge(target: PreflightTarget, options: PreflightOptions): Promise<void> {
  const { domain, token, keyAuthorization } = target;
  assertValidToken(token, 'preflight');
  const timeoutMs = options.timeoutMs ?? 5000;
  const prefix = `Preflight failed for "${domain}"`;
  const base = URL.canParse(options.baseUrl) ? new URL(options.baseUrl) : undefined;
  if (base === undefined || (base.protocol !== 'http:' && base.protocol !== 'https:')) {
    throw new ChallengeError(
      'CHALLENGE_PREFLIGHT',
      `${prefix}: the preflight URL "${options.baseUrl}" is not an http or https URL`,
    );
  }
  const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/.well-known/acme-challenge/${token}`);
  const host = isIPv6(domain) ? `[${domain}]` : domain;
  const hint = `check that HAProxy routes /.well-known/acme-challenge/ to the responder${
    options.responderLabel === undefined ? '' : ` on ${options.responderLabel}`
  }`;
  const outcome = await fetchOnce(url, host, isIP(domain) === 0 ? domain : undefined, timeoutMs);
  const failure = describeFailure(outcome, keyAuthorization, url, timeoutMs, hint);
  if (failure === undefined) {
    options.logger.debug('Preflight passed', { domain, token, url: url.href });
    return;
  }
  throw new ChallengeError('CHALLENGE_PREFLIGHT', `${prefix}: GET ${url.href} with Host "${domain}" ${failure}`, {
    retryable: isRetryable(outcome),
    cause: outcome.kind === 'error' ? outcome.error : undefined,
  });
}
