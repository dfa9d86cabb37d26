import { AcmeError } from '../errors';
import type { FailureState } from '../renewal';
import type { RenewalState } from '../storage';

/** The policy's view of a stored failure (pure). */
export function failureFacts(failure: RenewalState['failure']): FailureState | undefined {
  if (failure === undefined) return undefined;
  return {
    failures: failure.failures,
    lastFailureAt: new Date(failure.lastFailureAt),
    lastError: failure.lastError,
    ...(failure.retryAfter === undefined ? {} : { retryAfter: new Date(failure.retryAfter) }),
  };
}

/**
 * The CA's Retry-After carried by an error or one of its causes (a rateLimited problem, a 503),
 * as an instant after `failedAt`; undefined when the CA sent none.
 */
export function retryAfterOf(error: unknown, failedAt: Date): Date | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth += 1) {
    if (current instanceof AcmeError && current.retryAfterMs !== undefined && current.retryAfterMs > 0) {
      return new Date(failedAt.getTime() + current.retryAfterMs);
    }
  }
  return undefined;
}
