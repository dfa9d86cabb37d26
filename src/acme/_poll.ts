/**
 * Pure polling arithmetic: how long to wait before re-polling an authorization or order
 * (RFC 8555 §7.5.1 "Clients SHOULD NOT poll more often than Retry-After allows"), and how to
 * read a Retry-After header. No I/O, no clock: `now` comes in as an argument.
 */

/** How our own poll loops wait between polls of an authorization or order. */
export interface PollPolicy {
  /** Delay before the first re-poll, in ms; later delays double. */
  initialDelayMs: number;
  /** Upper bound for the exponential delay, in ms. */
  maxDelayMs: number;
  /** Upper bound for the whole wait, in ms; then the loop fails with ACME_TIMEOUT. */
  timeoutMs: number;
  /** Upper bound for a server's Retry-After, in ms (a rate limit may ask for hours). */
  retryAfterCapMs: number;
}

/** Defaults: first re-poll after 250 ms, doubling to 5 s, 2 min in total, Retry-After capped at 30 s. */
export const DEFAULT_POLL_POLICY: Readonly<PollPolicy> = Object.freeze({
  initialDelayMs: 250,
  maxDelayMs: 5_000,
  timeoutMs: 120_000,
  retryAfterCapMs: 30_000,
});

/**
 * Returns the delay in ms before re-poll number `attempt` (0 = the first re-poll).
 * Without Retry-After: `initialDelayMs * 2^attempt`, capped at `maxDelayMs`.
 * With Retry-After: the server's value, capped at `retryAfterCapMs`, never below `initialDelayMs`
 * (so `Retry-After: 0` cannot make us spin).
 */
export function nextPollDelay(attempt: number, retryAfterMs: number | undefined, policy: PollPolicy): number {
  const initial = Math.max(0, policy.initialDelayMs);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.max(initial, Math.min(retryAfterMs, policy.retryAfterCapMs));
  }
  const step = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  return Math.min(initial * 2 ** step, Math.max(initial, policy.maxDelayMs));
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
