/**
 * The HTTP layer under acme-client: one process-global axios instance (`acme.axios`) and one
 * global logger hook (`acme.setLogger`). installTransport() changes both, once per process:
 *
 * 1. It REMOVES acme-client's own interceptors. They retry 429/5xx with an uncapped Retry-After
 *    (hours for a rate limit) and turn every network failure into
 *    `TypeError: Cannot read properties of undefined (reading 'config')`
 *    (publishlab/node-acme-client#101). Without them, network failures surface as AxiosError
 *    with `code` and `config.url`; http.js sets `validateStatus: null`, so HTTP errors still
 *    arrive as responses and acme-client's own status checks keep working.
 * 2. It adds OUR interceptors. Settings (timeout, CA bundle agent, sleep, clock) and findings
 *    (last problem document, Retry-After) live in an AsyncLocalStorage context that each
 *    AcmeService operation opens with runOperation(), so concurrent orders never mix.
 * 3. It routes acme-client's log lines to the current operation's logger at debug level.
 *
 * Anything else in the process that uses `acme.axios` sees these changes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Agent } from 'node:https';
import { acmeLib } from './_lib';
import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { AcmeError } from '../errors';
import { nextPollDelay, parseRetryAfter, type PollPolicy } from './_poll';
import { sanitizeDetail, toAcmeError, type CapturedProblem } from './_problem';

/** Per-AcmeService settings the interceptors apply to every request of its operations. */
export interface TransportSettings {
  requestTimeoutMs: number;
  /** Agent that trusts the extra CA bundle; undefined = Node's default agent and roots. */
  httpsAgent: Agent | undefined;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  clock: Clock;
  poll: PollPolicy;
  /** Told when an operation starts; returns what to call when it ends. Default: none. */
  onOperation?: (step: string) => () => void;
}

/** What one operation (one AcmeService method call) learned from its responses. */
export interface OperationContext {
  readonly step: string;
  readonly settings: TransportSettings;
  /** Problem documents seen in this operation, oldest first (bounded). */
  problems: CapturedProblem[];
  /** The problem of the most recent response, undefined if that response was not a problem. */
  lastProblem: CapturedProblem | undefined;
  /** Retry-After of the most recent response, in ms. */
  lastRetryAfterMs: number | undefined;
  lastUrl: string | undefined;
  /** The directory's newAccount URL, set by an operation that registers or looks up the account; see assertAccountLocation(). */
  newAccountUrl: string | undefined;
}

// Bounded retry of idempotent requests (directory GET, newNonce HEAD) on 429/503.
const MAX_IDEMPOTENT_ATTEMPTS = 3;
const MAX_PROBLEMS_KEPT = 10;
/** Certificates and ACME objects are a few KiB; refuse anything absurd. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const INSTALLED = Symbol.for('haproxy-acme.transport-installed');
const ATTEMPT = '__haproxyAcmeAttempt';

const storage = new AsyncLocalStorage<OperationContext>();
let fallbackLogger: Logger | undefined;

type RetryConfig = InternalAxiosRequestConfig & { [ATTEMPT]?: number };

/** Installs our interceptors and logger hook on acme-client's global axios instance; idempotent. */
export function installTransport(defaults: { requestTimeoutMs: number; logger: Logger }): void {
  fallbackLogger = defaults.logger;
  // Fallback for requests made outside runOperation(); operations set their own per request.
  acmeLib().axios.defaults.timeout = defaults.requestTimeoutMs;
  const marked = acmeLib().axios as unknown as Record<symbol, boolean>;
  if (marked[INSTALLED]) return;
  marked[INSTALLED] = true;
  acmeLib().axios.interceptors.request.clear();
  acmeLib().axios.interceptors.response.clear();
  acmeLib().axios.interceptors.request.use(applySettings);
  acmeLib().axios.interceptors.response.use(recordResponse);
  acmeLib().setLogger((message) => {
    const logger = storage.getStore()?.settings.logger ?? fallbackLogger;
    logger?.debug(message, { component: 'acme-client' });
  });
}

