/**
 * Never throw away what the CA issued. The full chain and its key are kept under `--home` the
 * moment they are downloaded, before anything can fail (a certificate our parser chokes on, a
 * full disk, a killed run), and dropped only once the certificate is stored. The next issue or
 * renewal of that name finishes from the kept certificate instead of ordering another one (CAs
 * rate-limit duplicate certificates), provided it is still what is asked for.
 */
import type { Clock } from '../clock';
import { AppError, KeptCertificateError, messageOf } from '../errors';
import type { Logger } from '../log';
import { assertKeyMatchesCertificate, keyTypeOf, missingNames, parseCertificate, parseChain } from '../pem';
import type { CertificateStore, IssuedCertificate, IssuedCertificateStore } from '../storage';

/** What is asked for: the fields of an IssueRequest a kept certificate must match. */
export interface KeptRequest {
  name: string;
  domains: readonly string[];
  keyType: string;
  profile?: string;
}

/** A certificate to finish: just downloaded, or kept by an earlier run. */
export interface Obtained {
  fullchainPem: string;
  keyPem: string;
  accountUrl: string;
  accountReused: boolean;
  /** Where it is kept until stored; undefined when it could not be kept (or with dryRun). */
  keptPath: string | undefined;
  /** True when it was kept by an earlier run: no order was made this time. */
  resumed: boolean;
}

/** The adapters these helpers use. */
export interface KeptDeps {
  directoryUrl: string;
  store: Pick<CertificateStore, 'loadCertificateMeta'>;
  issued: IssuedCertificateStore;
  clock: Clock;
}

/**
 * Keeps a just-downloaded certificate; resolves with where. Never throws: a certificate that
 * cannot be kept (the disk is full) is still stored if it can be, so this only logs the failure.
 */
export async function keepIssued(
  request: KeptRequest,
  downloaded: { fullchainPem: string; keyPem: string; accountUrl: string },
  context: { deps: KeptDeps; log: Logger },
): Promise<string | undefined> {
  const { deps, log } = context;
  const issued: IssuedCertificate = {
    name: request.name,
    domains: [...request.domains],
    keyType: request.keyType,
    ...(request.profile === undefined ? {} : { profile: request.profile }),
    directoryUrl: deps.directoryUrl,
    accountUrl: downloaded.accountUrl,
    downloadedAt: deps.clock.now().toISOString(),
    fullchainPem: downloaded.fullchainPem,
    keyPem: downloaded.keyPem,
  };
  try {
    const path = await deps.issued.keep(issued);
    log.debug('Kept the certificate the CA issued until it is stored', { kept: path });
    return path;
  } catch (error) {
    log.error('Cannot keep the certificate the CA issued; storing it anyway', {
      kept: deps.issued.path(request.name),
      error: messageOf(error),
    });
    return undefined;
  }
}

/**
 * The certificate an earlier run kept for `request.name`, when it is still usable: same CA,
 * names, key type and profile, it parses, its key matches, it covers every name, it has not
 * expired, and it is not the certificate already stored. Anything else is discarded with a
 * warning naming why, and undefined returned (the caller orders a new one).
 * @throws StorageError STORAGE_IO when an unusable one cannot be removed
 */
export async function usableKept(
  request: KeptRequest,
  context: { deps: KeptDeps; log: Logger },
): Promise<IssuedCertificate | undefined> {
  const { deps } = context;
  let kept: IssuedCertificate | undefined;
  let problem: string | undefined;
  try {
    kept = await deps.issued.load(request.name);
    if (kept === undefined) return undefined;
    problem = await whyUnusable(kept, request, deps);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'STORAGE_CORRUPT') throw error;
    problem = messageOf(error);
  }
  if (problem === undefined) return kept;
  await discardKept(request.name, problem, context);
  return undefined;
}

async function discardKept(name: string, reason: string, context: { deps: KeptDeps; log: Logger }): Promise<void> {
  context.log.warn('Discarding the certificate kept from an earlier run', {
    kept: context.deps.issued.path(name),
    reason,
  });
  await context.deps.issued.discard(name);
}

/** usableKept() as something to finish, logged. */
export async function resumeKept(
  request: KeptRequest,
  context: { deps: KeptDeps; log: Logger },
): Promise<Obtained | undefined> {
  const kept = await usableKept(request, context);
  if (kept === undefined) return undefined;
  const keptPath = context.deps.issued.path(request.name);
  context.log.info('Finishing from the certificate kept from an earlier run; no new order', {
    kept: keptPath,
    downloadedAt: kept.downloadedAt,
  });
  return {
    fullchainPem: kept.fullchainPem,
    keyPem: kept.keyPem,
    accountUrl: kept.accountUrl,
    accountReused: true,
    keptPath,
    resumed: true,
  };
}

