import { messageOf } from '../errors';
import { CERTIFICATE_KEY_TYPES, type CertificateKeyType } from '../acme';
import { ariCertId, ariCertIdHasSerial } from '../pem';
import { backoffUntil, planAriWindow, shouldRenew, type AriWindow, type DesiredCertificate, type RenewalDecision, type ShouldRenewInput } from '../renewal';
import type { CertificateMeta, RenewalState, RenewalStateStore, StoredAccount, StoredCertificate } from '../storage';
import { deployCertificate, type DeployDeps, type EndpointOutcome } from './deployCertificate';
import { issueCertificate, type IssuanceDeps, type IssueResult } from './issueCertificate';
import { deployIfOwed } from './_owedDeploy';
import { createLimiter, type Limiter } from './_limit';
import { failureFacts, retryAfterOf } from './_failure';

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
 * Certificates checked at once. A check is local file reads; with only `concurrency` of them in
 * flight, a 1000-certificate pass spent most of its time waiting on thread-pool round trips.
 * Network work (ARI fetches, orders) stays limited to `concurrency`.
 */
const CHECK_CONCURRENCY = 32;

/**
 * One renewal pass: for each certificate, decide (ARI window, lifetime rule, emergency, backoff),
 * renew what is due with `replaces`, deploy it, run hooks, and record the outcome. One failure
 * never stops the others; it is recorded with its backoff.
 * @throws StorageError when the store cannot even be listed
 */
export async function renewCertificates(deps: RenewalDeps, options: RenewOptions): Promise<RenewOutcome[]> {
  // First, under the home lock: finish or drop what a killed run left (temps, a bundle not renamed).
  await deps.store.recover();
  const names = options.names ?? (await deps.store.listCertificateNames());
  deps = withCachedAcmeClients(deps);
  const loadAccount = cachedAccountLoader(deps);
  const network = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const outcomes: RenewOutcome[] = new Array(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const index = next;
      next += 1;
      outcomes[index] = await renewOne(names[index]!, { deps, options, loadAccount, network });
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, names.length) }, worker));
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

/** The pass's view of the account: read once, and read again after a renewal (which may create it). */
interface AccountCache {
  load: () => Promise<StoredAccount | undefined>;
  forget: () => void;
}

/** One read of the account per pass instead of one per certificate (1000 reads before, most of them a missing file). */
function cachedAccountLoader(deps: RenewalDeps): AccountCache {
  let account: Promise<StoredAccount | undefined> | undefined;
  return {
    load: () => (account ??= deps.store.loadAccount(deps.directoryUrl)),
    forget: () => {
      account = undefined;
    },
  };
}

async function renewOne(
  name: string,
  pass: { deps: RenewalDeps; options: RenewOptions; loadAccount: AccountCache; network: Limiter },
): Promise<RenewOutcome> {
  const { deps, options } = pass;
  const log = deps.logger.child({ certificate: name });
  const now = deps.clock.now();
  const state = await deps.renewalState.load(name);
  const before = comparable(state);
  const meta = await deps.store.loadCertificateMeta(name);
  if (meta === undefined) {
    const decision: RenewalDecision = { due: false, reason: 'not-yet', notBefore: now, detail: 'no such certificate' };
    return { name, decision, error: `Cannot renew "${name}": no such certificate in the store` };
  }
  const desired = options.desired?.get(name) ?? { domains: meta.domains, keyType: meta.keyType, profile: meta.profile };
  const account = await pass.loadAccount.load();
  const certId = await currentCertId(name, meta, state, { deps, needed: account !== undefined });
  const ari = await refreshAri(meta, certId, state, { deps, account, now, network: pass.network });
  const decision = shouldRenew({ ...policyFacts(meta, state), desired, ari, now, nextCheckAt: options.nextCheckAt, force: options.force });
  state.ari = ari === undefined || certId === undefined ? undefined : toStored(certId, ari);
  state.lastDecision = { at: now.toISOString(), due: decision.due, reason: decision.reason, detail: decision.detail, ...(decision.due ? {} : { notBefore: decision.notBefore.toISOString() }) };
  if (!decision.due) {
    log.info(decision.reason === 'backoff' ? 'Backing off after a failure' : 'Not due', { reason: decision.reason, detail: decision.detail, notBefore: decision.notBefore.toISOString() });
    // Nothing but the check time changed: skip the fsync'd rewrite (1000 certificates: ~0.6 s a pass).
    if (comparable(state) !== before) await deps.renewalState.save(name, state);
    const deploy = await deployIfOwed(name, meta.serial, { ...deps.deploy, store: deps.store, clock: deps.clock, logger: deps.logger });
    return { name, decision, ...(deploy === undefined ? {} : { deploy }) };
  }
  log.info('Renewing', { reason: decision.reason, detail: decision.detail });
  const outcome = await pass.network(() => renewDue(name, { desired, certId: ari === undefined ? undefined : certId, state, decision, reuseKey: options.reuseKey === true }, deps));
  pass.loadAccount.forget();
  return outcome;
}

