import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { AppError, CertificateError, messageOf } from '../errors';
import { buildHaproxyBundle, splitPemBlocks } from '../pem';
import type {
  CertificateStore,
  CrtList,
  DeployState,
  DeployStateStore,
  EndpointDeployState,
  LocalBundles,
} from '../storage';

/** What HAProxy reports for a certificate path (`show ssl cert <path>`). */
export interface ServedCertificate {
  serial: string;
  sha1Fingerprint: string;
}

/** The bundle to put into HAProxy, and what HAProxy must report afterwards. */
export interface CertificateDelivery {
  /** The path HAProxy knows the certificate by: our bundle file. */
  path: string;
  bundlePem: string;
  expectedSerial: string;
  expectedSha1: string;
}

/**
 * One running HAProxy reached through its runtime socket; main.ts adapts src/haproxy to it.
 * Contract: swap/add MUST leave no transaction open on failure and MUST verify what HAProxy serves.
 */
export interface HaproxyEndpoint {
  readonly label: string;
  /** What HAProxy serves under `path`, or undefined when its configuration does not know it. */
  servedCertificate(path: string, options?: EndpointCallOptions): Promise<ServedCertificate | undefined>;
  /** `set ssl cert` + `commit ssl cert` (or `abort ssl cert` when dryRun), then verify. */
  swapCertificate(delivery: CertificateDelivery, options: { dryRun: boolean; signal?: AbortSignal }): Promise<void>;
  /** `new ssl cert` + set + commit + `add ssl crt-list`, then verify. */
  addCertificate(delivery: CertificateDelivery, crtListPath: string, options?: EndpointCallOptions): Promise<void>;
  /** `add ssl crt-list` unless HAProxy's runtime list already names the path; true when it added it. */
  ensureListed(delivery: CertificateDelivery, crtListPath: string, options?: EndpointCallOptions): Promise<boolean>;
}

/**
 * Options of every HaproxyEndpoint call: an aborted `signal` closes the socket and rejects with
 * its reason, and a transaction in flight is aborted (`abort ssl cert`), never left open.
 */
export interface EndpointCallOptions {
  signal?: AbortSignal;
}

/** The last resort when the runtime API cannot deliver: a checked reload (master socket or command). */
export interface ReloadFallback {
  readonly label: string;
  reload(): Promise<void>;
  /** What HAProxy serves under `path`, asked by the fallback's own channel (the master socket); absent for a command. */
  servedCertificate?(path: string): Promise<ServedCertificate | undefined>;
}

/** How long a reload is given to show the new certificate: attempts × interval. */
export interface ReloadCheck {
  /** Default: RELOAD_CHECK_ATTEMPTS (40). */
  attempts: number;
  /** Default: RELOAD_CHECK_INTERVAL_MS (250 ms). */
  intervalMs: number;
}

/** Default number of reads of what HAProxy serves after a reload. */
export const RELOAD_CHECK_ATTEMPTS = 40;

/** Default pause between them: 40 × 250 ms gives a reloading HAProxy 10 s to serve the new certificate. */
export const RELOAD_CHECK_INTERVAL_MS = 250;

/** What happened on one endpoint. */
export interface EndpointOutcome {
  endpoint: string;
  outcome: 'unchanged' | 'swapped' | 'added' | 'reloaded' | 'dry-run' | 'pending';
  serial: string;
  error?: string;
}

/** Adapters deployCertificate drives. */
export interface DeployDeps {
  store: CertificateStore;
  /** Where this node's HAProxy loads each bundle from (the path HAProxy knows it by). */
  bundles: Pick<LocalBundles, 'pathOf'>;
  deployState: DeployStateStore;
  /** This node's id (`config.nodeId`): whose deploy state this run reads and records. */
  node: string;
  endpoints: HaproxyEndpoint[];
  /** Where new certificates are listed for HAProxy; without it, only known paths can be swapped. */
  crtList?: CrtList;
  fallback?: ReloadFallback;
  /** Default: RELOAD_CHECK_ATTEMPTS × RELOAD_CHECK_INTERVAL_MS. */
  reloadCheck?: ReloadCheck;
  clock: Clock;
  logger: Logger;
}

