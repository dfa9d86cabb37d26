import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { CertificateStore, HeldLock, IssuedCertificateStore, LocalBundles } from '../storage';
import { buildHaproxyBundle, keyTypeOf, missingNames, parseCertificate, parseChain } from '../pem';
import { AppError, CertificateError, messageOf, StorageError } from '../errors';
import type { CertificateDelivery } from './deployCertificate';
import type { KeyType } from '../config';
import type { AcmeService, ChallengeType, PendingChallenge } from '../acme';
import { createAccountKey, createCertificateKey, createCsr } from '../acme';
import type { ChallengeResponder } from '../challenge';
import { createLimiter } from './_limit';
import { dropKept, keepIssued, keptFailure, resumeKept, type Obtained } from './_kept';
import { withCertificateLock, type CertificateLockDeps } from './_certificateLock';
import { resultOfStored, storedMatches } from './_owedDeploy';

/**
 * Challenges answered and polled at once (and routes preflighted at once). The list comes from
 * the CA: bounded, so a 100-name order never means 100 parallel polls against it.
 */
const CHALLENGE_CONCURRENCY = 4;

/** What to issue. */
export interface IssueRequest {
  /** Certificate name: the storage key and the HAProxy bundle file name. */
  name: string;
  /** DNS names, already validated and normalised; the first is the subject CN. */
  domains: string[];
  keyType: KeyType;
  /** Contact address registered with a new account. Default: none. */
  email?: string;
  /** ACME profile to order (validated against the directory's meta.profiles). Default: the CA's default. */
  profile?: string;
  /** RFC 9773 CertID of the certificate this one replaces (ARI). Default: none. */
  replaces?: string;
  /** Keep the stored certificate's key when it has the requested type (key pinning, TLSA). Default: false. */
  reuseKey?: boolean;
}

/** The ACME calls issuance needs; AcmeService implements them, tests pass complete in-memory fakes. */
export type AcmeOrderClient = Pick<
  AcmeService,
  | 'ensureAccount'
  | 'lookupAccount'
  | 'newOrder'
  | 'renewalInfo'
  | 'directoryMeta'
  | 'pendingChallenges'
  | 'answerChallenge'
  | 'waitForAuthorization'
  | 'finalize'
>;

/** Adapters the use case drives; main.ts builds the real ones, tests may pass fakes. */
export interface IssuanceDeps extends CertificateLockDeps {
  directoryUrl: string;
  store: CertificateStore;
  /** This node's HAProxy bundles: written once the store saved a version, reconciled first. */
  bundles: LocalBundles;
  /** Where a downloaded certificate waits until it is stored (`<home>/issued/`). */
  issued: IssuedCertificateStore;
  /** Builds an ACME client that signs with this account key. */
  acmeFor: (accountKeyPem: string) => AcmeOrderClient;
  /** Answers the challenges of `challengeType`; present() gets the identifier too (TLS-ALPN-01 needs it). */
  responder: Pick<ChallengeResponder, 'acquire' | 'present' | 'cleanup'>;
  /** Which challenge to ask the CA for; the responder MUST answer that type. Default: `http-01`. */
  challengeType?: ChallengeType;
  /** Checks the route to the responder before the CA is asked to validate. Default: none (preflight off). */
  preflight?: (target: { domain: string; token: string; keyAuthorization: string }) => Promise<void>;
  clock: Clock;
  logger: Logger;
}

/** Outcome of a successful issuance. */
export interface IssueResult {
  name: string;
  domains: string[];
  serial: string;
  notBefore: Date;
  notAfter: Date;
  keyType: string;
  accountUrl: string;
  /** True when an account stored under --home was reused rather than registered. */
  accountReused: boolean;
  /** Where this node's HAProxy loads the bundle from; with dryRun, where it would. */
  bundlePath: string;
  /** False with dryRun: the certificate was obtained and checked but not written. */
  stored: boolean;
  /** The bundle for HAProxy. Holds the private key: never print or log it. */
  delivery: CertificateDelivery;
  durationMs: number;
  /** True when it was finished from the certificate an earlier run kept: no order was made this time. */
  resumed: boolean;
}

