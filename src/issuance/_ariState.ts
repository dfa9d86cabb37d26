import { messageOf } from '../errors';
import type { Logger } from '../log';
import { ariCertId, ariCertIdHasSerial } from '../pem';
import { planAriWindow, type AriWindow } from '../renewal';
import type { CertificateMeta, CertificateStore, RenewalState, StoredAccount } from '../storage';
import type { AcmeOrderClient } from './issueCertificate';
import type { Limiter } from './_limit';

/** What the ARI helpers of a renewal pass use. */
export interface AriDeps {
  store: Pick<CertificateStore, 'loadCertificate'>;
  acmeFor: (accountKeyPem: string) => Pick<AcmeOrderClient, 'renewalInfo'>;
  /** Uniform [0, 1), for the random instant in an ARI window. */
  random: () => number;
  logger: Logger;
}

/**
 * The certificate's ARI CertID. The stored window's CertID is trusted when its serial is this
 * certificate's (no X.509 parse); otherwise the certificate is read and parsed, but only when ARI
 * can be used at all (`needed`: an account exists to ask the CA with).
 */
export async function currentCertId(
  name: string,
  meta: CertificateMeta,
  state: RenewalState,
  context: { deps: AriDeps; needed: boolean },
): Promise<string | undefined> {
  if (state.ari !== undefined && ariCertIdHasSerial(state.ari.certId, meta.serial)) return state.ari.certId;
  if (!context.needed) return undefined;
  const stored = await context.deps.store.loadCertificate(name);
  return stored === undefined ? undefined : safeCertId(stored.certPem);
}

/** The stored ARI window, refreshed from the CA when the directory has renewalInfo and Retry-After passed. */
export async function refreshAri(
  meta: CertificateMeta,
  certId: string | undefined,
  state: RenewalState,
  context: { deps: AriDeps; account: StoredAccount | undefined; now: Date; network: Limiter; signal?: AbortSignal },
): Promise<AriWindow | undefined> {
  const { deps, account, now } = context;
  if (certId === undefined) return undefined;
  const previous = state.ari !== undefined && state.ari.certId === certId ? fromStored(state.ari) : undefined;
  if (previous !== undefined && previous.retryAfter.getTime() > now.getTime()) return previous;
  if (account === undefined) return previous;
  try {
    const info = await context.network(() =>
      deps.acmeFor(account.keyPem).renewalInfo(certId, { signal: context.signal }),
    );
    if (info === undefined) return undefined;
    const response = {
      suggestedWindow: { start: info.window.start.toISOString(), end: info.window.end.toISOString() },
      ...(info.explanationUrl === undefined ? {} : { explanationURL: info.explanationUrl }),
    };
    return planAriWindow(response, { now, random01: deps.random(), retryAfterMs: info.retryAfterMs, previous });
  } catch (error) {
    deps.logger.warn('Cannot fetch the ARI renewal window; using what is known', {
      certificate: meta.name,
      error: messageOf(error),
    });
    return previous;
  }
}

/** The ARI window the renewal state stored, as renewal/ reads it (dates, not strings). */
export function fromStored(ari: NonNullable<RenewalState['ari']>): AriWindow {
  return {
    start: new Date(ari.start),
    end: new Date(ari.end),
    chosenAt: new Date(ari.chosenAt),
    retryAfter: new Date(ari.retryAfter),
    ...(ari.explanationUrl === undefined ? {} : { explanationUrl: ari.explanationUrl }),
  };
}

/** An ARI window as the renewal state stores it. */
export function toStored(certId: string, ari: AriWindow): NonNullable<RenewalState['ari']> {
  return {
    certId,
    start: ari.start.toISOString(),
    end: ari.end.toISOString(),
    chosenAt: ari.chosenAt.toISOString(),
    retryAfter: ari.retryAfter.toISOString(),
    ...(ari.explanationUrl === undefined ? {} : { explanationUrl: ari.explanationUrl }),
  };
}

/** CertID of a certificate, or undefined when it has no AKI (then ARI is not possible for it). */
export function safeCertId(certPem: string): string | undefined {
  try {
    return ariCertId(certPem);
  } catch {
    return undefined;
  }
}