/**
 * Puts the stored certificate `name` into every HAProxy endpoint, live, and records per endpoint
 * whether it is deployed or still pending. Never throws for an endpoint failure: the outcome says
 * `pending` with the error, so one broken node never blocks the others.
 * @throws StorageError when the certificate cannot be read; CertificateError when it is unknown
 */
export async function deployCertificate(
  name: string,
  deps: DeployDeps,
  options: { dryRun?: boolean; signal?: AbortSignal } = {},
): Promise<EndpointOutcome[]> {
  const delivery = await readDelivery(name, deps);
  const outcomes = await deployBundle(delivery, deps, { ...options, name });
  // Recorded even when interrupted: what is pending is owed to the next run.
  if (options.dryRun !== true) await recordState(name, outcomes, deps);
  options.signal?.throwIfAborted();
  return outcomes;
}

/**
 * Delivers one bundle to every endpoint (reload fallback included) without touching stored state;
 * `acme issue --dry-run` uses it with a certificate that was never stored.
 */
export async function deployBundle(
  delivery: CertificateDelivery,
  deps: DeployDeps,
  options: { dryRun?: boolean; name: string; signal?: AbortSignal },
): Promise<EndpointOutcome[]> {
  const log = deps.logger.child({ certificate: options.name, serial: delivery.expectedSerial });
  const dryRun = options.dryRun === true;
  const call: EndpointCallOptions = options.signal === undefined ? {} : { signal: options.signal };
  const outcomes: EndpointOutcome[] = [];
  for (const endpoint of deps.endpoints) {
    outcomes.push(await deliverTo(endpoint, delivery, { deps, dryRun, log, call }));
  }
  const failed = outcomes.filter((o) => o.outcome === 'pending');
  // An interrupted run does not start a reload: the endpoints stay pending for the next run.
  if (failed.length > 0 && deps.fallback !== undefined && !dryRun && options.signal?.aborted !== true) {
    await reloadInstead(failed, { ...deps, fallback: deps.fallback, delivery, log });
  }
  return outcomes;
}

/** The bundle of a stored certificate as HAProxy will receive it. @throws CertificateError, StorageError */
export async function readDelivery(
  name: string,
  deps: Pick<DeployDeps, 'store' | 'bundles'>,
): Promise<CertificateDelivery> {
  const stored = await deps.store.loadCertificate(name);
  if (stored === undefined) {
    throw new CertificateError(
      `Cannot deploy "${name}": no such certificate in the store; run "acme list" to see the names`,
    );
  }
  const chain = stored.chainPem === '' ? [] : splitPemBlocks(stored.chainPem).map((block) => block.pem);
  return {
    path: deps.bundles.pathOf(stored.meta.name),
    bundlePem: buildHaproxyBundle({ leaf: stored.certPem, chain, key: stored.keyPem }),
    expectedSerial: stored.meta.serial,
    expectedSha1: stored.meta.sha1Fingerprint,
  };
}

async function deliverTo(
  endpoint: HaproxyEndpoint,
  delivery: CertificateDelivery,
  context: { deps: DeployDeps; dryRun: boolean; log: Logger; call: EndpointCallOptions },
): Promise<EndpointOutcome> {
  const { deps, dryRun, log, call } = context;
  const base = { endpoint: endpoint.label, serial: delivery.expectedSerial };
  try {
    const canAdd = deps.crtList !== undefined && !dryRun;
    const served = await servedOrRepairable(endpoint, delivery.path, { canAdd, log, call });
    if (served !== undefined)
      return { ...base, outcome: await deliverKnown(endpoint, { delivery, served, deps, dryRun, log, call }) };
    if (dryRun) {
      if (deps.crtList === undefined) throw new Error(unknownPathMessage(delivery.path));
      log.info('Dry run: HAProxy does not know the path yet; a real run would add it', {
        endpoint: endpoint.label,
        crtList: deps.crtList.path,
      });
      return { ...base, outcome: 'dry-run' };
    }
    if (deps.crtList === undefined) {
      throw new Error(unknownPathMessage(delivery.path));
    }
    // Disk first: a reload must never lose a certificate that was added at runtime.
    await deps.crtList.ensureEntry(delivery.path);
    await endpoint.addCertificate(delivery, deps.crtList.path, call);
    log.info('Certificate added to HAProxy', { endpoint: endpoint.label, crtList: deps.crtList.path });
    return { ...base, outcome: 'added' };
  } catch (error) {
    log.warn('Cannot deliver the certificate through the runtime API', {
      endpoint: endpoint.label,
      error: messageOf(error),
    });
    return { ...base, outcome: 'pending', error: messageOf(error) };
  }
}

