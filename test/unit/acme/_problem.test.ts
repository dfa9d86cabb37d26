import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { toAcmeError, type CapturedProblem } from '../../../src/acme';
import { AcmeError } from '../../../src/errors';

const DIR = 'https://acme.test/dir';
const STEP = 'create an order for "a.test"';
const ERR = 'urn:ietf:params:acme:error:';

function config(url: string | undefined, timeout = 30_000): InternalAxiosRequestConfig {
  return { url, timeout, headers: new AxiosHeaders() } as InternalAxiosRequestConfig;
}

/** An AxiosError as axios's http adapter builds it for a failure without a response. */
function networkError(code: string | undefined, message: string, url: string | null = DIR): AxiosError {
  return new AxiosError(message, code, config(url ?? undefined));
}

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

describe('toAcmeError() with network failures (AxiosError, no response)', () => {
  test.each<[string, AxiosError, Outcome]>([
    [
      'ECONNREFUSED',
      networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:443'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: ECONNREFUSED (connection refused); ${hint}` },
    ],
    [
      'ENOTFOUND',
      networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND acme.test'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: ENOTFOUND (host name not found); ${hint}` },
    ],
    [
      'EAI_AGAIN',
      networkError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN acme.test'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: EAI_AGAIN (temporary DNS failure); ${hint}` },
    ],
    [
      'ECONNRESET',
      networkError('ECONNRESET', 'socket hang up'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: ECONNRESET (connection reset); ${hint}` },
    ],
    [
      'an OS connect timeout (ETIMEDOUT)',
      networkError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: ETIMEDOUT (connection timed out); ${hint}` },
    ],
    [
      'an unknown code, explained by its message',
      networkError('EWEIRD', 'something\nodd happened'),
      { code: 'ACME_NETWORK', retryable: true, message: `${reach}: EWEIRD (something odd happened); ${hint}` },
    ],
    [
      'no code and no URL in the config',
      networkError(undefined, 'boom', null),
      {
        code: 'ACME_NETWORK',
        retryable: true,
        message: `Cannot reach "https://acme.test/new-order" to ${STEP}: unknown error (boom); ${hint}`,
      },
    ],
  ])('toAcmeError() classifies %s', (_name, error, expected) => {
    expect(outcome(toAcmeError(error, { step: STEP, url: 'https://acme.test/new-order' }))).toEqual(expected);
  });

  test.each<[string, AxiosError, Outcome]>([
    [
      'ECONNABORTED (axios timeout)',
      networkError('ECONNABORTED', 'timeout of 30000ms exceeded'),
      { code: 'ACME_TIMEOUT', retryable: true, message: `Cannot ${STEP}: "${DIR}" did not answer within 30000 ms` },
    ],
    [
      'ETIMEDOUT with clarifyTimeoutError',
      networkError('ETIMEDOUT', 'timeout of 30000ms exceeded'),
      { code: 'ACME_TIMEOUT', retryable: true, message: `Cannot ${STEP}: "${DIR}" did not answer within 30000 ms` },
    ],
    [
      'a timeout without a configured value',
      new AxiosError('timeout exceeded', 'ECONNABORTED', config(DIR, 0)),
      { code: 'ACME_TIMEOUT', retryable: true, message: `Cannot ${STEP}: "${DIR}" did not answer in time` },
    ],
  ])('toAcmeError() classifies %s as ACME_TIMEOUT', (_name, error, expected) => {
    expect(outcome(toAcmeError(error, { step: STEP }))).toEqual(expected);
  });

  test.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  ])('toAcmeError() tells to pass --ca-bundle for %s, not retryable', (code) => {
    expect(outcome(toAcmeError(networkError(code, 'self-signed certificate'), { step: STEP }))).toEqual({
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
    expect(outcome(toAcmeError(networkError(code, 'x'), { step: STEP }))).toEqual({
      code: 'ACME_NETWORK',
      retryable: false,
      message: `${reach}: ${explanation} (${code})`,
    });
  });

  test.each<[string, AxiosError, Outcome]>([
    [
      'the transport deadline (ERR_CANCELED) as a timeout',
      new AxiosError('canceled', 'ERR_CANCELED', config(DIR, 2_000)),
      { code: 'ACME_TIMEOUT', retryable: true, message: `Cannot ${STEP}: "${DIR}" did not answer within 2000 ms` },
    ],
    [
      'a body cut by a reset as a broken connection',
      new AxiosError('stream has been aborted', 'ERR_BAD_RESPONSE', config(DIR), undefined, {
        status: 200,
        statusText: 'OK',
        headers: {},
        config: config(DIR),
        data: '',
      }),
      {
        code: 'ACME_NETWORK',
        retryable: true,
        message: `${reach}: the connection broke in the middle of its HTTP 200 answer (stream has been aborted); ${hint}`,
      },
    ],
    [
      'an ECONNRESET after the headers as a broken connection',
      new AxiosError('aborted', 'ECONNRESET', config(DIR), undefined, {
        status: 201,
        statusText: 'Created',
        headers: {},
        config: config(DIR),
        data: '',
      }),
      {
        code: 'ACME_NETWORK',
        retryable: true,
        message: `${reach}: the connection broke in the middle of its HTTP 201 answer (ECONNRESET: aborted); ${hint}`,
      },
    ],
    [
      'a body above maxContentLength, not retryable',
      new AxiosError('maxContentLength size of 4194304 exceeded', 'ERR_BAD_RESPONSE', config(DIR), undefined, {
        status: 200,
        statusText: 'OK',
        headers: {},
        config: config(DIR),
        data: '',
      }),
      {
        code: 'ACME_PROBLEM',
        retryable: false,
        status: 200,
        message: `Cannot ${STEP}: "${DIR}" answered HTTP 200 with a body above the size limit (maxContentLength size of 4194304 exceeded)`,
      },
    ],
  ])('toAcmeError() reports %s', (_name, error, expected) => {
    expect(outcome(toAcmeError(error, { step: STEP }))).toEqual(expected);
  });

  test('toAcmeError() reports an AxiosError with a response by its HTTP status', () => {
    const response = { status: 502, statusText: 'Bad Gateway', headers: {}, config: config(DIR), data: '' };
    const error = new AxiosError(
      'Request failed with status code 502',
      'ERR_BAD_RESPONSE',
      config(DIR),
      undefined,
      response,
    );
    expect(outcome(toAcmeError(error, { step: STEP }))).toEqual({
      code: 'ACME_PROBLEM',
      retryable: true,
      status: 502,
      message: `Cannot ${STEP}: "${DIR}" answered HTTP 502`,
    });
  });
});