/**
 * Obtains one certificate over HTTP-01 or TLS-ALPN-01 (deps.challengeType) and stores it: account → order → challenges →
 * finalize → download → keep → checks → atomic store. What the CA issued is kept under `--home`
 * (IssuedCertificateStore) from download until it is stored, and a later run for the same name
 * finishes from it instead of ordering again (see _kept.ts). Nothing is stored unless every check
 * passes; with `dryRun` nothing is written at all (the account excepted), nor kept.
 * @throws AcmeError, ChallengeError, CertificateError, StorageError before anything is issued;
 * KeptCertificateError after, when the certificate is kept for the next run
 */
export async function issueCertificate(
  request: IssueRequest,
  deps: IssuanceDeps,
  options: IssueOptions = {},
): Promise<IssueResult> {
  const explicit = options.dryRun === true || 'expectedVersion' in options;
  const seen = explicit ? undefined : await renewedVersion(request.name, deps.store);
  return withCertificateLock(request.name, deps, options.signal, async (signal, lock) => {
    // Another process or node may have issued this very certificate while we waited for its lock
    // (several nodes starting at once): use that version instead of ordering a second one.
    if (!explicit) {
      const meanwhile = await issuedMeanwhile(request, seen, deps, options.reuseFresh === true);
      if (meanwhile !== undefined) return meanwhile;
    }
    return issueWhileLocked(request, deps, { ...options, signal, lock });
  });
}

/**
 * The stored version of `request.name` when it is not the one seen before the lock was taken and
 * is exactly what the request asks for (storedMatches); undefined otherwise.
 */
async function issuedMeanwhile(
  request: IssueRequest,
  seen: string | null | undefined,
  deps: IssuanceDeps,
  reuseFresh: boolean,
): Promise<IssueResult | undefined> {
  const startedAt = deps.clock.now();
  const meta = await deps.store.loadCertificateMeta(request.name).catch(() => undefined);
  if (meta === undefined) return undefined;
  if (meta.version === seen && !(reuseFresh && isFresh(meta, startedAt))) return undefined;
  if (!storedMatches(request, meta, { directoryUrl: deps.directoryUrl, now: startedAt })) return undefined;
  const message =
    meta.version === seen
      ? 'A fresh certificate for exactly these names is in the shared store; serving it instead of ordering another ("acme renew --force --name" orders a new one)'
      : 'Issued meanwhile by another run or node; using that certificate instead of ordering another';
  deps.logger.info(message, { certificate: request.name, version: meta.version, serial: meta.serial });
  return resultOfStored(request, meta, { ...deps, startedAt });
}

/**
 * issueCertificate() for a caller that already holds `certificate/<name>` (withCertificateLock())
 * and passes that lock's signal: a renewal, which records its state under the same lock.
 */
export async function issueWhileLocked(
  request: IssueRequest,
  deps: IssuanceDeps,
  options: IssueOptions & { signal: AbortSignal; lock?: HeldLock },
): Promise<IssueResult> {
  const { signal, lock } = options;
  const startedAt = deps.clock.now().getTime();
  const log = deps.logger.child({ certificate: request.name });
  // Under the home lock, before this process writes anything: finish what a killed run left.
  await deps.bundles.reconcile();
  const dryRun = options.dryRun === true;
  const expectedVersion =
    dryRun || 'expectedVersion' in options ? options.expectedVersion : await renewedVersion(request.name, deps.store);
  const obtained =
    (dryRun ? undefined : await resumeKept(request, { deps, log })) ??
    (await orderCertificate(request, deps, { log, dryRun, signal }));
  let result: IssueResult;
  try {
    result = await storeObtained(request, obtained, { deps, dryRun, startedAt, expectedVersion, signal, lock });
    if (obtained.keptPath !== undefined) await dropKept(request.name, { deps, log });
  } catch (error) {
    throw obtained.keptPath === undefined ? error : keptFailure(request.name, error, obtained.keptPath);
  }
  // Stored (the commit point): a failure from here on leaves the previous bundle, which the next
  // command's reconcile() replaces, and never orders again.
  if (!dryRun) await materialise(request.name, deps, signal, result.serial);
  return result;
}

