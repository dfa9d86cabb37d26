import { AcmeHttpError, toAcmeError, type CapturedProblem, type HttpFailure } from '../../../src/acme';
import { decodeProblem } from '../../../src/acme/_http';
import { AcmeError } from '../../../src/errors';

const DIR = 'https://acme.test/dir';
const STEP = 'create an order for "a.test"';
const ERR = 'urn:ietf:params:acme:error:';

type Outcome = {
  code: string;
  retryable: boolean;
  message: string;
  problemType?: string;
  status?: number;
  retryAfterMs?: number;
};

function outcome(error: AcmeError): Outcome {
  const result: Outcome = { code: error.code, retryable: error.retryable, message: error.message };
  if (error.problemType !== undefined) result.problemType = error.problemType;
  if (error.status !== undefined) result.status = error.status;
  if (error.retryAfterMs !== undefined) result.retryAfterMs = error.retryAfterMs;
  return result;
}

const reach = `Cannot reach "${DIR}" to ${STEP}`;
const hint = 'check the directory URL and that the ACME server is reachable';
const network = (code: string, reason: string): HttpFailure => ({ kind: 'network', url: DIR, code, reason });
const tls = (code: string): HttpFailure => ({ kind: 'tls', url: DIR, code, reason: 'x' });

describe('toAcmeError() with typed failures of the HTTP boundary (no response)', () => {
  test.each<[string, HttpFailure, Outcome]>([
    [
      'ECONNREFUSED',
      network('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:443'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: ECONNREFUSED (connection refused); ${hint}` },
    ],
    [
      'ENOTFOUND',
      network('ENOTFOUND', 'getaddrinfo ENOTFOUND acme.test'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: ENOTFOUND (host name not found); ${hint}` },
    ],
    [
      'EAI_AGAIN',
      network('EAI_AGAIN', 'getaddrinfo EAI_AGAIN acme.test'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: EAI_AGAIN (temporary DNS failure); ${hint}` },
    ],
    [
      'ECONNRESET',
      network('ECONNRESET', 'socket hang up'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: ECONNRESET (connection reset); ${hint}` },
    ],
    [
      'an OS connect timeout (ETIMEDOUT)',
      network('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: ETIMEDOUT (connection timed out); ${hint}` },
    ],
    [
      'an unknown code, explained by its reason',
      network('EWEIRD', 'something\nodd happened'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: EWEIRD (something odd happened); ${hint}` },
    ],
  ])('toAcmeError() classifies %s', (_name, failure, expected) => {
    expect(outcome(toAcmeError(new AcmeHttpError(failure), { step: STEP }))).toEqual(expected);
  });

  test('toAcmeError() reports the request timeout as ACME_TIMEOUT naming it', () => {
    const error = new AcmeHttpError({ kind: 'timeout', url: DIR, timeoutMs: 2_000 });
    expect(outcome(toAcmeError(error, { step: STEP }))).toEqual({
      code: 'ACME_TIMEOUT',
      retryable: true,
      message: `Cannot ${STEP}: "${DIR}" did not answer within 2000 ms`,
    });
  });

  test.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  ])('toAcmeError() tells to pass --ca-bundle for %s, not retryable', (code) => {
    expect(outcome(toAcmeError(new AcmeHttpError(tls(code)), { step: STEP }))).toEqual({
      code: 'ACME_NETWORK',
      retryable: false,
      message: `${reach}: the server's TLS certificate is not trusted (${code}); pass the CA's root with --ca-bundle`,
    });
  });

  test.each<[string, string]>([
    ['CERT_HAS_EXPIRED', "the server's TLS certificate has expired"],
    ['CERT_NOT_YET_VALID', "the server's TLS certificate is not valid yet"],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "the server's TLS certificate does not cover this host name"],
  ])('toAcmeError() explains %s without the --ca-bundle hint', (code, explanation) => {
    expect(outcome(toAcmeError(new AcmeHttpError(tls(code)), { step: STEP }))).toEqual({
      code: 'ACME_NETWORK',
      retryable: false,
      message: `${reach}: ${explanation} (${code})`,
    });
  });

  test('toAcmeError() reports another TLS handshake failure with its code and what to check', () => {
    const failure: HttpFailure = {
      kind: 'tls',
      url: DIR,
      code: 'ERR_SSL_WRONG_VERSION_NUMBER',
      reason: 'wrong version number',
    };
    expect(outcome(toAcmeError(new AcmeHttpError(failure), { step: STEP }))).toEqual({
      code: 'ACME_NETWORK',
      retryable: false,
      message: `${reach}: the TLS handshake failed (ERR_SSL_WRONG_VERSION_NUMBER: wrong version number); check that the directory URL is the CA's https URL`,
    });
  });
});

describe('toAcmeError() with typed failures of an answer', () => {
  test.each<[string, HttpFailure, Outcome]>([
    [
      'a body cut by a reset as a broken connection',
      { kind: 'broken-body', url: DIR, status: 200, receivedBytes: 10, expectedBytes: 20 },
      {
        code: 'ACME_NETWORK',
        retryable: true,
        message: `${reach}: the connection broke in the middle of its HTTP 200 answer (after 10 of 20 bytes); ${hint}`,
      },
    ],
    [
      'a broken chunked body without a length',
      { kind: 'broken-body', url: DIR, status: 201, receivedBytes: 7 },
      {
        code: 'ACME_NETWORK',
        retryable: true,
        message: `${reach}: the connection broke in the middle of its HTTP 201 answer (after 7 bytes); ${hint}`,
      },
    ],
    [
      'a body above the size limit, not retryable',
      { kind: 'too-large', url: DIR, status: 200, limitBytes: 4_194_304 },
      {
        code: 'ACME_PROBLEM',
        retryable: false,
        status: 200,
        message: `Cannot ${STEP}: "${DIR}" answered HTTP 200 with a body above the size limit (more than 4194304 bytes); report this to the CA`,
      },
    ],
    [
      'an HTTP 502 without a problem document by its status, retryable',
      { kind: 'status', url: DIR, status: 502 },
      { code: 'ACME_PROBLEM', retryable: true, status: 502, message: `Cannot ${STEP}: "${DIR}" answered HTTP 502` },
    ],
    [
      'an empty HTTP 429 as a rate limit with its Retry-After',
      { kind: 'status', url: DIR, status: 429, retryAfterMs: 60_000 },
      {
        code: 'ACME_RATE_LIMITED',
        retryable: true,
        status: 429,
        retryAfterMs: 60_000,
        message: `Cannot ${STEP}: "${DIR}" answered HTTP 429`,
      },
    ],
  ])('toAcmeError() reports %s', (_name, failure, expected) => {
    expect(outcome(toAcmeError(new AcmeHttpError(failure), { step: STEP }))).toEqual(expected);
  });
});

describe('toAcmeError() with problem documents decoded at the HTTP boundary', () => {
  test.each<[string, CapturedProblem, Outcome]>([
    [
      'rateLimited with Retry-After',
      {
        type: `${ERR}rateLimited`,
        detail: 'too many certificates (5) already issued for this exact set of domains',
        status: 429,
        retryAfterMs: 3_600_000,
      },
      {
        code: 'ACME_RATE_LIMITED',
        retryable: true,
        problemType: `${ERR}rateLimited`,
        status: 429,
        retryAfterMs: 3_600_000,
        message: `Cannot ${STEP}: too many certificates (5) already issued for this exact set of domains (${ERR}rateLimited)`,
      },
    ],
    [
      'HTTP 429 without a type',
      { detail: 'slow down', status: 429 },
      { code: 'ACME_RATE_LIMITED', retryable: true, status: 429, message: `Cannot ${STEP}: slow down` },
    ],
    [
      'serverInternal',
      { type: `${ERR}serverInternal`, detail: 'oops', status: 500 },
      {
        code: 'ACME_PROBLEM',
        retryable: true,
        problemType: `${ERR}serverInternal`,
        status: 500,
        message: `Cannot ${STEP}: oops (${ERR}serverInternal)`,
      },
    ],
    [
      'badNonce after acme-client used up its retries',
      { type: `${ERR}badNonce`, detail: 'JWS has an invalid anti-replay nonce', status: 400 },
      {
        code: 'ACME_PROBLEM',
        retryable: true,
        problemType: `${ERR}badNonce`,
        status: 400,
        message: `Cannot ${STEP}: JWS has an invalid anti-replay nonce (${ERR}badNonce)`,
      },
    ],
    [
      'a 503 without a type',
      { detail: 'maintenance', status: 503 },
      { code: 'ACME_PROBLEM', retryable: true, status: 503, message: `Cannot ${STEP}: maintenance` },
    ],
    [
      'malformed (a client bug or bad input)',
      {
        type: `${ERR}malformed`,
        detail: "Order included DNS identifier with a value containing an illegal character: '_'",
        status: 400,
      },
      {
        code: 'ACME_PROBLEM',
        retryable: false,
        problemType: `${ERR}malformed`,
        status: 400,
        message: `Cannot ${STEP}: Order included DNS identifier with a value containing an illegal character: '_' (${ERR}malformed)`,
      },
    ],
    [
      'rejectedIdentifier with subproblems (RFC 8555 §6.7.1)',
      {
        type: `${ERR}malformed`,
        detail: 'Some of the identifiers requested were rejected',
        status: 400,
        subproblems: [
          {
            type: `${ERR}malformed`,
            detail: 'Invalid underscore in DNS name "_example.org"',
            identifier: { type: 'dns', value: '_example.org' },
          },
          {
            type: `${ERR}rejectedIdentifier`,
            detail: 'This CA will not issue for "example.net"',
            identifier: { type: 'dns', value: 'example.net' },
          },
        ],
      },
      {
        code: 'ACME_PROBLEM',
        retryable: false,
        problemType: `${ERR}malformed`,
        status: 400,
        message: `Cannot ${STEP}: Some of the identifiers requested were rejected (${ERR}malformed); "_example.org": Invalid underscore in DNS name "_example.org"; "example.net": This CA will not issue for "example.net"`,
      },
    ],
    [
      'a detail with newlines and control characters',
      { type: `${ERR}caa`, detail: 'line one\n\tline two\u0007\r\n', status: 403 },
      {
        code: 'ACME_PROBLEM',
        retryable: false,
        problemType: `${ERR}caa`,
        status: 403,
        message: `Cannot ${STEP}: line one line two (${ERR}caa)`,
      },
    ],
    [
      'a problem without detail',
      { type: `${ERR}unauthorized`, status: 403 },
      {
        code: 'ACME_PROBLEM',
        retryable: false,
        problemType: `${ERR}unauthorized`,
        status: 403,
        message: `Cannot ${STEP}: no detail given (${ERR}unauthorized)`,
      },
    ],
  ])('toAcmeError() classifies %s', (_name, problem, expected) => {
    expect(outcome(toAcmeError(new AcmeHttpError({ kind: 'problem', problem }), { step: STEP }))).toEqual(expected);
  });

  test('toAcmeError() bounds a hostile 10 kB detail to 300 characters', () => {
    const problem: CapturedProblem = { type: `${ERR}malformed`, detail: 'A'.repeat(10_000), status: 400 };
    const error = toAcmeError(new AcmeHttpError({ kind: 'problem', problem }), { step: STEP });
    expect(error.message).toBe(`Cannot ${STEP}: ${'A'.repeat(299)}… (${ERR}malformed)`);
  });

  test('toAcmeError() keeps the typed error as cause', () => {
    const thrown = new AcmeHttpError({ kind: 'problem', problem: { detail: 'detail', status: 400 } });
    expect(toAcmeError(thrown, { step: STEP }).cause).toBe(thrown);
  });

  test('toAcmeError() classifies by the typed problem, whatever the error message says', () => {
    const thrown = new AcmeHttpError({ kind: 'problem', problem: { type: `${ERR}rateLimited`, detail: 'x' } });
    Object.defineProperty(thrown, 'message', { value: 'connect ECONNREFUSED timeout of 1ms exceeded' });
    expect(outcome(toAcmeError(thrown, { step: STEP }))).toEqual({
      code: 'ACME_RATE_LIMITED',
      retryable: true,
      problemType: `${ERR}rateLimited`,
      message: `Cannot ${STEP}: x (${ERR}rateLimited)`,
    });
  });
});

describe('toAcmeError() with other errors', () => {
  test.each<[string, unknown, Outcome]>([
    [
      'an acme-client Error without a problem',
      new Error('Creating a new order did not return an order link'),
      {
        code: 'ACME_PROBLEM',
        retryable: false,
        message: `Cannot ${STEP}: Creating a new order did not return an order link`,
      },
    ],
    [
      'an Error whose message reads like a network failure, not classified by its text',
      new Error('connect ECONNREFUSED 127.0.0.1:443'),
      { code: 'ACME_PROBLEM', retryable: false, message: `Cannot ${STEP}: connect ECONNREFUSED 127.0.0.1:443` },
    ],
    ['a thrown string', 'weird', { code: 'ACME_PROBLEM', retryable: false, message: `Cannot ${STEP}: weird` }],
    ['a thrown undefined', undefined, { code: 'ACME_PROBLEM', retryable: false, message: `Cannot ${STEP}: undefined` }],
    [
      'an Error with an empty message',
      new Error(''),
      { code: 'ACME_PROBLEM', retryable: false, message: `Cannot ${STEP}: unknown error` },
    ],
  ])('toAcmeError() classifies %s', (_name, error, expected) => {
    expect(outcome(toAcmeError(error, { step: STEP }))).toEqual(expected);
  });

  test('toAcmeError() returns an AcmeError unchanged', () => {
    const original = new AcmeError(
      'ACME_TIMEOUT',
      'Cannot validate "a.test" over HTTP-01: still "pending" after 120000 ms',
      { retryable: true },
    );
    expect(toAcmeError(original, { step: STEP })).toBe(original);
  });
});

describe('decodeProblem()', () => {
  test("decodeProblem() reads type, detail, status and subproblems (RFC 8555 §6.7.1), with the answer's URL and Retry-After", () => {
    const doc = {
      type: `${ERR}rejectedIdentifier`,
      detail: 'no',
      status: 400,
      subproblems: [
        { type: `${ERR}caa`, detail: 'CAA forbids', identifier: { type: 'dns', value: 'a.test' } },
        'not an object',
        { type: 7, detail: ['x'], identifier: 'a.test' },
      ],
      instance: 'https://ca.test/x',
    };
    expect(decodeProblem(doc, { status: 403, url: DIR, retryAfterMs: 5_000 })).toEqual({
      type: `${ERR}rejectedIdentifier`,
      detail: 'no',
      status: 403,
      subproblems: [
        { type: `${ERR}caa`, detail: 'CAA forbids', identifier: { type: 'dns', value: 'a.test' } },
        { type: undefined, detail: undefined, identifier: undefined },
      ],
      url: DIR,
      retryAfterMs: 5_000,
    });
  });

  test.each<[string, unknown]>([
    ['an array', [{ type: `${ERR}malformed` }]],
    ['a string', 'problem'],
    ['null', null],
    ['an object without type or detail', { status: 400, title: 'Bad' }],
    ['non-string type and detail', { type: 1, detail: {} }],
  ])('decodeProblem() returns undefined for %s', (_name, doc) => {
    expect(decodeProblem(doc, { status: 400 })).toBeUndefined();
  });

  test("decodeProblem() keeps the document status below 400 responses (an order's error member) and bounds subproblems", () => {
    const subproblems = Array.from({ length: 1_000 }, () => ({ detail: 'x' }));
    const problem = decodeProblem({ detail: 'd', status: 403, subproblems });
    expect([problem?.status, problem?.subproblems?.length]).toEqual([403, 100]);
  });
});
