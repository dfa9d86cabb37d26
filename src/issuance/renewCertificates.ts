import { messageOf } from '../errors';
import { CERTIFICATE_KEY_TYPES, type CertificateKeyType } from '../acme';
import { ariCertId } from '../pem';
import { backoffUntil, planAriWindow, shouldRenew, type AriWindow, type DesiredCertificate, type RenewalDecision, type ShouldRenewInput } from '../renewal';
import type { RenewalState, RenewalStateStore, StoredCertificate } from '../storage';
import { deployCertificate, type DeployDeps, type EndpointOutcome } from './deployCertificate';
import { issueCertificate, type IssuanceDeps, type IssueResult } from './issueCertificate';

/** What a post-renew hook run reports (deploy-hooks/ produces it). */
export interface HookOutcome {
  label: string;
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  error?: string;
}

/** Adapters a renewal pass drives, on top of issuance's. */
export interface RenewalDeps extends IssuanceDeps {
  renewalState: RenewalStateStore;
  /** Where renewed certificates go; endpoints may be empty. */
  deploy: Pick<DeployDeps, 'deployState' | 'endpoints' | 'crtList' | 'fallback'>;
  /** Runs the post-renew hooks for a freshly renewed certificate. Default: none. */
  runHooks?: (certificate: StoredCertificate) => Promise<HookOutcome[]>;
  /** Uniform [0, 1), for the random instant in an ARI window. */
  random: () => number;
}

/** Options of one renewal pass. */
export interface RenewOptions {
  /** Certificates to consider. Default: every stored one. */
  names?: string[];
  /** Renew regardless of the schedule and of the failure backoff. Default: false. */
  force?: boolean;
  /** When the next check will run: a certificate due before it is renewed now. */
  nextCheckAt: Date;
  /** What a certificate should look like when configuration says otherwise than its metadata. */
  desired?: ReadonlyMap<string, DesiredCertificate>;
  /** Renewals in flight at once. Default: 4. */
  concurrency?: number;
  /** Keep each certificate's key when its type is unchanged. Default: false. */
  reuseKey?: boolean;
}

/** What happened to one certificate in a pass. */
export interface RenewOutcome {
  name: string;
  decision: RenewalDecision;
  renewed?: Pick<IssueResult, 'serial' | 'notAfter'>;
  deploy?: EndpointOutcome[];
  hooks?: HookOutcome[];
  /** Set when a due renewal failed; the failure backoff is recorded. */
  error?: string;
  nextAttemptAt?: Date;
}

const DEFAULT_CONCURRENCY = 4;

/**
 * One renewal pass: for each certificate, decide (ARI window, lifetime rule, emergency, backoff),
 * renew what is due with `replaces`, deploy it, run hooks, and record the outcome. One failure
 * never stops the others; it is recorded with its backoff.
 * @throws StorageError when the store cannot even be listed
 */
export async function renewCertificates(deps: RenewalDeps, options: RenewOptions): Promise<RenewOutcome[]> {
  const names = options.names ?? (await deps.store.listCertificateNames());
  deps = withCachedAcmeClients(deps);
  const outcomes: RenewOutcome[] = new Array(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const index = next;
      next += 1;
      outcomes[index] = await renewOne(names[index]!, deps, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, names.length) }, worker));
  return outcomes;
}

/**
 * One ACME client per account key for the whole pass, so the directory is fetched once, not once
 * per certificate (measured: 1000 certificates, one directory GET each, before this).
 */
function withCachedAcmeClients(deps: RenewalDeps): RenewalDeps {
  const clients = new Map<string, ReturnType<RenewalDeps['acmeFor']>>();
  return {
    ...deps,
    acmeFor: (keyPem) => {
      const cached = clients.get(keyPem) ?? deps.acmeFor(keyPem);
      clients.set(keyPem, cached);
      return cached;
    },
  };
}