/** Whether less than a third of the certificate's lifetime has passed at `now`: far from any renewal (pure). */
function isFresh(meta: { notBefore: string; notAfter: string }, now: Date): boolean {
  const from = Date.parse(meta.notBefore);
  return now.getTime() < from + (Date.parse(meta.notAfter) - from) / 3;
}

/** Options of issueCertificate(). */
export interface IssueOptions {
  /**
   * A stored certificate that is exactly what the request asks for and in the first third of its
   * lifetime is used instead of a new order, even if it was stored before this call: several nodes
   * sharing a store run `acme issue` for the same names (a node joining, all starting at once), and
   * one order must serve them all. `acme renew --force` orders a new one. Default: false.
   */
  reuseFresh?: boolean;
  /** Obtain and check, store nothing (the account excepted). Default: false. */
  dryRun?: boolean;
  /**
   * The version this issuance replaces (compare-and-set, see SaveCertificateOptions): null for a
   * first issuance. Default: the version current when the call starts, so that a writer that
   * stored another version meanwhile makes this save fail with STORAGE_CONFLICT instead of being
   * silently overwritten.
   */
  expectedVersion?: string | null;
  /**
   * Stops the work (ACME requests, waits, writes) with the signal's reason: SIGINT/SIGTERM or the
   * command's deadline. The certificate lock's own signal is added to it. Default: none.
   */
  signal?: AbortSignal;
}

/**
 * The version id current now, null when there is none; undefined (save unconditionally) when the
 * stored entry is damaged, since issuing again is how a damaged one is replaced.
 */
async function renewedVersion(name: string, store: CertificateStore): Promise<string | null | undefined> {
  try {
    return (await store.loadCertificateMeta(name))?.version ?? null;
  } catch (error) {
    if (error instanceof AppError && error.code === 'STORAGE_CORRUPT') return undefined;
    throw error;
  }
}

/** Writes this node's bundle of the version now current (the one just stored, or a newer one). */
async function materialise(
  name: string,
  deps: Pick<IssuanceDeps, 'store' | 'bundles'>,
  signal: AbortSignal,
  serial: string,
): Promise<void> {
  try {
    const stored = await deps.store.loadCertificate(name);
    if (stored !== undefined) await deps.bundles.write(stored, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    const path = deps.bundles.pathOf(name);
    throw new StorageError(
      'STORAGE_IO',
      `Stored certificate "${name}" (serial ${serial}) but cannot write its HAProxy bundle "${path}": ${messageOf(error)}; fix the cause, then run "acme deploy": it writes the bundle and delivers it, without a new order`,
      { path, cause: error },
    );
  }
}

/** Waits before each retry of a save that failed for a reason that may pass (a shared store away): 5 retries, ~8 s. */
const SAVE_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000];

/**
 * Saves, retrying a retryable STORAGE_IO (the shared store restarting, a connection cut) while the
 * signal lets it: the certificate lease still proven, the command not interrupted. Each attempt is
 * a whole save under the lease's fence. What still fails is kept for the next run by the caller.
 */
async function saveRetrying<T>(signal: AbortSignal, logger: Logger, save: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await save();
    } catch (error) {
      const delay = SAVE_RETRY_DELAYS_MS[attempt];
      const passing = error instanceof AppError && error.code === 'STORAGE_IO' && error.retryable;
      if (!passing || delay === undefined || signal.aborted) throw error;
      logger.warn('Cannot store the certificate yet; retrying', { error: messageOf(error), retryInMs: delay });
      // An abort ends the wait early and rejects with the signal's reason, as before the wait.
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      signal.throwIfAborted();
    }
  }
}

