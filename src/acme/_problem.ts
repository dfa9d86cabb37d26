/**
 * Pure classifier: turns whatever acme-client or axios threw into one AcmeError with a message
 * that names the failed step. acme-client throws `new Error(detail)` for problem documents
 * (src/api.js apiRequest → util.formatResponseError), losing `type` and `status`; the transport
 * captures the problem document itself and hands it in as `context.problem`.
 */
import { AcmeError } from '../errors';

/** One RFC 7807 / RFC 8555 §6.7 problem document as the transport captured it. */
export interface CapturedProblem {
  /** Problem type URN, e.g. `urn:ietf:params:acme:error:rateLimited`. */
  type?: string;
  /** Human-readable detail from the CA. */
  detail?: string;
  /** HTTP status of the response (or the `status` member of the document). */
  status?: number;
  /** RFC 8555 §6.7.1 subproblems, one per identifier. */
  subproblems?: Array<{ type?: string; detail?: string; identifier?: { type?: string; value?: string } }>;
  /** The URL that answered with the problem. */
  url?: string;
  /** Retry-After of that response, in ms. */
  retryAfterMs?: number;
}

/** What toAcmeError needs to know besides the error itself. */
export interface AcmeErrorContext {
  /** The failed step as a verb phrase, e.g. `create an order for "a.test"`. */
  step: string;
  /** The last URL requested in this step, used when the error does not carry one. */
  url?: string;
  /** The problem document behind the error, when the server sent one. */
  problem?: CapturedProblem;
}

const ACME_ERROR = 'urn:ietf:params:acme:error:';
const MAX_DETAIL_CHARS = 300;
const MAX_SUBPROBLEMS = 5;

// Node / OpenSSL verification codes that mean "we do not trust this server's certificate".
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const TLS_OTHER_CODES: Record<string, string> = {
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  CERT_NOT_YET_VALID: "the server's TLS certificate is not valid yet",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate does not cover this host name",
};
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'temporary DNS failure',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
};
const NETWORK_HINT = 'check the directory URL and that the ACME server is reachable';

interface AxiosLike {
  isAxiosError: true;
  code?: string;
  message: string;
  config?: { url?: string; timeout?: number };
  response?: { status: number };
}

function isAxiosLike(error: unknown): error is AxiosLike {
  return typeof error === 'object' && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true;
}

/** Collapses control characters and whitespace runs and bounds the length of server-supplied text. */
export function sanitizeDetail(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length > MAX_DETAIL_CHARS ? `${flat.slice(0, MAX_DETAIL_CHARS - 1)}…` : flat;
}

/** Formats a problem as `<detail> (<type>)` plus its subproblems, e.g. `Rate limit hit (urn:…:rateLimited)`. */
export function describeProblem(problem: CapturedProblem): string {
  const detail = sanitizeDetail(problem.detail ?? '') || 'no detail given';
  const main = problem.type ? `${detail} (${sanitizeDetail(problem.type)})` : detail;
  const subs = (problem.subproblems ?? []).slice(0, MAX_SUBPROBLEMS).map((sub) => {
    const name = sub.identifier?.value ? `"${sanitizeDetail(sub.identifier.value)}": ` : '';
    return `${name}${sanitizeDetail(sub.detail ?? sub.type ?? 'no detail')}`;
  });
  return subs.length > 0 ? `${main}; ${subs.join('; ')}` : main;
}

function fromProblem(problem: CapturedProblem, context: AcmeErrorContext, cause: unknown): AcmeError {
  const message = `Cannot ${context.step}: ${describeProblem(problem)}`;
  const common = { problemType: problem.type, status: problem.status, retryAfterMs: problem.retryAfterMs, cause };
  if (problem.type === `${ACME_ERROR}rateLimited` || problem.status === 429) {
    return new AcmeError('ACME_RATE_LIMITED', message, { ...common, retryable: true });
  }
  const retryable =
    problem.type === `${ACME_ERROR}serverInternal` ||
    problem.type === `${ACME_ERROR}badNonce` ||
    (problem.status !== undefined && problem.status >= 500);
  return new AcmeError('ACME_PROBLEM', message, { ...common, retryable });
}

// ERR_CANCELED: only our transport aborts requests, with the whole-exchange deadline (_transport.ts).
function isAxiosTimeout(error: AxiosLike): boolean {
  return (
    error.code === 'ECONNABORTED' ||
    error.code === 'ERR_CANCELED' ||
    (error.code === 'ETIMEDOUT' && /^timeout of/.test(error.message))
  );
}

