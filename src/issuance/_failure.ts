import { AcmeError } from '../errors';
import type { FailureState, ShouldRenewInput } from '../renewal';
import type { CertificateMeta, RenewalState } from '../storage';

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
 * What the pure policy needs from a stored certificate and its renewal state (pure): the one place
 * `acme renew` and `acme list` get them from, so that list's next renewal is renew's decision.
 */
export function policyFacts(
  meta: CertificateMeta,
  state: RenewalState,
): Pick<ShouldRenewInput, 'certificate' | 'failure' | 'revokedAt'> {
  const { failure, revocation } = state;
  return {
    certificate: {
      notBefore: new Date(meta.notBefore),
      notAfter: new Date(meta.notAfter),
      domains: meta.domains,
      keyType: meta.keyType,
      profile: meta.profile,
    },
    ...(failure === undefined ? {} : { failure: failureFacts(failure) }),
    // Only a revocation of this very certificate makes it due; the renewed one is not revoked.
    ...(revocation?.serial === meta.serial ? { revokedAt: new Date(revocation.revokedAt) } : {}),
  };
}

/**
 * The CA's Retry-After carried by an error or one of its causes (a rateLimited problem, a 503),
 * as an instant after `failedAt`; undefined when the CA sent none.
 */
export function retryAfterOf(error: unknown, failedAt: Date): Date | undefined {
  for (
    let current: unknown = error, depth = 0;
    current instanceof Error && depth < 8;
    current = current.cause, depth += 1
  ) {
    if (current instanceof AcmeError && current.retryAfterMs !== undefined && current.retryAfterMs > 0) {
      return new Date(failedAt.getTime() + current.retryAfterMs);
    }
  }
  return undefined;
}