/** Account → order → challenges → finalize → download; keeps the download at once (not with dryRun). */
async function orderCertificate(
  request: IssueRequest,
  deps: IssuanceDeps,
  context: { log: Logger; dryRun: boolean; signal: AbortSignal },
): Promise<Obtained> {
  const { log, signal } = context;
  const { acme, accountUrl, accountReused } = await openAccount(request, deps, { log, signal });
  const keyPem = (await reusableKey(request, deps.store)) ?? (await createCertificateKey(request.keyType));
  const csrPem = await createCsr(request.domains, keyPem);

  const release = await deps.responder.acquire();
  let fullchainPem: string;
  let keptPath: string | undefined;
  try {
    const profile = request.profile ?? (await shortlivedForIps(request.domains, acme, signal));
    const order = await acme.newOrder(request.domains, {
      ...(request.replaces === undefined ? {} : { replaces: request.replaces }),
      ...(profile === undefined ? {} : { profile }),
      signal,
    });
    log.info('Order created', {
      domains: request.domains,
      profile,
      replaces: request.replaces,
      replacesAccepted: order.replacesAccepted,
    });
    const challenges = await acme.pendingChallenges(order, deps.challengeType ?? 'http-01', { signal });
    await proveControl(challenges, acme, deps, { log, signal });
    // The last point where stopping costs nothing: a lost lease (another node may be ordering
    // the same names now) or an interruption ends the work before the CA issues.
    signal.throwIfAborted();
    log.info('Finalizing order');
    fullchainPem = await acme.finalize(order, csrPem, { signal });
    // Before anything else can fail (even releasing the responder): from here on, the CA has
    // issued and counts the certificate against its limits. keepIssued() never throws.
    keptPath = context.dryRun
      ? undefined
      : await keepIssued(request, { fullchainPem, keyPem, accountUrl }, { deps, log });
  } finally {
    await release().catch((error: unknown) => {
      throw keptPath === undefined ? error : keptFailure(request.name, error, keptPath);
    });
  }
  return { fullchainPem, keyPem, accountUrl, accountReused, keptPath, resumed: false };
}

/** Checks the certificate (key, leaf first, no root, every name) and stores it (not with dryRun). */
async function storeObtained(
  request: IssueRequest,
  obtained: Obtained,
  context: {
    deps: IssuanceDeps;
    dryRun: boolean;
    startedAt: number;
    expectedVersion: string | null | undefined;
    signal: AbortSignal;
    /** The certificate lease: the save commits only under it (a shared store checks its fence). */
    lock: HeldLock | undefined;
  },
): Promise<IssueResult> {
  const { deps } = context;
  const { leaf, chain } = parseChain(obtained.fullchainPem);
  const info = parseCertificate(leaf);
  const issuedAt = deps.clock.now();
  // Built (and so checked: key matches, leaf first, no root) before anything is written.
  const bundlePem = buildHaproxyBundle({ leaf, chain, key: obtained.keyPem });
  const uncovered = missingNames(leaf, request.domains);
  if (uncovered.length > 0) {
    throw new CertificateError(
      `Cannot accept the certificate for "${request.name}": it does not cover ${uncovered.map((n) => `"${n}"`).join(', ')}`,
    );
  }
  if (!context.dryRun) {
    await saveRetrying(context.signal, deps.logger, () =>
      deps.store.saveCertificate(
        {
          name: request.name,
          certPem: leaf,
          chainPem: chain.join(''),
          keyPem: obtained.keyPem,
          meta: {
            domains: request.domains,
            directoryUrl: deps.directoryUrl,
            issuedAt: issuedAt.toISOString(),
            ...(request.profile === undefined ? {} : { profile: request.profile }),
          },
        },
        {
          ...(context.expectedVersion === undefined ? {} : { expectedVersion: context.expectedVersion }),
          signal: context.signal,
          ...(context.lock === undefined ? {} : { lock: context.lock }),
        },
      ),
    );
  }
  const bundlePath = deps.bundles.pathOf(request.name);

  return {
    name: request.name,
    domains: request.domains,
    serial: info.serial,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    keyType: info.keyType,
    accountUrl: obtained.accountUrl,
    accountReused: obtained.accountReused,
    bundlePath,
    stored: !context.dryRun,
    delivery: { path: bundlePath, bundlePem, expectedSerial: info.serial, expectedSha1: info.sha1Fingerprint },
    durationMs: issuedAt.getTime() - context.startedAt,
    resumed: obtained.resumed,
  };
}

