/**
 * The typed HTTP boundary under acme-client: one HTTP exchange over node:http / node:https with a
 * whole-exchange deadline, a body size limit and an AbortSignal. What the CA answered is decoded
 * here, where it arrives: a problem document (RFC 7807, RFC 8555 §6.7) becomes a CapturedProblem,
 * and every failure becomes an AcmeHttpError whose `failure` says what happened as data (a kind,
 * a status, a Node error code). Nothing downstream reads message text to classify an error.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { parseRetryAfter } from './_poll';

/** One subproblem of a problem document (RFC 8555 §6.7.1), one per identifier. */
export interface CapturedSubproblem {
  type?: string;
  detail?: string;
  identifier?: { type?: string; value?: string };
}

/** One RFC 7807 / RFC 8555 §6.7 problem document as decoded at the HTTP boundary. */
export interface CapturedProblem {
  /** Problem type URN, e.g. `urn:ietf:params:acme:error:rateLimited`. */
  type?: string;
  /** Human-readable detail from the CA. */
  detail?: string;
  /** HTTP status of the response (or the `status` member of the document). */
  status?: number;
  /** RFC 8555 §6.7.1 subproblems, one per identifier. */
  subproblems?: CapturedSubproblem[];
  /** The URL that answered with the problem. */
  url?: string;
  /** Retry-After of that response, in ms. */
  retryAfterMs?: number;
}

/** What went wrong in one HTTP exchange, as data. */
export type HttpFailure =
  /** The CA answered an error status with a problem document. */
  | { kind: 'problem'; problem: CapturedProblem }
  /** The CA answered an error status without a problem document (a load balancer's page, an empty body). */
  | { kind: 'status'; url: string; status: number; retryAfterMs?: number }
  /** No answer: the connection could not be made or broke before a response (`code` is Node's, e.g. ECONNREFUSED). */
  | { kind: 'network'; url: string; code: string; reason: string }
  /** The TLS handshake failed (`code` is Node's / OpenSSL's, e.g. DEPTH_ZERO_SELF_SIGNED_CERT). */
  | { kind: 'tls'; url: string; code: string; reason: string }
  /** The whole exchange took longer than the request timeout. */
  | { kind: 'timeout'; url: string; timeoutMs: number }
  /** The connection broke after the status line, in the middle of the body. */
  | { kind: 'broken-body'; url: string; status: number; receivedBytes: number; expectedBytes?: number }
  /** The body was larger than the limit; the connection was closed. */
  | { kind: 'too-large'; url: string; status: number; limitBytes: number }
  /** A JSON content type whose body does not parse (cut short or corrupted). */
  | { kind: 'bad-json'; url: string; status: number; bytes: number }
  /** newAccount answered 200/201 without the account URL in `Location` (RFC 8555 §7.3). */
  | { kind: 'no-account-location'; url: string; status: number };

function summary(failure: HttpFailure): string {
  switch (failure.kind) {
    case 'problem':
      return `${failure.problem.url ?? 'the ACME server'} answered ${failure.problem.type ?? 'a problem'}`;
    case 'network':
    case 'tls':
      return `${failure.url}: ${failure.code}`;
    case 'timeout':
      return `${failure.url}: no answer within ${failure.timeoutMs} ms`;
    default:
      return `${failure.url}: ${failure.kind} (HTTP ${failure.status})`;
  }
}

/** A failed HTTP exchange with the ACME server. Classify it by `failure`, never by `message`. */
export class AcmeHttpError extends Error {
  readonly failure: HttpFailure;

  constructor(failure: HttpFailure, options: { cause?: unknown } = {}) {
    super(summary(failure), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AcmeHttpError';
    this.failure = failure;
  }
}

/** The problem document behind `error`, if it is an AcmeHttpError for one. */
export function problemOf(error: unknown): CapturedProblem | undefined {
  return error instanceof AcmeHttpError && error.failure.kind === 'problem' ? error.failure.problem : undefined;
}

// RFC 8555 §6.7.1 puts one subproblem per identifier; a hostile document must not grow our memory.
const MAX_SUBPROBLEMS_KEPT = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMember(doc: Record<string, unknown>, key: string): string | undefined {
  const value = doc[key];
  return typeof value === 'string' ? value : undefined;
}

function decodeSubproblem(value: unknown): CapturedSubproblem | undefined {
  if (!isRecord(value)) return undefined;
  const identifier = isRecord(value.identifier)
    ? { type: stringMember(value.identifier, 'type'), value: stringMember(value.identifier, 'value') }
    : undefined;
  return { type: stringMember(value, 'type'), detail: stringMember(value, 'detail'), identifier };
}

/**
 * Decodes a problem document: `type`, `detail`, `status` and `subproblems`, each only when it has
 * the right JSON type. Returns undefined when `doc` is not an object with a string `type` or
 * `detail`. `answer` supplies the response's status (it wins over the document's when ≥ 400),
 * URL and Retry-After. Also used for the `error` member of authorizations and orders.
 */
export function decodeProblem(
  doc: unknown,
  answer: { status?: number; url?: string; retryAfterMs?: number } = {},
): CapturedProblem | undefined {
  if (!isRecord(doc)) return undefined;
  const type = stringMember(doc, 'type');
  const detail = stringMember(doc, 'detail');
  if (type === undefined && detail === undefined) return undefined;
  const subproblems = decodeSubproblems(doc.subproblems);
  return {
    type,
    detail,
    status: problemStatus(doc, answer.status),
    ...(subproblems === undefined ? {} : { subproblems }),
    ...(answer.url === undefined ? {} : { url: answer.url }),
    ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }),
  };
}

