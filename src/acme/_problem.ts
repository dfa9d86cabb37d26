/**
 * Pure classifier: turns a typed failure of the HTTP boundary (_http.ts AcmeHttpError: a decoded
 * problem document, a Node error code, a timeout…) into one AcmeError whose message names the
 * failed step and says what to do next. It reads only typed fields, never an error's message.
 */
import { AcmeError } from '../errors';
import { AcmeHttpError, type CapturedProblem, type HttpFailure } from './_http';

export type { CapturedProblem, CapturedSubproblem } from './_http';

/** What toAcmeError needs to know besides the error itself. */
export interface AcmeErrorContext {
  /** The failed step as a verb phrase, e.g. `create an order for "a.test"`. */
  step: string;
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

/**
 * The AcmeError for a problem document (from a response, or the `error` of an authorization or
 * order): ACME_RATE_LIMITED for `rateLimited` or HTTP 429, else ACME_PROBLEM, retryable for
 * `serverInternal`, `badNonce` and 5xx. The message is `Cannot <step>: <detail> (<type>)`.
 */
export function problemError(problem: CapturedProblem, context: AcmeErrorContext, cause?: unknown): AcmeError {
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

function tlsError(failure: Extract<HttpFailure, { kind: 'tls' }>, step: string, cause: unknown): AcmeError {
  const reach = `Cannot reach "${failure.url}" to ${step}`;
  const { code } = failure;
  if (TLS_TRUST_CODES.has(code)) {
    return new AcmeError(
      'ACME_NETWORK',
      `${reach}: the server's TLS certificate is not trusted (${code}); pass the CA's root with --ca-bundle`,
      { cause },
    );
  }
  const why = TLS_OTHER_CODES[code];
  if (why !== undefined) return new AcmeError('ACME_NETWORK', `${reach}: ${why} (${code})`, { cause });
  return new AcmeError(
    'ACME_NETWORK',
    `${reach}: the TLS handshake failed (${code}: ${sanitizeDetail(failure.reason)}); check that the directory URL is the CA's https URL`,
    { cause },
  );
}

function statusError(failure: Extract<HttpFailure, { kind: 'status' }>, step: string, cause: unknown): AcmeError {
  const { status, url, retryAfterMs } = failure;
  const message = `Cannot ${step}: "${url}" answered HTTP ${status}`;
  if (status === 429)
    return new AcmeError('ACME_RATE_LIMITED', message, { cause, status, retryAfterMs, retryable: true });
  return new AcmeError('ACME_PROBLEM', message, { cause, status, retryAfterMs, retryable: status >= 500 });
}

type ConnectionFailure = Extract<HttpFailure, { kind: 'network' | 'timeout' | 'broken-body' }>;

/** No (complete) answer: the connection failed, broke or took too long. Retryable. */
function connectionError(failure: ConnectionFailure, step: string, cause: unknown): AcmeError {
  const options = { cause, retryable: true };
  const reach = `Cannot reach "${failure.url}" to ${step}`;
  if (failure.kind === 'timeout')
    return new AcmeError(
      'ACME_TIMEOUT',
      `Cannot ${step}: "${failure.url}" did not answer within ${failure.timeoutMs} ms`,
      options,
    );
  if (failure.kind === 'network') {
    const explanation = NETWORK_CODES[failure.code] ?? (sanitizeDetail(failure.reason) || 'no detail');
    return new AcmeError('ACME_NETWORK', `${reach}: ${failure.code} (${explanation}); ${NETWORK_HINT}`, options);
  }
  const of = failure.expectedBytes === undefined ? '' : ` of ${failure.expectedBytes}`;
  return new AcmeError(
    'ACME_NETWORK',
    `${reach}: the connection broke in the middle of its HTTP ${failure.status} answer (after ${failure.receivedBytes}${of} bytes); ${NETWORK_HINT}`,
    options,
  );
}

type BadAnswer = Extract<HttpFailure, { kind: 'too-large' | 'bad-json' | 'no-account-location' }>;

/** An answer that arrived whole but cannot be used. */
function badAnswerError(failure: BadAnswer, step: string, cause: unknown): AcmeError {
  const { url, status } = failure;
  if (failure.kind === 'too-large') {
    return new AcmeError(
      'ACME_PROBLEM',
      `Cannot ${step}: "${url}" answered HTTP ${status} with a body above the size limit (more than ${failure.limitBytes} bytes); report this to the CA`,
      { cause, status },
    );
  }
  if (failure.kind === 'bad-json') {
    return new AcmeError(
      'ACME_PROBLEM',
      `Cannot ${step}: "${url}" answered HTTP ${status} with JSON that does not parse (${failure.bytes} bytes, cut short or corrupted)`,
      { cause, status, retryable: true },
    );
  }
  return new AcmeError(
    'ACME_PROBLEM',
    `Cannot ${step}: the CA answered newAccount without a Location header (RFC 8555 §7.3), so the account URL is unknown; report this to the CA or use another directory`,
    { cause, status },
  );
}

/** The AcmeError for one typed failure of the HTTP boundary. */
export function failureError(failure: HttpFailure, context: AcmeErrorContext, cause?: unknown): AcmeError {
  switch (failure.kind) {
    case 'problem':
      return problemError(failure.problem, context, cause);
    case 'status':
      return statusError(failure, context.step, cause);
    case 'tls':
      return tlsError(failure, context.step, cause);
    case 'network':
    case 'timeout':
    case 'broken-body':
      return connectionError(failure, context.step, cause);
    default:
      return badAnswerError(failure, context.step, cause);
  }
}

/**
 * Classifies any error thrown while talking to the CA into an AcmeError whose message names
 * `context.step`. An AcmeError passes through unchanged; an AcmeHttpError is classified by its
 * typed `failure`; anything else (acme-client's own checks, e.g. "Creating a new order did not
 * return an order link") becomes ACME_PROBLEM quoting it. Never throws.
 */
export function toAcmeError(error: unknown, context: AcmeErrorContext): AcmeError {
  if (error instanceof AcmeError) return error;
  if (error instanceof AcmeHttpError) return failureError(error.failure, context, error);
  const message = sanitizeDetail(error instanceof Error ? error.message : String(error)) || 'unknown error';
  return new AcmeError('ACME_PROBLEM', `Cannot ${context.step}: ${message}`, { cause: error });
}