function applySettings(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
  const context = storage.getStore();
  config.maxContentLength = MAX_RESPONSE_BYTES;
  const timeoutMs = context?.settings.requestTimeoutMs ?? config.timeout;
  // axios' `timeout` is the socket's idle time: a CA sending one byte a second never trips it
  // (the fault proxy's `trickle` fault). The signal bounds the whole exchange; _problem.ts
  // reports its ERR_CANCELED as the timeout it is.
  if (typeof timeoutMs === 'number' && timeoutMs > 0) config.signal = AbortSignal.timeout(timeoutMs);
  if (context === undefined) return config;
  config.timeout = context.settings.requestTimeoutMs;
  if (context.settings.httpsAgent !== undefined) config.httpsAgent = context.settings.httpsAgent;
  context.lastUrl = config.url;
  return config;
}

function stringField(doc: Record<string, unknown>, key: string): string | undefined {
  const value = doc[key];
  return typeof value === 'string' ? value : undefined;
}

function problemStatus(response: AxiosResponse, doc: Record<string, unknown>): number | undefined {
  if (response.status >= 400) return response.status;
  return typeof doc.status === 'number' ? doc.status : undefined;
}

function readProblem(response: AxiosResponse, retryAfterMs: number | undefined): CapturedProblem | undefined {
  const contentType = String(response.headers['content-type'] ?? '');
  const data: unknown = response.data;
  if (response.status < 400 && !contentType.includes('problem+json')) return undefined;
  const doc = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const type = stringField(doc, 'type');
  const detail = stringField(doc, 'detail');
  if (type === undefined && detail === undefined) {
    // A load balancer's HTML page or an empty body: the status is the cause. acme-client would
    // report the body itself ("<html>…") or a message without the status.
    if (response.status < 400) return undefined;
    return {
      detail: `"${response.config.url ?? 'the ACME server'}" answered HTTP ${response.status}`,
      status: response.status,
      url: response.config.url,
      retryAfterMs,
    };
  }
  return {
    type,
    detail,
    status: problemStatus(response, doc),
    subproblems: Array.isArray(doc.subproblems) ? (doc.subproblems as CapturedProblem['subproblems']) : undefined,
    url: response.config.url,
    retryAfterMs,
  };
}

/**
 * axios parses JSON silently: a body cut short arrives as a string, and acme-client then fails on
 * it with "Cannot create property 'url' on string '{ "status": …'". Name the real cause.
 */
function assertJsonParses(response: AxiosResponse, step: string): void {
  const contentType = String(response.headers['content-type'] ?? '');
  if (!/[/+]json\b/i.test(contentType) || typeof response.data !== 'string' || response.data.trim() === '') return;
  try {
    JSON.parse(response.data);
  } catch {
    const bytes = Buffer.byteLength(response.data);
    throw new AcmeError(
      'ACME_PROBLEM',
      `Cannot ${step}: "${response.config.url ?? 'the ACME server'}" answered HTTP ${response.status} with JSON that does not parse (${bytes} bytes, cut short or corrupted)`,
      {
        status: response.status,
        retryable: true,
      },
    );
  }
}

/**
 * RFC 8555 §7.3: newAccount answers 201 (created) or 200 (the key's existing account) with the
 * account URL in `Location`. acme-client 5.4.0 takes a 200 without it as "exists, update it";
 * updateAccount() then finds no URL and calls createAccount() again, without end (client.js
 * createAccount ↔ updateAccount: 19,057 requests in 200 s against such a CA). Stop at the first
 * such answer, before acme-client sees it.
 */
function assertAccountLocation(response: AxiosResponse, context: OperationContext): void {
  if (context.newAccountUrl === undefined || response.config.url !== context.newAccountUrl) return;
  if (response.status !== 200 && response.status !== 201) return;
  const location: unknown = response.headers.location;
  if (typeof location === 'string' && location.trim() !== '') return;
  throw new AcmeError(
    'ACME_PROBLEM',
    `Cannot ${context.step}: the CA answered newAccount without a Location header (RFC 8555 §7.3), so the account URL is unknown; report this to the CA or use another directory`,
    { status: response.status },
  );
}

