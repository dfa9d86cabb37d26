/**
 * Pure renewal policy: when a certificate is due (ARI window, lifetime, emergency, configuration
 * change), failure backoff, and the RFC 9773 window bookkeeping. No I/O, no clock, no randomness:
 * `now` and `random01` come in as arguments.
 */
export {
  backoffUntil,
  EMERGENCY_FRACTION,
  EMERGENCY_RETRY_CAP_MS,
  nextRetryDelayMs,
  RETRY_DELAYS_MS,
  SHORT_LIFETIME_MS,
  shouldRenew,
  type BackoffOptions,
  type CertificateFacts,
  type DesiredCertificate,
  type FailureState,
  type RenewalDecision,
  type ShouldRenewInput,
} from './policy';
export {
  ARI_DEFAULT_RETRY_AFTER_MS,
  ARI_MAX_RETRY_AFTER_MS,
  ARI_MIN_RETRY_AFTER_MS,
  ariRetryAfterMs,
  ariWindowProblem,
  chooseInWindow,
  isAriWindowUsable,
  planAriWindow,
  shouldRefreshAri,
  type AriWindow,
  type PlanAriWindowOptions,
} from './ariWindow';
export {
  PASS_DEADLINE_KIND,
  PASS_KILL_GRACE_MS,
  PASS_UNREPORTED_LIMIT_MS,
  reportedDeadlineMs,
  runPass,
  type PassDeadlineMessage,
  type RunPassOptions,
} from './runPass';
export {
  checkSchedule,
  DEFAULT_MAX_RANDOM_DELAY_MS,
  DEFAULT_SCHEDULE,
  DEFAULT_STOP_TIMEOUT_MS,
  RenewalDaemon,
  type RenewalDaemonOptions,
} from './RenewalDaemon';
export { superviseFollower, type SuperviseFollowerOptions } from './superviseFollower';
