import { describeDuration, describeLifetime, formatInstant, isValidDate } from './_format';
import { ariWindowProblem, type AriWindow } from './ariWindow';

/** What the policy needs to know about the certificate in service. */
export interface CertificateFacts {
  notBefore: Date;
  notAfter: Date;
  /** DNS names and IP addresses in the certificate; order and case do not matter. */
  domains: readonly string[];
  /** `ec256`, `rsa2048`, … as `pem.parseCertificate()` reports it. */
  keyType: string;
  /** The ACME profile it was issued under; undefined means the CA's default. */
  profile?: string;
}

/** What the configuration asks for now. */
export interface DesiredCertificate {
  domains: readonly string[];
  keyType: string;
  /** undefined means the CA's default profile, which differs from any named profile. */
  profile?: string;
}

/** Consecutive renewal failures of one certificate, reset to none by a success. */
export interface FailureState {
  /** How many attempts in a row failed; 0 or less means none. */
  failures: number;
  lastFailureAt: Date;
  /** Shown to the operator; MUST NOT hold a key or a key authorization. */
  lastError: string;
  /** The CA's Retry-After for the last failure (e.g. a rateLimited problem), honoured up to 24 hours. */
  retryAfter?: Date;
}

/**
 * The answer of `shouldRenew()`; `detail` is one sentence for logs and `acme list`. `kept` is not
 * the policy's: the renewal pass finishes a certificate the CA issued that an earlier run kept.
 */
export type RenewalDecision =
  | {
      due: true;
      reason: 'forced' | 'config-changed' | 'emergency' | 'ari-window' | 'lifetime' | 'kept';
      detail: string;
    }
  | { due: false; reason: 'backoff' | 'not-yet'; notBefore: Date; detail: string };

/** Input of `shouldRenew()`. */
export interface ShouldRenewInput {
  certificate: CertificateFacts;
  desired: DesiredCertificate;
  /** The stored ARI window; it MUST belong to this certificate's CertID. Default: none (lifetime rule). */
  ari?: AriWindow;
  /** Default: no failures. */
  failure?: FailureState;
  now: Date;
  /** When the scheduler will check next; an unusable date counts as `now`. */
  nextCheckAt: Date;
  /** `--force`: renew now, ignoring schedule and backoff. Default: false. */
  force?: boolean;
  /** When `acme revoke` revoked this very certificate: an emergency, clients will refuse it. Default: not revoked. */
  revokedAt?: Date;
}

/**
 * Waits after 1, 2, 3 and 4+ consecutive failures: 1 min, 10 min, 100 min, then daily.
 * Why: the first retry soon catches transient trouble (a network blip, a reloading HAProxy); each
 * step is ten times longer so a persistent fault (DNS, firewall, CA rate limit) costs four orders
 * on the first day, within Let's Encrypt's limit of 5 authorization failures per name per account
 * per hour; after that once a day, so an hourly timer or a restart loop never hammers the CA, yet a
 * 90-day certificate still gets a daily try for its last 30 days (RFC 9773 §4.2
 * "renewal attempts are subject to the client's existing error backoff"; certmagic `retryIntervals`).
 */
export const RETRY_DELAYS_MS: readonly number[] = [60_000, 600_000, 6_000_000, 86_400_000];
/** In an emergency (less than 1/20 of the lifetime left) the backoff is capped at one hour. */
export const EMERGENCY_RETRY_CAP_MS = 3_600_000;
/** The lifetime fraction below which renewal is an emergency that overrides ARI. */
export const EMERGENCY_FRACTION = 1 / 20;
/** Lifetimes up to this renew at half-life instead of with one third left (`shortlived` is 160 h). */
export const SHORT_LIFETIME_MS = 10 * 86_400_000;

/** The wait after `failures` consecutive failures (see RETRY_DELAYS_MS); 0 for none, NaN or below. */
export function nextRetryDelayMs(failures: number): number {
  if (!(failures >= 1)) return 0;
  const index = Math.min(Math.floor(failures), RETRY_DELAYS_MS.length) - 1;
  return RETRY_DELAYS_MS[index] as number;
}

/** Options of `backoffUntil()`. */
export interface BackoffOptions {
  now: Date;
  /** Cap the delay at EMERGENCY_RETRY_CAP_MS. Default: false. */
  emergency?: boolean;
}

