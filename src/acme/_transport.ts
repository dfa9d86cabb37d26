/**
 * The HTTP layer under acme-client 5.4.0, which sends every request through one process-global
 * HTTP client (`acme.axios`: the stand-in from _lib.ts, or axios itself under jest) and logs
 * through `acme.setLogger`. installTransport() sets, once per process:
 * 1. `acme.axios.defaults.adapter`: OUR adapter performs each request with node:http(s)
 *    (exchange() in _http.ts), so the answer is decoded where it arrives: an error status becomes
 *    an AcmeHttpError carrying the decoded problem document, a network, TLS or body failure one
 *    carrying Node's error code. The only error answer handed back to acme-client is a badNonce
 *    to a POST, which acme-client retries with its fresh nonce (http.js signedRequest); if it then
 *    gives up with a plain Error, the operation types it by the problem it was handed (see
 *    typedError()). Under axios, acme-client's interceptors stay inert: our rejections carry no
 *    axios `config`, which its retry interceptor requires. Replay-Nonces acme-client would drop
 *    answer its next `HEAD newNonce` (_nonces.ts).
 * 2. The logger hook: acme-client's lines go to the current operation's logger at debug level.
 * Settings (timeout, CA bundle agent, sleep, clock), the AbortSignal and findings (Retry-After)
 * live in an AsyncLocalStorage scope that each AcmeService operation opens with runOperation(),
 * so concurrent operations never mix. Anything else in the process that uses `acme.axios` gets
 * the same adapter.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Agent } from 'node:https';
import { acmeLib, type AcmeRequestConfig, type AcmeResponse } from './_lib';
import { systemClock, type Clock } from '../clock';
import type { Logger } from '../log';
import { AcmeError } from '../errors';
import { AcmeHttpError, exchange, type CapturedProblem, type HttpAnswer, type HttpFailure } from './_http';
import { keepNonce, nonceAnswer, readsOwnNonce, takeNonce } from './_nonces';
import { nextPollStep, type PollPolicy } from './_poll';
import { sanitizeDetail, toAcmeError } from './_problem';

/** Per-AcmeService settings the adapter applies to every request of its operations. */
export interface TransportSettings {
  requestTimeoutMs: number;
  /** Agent that trusts the extra CA bundle; undefined = Node's default agent and roots. */
  httpsAgent: Agent | undefined;
  logger: Logger;
  /** Waits `ms`; should stop early when `signal` fires (pause() stops waiting for it either way). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  clock: Clock;
  poll: PollPolicy;
  /** Told when an operation starts; returns what to call when it ends. Default: none. */
  onOperation?: (step: string) => () => void;
}

/** What one operation (one AcmeService method call) knows and learned from its responses. */
export interface OperationContext {
  readonly step: string;
  readonly settings: TransportSettings;
  /** Cancels every request and wait of the operation; undefined = cannot be cancelled. */
  readonly signal: AbortSignal | undefined;
  /** Retry-After of the most recent response, in ms. */
  lastRetryAfterMs: number | undefined;
  /** The directory's newAccount URL, set by an operation that registers or looks up the account; see the adapter. */
  newAccountUrl: string | undefined;
}

/** One chain of sequential requests inside an operation: the operation's body, or one inRequestChain() call. */
interface Scope {
  readonly context: OperationContext;
  /** The problem answer last handed back to acme-client in this chain (a badNonce), cleared by the next request. */
  handedBack: CapturedProblem | undefined;
}

// Bounded retry of idempotent requests (directory GET, newNonce HEAD) on 429/503.
const MAX_IDEMPOTENT_ATTEMPTS = 3;
/** Certificates and ACME objects are a few KiB; refuse anything absurd. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const INSTALLED = Symbol.for('haproxy-acme.transport-installed');
const BAD_NONCE = 'urn:ietf:params:acme:error:badNonce';
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 3;

const storage = new AsyncLocalStorage<Scope>();
let fallback: { requestTimeoutMs: number; logger: Logger } | undefined;

/**
 * Installs our adapter and logger hook on acme-client's global axios instance; idempotent.
 * @throws {AcmeError} when acme-client does not expose the axios instance it sends requests with
 */
