import { formatInstant, isValidDate } from './_format';

/** A stored RFC 9773 renewal window for one certificate (one CertID). */
export interface AriWindow {
  /** suggestedWindow.start from the CA. */
  start: Date;
  /** suggestedWindow.end from the CA; MUST be after `start` or the window is ignored. */
  end: Date;
  /** The random instant chosen inside the window, stored so it is stable across checks. */
  chosenAt: Date;
  /** Do not ask the CA again before (its Retry-After, clamped by `ariRetryAfterMs()`). */
  retryAfter: Date;
  /** explanationURL from the CA, shown to the operator. */
  explanationUrl?: string;
}

/** RFC 9773 §4.3.2 example limits for Retry-After: below one minute counts as one minute… */
export const ARI_MIN_RETRY_AFTER_MS = 60_000;
/** …and above one day counts as one day. */
export const ARI_MAX_RETRY_AFTER_MS = 24 * 3_600_000;
/** When the CA sends no usable Retry-After: a long-term error, retried after six hours (RFC 9773 §4.3.3). */
export const ARI_DEFAULT_RETRY_AFTER_MS = 6 * 3_600_000;

/**
 * Picks the instant `start + random01 × (end − start)`, floored to a millisecond. RFC 9773 §4.2
 * asks for a uniformly random time, so pass `Math.random()` (the caller reads it, this stays pure).
 * @throws RangeError when `random01` is not in [0, 1) or the window is unusable.
 */
export function chooseInWindow(window: { start: Date; end: Date }, random01: number): Date {
  if (!(Number.isFinite(random01) && random01 >= 0 && random01 < 1)) {
    throw new RangeError(`Cannot choose a time in the ARI window: "random01" must be in [0, 1), got "${random01}"`);
  }
  const problem = windowProblem(window);
  if (problem !== undefined) throw new RangeError(`Cannot choose a time in the ARI window: ${problem}`);
  const start = window.start.getTime();
  return new Date(start + Math.floor(random01 * (window.end.getTime() - start)));
}

function windowProblem(window: { start: Date; end: Date }): string | undefined {
  if (!isValidDate(window.start)) return 'its start is not a valid date';
  if (!isValidDate(window.end)) return 'its end is not a valid date';
  // RFC 9773 §4.2: "A RenewalInfo object in which the end timestamp equals or precedes the start
  // timestamp is invalid", and clients MUST treat it as no response at all.
  if (window.end.getTime() <= window.start.getTime()) {
    return `its end ${formatInstant(window.end)} is not after its start ${formatInstant(window.start)}`;
  }
  return undefined;
}

/**
 * Why a stored window cannot drive renewal (`its end … is not after its start …`), or
 * undefined when it can. The chosen time MUST lie inside the window.
 */
export function ariWindowProblem(ari: AriWindow): string | undefined {
  const problem = windowProblem(ari);
  if (problem !== undefined) return problem;
  if (!isValidDate(ari.chosenAt)) return 'its chosen time is not a valid date';
  if (ari.chosenAt.getTime() < ari.start.getTime() || ari.chosenAt.getTime() > ari.end.getTime()) {
    return `its chosen time ${formatInstant(ari.chosenAt)} is outside it`;
  }
  return undefined;
}

/** Whether a stored window can drive renewal; see `ariWindowProblem()` for why not. */
export function isAriWindowUsable(ari: AriWindow): boolean {
  return ariWindowProblem(ari) === undefined;
}

/**
 * Whether to GET renewalInfo again: never once the certificate has expired (RFC 9773 §4.3 MUST
 * NOT), otherwise when there is no window yet or its Retry-After has passed or is unreadable.
 */
export function shouldRefreshAri(ari: AriWindow | undefined, options: { now: Date; notAfter: Date }): boolean {
  const now = options.now.getTime();
  if (now >= options.notAfter.getTime()) return false;
  if (ari === undefined || !isValidDate(ari.retryAfter)) return true;
  return now >= ari.retryAfter.getTime();
}

/**
 * Clamps the CA's Retry-After to 1 minute … 1 day (RFC 9773 §4.3.2); a missing, negative or
 * unreadable value is a long-term error and gives 6 hours (§4.3.3).
 */
export function ariRetryAfterMs(retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs < 0)
    return ARI_DEFAULT_RETRY_AFTER_MS;
  return Math.min(ARI_MAX_RETRY_AFTER_MS, Math.max(ARI_MIN_RETRY_AFTER_MS, retryAfterMs));
}

/** Options of `planAriWindow()`. */
export interface PlanAriWindowOptions {
  /** When the response arrived. */
  now: Date;
  /** A number in [0, 1), e.g. `Math.random()`, used only when a new time must be chosen. */
  random01: number;
  /** The response's Retry-After in milliseconds. Default: 6 hours (see `ariRetryAfterMs()`). */
  retryAfterMs?: number;
  /** The window stored before; its chosen time is kept when the CA still suggests the same window. Default: none. */
  previous?: AriWindow;
}

/**
 * Turns a renewalInfo response (RFC 9773 §4.2) into the window to store, keeping the previously
 * chosen time when the window did not move so that checks agree with each other. Returns
 * undefined for an invalid window (end not after start, unparsable dates), which RFC 9773 says to
 * treat as no response: the caller falls back to the lifetime rule.
 * Input sample: `{ "suggestedWindow": { "start": "2026-12-01T00:00:00Z", "end": "2026-12-03T00:00:00Z" } }`.
 */
export function planAriWindow(
  response: { suggestedWindow: { start: string; end: string }; explanationURL?: string },
  options: PlanAriWindowOptions,
): AriWindow | undefined {
  const window = { start: new Date(response.suggestedWindow.start), end: new Date(response.suggestedWindow.end) };
  if (windowProblem(window) !== undefined) return undefined;
  const { previous } = options;
  const same =
    previous !== undefined &&
    previous.start.getTime() === window.start.getTime() &&
    previous.end.getTime() === window.end.getTime() &&
    isAriWindowUsable(previous);
  return {
    ...window,
    chosenAt: same ? new Date(previous.chosenAt.getTime()) : chooseInWindow(window, options.random01),
    retryAfter: new Date(options.now.getTime() + ariRetryAfterMs(options.retryAfterMs)),
    ...(response.explanationURL === undefined ? {} : { explanationUrl: response.explanationURL }),
  };
}
