// Human wording for RenewalDecision.detail. Pure: dates are formatted in UTC, never local time.

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** True when `date` is a Date holding a real instant (not `new Date('garbage')`). */
export function isValidDate(date: Date | undefined): date is Date {
  return date instanceof Date && Number.isFinite(date.getTime());
}

/** `2026-12-02T04:11Z` (UTC, minute precision), or `"Invalid Date"` for an unusable date. */
export function formatInstant(date: Date | undefined): string {
  if (!isValidDate(date)) return '"Invalid Date"';
  return `${date.toISOString().slice(0, 16)}Z`;
}

/**
 * A lifetime as people say it: `90-day` for 90 days minus Let's Encrypt's one second,
 * `160-hour` for the `shortlived` profile's 160 hours.
 */
export function describeLifetime(lifetimeMs: number): string {
  const days = lifetimeMs / DAY_MS;
  if (days >= 1 && Math.abs(days - Math.round(days)) < 0.01) return `${Math.round(days)}-day`;
  const hours = lifetimeMs / HOUR_MS;
  if (hours >= 1) return `${Math.round(hours)}-hour`;
  return `${Math.round(lifetimeMs / MINUTE_MS)}-minute`;
}

/** A duration for backoff messages: `1 minute`, `100 minutes`, `1 hour`, `24 hours`. */
export function describeDuration(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  if (minutes < 60 || minutes % 60 !== 0) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = minutes / 60;
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}