export function installTransport(defaults: { requestTimeoutMs: number; logger: Logger }): void {
  fallback = defaults;
  const lib = acmeLib();
  const instance = lib.axios as { defaults?: { adapter?: unknown } } | undefined;
  if (typeof instance?.defaults !== 'object' || typeof lib.setLogger !== 'function') {
    throw new AcmeError(
      'ACME_PROBLEM',
      'Cannot talk to the CA: this acme-client version does not expose its HTTP client (acme.axios); pin acme-client 5.4.0',
    );
  }
  const marked = instance as unknown as Record<symbol, boolean>;
  if (marked[INSTALLED]) return;
  marked[INSTALLED] = true;
  instance.defaults.adapter = acmeAdapter;
  lib.setLogger((message) => {
    const logger = storage.getStore()?.context.settings.logger ?? fallback?.logger;
    logger?.debug(message, { component: 'acme-client' });
  });
}

/** Flattens the request headers (plain, or axios' AxiosHeaders) into what node:http takes. */
function requestHeaders(config: AcmeRequestConfig): Record<string, string | string[]> {
  const given = config.headers ?? {};
  const flat = (typeof given.toJSON === 'function' ? given.toJSON() : given) as Record<string, unknown>;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(flat)) {
    if (typeof value === 'string' || typeof value === 'number') headers[name] = String(value);
    else if (Array.isArray(value)) headers[name] = value.map(String);
  }
  return headers;
}

function requestBody(config: AcmeRequestConfig): string | undefined {
  const data: unknown = config.data;
  if (data === undefined || data === null) return undefined;
  // The HTTP client (axios' transformRequest, or the stand-in) has serialised acme-client's JWS object by now.
  return typeof data === 'string' ? data : JSON.stringify(data);
}

function toAcmeResponse(answer: HttpAnswer, config: AcmeRequestConfig): AcmeResponse {
  return {
    data: answer.data,
    status: answer.status,
    statusText: answer.statusText,
    headers: answer.headers as AcmeResponse['headers'],
    config,
  };
}

/**
 * RFC 8555 §7.3: newAccount answers 201 (created) or 200 (the key's existing account) with the
 * account URL in `Location`. acme-client 5.4.0 takes a 200 without it as "exists, update it";
 * updateAccount() then finds no URL and calls createAccount() again, without end (client.js
 * createAccount ↔ updateAccount: 19,057 requests in 200 s against such a CA). Stop at the first
 * such answer, before acme-client sees it.
 */
function assertAccountLocation(answer: HttpAnswer, context: OperationContext | undefined): void {
  if (context?.newAccountUrl === undefined || answer.url !== context.newAccountUrl) return;
  if (answer.status !== 200 && answer.status !== 201) return;
  const location = answer.headers.location;
  if (typeof location === 'string' && location.trim() !== '') return;
  throw new AcmeHttpError({ kind: 'no-account-location', url: answer.url, status: answer.status });
}

/**
 * The axios adapter: one request, decoded at arrival. GET/HEAD follow up to MAX_REDIRECTS
 * redirects (as axios' own adapter did), and when answered 429/503 are retried up
 * to MAX_IDEMPOTENT_ATTEMPTS times (RFC 8555 §6.6; a POST carries a nonce that must not be
 * replayed, and acme-client retries badNonce itself). A Retry-After above the cap is not waited
 * for: the caller gets the error with its retryAfterMs and decides (a rate limit can last hours).
 */
async function acmeAdapter(config: AcmeRequestConfig): Promise<AcmeResponse> {
  const scope = storage.getStore();
  if (scope !== undefined) scope.handedBack = undefined;
  const method = (config.method ?? 'get').toUpperCase();
  const nowMs = (): number => (scope?.context.settings.clock ?? systemClock).now().getTime();
  // acme-client sends HEAD only to newNonce (http.js getNonce): a kept nonce spares that round trip.
  const nonce = method === 'HEAD' ? takeNonce(config.url ?? '', nowMs()) : undefined;
  if (nonce !== undefined) return nonceAnswer(nonce, config);
  return exchangeWithRetries(config, method, scope, nowMs);
}