async function renewOne(name: string, deps: RenewalDeps, options: RenewOptions): Promise<RenewOutcome> {
  const log = deps.logger.child({ certificate: name });
  const now = deps.clock.now();
  const state = await deps.renewalState.load(name);
  const before = comparable(state);
  const stored = await deps.store.loadCertificate(name);
  if (stored === undefined) {
    const decision: RenewalDecision = { due: false, reason: 'not-yet', notBefore: now, detail: 'no such certificate' };
    return { name, decision, error: `Cannot renew "${name}": no such certificate in the store` };
  }
  const desired = options.desired?.get(name) ?? { domains: stored.meta.domains, keyType: stored.meta.keyType, profile: stored.meta.profile };
  const certId = safeCertId(stored.certPem);
  const ari = await refreshAri(stored, certId, state, deps, now);
  const decision = shouldRenew({ ...policyFacts(stored, state), desired, ari, now, nextCheckAt: options.nextCheckAt, force: options.force });
  state.ari = ari === undefined || certId === undefined ? undefined : toStored(certId, ari);
  state.lastDecision = { at: now.toISOString(), due: decision.due, reason: decision.reason, detail: decision.detail, ...(decision.due ? {} : { notBefore: decision.notBefore.toISOString() }) };
  if (!decision.due) {
    log.info(decision.reason === 'backoff' ? 'Backing off after a failure' : 'Not due', { reason: decision.reason, detail: decision.detail, notBefore: decision.notBefore.toISOString() });
    // Nothing but the check time changed: skip the fsync'd rewrite (1000 certificates: ~0.6 s a pass).
    if (comparable(state) !== before) await deps.renewalState.save(name, state);
    return { name, decision };
  }
  log.info('Renewing', { reason: decision.reason, detail: decision.detail });
  return renewDue(name, { stored, desired, certId: ari === undefined ? undefined : certId, state, decision, reuseKey: options.reuseKey === true }, deps);
}

async function renewDue(
  name: string,
  job: {
    stored: StoredCertificate;
    desired: DesiredCertificate;
    certId: string | undefined;
    state: RenewalState;
    decision: Extract<RenewalDecision, { due: true }>;
    reuseKey: boolean;
  },
  deps: RenewalDeps,
): Promise<RenewOutcome> {
  const { state, decision } = job;
  try {
    const result = await issueCertificate(
      { name, domains: [...job.desired.domains], keyType: asKeyType(job.desired.keyType), profile: job.desired.profile, replaces: job.certId, reuseKey: job.reuseKey },
      deps,
    );
    const deploy = await deployCertificate(name, { ...deps.deploy, store: deps.store, clock: deps.clock, logger: deps.logger });
    const renewed = await deps.store.loadCertificate(name);
    const hooks = deps.runHooks === undefined || renewed === undefined ? [] : await deps.runHooks(renewed);
    const at = deps.clock.now().toISOString();
    state.failure = undefined;
    state.ari = undefined; // a new certificate has a new CertID and a new window
    state.lastSuccessAt = at;
    state.hooks = hooks.map((h) => ({ label: h.label, ok: h.ok, exitCode: h.exitCode, timedOut: h.timedOut, at, ...(h.error === undefined ? {} : { error: h.error }) }));
    await deps.renewalState.save(name, state);
    return { name, decision, renewed: { serial: result.serial, notAfter: result.notAfter }, deploy, hooks };
  } catch (error) {
    const failures = (state.failure?.failures ?? 0) + 1;
    const failedAt = deps.clock.now();
    const failure = { failures, lastFailureAt: failedAt, lastError: messageOf(error) };
    const nextAttemptAt = backoffUntil(failure, { now: failedAt, emergency: decision.reason === 'emergency' }) ?? failedAt;
    state.failure = { failures, lastFailureAt: failedAt.toISOString(), lastError: messageOf(error), nextAttemptAt: nextAttemptAt.toISOString() };
    await deps.renewalState.save(name, state);
    deps.logger.error('Renewal failed; backing off', { certificate: name, failures, nextAttemptAt: nextAttemptAt.toISOString(), error: messageOf(error) });
    return { name, decision, error: messageOf(error), nextAttemptAt };
  }
}