/**
 * What HAProxy serves under `path`. A run killed between `new ssl cert`/`set ssl cert` and
 * `commit ssl cert` leaves an empty store and an open transaction; `show ssl cert` then answers
 * (`Status: Empty`) but cannot be read, and every later deploy would fail the same way while the
 * open transaction blocks every other swap. When HAProxy answered (the error is not retryable)
 * and a crt-list is configured, treat the path as new: the add path aborts our own stale
 * transaction, refills the store and lists it.
 */
async function servedOrRepairable(
  endpoint: HaproxyEndpoint,
  path: string,
  context: { canAdd: boolean; log: Logger; call: EndpointCallOptions },
): Promise<ServedCertificate | undefined> {
  const { canAdd, log, call } = context;
  try {
    return await endpoint.servedCertificate(path, call);
  } catch (error) {
    if (!canAdd || !(error instanceof AppError) || error.retryable) throw error;
    log.warn('Cannot read what HAProxy holds for the certificate; adding it again', {
      endpoint: endpoint.label,
      error: messageOf(error),
    });
    return undefined;
  }
}

/** A path HAProxy already holds: leave it when it serves this certificate, else swap it in. */
async function deliverKnown(
  endpoint: HaproxyEndpoint,
  job: {
    delivery: CertificateDelivery;
    served: ServedCertificate;
    deps: DeployDeps;
    dryRun: boolean;
    log: Logger;
    call: EndpointCallOptions;
  },
): Promise<EndpointOutcome['outcome']> {
  const { delivery, served, deps, dryRun, log, call } = job;
  if (!dryRun) await relistIfDropped(endpoint, delivery, { deps, log, call });
  if (served.sha1Fingerprint === delivery.expectedSha1) {
    log.info('HAProxy already serves this certificate', { endpoint: endpoint.label });
    return 'unchanged';
  }
  await endpoint.swapCertificate(delivery, { dryRun, ...call });
  log.info(
    dryRun ? 'Dry run: HAProxy accepted the certificate; transaction aborted' : 'Certificate swapped in HAProxy',
    { endpoint: endpoint.label },
  );
  return dryRun ? 'dry-run' : 'swapped';
}

/**
 * A run killed after `commit ssl cert` but before `add ssl crt-list` leaves a certificate HAProxy
 * holds but serves on no bind, which a plain swap would never list. When our crt-list file names
 * it, make sure HAProxy's runtime list does too.
 */
async function relistIfDropped(
  endpoint: HaproxyEndpoint,
  delivery: CertificateDelivery,
  context: { deps: DeployDeps; log: Logger; call: EndpointCallOptions },
): Promise<void> {
  const { deps, log, call } = context;
  if (deps.crtList === undefined || !(await deps.crtList.hasEntry(delivery.path))) return;
  if (await endpoint.ensureListed(delivery, deps.crtList.path, call)) {
    log.warn("Listed the certificate in HAProxy's runtime crt-list again (an earlier run stopped before listing it)", {
      endpoint: endpoint.label,
      crtList: deps.crtList.path,
    });
  }
}

function unknownPathMessage(path: string): string {
  return `HAProxy does not know "${path}"; list it in HAProxy's configuration or pass --haproxy-crt-list so it can be added`;
}

/**
 * One reload makes HAProxy load the files on disk, which already hold the new certificate. A
 * reload that "worked" proves nothing about what is served (a command may exit 0 and do nothing,
 * a config may not name the file), so each endpoint counts as reloaded only once HAProxy is seen
 * serving the expected certificate, as after a swap; otherwise it stays pending with the reason.
 */