/**
 * The certificate's ARI CertID. The stored window's CertID is trusted when its serial is this
 * certificate's (no X.509 parse); otherwise the certificate is read and parsed, but only when ARI
 * can be used at all (`needed`: an account exists to ask the CA with).
 */
async function currentCertId(name: string, meta: CertificateMeta, state: RenewalState, context: { deps: RenewalDeps; needed: boolean }): Promise<string | undefined> {
  if (state.ari !== undefined && ariCertIdHasSerial(state.ari.certId, meta.serial)) return state.ari.certId;
  if (!context.needed) return undefined;
  const stored = await context.deps.store.loadCertificate(name);
  return stored === undefined ? undefined : safeCertId(stored.certPem);
}

async function renewDue(
  name: string,
  job: {
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
    const retryAfter = retryAfterOf(error, failedAt);
    state.failuresTotal = (state.failuresTotal ?? 0) + 1;
    state.lastFailureAt = failedAt.toISOString();
    const failure = { failures, lastFailureAt: failedAt, lastError: messageOf(error), ...(retryAfter === undefined ? {} : { retryAfter }) };
    const nextAttemptAt = backoffUntil(failure, { now: failedAt, emergency: decision.reason === 'emergency' }) ?? failedAt;
    state.failure = {
      failures,
      lastFailureAt: failedAt.toISOString(),
      lastError: messageOf(error),
      nextAttemptAt: nextAttemptAt.toISOString(),
      ...(retryAfter === undefined ? {} : { retryAfter: retryAfter.toISOString() }),
    };
    // A full disk fails this save too: log it, and report the renewal's own error, not this one.
    await deps.renewalState.save(name, state).catch((saveError: unknown) => {
      deps.logger.error('Cannot record the failure backoff', { certificate: name, error: messageOf(saveError) });
    });
    deps.logger.error('Renewal failed; backing off', { certificate: name, failures, nextAttemptAt: nextAttemptAt.toISOString(), error: messageOf(error) });
    return { name, decision, error: messageOf(error), nextAttemptAt };
  }
}

/** The stored ARI window, refreshed from the CA when the directory has renewalInfo and Retry-After passed. */
async function refreshAri(
  meta: CertificateMeta,
  certId: string | undefined,
  state: RenewalState,
  context: { deps: RenewalDeps; account: StoredAccount | undefined; now: Date; network: Limiter },
): Promise<AriWindow | undefined> {
  const { deps, account, now } = context;
  if (certId === undefined) return undefined;
  const previous = state.ari !== undefined && state.ari.certId === certId ? fromStored(state.ari) : undefined;
  if (previous !== undefined && previous.retryAfter.getTime() > now.getTime()) return previous;
  if (account === undefined) return previous;
  try {
    const info = await context.network(() => deps.acmeFor(account.keyPem).renewalInfo(certId));
    if (info === undefined) return undefined;
    const response = {
      suggestedWindow: { start: info.window.start.toISOString(), end: info.window.end.toISOString() },
      ...(info.explanationUrl === undefined ? {} : { explanationURL: info.explanationUrl }),
    };
    return planAriWindow(response, { now, random01: deps.random(), retryAfterMs: info.retryAfterMs, previous });
  } catch (error) {
    deps.logger.warn('Cannot fetch the ARI renewal window; using what is known', { certificate: meta.name, error: messageOf(error) });
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
function policyFacts(meta: CertificateMeta, state: RenewalState): Pick<ShouldRenewInput, 'certificate' | 'failure' | 'revokedAt'> {
  const { failure, revocation } = state;
  return {
    certificate: { notBefore: new Date(meta.notBefore), notAfter: new Date(meta.notAfter), domains: meta.domains, keyType: meta.keyType, profile: meta.profile },
    ...(failure === undefined ? {} : { failure: failureFacts(failure) }),
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