/** The stored ARI window, refreshed from the CA when the directory has renewalInfo and Retry-After passed. */
async function refreshAri(
  stored: StoredCertificate,
  certId: string | undefined,
  state: RenewalState,
  deps: RenewalDeps,
  now: Date,
): Promise<AriWindow | undefined> {
  if (certId === undefined) return undefined;
  const previous = state.ari !== undefined && state.ari.certId === certId ? fromStored(state.ari) : undefined;
  if (previous !== undefined && previous.retryAfter.getTime() > now.getTime()) return previous;
  const account = await deps.store.loadAccount(deps.directoryUrl);
  if (account === undefined) return previous;
  try {
    const info = await deps.acmeFor(account.keyPem).renewalInfo(certId);
    if (info === undefined) return undefined;
    const response = {
      suggestedWindow: { start: info.window.start.toISOString(), end: info.window.end.toISOString() },
      ...(info.explanationUrl === undefined ? {} : { explanationURL: info.explanationUrl }),
    };
    return planAriWindow(response, { now, random01: deps.random(), retryAfterMs: info.retryAfterMs, previous });
  } catch (error) {
    deps.logger.warn('Cannot fetch the ARI renewal window; using what is known', { certificate: stored.meta.name, error: messageOf(error) });
    return previous;
  }
}

function fromStored(ari: NonNullable<RenewalState['ari']>): AriWindow {
  return {
    start: new Date(ari.start),
    end: new Date(ari.end),
    chosenAt: new Date(ari.chosenAt),
    retryAfter: new Date(ari.retryAfter),
    ...(ari.explanationUrl === undefined ? {} : { explanationUrl: ari.explanationUrl }),
  };
}

function toStored(certId: string, ari: AriWindow): NonNullable<RenewalState['ari']> {
  return {
    certId,
    start: ari.start.toISOString(),
    end: ari.end.toISOString(),
    chosenAt: ari.chosenAt.toISOString(),
    retryAfter: ari.retryAfter.toISOString(),
    ...(ari.explanationUrl === undefined ? {} : { explanationUrl: ari.explanationUrl }),
  };
}

/** The stored key type as one we can generate; a certificate from elsewhere gets the default. */
function asKeyType(keyType: string): CertificateKeyType {
  return (CERTIFICATE_KEY_TYPES as readonly string[]).includes(keyType) ? (keyType as CertificateKeyType) : 'ec256';
}

/** What the pure policy needs from the stored certificate and its renewal state. */
function policyFacts(stored: StoredCertificate, state: RenewalState): Pick<ShouldRenewInput, 'certificate' | 'failure' | 'revokedAt'> {
  const { meta } = stored;
  const { failure, revocation } = state;
  return {
    certificate: { notBefore: new Date(meta.notBefore), notAfter: new Date(meta.notAfter), domains: meta.domains, keyType: meta.keyType, profile: meta.profile },
    ...(failure === undefined ? {} : { failure: { failures: failure.failures, lastFailureAt: new Date(failure.lastFailureAt), lastError: failure.lastError } }),
    // Only a revocation of this very certificate makes it due; the renewed one is not revoked.
    ...(revocation?.serial === meta.serial ? { revokedAt: new Date(revocation.revokedAt) } : {}),
  };
}

/** The state as JSON without the time of the last check, to tell whether a save is needed. */
function comparable(state: RenewalState): string {
  const { lastDecision, ...rest } = state;
  return JSON.stringify({ ...rest, lastDecision: lastDecision === undefined ? undefined : { ...lastDecision, at: undefined } });
}

/** CertID of a certificate, or undefined when it has no AKI (then ARI is not possible for it). */
function safeCertId(certPem: string): string | undefined {
  try {
    return ariCertId(certPem);
  } catch {
    return undefined;
  }
}