/**
 * For a renewal pass: the certificate kept for `name`, as what to renew it to, when it is usable.
 * Without `configured` (flags or snap options naming this certificate), the kept certificate's own
 * request is what is wanted: the run that kept it asked for it after the stored one was issued.
 */
export async function keptToFinish(
  name: string,
  configured: Omit<KeptRequest, 'name'> | undefined,
  context: { deps: KeptDeps; log: Logger },
): Promise<{ request: KeptRequest; downloadedAt: string } | undefined> {
  let recorded: IssuedCertificate | undefined;
  try {
    recorded = await context.deps.issued.load(name);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'STORAGE_CORRUPT') throw error;
    await discardKept(name, messageOf(error), context);
    return undefined;
  }
  if (recorded === undefined) return undefined;
  const request: KeptRequest = {
    name,
    ...(configured ?? { domains: recorded.domains, keyType: recorded.keyType, profile: recorded.profile }),
  };
  const kept = await usableKept(request, context);
  return kept === undefined ? undefined : { request, downloadedAt: kept.downloadedAt };
}

/** Why a kept certificate cannot stand for `request`, or undefined when it can. */
async function whyUnusable(kept: IssuedCertificate, request: KeptRequest, deps: KeptDeps): Promise<string | undefined> {
  const asked = describeRequest(request);
  const had = describeRequest(kept);
  if (kept.directoryUrl !== deps.directoryUrl)
    return `it was issued by "${kept.directoryUrl}", not by "${deps.directoryUrl}"`;
  if (had !== asked) return `it was ordered as ${had}, but ${asked} is asked for now`;
  let leaf: string;
  try {
    leaf = parseChain(kept.fullchainPem).leaf;
    assertKeyMatchesCertificate(leaf, kept.keyPem);
    const uncovered = missingNames(leaf, request.domains as string[]);
    if (uncovered.length > 0) return `it does not cover ${uncovered.map((n) => `"${n}"`).join(', ')}`;
    if (keyTypeOf(kept.keyPem) !== kept.keyType) return `its key is not ${kept.keyType}`;
  } catch (error) {
    return `it cannot be read: ${messageOf(error)}`;
  }
  const info = parseCertificate(leaf);
  if (info.notAfter.getTime() <= deps.clock.now().getTime()) return `it expired on ${info.notAfter.toISOString()}`;
  const stored = await deps.store.loadCertificateMeta(request.name).catch(() => undefined);
  if (stored?.serial === info.serial) return `it is already stored (serial ${info.serial})`;
  // Another run or node stored a newer certificate meanwhile (a shared store that was
  // away, a run paused past its lease): the kept one would replace newer work, so it is dropped.
  if (stored !== undefined && Date.parse(stored.notBefore) > info.notBefore.getTime())
    return `a newer certificate is stored (serial ${stored.serial}, valid from ${stored.notBefore})`;
  return undefined;
}

function describeRequest(request: Pick<KeptRequest, 'domains' | 'keyType' | 'profile'>): string {
  return `${request.domains.join(', ')} (${request.keyType}, profile ${request.profile ?? 'default'})`;
}

/**
 * The error for a failure after download while the certificate is kept: the cause's message, where
 * the certificate waits, and what to do next.
 */
export function keptFailure(name: string, error: unknown, keptPath: string): KeptCertificateError {
  return new KeptCertificateError(
    `Cannot finish "${name}" after the CA issued it: ${messageOf(error)}; the certificate and its key are kept in "${keptPath}": ` +
      'fix the cause, then run "acme issue" or "acme renew" again to finish from it without a new order',
    { keptPath, cause: error },
  );
}

/** Drops the kept certificate once it is stored. Never throws: a leftover is discarded by the next run (it is then "already stored"). */
export async function dropKept(name: string, context: { deps: KeptDeps; log: Logger }): Promise<void> {
  await context.deps.issued.discard(name).catch((error: unknown) => {
    context.log.warn('Cannot remove the kept certificate after storing it; the next run removes it', {
      kept: context.deps.issued.path(name),
      error: messageOf(error),
    });
  });
}