/** axios 1.x messages for a body that could not be read (http.js adapter). */
const BROKEN_BODY = /^(stream has been aborted|maxContentLength size of \d+ exceeded)$/;

/**
 * acme-client's http.js sets `validateStatus: null`, so axios rejects with a response only when
 * reading the body failed: the connection broke mid-body (`stream has been aborted`, ECONNRESET)
 * or the body exceeded maxContentLength.
 */
function fromBrokenBody(error: AxiosLike, url: string, context: AcmeErrorContext, status: number): AcmeError {
  if (/maxContentLength/.test(error.message)) {
    return new AcmeError(
      'ACME_PROBLEM',
      `Cannot ${context.step}: "${url}" answered HTTP ${status} with a body above the size limit (${sanitizeDetail(error.message)})`,
      {
        cause: error,
        status,
        retryable: false,
      },
    );
  }
  const why =
    error.code === undefined || error.code === 'ERR_BAD_RESPONSE'
      ? sanitizeDetail(error.message)
      : `${error.code}: ${sanitizeDetail(error.message)}`;
  return new AcmeError(
    'ACME_NETWORK',
    `Cannot reach "${url}" to ${context.step}: the connection broke in the middle of its HTTP ${status} answer (${why}); ${NETWORK_HINT}`,
    { cause: error, retryable: true },
  );
}

function fromAxiosTimeout(error: AxiosLike, url: string, context: AcmeErrorContext): AcmeError {
  const after = error.config?.timeout ? ` within ${error.config.timeout} ms` : ' in time';
  return new AcmeError('ACME_TIMEOUT', `Cannot ${context.step}: "${url}" did not answer${after}`, {
    cause: error,
    retryable: true,
  });
}

function fromResponse(error: AxiosLike, url: string, context: AcmeErrorContext, status: number): AcmeError {
  if (BROKEN_BODY.test(error.message) || NETWORK_CODES[error.code ?? ''] !== undefined)
    return fromBrokenBody(error, url, context, status);
  return new AcmeError('ACME_PROBLEM', `Cannot ${context.step}: "${url}" answered HTTP ${status}`, {
    cause: error,
    status,
    retryable: status >= 500 || status === 429,
  });
}

function fromAxios(error: AxiosLike, context: AcmeErrorContext): AcmeError {
  const url = error.config?.url ?? context.url ?? 'the ACME server';
  const code = error.code ?? 'unknown error';
  const cause = { cause: error };
  if (isAxiosTimeout(error)) return fromAxiosTimeout(error, url, context);
  if (TLS_TRUST_CODES.has(code)) {
    return new AcmeError(
      'ACME_NETWORK',
      `Cannot reach "${url}" to ${context.step}: the server's TLS certificate is not trusted (${code}); pass the CA's root with --ca-bundle`,
      cause,
    );
  }
  if (TLS_OTHER_CODES[code] !== undefined) {
    return new AcmeError(
      'ACME_NETWORK',
      `Cannot reach "${url}" to ${context.step}: ${TLS_OTHER_CODES[code]} (${code})`,
      cause,
    );
  }
  if (error.response !== undefined) return fromResponse(error, url, context, error.response.status);
  const explanation = NETWORK_CODES[code] ?? sanitizeDetail(error.message);
  return new AcmeError(
    'ACME_NETWORK',
    `Cannot reach "${url}" to ${context.step}: ${code} (${explanation}); ${NETWORK_HINT}`,
    {
      ...cause,
      retryable: true,
    },
  );
}

/**
 * Classifies any error thrown while talking to the CA into an AcmeError whose message names
 * `context.step`. An AcmeError passes through unchanged. Never throws.
 */
export function toAcmeError(error: unknown, context: AcmeErrorContext): AcmeError {
  if (error instanceof AcmeError) return error;
  if (isAxiosLike(error)) return fromAxios(error, context);
  if (context.problem !== undefined) return fromProblem(context.problem, context, error);
  const message = sanitizeDetail(error instanceof Error ? error.message : String(error)) || 'unknown error';
  // acme-client (github.com/publishlab/node-acme-client/issues/101): its retry interceptor masks network failures as this TypeError. We
  // remove that interceptor (see _transport.ts), so this only fires if someone re-adds it.
  if (error instanceof TypeError && message.includes("reading 'config'")) {
    const where = context.url ? `"${context.url}"` : 'the ACME server';
    return new AcmeError('ACME_NETWORK', `Cannot reach ${where} to ${context.step}: network error; ${NETWORK_HINT}`, {
      cause: error,
      retryable: true,
    });
  }
  return new AcmeError('ACME_PROBLEM', `Cannot ${context.step}: ${message}`, { cause: error });
}