async function reloadInstead(
  failed: EndpointOutcome[],
  job: Pick<DeployDeps, 'endpoints' | 'reloadCheck'> & {
    fallback: ReloadFallback;
    delivery: CertificateDelivery;
    log: Logger;
  },
): Promise<void> {
  const { fallback, log } = job;
  try {
    await fallback.reload();
  } catch (error) {
    log.error('The reload fallback failed too', { fallback: fallback.label, error: messageOf(error) });
    for (const outcome of failed)
      outcome.error = `${outcome.error ?? ''}; reload fallback "${fallback.label}" failed: ${messageOf(error)}`;
    return;
  }
  for (const outcome of failed) {
    const endpoint = job.endpoints.find((e) => e.label === outcome.endpoint);
    const problem = await servedAfterReload(endpoint, job);
    if (problem === undefined) {
      log.info('HAProxy reloaded and serves the new certificate', {
        fallback: fallback.label,
        endpoint: outcome.endpoint,
      });
      outcome.outcome = 'reloaded';
      delete outcome.error;
    } else {
      log.error('HAProxy was reloaded but does not serve the new certificate', {
        fallback: fallback.label,
        endpoint: outcome.endpoint,
        error: problem,
      });
      outcome.error = `${outcome.error ?? ''}; reload fallback "${fallback.label}" ran, but ${problem}`;
    }
  }
}

/** Undefined once `endpoint` (or the fallback's own channel) serves the delivery; else why not, after the last attempt. */
async function servedAfterReload(
  endpoint: HaproxyEndpoint | undefined,
  job: Pick<DeployDeps, 'reloadCheck'> & { fallback: ReloadFallback; delivery: CertificateDelivery },
): Promise<string | undefined> {
  const { attempts, intervalMs } = job.reloadCheck ?? {
    attempts: RELOAD_CHECK_ATTEMPTS,
    intervalMs: RELOAD_CHECK_INTERVAL_MS,
  };
  const { delivery, fallback } = job;
  let last = 'nothing could be read';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      const served = await readServed(endpoint, fallback, delivery.path);
      if (served?.sha1Fingerprint === delivery.expectedSha1) return undefined;
      last =
        served === undefined
          ? `HAProxy does not know "${delivery.path}"`
          : `HAProxy still serves serial ${served.serial}, not ${delivery.expectedSerial}`;
    } catch (error) {
      last = `what HAProxy serves cannot be read: ${messageOf(error)}`;
    }
    if (attempt < attempts) await sleep(intervalMs);
  }
  return `${last} (checked ${attempts} times over ${Math.round(((attempts - 1) * intervalMs) / 1000)} s)`;
}

/** The endpoint's runtime socket first; when that cannot answer, the fallback's own channel if it has one. */
async function readServed(
  endpoint: HaproxyEndpoint | undefined,
  fallback: ReloadFallback,
  path: string,
): Promise<ServedCertificate | undefined> {
  if (endpoint === undefined) {
    if (fallback.servedCertificate === undefined) throw new Error('no runtime socket to ask');
    return fallback.servedCertificate(path);
  }
  try {
    return await endpoint.servedCertificate(path);
  } catch (error) {
    if (fallback.servedCertificate === undefined) throw error;
    return fallback.servedCertificate(path);
  }
}

async function recordState(name: string, outcomes: EndpointOutcome[], deps: DeployDeps): Promise<void> {
  const state: DeployState = await deps.deployState.load(name, deps.node);
  const at = deps.clock.now().toISOString();
  for (const outcome of outcomes) {
    const entry: EndpointDeployState = {
      status: outcome.outcome === 'pending' ? 'pending' : 'deployed',
      serial: outcome.serial,
      at,
    };
    if (outcome.outcome === 'swapped') entry.method = 'swap';
    if (outcome.outcome === 'added') entry.method = 'add';
    if (outcome.outcome === 'reloaded') entry.method = 'reload';
    if (outcome.error !== undefined) entry.lastError = outcome.error;
    state.endpoints[outcome.endpoint] = entry;
  }
  await deps.deployState.save(name, deps.node, state);
}