/** acmeAdapter()'s exchange: redirects followed, idempotent requests retried, nonces kept. */
async function exchangeWithRetries(
  config: AcmeRequestConfig,
  method: string,
  scope: Scope | undefined,
  nowMs: () => number,
): Promise<AcmeResponse> {
  for (let attempt = 1; ; attempt += 1) {
    const answer = await sendFollowingRedirects(config, method, scope?.context);
    const { failure } = answer;
    if (!readsOwnNonce(method, failure)) keepNonce(answer.url, answer.headers['replay-nonce'], nowMs());
    if (failure === undefined) {
      assertAccountLocation(answer, scope?.context);
      return toAcmeResponse(answer, config);
    }
    if (scope !== undefined && retriesIdempotent(answer, method, attempt, scope.context.settings.poll)) {
      if (await waitBeforeRetry(scope.context, answer, attempt)) continue;
    }
    if (!isRetriedByAcmeClient(method, failure)) throw new AcmeHttpError(failure);
    if (scope !== undefined) scope.handedBack = failure.problem;
    return toAcmeResponse(answer, config);
  }
}

/**
 * Where a GET or HEAD answered with a redirect goes (a directory URL moved), as an absolute
 * http(s) URL; undefined for anything else. A POST is never redirected: its JWS names its URL.
 */
function redirectTarget(answer: HttpAnswer, method: string): string | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  if (!REDIRECT_STATUSES.has(answer.status) || typeof answer.headers.location !== 'string') return undefined;
  // A relative Location is resolved against the URL that answered (RFC 9110 §10.2.2).
  try {
    const target = new URL(answer.headers.location, answer.url);
    return target.protocol === 'https:' || target.protocol === 'http:' ? target.href : undefined;
  } catch {
    return undefined;
  }
}

/** A badNonce answer to a POST: acme-client retries it with the answer's fresh nonce (RFC 8555 §6.5). */
function isRetriedByAcmeClient(
  method: string,
  failure: NonNullable<HttpAnswer['failure']>,
): failure is Extract<HttpFailure, { kind: 'problem' }> {
  return method === 'POST' && failure.kind === 'problem' && failure.problem.type === BAD_NONCE;
}

/**
 * send(), following up to MAX_REDIRECTS redirects of a GET or HEAD.
 * @throws {AcmeHttpError} `status` for a redirect answer not followed (a POST's, or one too many)
 */
async function sendFollowingRedirects(
  config: AcmeRequestConfig,
  method: string,
  context: OperationContext | undefined,
): Promise<HttpAnswer> {
  let url = config.url ?? '';
  for (let redirects = 0; ; redirects += 1) {
    const answer = await send(config, url, method, context);
    if (answer.status < 300 || answer.status >= 400) return answer;
    const next = redirectTarget(answer, method);
    if (next === undefined || redirects >= MAX_REDIRECTS)
      throw new AcmeHttpError({ kind: 'status', url: answer.url, status: answer.status });
    url = next;
  }
}

/** One exchange with the operation's settings and signal (defaults outside an operation); records its Retry-After. */
async function send(
  config: AcmeRequestConfig,
  url: string,
  method: string,
  context: OperationContext | undefined,
): Promise<HttpAnswer> {
  const settings = context?.settings;
  const clock = settings?.clock ?? systemClock;
  const answer = await exchange({
    url,
    method,
    headers: requestHeaders(config),
    body: requestBody(config),
    agent: settings?.httpsAgent,
    timeoutMs: settings?.requestTimeoutMs ?? fallback?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxBodyBytes: MAX_RESPONSE_BYTES,
    signal: context?.signal,
    now: () => clock.now(),
  });
  if (context !== undefined) context.lastRetryAfterMs = answer.retryAfterMs;
  return answer;
}

/**
 * Waits before retrying an idempotent request, on the error schedule (from `errorDelayMs`,
 * doubling; a Retry-After in full). Resolves false, without waiting, when the schedule says stop.
 */
async function waitBeforeRetry(context: OperationContext, answer: HttpAnswer, attempt: number): Promise<boolean> {
  const poll = context.settings.poll;
  const step = nextPollStep(
    { attempt: attempt - 1, elapsedMs: 0, retryAfterMs: answer.retryAfterMs, afterError: true },
    { ...poll, initialDelayMs: poll.errorDelayMs },
  );
  if (step.kind === 'stop') return false;
  context.settings.logger.debug('Retrying ACME request', {
    url: answer.url,
    status: answer.status,
    attempt,
    delayMs: step.delayMs,
  });
  await pause(context, step.delayMs);
  return true;
}

