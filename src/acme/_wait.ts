/**
 * Our poll loop for authorizations and orders. acme-client's waitForValidStatus() waits at
 * least 5 s between polls and ignores Retry-After; this one follows nextPollStep(): a first
 * re-poll after tens of ms, exponential backoff, every Retry-After waited out in full, and at
 * most `maxPolls` re-polls within `timeoutMs`.
 */
import { AcmeError } from '../errors';
import { nextPollStep, type PollStep } from './_poll';
import { classify, pause, type OperationContext } from './_transport';

/** Progress of a poll loop, reported before each wait so the CLI can show it. */
export interface PollWaitInfo {
  /** What is being polled. */
  resource: 'authorization' | 'order';
  /** The name being validated, or the order's names joined with ", ". */
  domain: string;
  /** 1 for the first re-poll. */
  attempt: number;
  /** The status the CA reported last, or `error` after a transient failure. */
  status: string;
  /** How long we wait now, in ms. */
  delayMs: number;
}

/** Options every AcmeService method takes as its last argument. */
export interface AcmeCallOptions {
  /**
   * Cancels the call: a request in flight is closed at once, a poll wait ends, and the call
   * rejects with `signal.reason` (not an AcmeError). Default: none (the call cannot be cancelled).
   */
  signal?: AbortSignal;
}

/** Options of the waiting AcmeService methods. */
export interface WaitOptions extends AcmeCallOptions {
  /** Called before each wait; MUST NOT throw. Default: none. */
  onWait?: (info: PollWaitInfo) => void;
}

/** What pollWhile() needs besides the context. */
export interface PollTarget<T extends { status: string }> {
  resource: PollWaitInfo['resource'];
  domain: string;
  /** Statuses that mean "not done yet, poll again". */
  waiting: readonly string[];
  fetch: () => Promise<T>;
  onWait: WaitOptions['onWait'];
}

/**
 * Polls `target.fetch` until the status leaves `target.waiting`, and returns that item.
 * Retryable failures (network, timeout, 5xx, rate limit) count as "still waiting", unless their
 * Retry-After is above `poll.retryAfterCapMs`.
 * Stops as soon as the operation's signal fires, during a fetch or a wait.
 * @throws {AcmeError} ACME_TIMEOUT after `poll.timeoutMs` or `poll.maxPolls` re-polls, or when the CA's Retry-After on a waiting status is longer than the cap or the time left (the last transient failure instead, when the last poll failed); a failure whose Retry-After is above the cap; any other failure of fetch
 * @throws the signal's reason when the operation's signal fires
 */
export async function pollWhile<T extends { status: string }>(
  context: OperationContext,
  target: PollTarget<T>,
): Promise<T> {
  const { clock, poll, logger } = context.settings;
  const startedMs = clock.now().getTime();
  let lastStatus = 'unknown';
  let lastError: AcmeError | undefined;
  for (let attempt = 0; ; attempt += 1) {
    context.signal?.throwIfAborted();
    let retryAfterMs: number | undefined;
    try {
      const item = await target.fetch();
      if (!target.waiting.includes(item.status)) return item;
      lastStatus = item.status;
      retryAfterMs = context.lastRetryAfterMs;
    } catch (error) {
      lastError = classify(error, context);
      if (!lastError.retryable) throw lastError;
      lastStatus = 'error';
      retryAfterMs = lastError.retryAfterMs;
      logger.debug('Transient ACME error while polling', { domain: target.domain, error: lastError.message });
    }
    const elapsedMs = clock.now().getTime() - startedMs;
    const step = nextPollStep({ attempt, elapsedMs, retryAfterMs, afterError: lastStatus === 'error' }, poll);
    if (step.kind === 'stop') {
      // A CA that stayed unreachable, or refuses us for longer than we may wait (a rate limit's
      // Retry-After: 86400): report the real cause, and never poll before its Retry-After.
      if (lastStatus === 'error' && lastError !== undefined) throw lastError;
      throw stoppedError(context, { step, lastStatus, elapsedMs, attempt });
    }
    target.onWait?.({
      resource: target.resource,
      domain: target.domain,
      attempt: attempt + 1,
      status: lastStatus,
      delayMs: step.delayMs,
    });
    await pause(context, step.delayMs);
  }
}

/** The ACME_TIMEOUT for a loop that stops while the item is still waiting. */
function stoppedError(
  context: OperationContext,
  state: { step: Extract<PollStep, { kind: 'stop' }>; lastStatus: string; elapsedMs: number; attempt: number },
): AcmeError {
  const { step, lastStatus } = state;
  const { poll } = context.settings;
  const why =
    step.reason === 'timeout'
      ? `after ${poll.timeoutMs} ms`
      : step.reason === 'max-polls'
        ? `after ${state.attempt} polls in ${state.elapsedMs} ms`
        : `and its Retry-After of ${step.retryAfterMs} ms is longer than the ${Math.min(poll.retryAfterCapMs, poll.timeoutMs - state.elapsedMs)} ms this poll may still wait`;
  return new AcmeError('ACME_TIMEOUT', `Cannot ${context.step}: still "${lastStatus}" ${why}`, {
    retryable: true,
    ...(step.retryAfterMs === undefined ? {} : { retryAfterMs: step.retryAfterMs }),
  });
}