/**
 * The earliest next attempt after failures, or undefined when there is no backoff. A failure
 * time in the future counts as `now` (clock skew must not block renewal for years); an unreadable
 * one disables the backoff until the next failure records a good one.
 */
export function backoffUntil(failure: FailureState | undefined, options: BackoffOptions): Date | undefined {
  if (failure === undefined || !isValidDate(failure.lastFailureAt)) return undefined;
  const delay = nextRetryDelayMs(failure.failures);
  if (delay === 0) return undefined;
  const last = Math.min(failure.lastFailureAt.getTime(), options.now.getTime());
  let until = last + (options.emergency === true ? Math.min(delay, EMERGENCY_RETRY_CAP_MS) : delay);
  if (isValidDate(failure.retryAfter)) {
    const maxDelay = RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1] as number;
    until = Math.max(until, Math.min(failure.retryAfter.getTime(), last + maxDelay));
  }
  return new Date(until);
}

/** When the rules (without backoff) make the certificate due, or that it is due now and why. */
type Schedule =
  | { due: true; reason: 'config-changed' | 'emergency' | 'ari-window' | 'lifetime'; detail: string }
  | { due: false; at: Date; detail: string };

/**
 * Decides whether to renew a certificate now, first match wins:
 * 1. `force` → due.
 * 2. Emergency → due even if ARI says later: the validity is unreadable or inverted, the
 *    certificate expired, or less than 1/20 of its lifetime is left.
 * 3. Names (ignoring order, case and IPv6 spelling), key type or profile changed → due.
 * 4. A usable ARI window → due when its chosen time is at or before the next check, else
 *    not-yet until the chosen time. An unusable window is ignored and the detail says why.
 * 5. Lifetime → due once one third of the lifetime is left (one half for ≤ 10 days).
 * Backoff applies to 2–5: a due certificate becomes `backoff` until `backoffUntil()`, whose
 * delay is capped at one hour in an emergency so that a nearly expired certificate is retried
 * hourly rather than daily.
 * @throws RangeError when `now` is not a valid date (a programming error).
 */
export function shouldRenew(input: ShouldRenewInput): RenewalDecision {
  const { now } = input;
  if (!isValidDate(now)) throw new RangeError('Cannot decide whether to renew: "now" is not a valid date');
  if (input.force === true) return { due: true, reason: 'forced', detail: 'renewal forced (--force)' };
  const emergency = revokedOf(input.revokedAt) ?? emergencyOf(input.certificate, now);
  const schedule = emergency ?? configChangeOf(input.certificate, input.desired) ?? scheduleOf(input);
  const retryAt = backoffUntil(input.failure, { now, emergency: emergency !== undefined });
  if (schedule.due) {
    if (retryAt === undefined || retryAt.getTime() <= now.getTime()) return schedule;
    return {
      due: false,
      reason: 'backoff',
      notBefore: retryAt,
      detail: backoffDetail(input.failure, retryAt, emergency !== undefined, schedule.detail),
    };
  }
  if (retryAt !== undefined && retryAt.getTime() > schedule.at.getTime()) {
    return {
      due: false,
      reason: 'backoff',
      notBefore: retryAt,
      detail: backoffDetail(input.failure, retryAt, false, schedule.detail),
    };
  }
  return { due: false, reason: 'not-yet', notBefore: schedule.at, detail: schedule.detail };
}

function backoffDetail(failure: FailureState | undefined, retryAt: Date, emergency: boolean, then: string): string {
  const count = failure?.failures ?? 0;
  const cap = !emergency ? '' : ` (capped at ${describeDuration(EMERGENCY_RETRY_CAP_MS)} in an emergency)`;
  const plural = count === 1 ? 'failure' : 'consecutive failures';
  return `backing off until ${formatInstant(retryAt)} after ${count} ${plural}${cap}; last error: "${failure?.lastError ?? ''}"; then: ${then}`;
}

function revokedOf(revokedAt: Date | undefined): Schedule | undefined {
  if (revokedAt === undefined) return undefined;
  return { due: true, reason: 'emergency', detail: `the certificate was revoked on ${formatInstant(revokedAt)}` };
}