function retriesIdempotent(answer: HttpAnswer, method: string, attempt: number, poll: PollPolicy): boolean {
  if (answer.status !== 429 && answer.status !== 503) return false;
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (attempt >= MAX_IDEMPOTENT_ATTEMPTS) return false;
  return answer.retryAfterMs === undefined || answer.retryAfterMs <= poll.retryAfterCapMs;
}

/**
 * Waits `ms` with the operation's sleep; rejects with the signal's reason as soon as it fires.
 * @throws the operation signal's reason when it fires
 */
export async function pause(context: OperationContext, ms: number): Promise<void> {
  const { signal } = context;
  if (signal === undefined) return context.settings.sleep(ms);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([context.settings.sleep(ms, signal), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/**
 * `error` with its type restored: the signal's reason when the operation was cancelled (whatever
 * acme-client made of it), an AcmeHttpError or AcmeError as is, and a plain Error that
 * acme-client threw for the problem answer it was handed last in this chain (a badNonce after
 * its own retries) as an AcmeHttpError for that problem.
 */
function typedError(error: unknown, scope: Scope | undefined): unknown {
  const signal = scope?.context.signal;
  if (signal?.aborted === true) return signal.reason;
  if (error instanceof AcmeHttpError || error instanceof AcmeError) return error;
  const problem = scope?.handedBack;
  return problem === undefined ? error : new AcmeHttpError({ kind: 'problem', problem }, { cause: error });
}

/**
 * Runs one acme-client call as its own chain of requests, so that calls running concurrently in
 * one operation (authorizations fetched in parallel) each type their own errors.
 * @throws the call's error, typed as typedError() does
 */
export function inRequestChain<T>(call: () => Promise<T>): Promise<T> {
  const parent = storage.getStore();
  if (parent === undefined) return call();
  const chain: Scope = { context: parent.context, handedBack: undefined };
  return storage.run(chain, async () => {
    try {
      return await call();
    } catch (error) {
      throw typedError(error, chain);
    }
  });
}

/**
 * Classifies `error` thrown inside `context` into an AcmeError naming the step. Call it in the
 * chain that made the failed request (right where it is caught).
 * @throws the signal's reason when the operation's signal has fired: a cancelled operation is never classified
 */
export function classify(error: unknown, context: OperationContext): AcmeError {
  context.signal?.throwIfAborted();
  return toAcmeError(typedError(error, storage.getStore()), { step: context.step });
}

/**
 * The typed form of `error` (see typedError()), for code that inspects a failure's problem.
 * @throws the signal's reason when the operation's signal has fired
 */
export function typed(error: unknown, context: OperationContext): unknown {
  context.signal?.throwIfAborted();
  return typedError(error, storage.getStore());
}

// RFC 8555 §6.5: a badNonce rejection means the request was not processed, so repeating the step
// is safe. acme-client already retries each request 5 times; with pebble's
// PEBBLE_WFE_NONCEREJECT=50 all 6 attempts fail for 1 request in 64, which made issuance flaky.
// Repeating the whole step up to 3 times brings that to about 1 in 260,000.
const MAX_BAD_NONCE_OPERATION_ATTEMPTS = 3;

/**
 * Runs `body` as one ACME operation: its requests use `settings` and `signal`, and anything it
 * throws becomes an AcmeError whose message names `step`.
 * @throws {AcmeError} for every failure of `body`
 * @throws the signal's reason, as soon as `signal` fires (requests in flight are closed, waits end)
 */
export async function runOperation<T>(
  settings: TransportSettings,
  step: string,
  body: (context: OperationContext) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  signal?.throwIfAborted();
  const context: OperationContext = {
    step: sanitizeDetail(step),
    settings,
    signal,
    lastRetryAfterMs: undefined,
    newAccountUrl: undefined,
  };
  const ended = settings.onOperation?.(context.step);
  try {
    for (let attempt = 1; ; attempt += 1) {
      const scope: Scope = { context, handedBack: undefined };
      try {
        return await storage.run(scope, () => body(context));
      } catch (error) {
        signal?.throwIfAborted();
        const classified = toAcmeError(typedError(error, scope), { step: context.step });
        if (classified.problemType !== BAD_NONCE || attempt >= MAX_BAD_NONCE_OPERATION_ATTEMPTS) throw classified;
        settings.logger.debug('The CA rejected a nonce again; retrying the step', { step: context.step, attempt });
      }
    }
  } finally {
    ended?.();
  }
}
