import { LockError, messageOf } from '../errors';
import { CERTIFICATE_KEY_TYPES, type CertificateKeyType } from '../acme';
import { backoffUntil, shouldRenew, type DesiredCertificate, type RenewalDecision } from '../renewal';
import {
  mapLimited,
  type CertificateMeta,
  type HeldLock,
  type RenewalState,
  type RenewalStateStore,
  type Revisioned,
  type StoredAccount,
  type StoredCertificate,
} from '../storage';
import { deployCertificate, type DeployDeps, type EndpointOutcome } from './deployCertificate';
import { issueWhileLocked, type IssuanceDeps, type IssueResult } from './issueCertificate';
import { deployIfOwed } from './_owedDeploy';
import { CERTIFICATES_IN_FLIGHT, createLimiter, type Limiter } from './_limit';
import { policyFacts, retryAfterOf } from './_failure';
import { currentCertId, refreshAri, toStored } from './_ariState';
import { keptToFinish } from './_kept';
import { runHooksIfOwed, runRecordedHooks } from './_owedHooks';
import { withCertificateLock } from './_certificateLock';

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
  deploy: Pick<DeployDeps, 'deployState' | 'node' | 'endpoints' | 'crtList' | 'fallback'>;
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
  /**
   * A due certificate whose lock another holder has: `wait` for it (then find it renewed
   * meanwhile), or `skip` it at once as being renewed elsewhere, which several nodes sharing a
   * store do, so that none queues behind another's leases. Default: `wait`.
   */
  busyCertificates?: 'wait' | 'skip';
  /**
   * Starts the walk through the certificates at a place derived from this text (a node id), so
   * that nodes sharing a store start on different certificates. Default: the first name.
   */
  spreadBy?: string;
  /**
   * Stops the pass (ARI fetches, orders, writes, HAProxy commands) with the signal's reason:
   * SIGINT/SIGTERM or the command's deadline. Each renewal adds its certificate lock's signal. Default: none.
   */
  signal?: AbortSignal;
}

/** What happened to one certificate in a pass. */
export interface RenewOutcome {
  name: string;
  decision: RenewalDecision;
  /** `resumed`: finished from the certificate an earlier run kept, without a new order. */
  renewed?: Pick<IssueResult, 'serial' | 'notAfter' | 'resumed'>;
  deploy?: EndpointOutcome[];
  hooks?: HookOutcome[];
  /** Set when a due renewal failed; the failure backoff is recorded. */
  error?: string;
  nextAttemptAt?: Date;
}

const DEFAULT_CONCURRENCY = 4;
/**
 * Certificates checked at once (CERTIFICATES_IN_FLIGHT, well below storage's IO_CONCURRENCY, so a
 * pass over 10,000 stays under an open-files limit of 1,024). A check is local file reads; with
 * only `concurrency` of them in flight, a 1000-certificate pass spent most of its time waiting.
 * Network work (ARI fetches, orders) stays limited to `concurrency`.
 */
const CHECK_CONCURRENCY = CERTIFICATES_IN_FLIGHT;

/** Rotates `names` in place to start at an index derived from `spreadBy` (FNV-1a); leaves them as they are without it. */
function rotate(names: string[], spreadBy: string | undefined): void {
  if (spreadBy === undefined || names.length < 2) return;
  let hash = 0x811c9dc5;
  for (const char of spreadBy) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  names.push(...names.splice(0, hash % names.length));
}

/**
 * One renewal pass: for each certificate, decide (ARI window, lifetime rule, emergency, backoff),
 * renew what is due with `replaces`, deploy it, run hooks, and record the outcome. One failure
 * never stops the others; it is recorded with its backoff. A certificate the CA issued that an
 * earlier run kept (`<home>/issued/`) is finished first, whatever the schedule, without an order;
 * a deploy or post-renew hooks an earlier run owes are done again although nothing is due.
 * @throws StorageError when the store cannot even be listed
 */
export async function renewCertificates(deps: RenewalDeps, options: RenewOptions): Promise<RenewOutcome[]> {
  // First, under the home lock: finish what a killed run left (temps, a bundle not rewritten).
  await deps.bundles.reconcile();
  const names =
    options.names ??
    [...new Set([...(await deps.store.listCertificateNames()), ...(await deps.issued.listNames())])].sort();
  rotate(names, options.spreadBy);
  deps = withCachedAcmeClients(deps);
  const loadAccount = cachedAccountLoader(deps);
  const network = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  // mapLimited() also gives the event loop its turns: the checks read files synchronously, and a
  // responder answering the CA for a due certificate runs in this process meanwhile.
  const outcomes = await mapLimited(names, (name) => renewOne(name, { deps, options, loadAccount, network }), {
    limit: CHECK_CONCURRENCY,
  });
  deps.logger.info('Renewal check finished', checkedSummary(outcomes));
  return outcomes;
}