/** The stored key of `request.name` when --reuse-key asks for it and its type still matches. */
async function reusableKey(request: IssueRequest, store: CertificateStore): Promise<string | undefined> {
  if (request.reuseKey !== true) return undefined;
  const stored = await store.loadCertificate(request.name);
  return stored !== undefined && keyTypeOf(stored.keyPem) === request.keyType ? stored.keyPem : undefined;
}

/**
 * Let's Encrypt issues IP address certificates only under its `shortlived` profile: pick it for an
 * order with an IP identifier when the CA offers it and no profile was asked for.
 */
async function shortlivedForIps(
  identifiers: readonly string[],
  acme: AcmeOrderClient,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (!identifiers.some((identifier) => isIP(identifier) !== 0)) return undefined;
  const { profiles } = await acme.directoryMeta({ signal });
  return profiles !== undefined && 'shortlived' in profiles ? 'shortlived' : undefined;
}

/** Loads the account stored for this directory, or registers one and stores it. */
async function openAccount(
  request: IssueRequest,
  deps: IssuanceDeps,
  context: { log: Logger; signal: AbortSignal },
): Promise<{ acme: AcmeOrderClient; accountUrl: string; accountReused: boolean }> {
  const { log, signal } = context;
  const stored = await deps.store.loadAccount(deps.directoryUrl);
  if (stored !== undefined) {
    const acme = deps.acmeFor(stored.keyPem);
    // Ask the CA for the key's account rather than trusting the stored URL: a CA that lost it
    // (a restarted test CA, an account deactivated elsewhere) then gets the same key again.
    const accountUrl =
      (await acme.lookupAccount({ signal })) ?? (await acme.ensureAccount({ email: stored.email }, { signal }));
    if (accountUrl !== stored.accountUrl) {
      await deps.store.saveAccount({ ...stored, accountUrl });
      log.warn('The stored account URL changed; updated it', { accountUrl, previous: stored.accountUrl });
    }
    log.debug('Reusing stored account', { accountUrl });
    return { acme, accountUrl, accountReused: true };
  }
  const keyPem = await createAccountKey();
  const acme = deps.acmeFor(keyPem);
  const accountUrl = await acme.ensureAccount({ email: request.email }, { signal });
  await deps.store.saveAccount({
    directoryUrl: deps.directoryUrl,
    accountUrl,
    email: request.email,
    keyPem,
    createdAt: deps.clock.now().toISOString(),
  });
  log.info('Account registered', { accountUrl });
  return { acme, accountUrl, accountReused: false };
}

/**
 * Publishes every token, preflights every route, and only then asks the CA to validate:
 * a broken route must fail here without spending a CA validation.
 */
async function proveControl(
  challenges: PendingChallenge[],
  acme: AcmeOrderClient,
  deps: IssuanceDeps,
  context: { log: Logger; signal: AbortSignal },
): Promise<void> {
  const { log, signal } = context;
  const limit = createLimiter(CHALLENGE_CONCURRENCY);
  // After one validation failed, the challenges still queued are not answered: the order cannot
  // succeed, and each answer would spend one of the CA's (rate-limited) validations.
  let failed = false;
  const validate = async (challenge: PendingChallenge): Promise<void> => {
    if (failed) return;
    try {
      await acme.answerChallenge(challenge, { signal });
      log.info('Waiting for the CA to validate', { identifier: challenge.domain });
      await acme.waitForAuthorization(challenge, { signal });
      log.info('Validated', { identifier: challenge.domain });
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  try {
    await Promise.all(
      challenges.map((c) =>
        deps.responder.present(c.token, c.keyAuthorization, { type: c.identifierType ?? 'dns', value: c.domain }),
      ),
    );
    if (deps.preflight !== undefined) {
      const preflight = deps.preflight;
      await Promise.all(challenges.map((c) => limit(() => preflight(c))));
      log.debug('Preflight passed', { domains: challenges.map((c) => c.domain) });
    }
    await Promise.all(challenges.map((challenge) => limit(() => validate(challenge))));
  } finally {
    await Promise.all(challenges.map((c) => deps.responder.cleanup(c.token)));
  }
}
