/**
 * Pure polling arithmetic: when to re-poll an authorization or order (RFC 8555 §7.5.1 "Clients
 * SHOULD NOT poll more often than Retry-After allows"), and how to read a Retry-After header.
 * No I/O, no clock: elapsed time and `now` come in as arguments.
 *
 * Schedule: a CA that validates at once (pebble, a warm Let's Encrypt VA) is usually done within
 * tens of milliseconds, so the first re-poll comes after `initialDelayMs` (25 ms) and the delay
 * doubles up to `maxDelayMs` (5 s). A Retry-After from the CA always wins: it is waited out in
 * full, never shortened; when it is longer than `retryAfterCapMs` or than the time left, the loop
 * stops instead of polling early. A transient failure without Retry-After waits at least
 * `errorDelayMs`, so an overloaded CA is not hammered every 25 ms. Bounded by `maxPolls` re-polls
 * and `timeoutMs` in total, whichever comes first.
 */

/** How our own poll loops wait between polls of an authorization or order. */
export interface PollPolicy {
  /** Delay before the first re-poll, in ms; later delays double. */
  initialDelayMs: number;
  /** Upper bound for the exponential delay, in ms. */
  maxDelayMs: number;
  /** Upper bound for the whole wait, in ms; then the loop fails with ACME_TIMEOUT. */
  timeoutMs: number;
  /** Upper bound for a server's Retry-After, in ms (a rate limit may ask for hours); above it the loop stops. */
  retryAfterCapMs: number;
  /** Lower bound for the delay after a transient failure (network, 5xx) without Retry-After, in ms. */
  errorDelayMs: number;
  /** Upper bound for the number of re-polls after the first fetch. */
  maxPolls: number;
}

/**
 * Defaults: first re-poll after 25 ms, doubling to 5 s, at most 30 re-polls and 2 min in total,
 * Retry-After honoured up to 30 s, at least 250 ms after a transient failure.
 * Worst case without Retry-After: 25+50+…+3200 ms (8 re-polls, 6.4 s), then 22 more every 5 s.
 */
export const DEFAULT_POLL_POLICY: Readonly<PollPolicy> = Object.freeze({
  initialDelayMs: 25,
  maxDelayMs: 5_000,
  timeoutMs: 120_000,
  retryAfterCapMs: 30_000,
  errorDelayMs: 250,
  maxPolls: 30,
});

/** What a poll loop does next: wait `delayMs` and poll again, or stop (and why). */
export type PollStep =
  | { kind: 'wait'; delayMs: number }
  | { kind: 'stop'; reason: 'max-polls' | 'timeout' | 'retry-after'; retryAfterMs?: number };

/** The state nextPollStep() decides from. */
export interface PollState {
  /** Re-polls made so far (0 before the first re-poll). */
  attempt: number;
  /** Time since the loop's first fetch, in ms. */
  elapsedMs: number;
  /** The CA's Retry-After on the last answer, in ms (parseRetryAfter()), or undefined. */
  retryAfterMs: number | undefined;
  /** Whether the last fetch failed transiently (network, timeout, 5xx, rate limit). */
  afterError: boolean;
}

/** A non-negative whole number of ms, or `fallback` for NaN, ±Infinity and negatives. */
function wholeMs(value: number, fallback: number): number {
  return Number.isFinite(value) && value >= 0 ? Math.floor(value) : fallback;
}

/**
 * Decides the next step of a poll loop (pure).
 * Without Retry-After: `initialDelayMs * 2^attempt`, capped at `maxDelayMs`, raised to
 * `errorDelayMs` after a transient failure, shortened to the time left.
 * With Retry-After (finite, ≥ 0): exactly that (raised to `initialDelayMs`, so `0` cannot make us
 * spin), or stop with reason `retry-after` when it exceeds `retryAfterCapMs` or the time left.
 * A Retry-After that is not a finite number ≥ 0 counts as absent.
 */
export function nextPollStep(state: PollState, policy: PollPolicy): PollStep {
  const initial = wholeMs(policy.initialDelayMs, 0);
  const attempt = wholeMs(state.attempt, 0);
  if (attempt >= wholeMs(policy.maxPolls, 0)) return { kind: 'stop', reason: 'max-polls' };
  const remainingMs = wholeMs(policy.timeoutMs, 0) - wholeMs(state.elapsedMs, 0);
  if (remainingMs <= 0) return { kind: 'stop', reason: 'timeout' };
  const retryAfterMs = state.retryAfterMs;
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    const delayMs = Math.max(initial, Math.ceil(retryAfterMs));
    if (delayMs > policy.retryAfterCapMs || delayMs > remainingMs)
      return { kind: 'stop', reason: 'retry-after', retryAfterMs: delayMs };
    return { kind: 'wait', delayMs };
  }
  // 2^attempt overflows to Infinity for a huge attempt; the cap below takes it back.
  const backoffMs = Math.min(initial * 2 ** attempt, Math.max(initial, wholeMs(policy.maxDelayMs, initial)));
  const delayMs = state.afterError ? Math.max(backoffMs, wholeMs(policy.errorDelayMs, 0)) : backoffMs;
  return { kind: 'wait', delayMs: Math.min(delayMs, remainingMs) };
}

// RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". The obsolete RFC 850 and
// asctime forms are not accepted: no ACME server sends them.
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const DELAY_SECONDS = /^\d{1,12}$/;

/**
 * Parses a Retry-After header (RFC 9110 §10.2.3) into ms from `now`.
 * `"120"` → 120000; `"Wed, 21 Oct 2015 07:28:00 GMT"` → ms until then (0 if past).
 * Returns undefined for anything else (negative, fractional, lists, lenient dates like `"5 May"`),
 * unlike acme-client's parser, which accepts whatever `new Date()` accepts.
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  if (DELAY_SECONDS.test(value)) return Number(value) * 1000;
  if (!IMF_FIXDATE.test(value)) return undefined;
  const at = new Date(value);
  // The round trip rejects impossible dates that Date would roll over ("31 Feb") and wrong weekdays.
  if (Number.isNaN(at.getTime()) || at.toUTCString() !== value) return undefined;
  return Math.max(0, at.getTime() - now.getTime());
}