/** The response's status when it is an error status, else the document's integer `status`. */
function problemStatus(doc: Record<string, unknown>, responseStatus: number | undefined): number | undefined {
  if (responseStatus !== undefined && responseStatus >= 400) return responseStatus;
  return typeof doc.status === 'number' && Number.isInteger(doc.status) ? doc.status : undefined;
}

function decodeSubproblems(value: unknown): CapturedSubproblem[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .slice(0, MAX_SUBPROBLEMS_KEPT)
    .map(decodeSubproblem)
    .filter((sub): sub is CapturedSubproblem => sub !== undefined);
}

/** One request. */
export interface HttpRequest {
  url: string;
  /** Upper case, e.g. `POST`. */
  method: string;
  headers: Record<string, string | string[]>;
  body?: string;
  /** For https URLs; undefined = Node's global agent and default roots. */
  agent?: Agent;
  /** Bound on the whole exchange, from connect to the last body byte. */
  timeoutMs: number;
  maxBodyBytes: number;
  /** Aborts the exchange: the socket is destroyed and exchange() rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** For an HTTP-date Retry-After. */
  now: () => Date;
}

/** One answer. `failure` is set for an error status (≥ 400): a decoded problem, or the bare status. */
export interface HttpAnswer {
  url: string;
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  /** The body: parsed for a JSON content type, else the UTF-8 text ('' when empty). */
  data: unknown;
  retryAfterMs: number | undefined;
  failure: Extract<HttpFailure, { kind: 'problem' | 'status' }> | undefined;
}

const JSON_TYPE = /[/+]json\b/i;
// Node's and OpenSSL's codes for a failed TLS handshake or certificate check.
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** Turns a request-side error (no response yet) into a typed failure. */
function connectionFailure(url: string, error: unknown): HttpFailure {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  if (typeof code !== 'string') return { kind: 'network', url, code: 'unknown error', reason };
  return TLS_CODE.test(code) ? { kind: 'tls', url, code, reason } : { kind: 'network', url, code, reason };
}

function decodeBody(url: string, response: IncomingMessage, body: Buffer): unknown {
  const text = body.toString('utf8');
  const contentType = String(response.headers['content-type'] ?? '');
  if (!JSON_TYPE.test(contentType) || text.trim() === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AcmeHttpError({ kind: 'bad-json', url, status: response.statusCode ?? 0, bytes: body.length });
  }
}

function toAnswer(url: string, response: IncomingMessage, body: Buffer, now: Date): HttpAnswer {
  const status = response.statusCode ?? 0;
  const data = decodeBody(url, response, body);
  const header = response.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(typeof header === 'string' ? header : undefined, now);
  let failure: HttpAnswer['failure'];
  if (status >= 400) {
    const problem = decodeProblem(data, { status, url, retryAfterMs });
    failure =
      problem === undefined
        ? { kind: 'status', url, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }
        : { kind: 'problem', problem };
  }
  return {
    url,
    status,
    statusText: response.statusMessage ?? '',
    headers: response.headers,
    data,
    retryAfterMs,
    failure,
  };
}

/**
 * Performs one HTTP exchange. Resolves for every status (an error status carries `failure`).
 * @throws {AcmeHttpError} network, TLS, timeout, broken or oversized body, JSON that does not parse
 * @throws the signal's reason, at once, when `request.signal` fires (the socket is destroyed)
 */
export function exchange(request: HttpRequest): Promise<HttpAnswer> {
  const { url, signal } = request;
  signal?.throwIfAborted();
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    return Promise.reject(
      new AcmeHttpError({ kind: 'network', url, code: 'ERR_INVALID_URL', reason: 'not a URL' }, { cause: error }),
    );
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    const reason = `unsupported scheme "${target.protocol}"`;
    return Promise.reject(new AcmeHttpError({ kind: 'network', url, code: 'ERR_INVALID_PROTOCOL', reason }));
  }
  return new Promise<HttpAnswer>((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    const req = send(target, {
      method: request.method,
      headers,
      ...(target.protocol === 'https:' && request.agent !== undefined ? { agent: request.agent } : {}),
    });
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: unknown): void =>
      finish(() => {
        req.destroy();
        reject(error);
      });
    const onAbort = (): void => fail(signal?.reason);
    const timer = setTimeout(
      () => fail(new AcmeHttpError({ kind: 'timeout', url, timeoutMs: request.timeoutMs })),
      request.timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => fail(new AcmeHttpError(connectionFailure(url, error), { cause: error })));
    req.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const declared = Number(response.headers['content-length']);
      const expectedBytes = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > request.maxBodyBytes) {
          fail(new AcmeHttpError({ kind: 'too-large', url, status, limitBytes: request.maxBodyBytes }));
          return;
        }
        chunks.push(chunk);
      });
      const broken = (error?: unknown): void =>
        fail(
          new AcmeHttpError(
            {
              kind: 'broken-body',
              url,
              status,
              receivedBytes: received,
              ...(expectedBytes === undefined ? {} : { expectedBytes }),
            },
            { cause: error },
          ),
        );
      response.on('aborted', () => broken());
      response.on('error', broken);
      response.on('end', () => {
        if (!response.complete) return broken();
        try {
          const answer = toAnswer(url, response, Buffer.concat(chunks), request.now());
          finish(() => resolve(answer));
        } catch (error) {
          fail(error);
        }
      });
    });
    req.end(request.body);
  });
}