describe('toAcmeError() with problem documents (acme-client throws new Error(detail))', () => {
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
    const thrown = new Error((problem.detail ?? '').replace(/\n/g, ''));
    expect(outcome(toAcmeError(thrown, { step: STEP, problem }))).toEqual(expected);
  });

  test('toAcmeError() bounds a hostile 10 kB detail to 300 characters', () => {
    const error = toAcmeError(new Error('x'), {
      step: STEP,
      problem: { type: `${ERR}malformed`, detail: 'A'.repeat(10_000), status: 400 },
    });
    expect(error.message).toBe(`Cannot ${STEP}: ${'A'.repeat(299)}… (${ERR}malformed)`);
  });

  test('toAcmeError() keeps the thrown error as cause', () => {
    const thrown = new Error('detail');
    expect(toAcmeError(thrown, { step: STEP, problem: { detail: 'detail', status: 400 } }).cause).toBe(thrown);
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
      "acme-client #101's masked network TypeError",
      new TypeError("Cannot read properties of undefined (reading 'config')"),
      { code: 'ACME_NETWORK', retryable: true, message: `Cannot reach "${DIR}" to ${STEP}: network error; ${hint}` },
    ],
    ['a thrown string', 'weird', { code: 'ACME_PROBLEM', retryable: false, message: `Cannot ${STEP}: weird` }],
    ['a thrown undefined', undefined, { code: 'ACME_PROBLEM', retryable: false, message: `Cannot ${STEP}: undefined` }],
    [
      'an Error with an empty message',
      new Error(''),
      { code: 'ACME_PROBLEM', retryable: false, message: `Cannot ${STEP}: unknown error` },
    ],
  ])('toAcmeError() classifies %s', (_name, error, expected) => {
    expect(outcome(toAcmeError(error, { step: STEP, url: DIR }))).toEqual(expected);
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