/**
 * What a pass found, in one log line however many certificates it checked (pure): counts, and the
 * certificate whose renewal comes next. Sample: `{ checked: 3, renewed: 1, failed: 0, notDue: 2,
 * nextRenewal: { name: "a.test", at: "2027-01-10T00:00:00.000Z" } }`.
 */
export function checkedSummary(outcomes: readonly RenewOutcome[]): Record<string, unknown> {
  const notDue = outcomes.filter((o) => !o.decision.due && o.error === undefined);
  const next = notDue.reduce<RenewOutcome | undefined>(
    (earliest, o) =>
      !o.decision.due &&
      (earliest === undefined ||
        (!earliest.decision.due && o.decision.notBefore.getTime() < earliest.decision.notBefore.getTime()))
        ? o
        : earliest,
    undefined,
  );
  return {
    checked: outcomes.length,
    renewed: outcomes.filter((o) => o.renewed !== undefined).length,
    failed: outcomes.filter((o) => o.error !== undefined).length,
    notDue: notDue.length,
    ...(next === undefined || next.decision.due
      ? {}
      : { nextRenewal: { name: next.name, at: next.decision.notBefore.toISOString() } }),
  };
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
  options.signal?.throwIfAborted();
  const log = deps.logger.child({ certificate: name });
  const now = deps.clock.now();
  const held = await deps.renewalState.load(name);
  const state = held.value;
  const before = comparable(state);
  const meta = await deps.store.loadCertificateMeta(name);
  const finished = await finishKept(name, held, pass);
  if (finished !== undefined) return finished;
  if (meta === undefined) {
    const decision: RenewalDecision = { due: false, reason: 'not-yet', notBefore: now, detail: 'no such certificate' };
    return { name, decision, error: `Cannot renew "${name}": no such certificate in the store` };
  }
  const desired = options.desired?.get(name) ?? { domains: meta.domains, keyType: meta.keyType, profile: meta.profile };
  const account = await pass.loadAccount.load();
  const certId = await currentCertId(name, meta, state, { deps, needed: account !== undefined });
  const ari = await refreshAri(meta, certId, state, {
    deps,
    account,
    now,
    network: pass.network,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const decision = shouldRenew({
    ...policyFacts(meta, state),
    desired,
    ari,
    now,
    nextCheckAt: options.nextCheckAt,
    force: options.force,
  });
  state.ari = ari === undefined || certId === undefined ? undefined : toStored(certId, ari);
  state.lastDecision = {
    at: now.toISOString(),
    due: decision.due,
    reason: decision.reason,
    detail: decision.detail,
    ...(decision.due ? {} : { notBefore: decision.notBefore.toISOString() }),
  };
  if (!decision.due) return notDue(name, { meta, held, before, decision }, deps);
  log.info('Renewing', { reason: decision.reason, detail: decision.detail });
  const outcome = await pass.network(() =>
    renewDue(
      name,
      {
        desired,
        certId: ari === undefined ? undefined : certId,
        held,
        decision,
        reuseKey: options.reuseKey === true,
        checkedVersion: meta.version,
        skipBusy: options.busyCertificates === 'skip',
      },
      deps,
      options.signal,
    ),
  );
  pass.loadAccount.forget();
  return outcome;
}

/** A certificate that is not due: record the check, and deliver or run what an earlier run still owes (deploy, hooks). */
async function notDue(
  name: string,
  check: {
    meta: CertificateMeta;
    held: Revisioned<RenewalState>;
    before: string;
    decision: Extract<RenewalDecision, { due: false }>;
  },
  deps: RenewalDeps,
): Promise<RenewOutcome> {
  const { meta, held, decision } = check;
  const state = held.value;
  const log = deps.logger.child({ certificate: name });
  // One line per certificate only when it says something; the pass logs one summary (see checkedSummary()).
  log[decision.reason === 'backoff' ? 'info' : 'debug'](
    decision.reason === 'backoff' ? 'Backing off after a failure' : 'Not due',
    { reason: decision.reason, detail: decision.detail, notBefore: decision.notBefore.toISOString() },
  );
  const deploy = await deployIfOwed(name, meta.serial, {
    ...deps.deploy,
    store: deps.store,
    bundles: deps.bundles,
    clock: deps.clock,
    logger: deps.logger,
  });
  const hooks = await runHooksIfOwed(name, meta.serial, state, deps);
  // Nothing but the check time changed: skip the fsync'd rewrite (1000 certificates: ~0.6 s a pass).
  if (comparable(state) !== check.before) await saveState(name, held, deps);
  return { name, decision, ...(deploy === undefined ? {} : { deploy }), ...(hooks === undefined ? {} : { hooks }) };
}

/** Finishes the certificate an earlier run kept for `name`, whatever the schedule; undefined when there is none usable. */
async function finishKept(
  name: string,
  held: Revisioned<RenewalState>,
  pass: { deps: RenewalDeps; options: RenewOptions; network: Limiter },
): Promise<RenewOutcome | undefined> {
  const { deps } = pass;
  const log = deps.logger.child({ certificate: name });
  const kept = await keptToFinish(name, pass.options.desired?.get(name), { deps, log });
  if (kept === undefined) return undefined;
  const detail = `finishing the certificate the CA issued at ${kept.downloadedAt}, kept by an earlier run; no new order`;
  const decision: RenewalDecision = { due: true, reason: 'kept', detail };
  log.info('Renewing', { reason: decision.reason, detail });
  return pass.network(() =>
    renewDue(
      name,
      { desired: kept.request, certId: undefined, held, decision, reuseKey: false, checkedVersion: undefined },
      deps,
      pass.options.signal,
    ),
  );
}

/** What renewDue() works on: the decision the unlocked check made, and what it was based on. */
interface DueJob {
  desired: DesiredCertificate;
  certId: string | undefined;
  held: Revisioned<RenewalState>;
  decision: Extract<RenewalDecision, { due: true }>;
  reuseKey: boolean;
  /** The version the check found current; undefined when finishing a kept certificate, which is done whatever is stored. */
  checkedVersion: string | undefined;
  /** Another holder of its lock means another node renews it: skip at once instead of waiting. */
  skipBusy?: boolean;
}

/**
 * Renews under `certificate/<name>`: the check ran without the lock (a nothing-due pass takes no
 * lock at all), so once it is held the stored version and state are read again. When another run
 * stored a new version meanwhile, nothing is ordered.
 */
async function renewDue(
  name: string,
  job: DueJob,
  deps: RenewalDeps,
  signal: AbortSignal | undefined,
): Promise<RenewOutcome> {
  const lockDeps = job.skipBusy === true ? { ...deps, lockTimeoutMs: 0 } : deps;
  try {
    return await withCertificateLock(name, lockDeps, signal, async (lockSignal, lock) => {
      if (job.checkedVersion !== undefined) {
        const current = await deps.store.loadCertificateMeta(name);
        if (current !== undefined && current.version !== job.checkedVersion)
          return renewedMeanwhile(name, current, deps);
      }
      const fresh = await deps.renewalState.load(name);
      // Keep what this check decided (ARI window, last decision) on top of what is stored now.
      const { ari, lastDecision } = job.held.value;
      const held: Revisioned<RenewalState> = { value: { ...fresh.value, ari, lastDecision }, revision: fresh.revision };
      return await renewHolding(name, { ...job, held }, deps, lockSignal, lock);
    });
  } catch (error) {
    if (job.skipBusy === true && error instanceof LockError && error.code === 'LOCK_BUSY' && signal?.aborted !== true) {
      deps.logger.info('Another node is renewing it; skipped', { certificate: name });
      const detail = 'another node holds its lease and is renewing it; nothing ordered here';
      return { name, decision: { due: false, reason: 'not-yet', notBefore: deps.clock.now(), detail } };
    }
    // The lock could not be taken (another run holds it past the timeout) or the wait was
    // interrupted: nothing was ordered, so no failure backoff is recorded.
    deps.logger.error('Cannot renew now', { certificate: name, error: messageOf(error) });
    if (signal?.aborted === true) throw error;
    return { name, decision: job.decision, error: messageOf(error) };
  }
}

/** The outcome when the version checked is no longer current: another run renewed it. */
function renewedMeanwhile(name: string, current: CertificateMeta, deps: RenewalDeps): RenewOutcome {
  const detail = `another run stored version ${current.version} (serial ${current.serial}) meanwhile; nothing ordered`;
  deps.logger.info('Renewed meanwhile by another run', { certificate: name, version: current.version });
  return { name, decision: { due: false, reason: 'not-yet', notBefore: deps.clock.now(), detail } };
}

async function renewHolding(
  name: string,
  job: DueJob,
  deps: RenewalDeps,
  signal: AbortSignal,
  lock: HeldLock,
): Promise<RenewOutcome> {
  const { held, decision } = job;
  const state = held.value;
  try {
    const result = await issueWhileLocked(
      {
        name,
        domains: [...job.desired.domains],
        keyType: asKeyType(job.desired.keyType),
        profile: job.desired.profile,
        replaces: job.certId,
        reuseKey: job.reuseKey,
      },
      deps,
      { signal, lock },
    );
    state.failure = undefined;
    state.ari = undefined; // a new certificate has a new CertID and a new window
    state.lastSuccessAt = deps.clock.now().toISOString();
    // Stored: from here on nothing orders again. Saved before the deploy, so that a run killed
    // before its hooks owes them to the next pass (runHooksIfOwed).
    state.hooksPending = deps.runHooks === undefined ? undefined : result.serial;
    await saveState(name, held, deps);
    const deploy = await deployCertificate(
      name,
      { ...deps.deploy, store: deps.store, bundles: deps.bundles, clock: deps.clock, logger: deps.logger },
      { signal },
    );
    const hooks = await runRecordedHooks(name, state, deps);
    await saveState(name, held, deps);
    return {
      name,
      decision,
      renewed: { serial: result.serial, notAfter: result.notAfter, resumed: result.resumed },
      deploy,
      hooks,
    };
  } catch (error) {
    // Interrupted, or the lease is lost (another node may own this certificate now): write
    // nothing more, not even a backoff, since the CA did not refuse anything.
    if (signal.aborted) throw signal.reason;
    const failures = (state.failure?.failures ?? 0) + 1;
    const failedAt = deps.clock.now();
    const retryAfter = retryAfterOf(error, failedAt);
    state.failuresTotal = (state.failuresTotal ?? 0) + 1;
    state.lastFailureAt = failedAt.toISOString();
    const failure = {
      failures,
      lastFailureAt: failedAt,
      lastError: messageOf(error),
      ...(retryAfter === undefined ? {} : { retryAfter }),
    };
    const nextAttemptAt =
      backoffUntil(failure, { now: failedAt, emergency: decision.reason === 'emergency' }) ?? failedAt;
    state.failure = {
      failures,
      lastFailureAt: failedAt.toISOString(),
      lastError: messageOf(error),
      nextAttemptAt: nextAttemptAt.toISOString(),
      ...(retryAfter === undefined ? {} : { retryAfter: retryAfter.toISOString() }),
    };
    // A full disk fails this save too: log it, and report the renewal's own error, not this one.
    await saveState(name, held, deps).catch((saveError: unknown) => {
      deps.logger.error('Cannot record the failure backoff', { certificate: name, error: messageOf(saveError) });
    });
    deps.logger.error('Renewal failed; backing off', {
      certificate: name,
      failures,
      nextAttemptAt: nextAttemptAt.toISOString(),
      error: messageOf(error),
    });
    return { name, decision, error: messageOf(error), nextAttemptAt };
  }
}

/**
 * Saves `held.value` over the revision it was loaded at and moves `held` to the new revision, so
 * that the next save of this run passes it in turn.
 * @throws StorageError STORAGE_CONFLICT when another run saved this certificate's state meanwhile
 */
async function saveState(
  name: string,
  held: Revisioned<RenewalState>,
  deps: Pick<RenewalDeps, 'renewalState'>,
): Promise<void> {
  held.revision = await deps.renewalState.save(name, held.value, { expectedRevision: held.revision });
}

/** The stored key type as one we can generate; a certificate from elsewhere gets the default. */
function asKeyType(keyType: string): CertificateKeyType {
  return (CERTIFICATE_KEY_TYPES as readonly string[]).includes(keyType) ? (keyType as CertificateKeyType) : 'ec256';
}

/** The state as JSON without the time of the last check, to tell whether a save is needed. */
function comparable(state: RenewalState): string {
  const { lastDecision, ...rest } = state;
  return JSON.stringify({
    ...rest,
    lastDecision: lastDecision === undefined ? undefined : { ...lastDecision, at: undefined },
  });
}