function emergencyOf(certificate: CertificateFacts, now: Date): Schedule | undefined {
  const { notBefore, notAfter } = certificate;
  if (!isValidDate(notBefore) || !isValidDate(notAfter) || notAfter.getTime() <= notBefore.getTime()) {
    return {
      due: true,
      reason: 'emergency',
      detail: `the certificate's validity is unusable (notBefore ${formatInstant(notBefore)}, notAfter ${formatInstant(notAfter)})`,
    };
  }
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0)
    return { due: true, reason: 'emergency', detail: `the certificate expired on ${formatInstant(notAfter)}` };
  const lifetime = notAfter.getTime() - notBefore.getTime();
  if (left >= lifetime * EMERGENCY_FRACTION) return undefined;
  return {
    due: true,
    reason: 'emergency',
    detail: `less than 1/20 of the ${describeLifetime(lifetime)} lifetime left: expires ${formatInstant(notAfter)}`,
  };
}

function configChangeOf(certificate: CertificateFacts, desired: DesiredCertificate): Schedule | undefined {
  const changes: string[] = [];
  const have = nameSet(certificate.domains);
  const want = nameSet(desired.domains);
  const added = [...want].filter((name) => !have.has(name));
  const removed = [...have].filter((name) => !want.has(name));
  if (added.length > 0) changes.push(`names added ${quoteAll(added)}`);
  if (removed.length > 0) changes.push(`names removed ${quoteAll(removed)}`);
  if (certificate.keyType.toLowerCase() !== desired.keyType.toLowerCase()) {
    changes.push(`key type changed from "${certificate.keyType}" to "${desired.keyType}"`);
  }
  if ((certificate.profile ?? '') !== (desired.profile ?? '')) {
    changes.push(`profile changed from ${profileName(certificate.profile)} to ${profileName(desired.profile)}`);
  }
  if (changes.length === 0) return undefined;
  return { due: true, reason: 'config-changed', detail: `configuration changed: ${changes.join('; ')}` };
}

function scheduleOf(input: ShouldRenewInput): Schedule {
  if (input.ari === undefined) return lifetimeSchedule(input.certificate, input.now, '');
  const problem = ariWindowProblem(input.ari);
  if (problem !== undefined)
    return lifetimeSchedule(input.certificate, input.now, `ARI window ignored because ${problem}; `);
  const { start, end, chosenAt, explanationUrl } = input.ari;
  const nextCheck = isValidDate(input.nextCheckAt)
    ? Math.max(input.nextCheckAt.getTime(), input.now.getTime())
    : input.now.getTime();
  const explanation = explanationUrl === undefined ? '' : `; explanation: ${explanationUrl}`;
  const window = `ARI window ${formatInstant(start)}–${formatInstant(end)}, chosen ${formatInstant(chosenAt)}`;
  // RFC 9773 §4.2 steps 3 and 5: renew now when the chosen time is past or comes before we wake up again.
  if (chosenAt.getTime() <= nextCheck) {
    return {
      due: true,
      reason: 'ari-window',
      detail: `${window}, no later than the next check at ${formatInstant(new Date(nextCheck))}${explanation}`,
    };
  }
  return { due: false, at: chosenAt, detail: `${window}${explanation}` };
}

function lifetimeSchedule(certificate: CertificateFacts, now: Date, prefix: string): Schedule {
  const lifetime = certificate.notAfter.getTime() - certificate.notBefore.getTime();
  const short = lifetime <= SHORT_LIFETIME_MS;
  const at = new Date(certificate.notAfter.getTime() - lifetime * (short ? 1 / 2 : 1 / 3));
  const rule = `${short ? 'one half' : 'one third'} of the ${describeLifetime(lifetime)} lifetime left`;
  if (at.getTime() <= now.getTime())
    return { due: true, reason: 'lifetime', detail: `${prefix}${rule} since ${formatInstant(at)}` };
  return { due: false, at, detail: `${prefix}${rule} on ${formatInstant(at)}` };
}

/** Lower-cased names; IPv6 addresses in their shortest form (`0:0:0:0:0:0:0:1` → `::1`). */
function nameSet(names: readonly string[]): Set<string> {
  return new Set(names.map((name) => canonicalName(name.trim().toLowerCase())));
}

function canonicalName(name: string): string {
  if (!name.includes(':')) return name;
  try {
    return new URL(`http://[${name}]/`).hostname.slice(1, -1);
  } catch {
    return name;
  }
}

function quoteAll(names: string[]): string {
  return names
    .sort()
    .map((name) => `"${name}"`)
    .join(', ');
}

function profileName(profile: string | undefined): string {
  return profile === undefined || profile === '' ? 'the CA default' : `"${profile}"`;
}