async function recordResponse(response: AxiosResponse): Promise<AxiosResponse> {
  const context = storage.getStore();
  if (context === undefined) return response;
  assertJsonParses(response, context.step);
  assertAccountLocation(response, context);
  const header = response.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(typeof header === 'string' ? header : undefined, context.settings.clock.now());
  const problem = readProblem(response, retryAfterMs);
  context.lastRetryAfterMs = retryAfterMs;
  context.lastProblem = problem;
  if (problem !== undefined) {
    context.problems.push(problem);
    if (context.problems.length > MAX_PROBLEMS_KEPT) context.problems.shift();
  }
  return retryIdempotent(response, context, retryAfterMs);
}

// RFC 8555 §6.6: 503 and 429 may carry Retry-After. Only GET/HEAD (directory, newNonce) are
// retried here: a POST carries a nonce that must not be replayed, and acme-client already retries
// badNonce. A Retry-After above the cap is not waited for: the caller gets the error and its
// retryAfterMs, and decides (a rate limit can last hours).
async function retryIdempotent(
  response: AxiosResponse,
  context: OperationContext,
  retryAfterMs: number | undefined,
): Promise<AxiosResponse> {
  const config = response.config as RetryConfig;
  const method = (config.method ?? 'get').toLowerCase();
  const attempt = config[ATTEMPT] ?? 1;
  const { poll, sleep, logger } = context.settings;
  if (response.status !== 429 && response.status !== 503) return response;
  if (method !== 'get' && method !== 'head') return response;
  if (attempt >= MAX_IDEMPOTENT_ATTEMPTS) return response;
  if (retryAfterMs !== undefined && retryAfterMs > poll.retryAfterCapMs) return response;
  const delayMs = nextPollDelay(attempt - 1, retryAfterMs, poll);
  logger.debug('Retrying ACME request', { url: config.url, status: response.status, attempt, delayMs });
  await sleep(delayMs);
  return acmeLib().axios.request({ ...config, [ATTEMPT]: attempt + 1 } as RetryConfig);
}

// acme-client's message for a problem response is util.formatResponseError(resp): the detail
// without newlines. Match it back to the captured document; otherwise use the last response's.
/** The problem document behind `error` (matched by detail), else the last one this operation saw. */
export function problemFor(error: unknown, context: OperationContext): CapturedProblem | undefined {
  if (error instanceof Error) {
    for (let i = context.problems.length - 1; i >= 0; i -= 1) {
      const detail = context.problems[i]?.detail;
      if (detail !== undefined && detail.replace(/\n/g, '') === error.message) return context.problems[i];
    }
  }
  return context.lastProblem;
}

/** Classifies `error` thrown inside `context` into an AcmeError naming the step. */
export function classify(error: unknown, context: OperationContext): AcmeError {
  return toAcmeError(error, { step: context.step, url: context.lastUrl, problem: problemFor(error, context) });
}

// RFC 8555 §6.5: a badNonce rejection means the request was not processed, so repeating the step
// is safe. acme-client already retries each request 5 times; with pebble's
// PEBBLE_WFE_NONCEREJECT=50 all 6 attempts fail for 1 request in 64, which made issuance flaky.
// Repeating the whole step up to 3 times brings that to about 1 in 260,000.
const BAD_NONCE = 'urn:ietf:params:acme:error:badNonce';
const MAX_BAD_NONCE_OPERATION_ATTEMPTS = 3;

/**
 * Runs `body` as one ACME operation: its requests use `settings`, and anything it throws becomes
 * an AcmeError whose message names `step`.
 * @throws {AcmeError} for every failure of `body`
 */
export async function runOperation<T>(
  settings: TransportSettings,
  step: string,
  body: (context: OperationContext) => Promise<T>,
): Promise<T> {
  const context: OperationContext = {
    step: sanitizeDetail(step),
    settings,
    problems: [],
    lastProblem: undefined,
    lastRetryAfterMs: undefined,
    lastUrl: undefined,
    newAccountUrl: undefined,
  };
  const ended = settings.onOperation?.(context.step);
  try {
    return await storage.run(context, async () => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await body(context);
        } catch (error) {
          const classified = classify(error, context);
          if (classified.problemType !== BAD_NONCE || attempt >= MAX_BAD_NONCE_OPERATION_ATTEMPTS) throw classified;
          settings.logger.debug('The CA rejected a nonce again; retrying the step', { step: context.step, attempt });
        }
      }
    });
  } finally {
    ended?.();
  }
}
