import { CertificateError, messageOf } from '../errors';
import type { Logger } from '../log';
import { withCertificateLock, type CertificateLockDeps } from './_certificateLock';
import {
  sanitiseName,
  type CertificateStore,
  type CrtList,
  type HeldLock,
  type LocalBundles,
  type RemovedCertificate,
} from '../storage';

/**
 * One running HAProxy that can drop a certificate; src/haproxy's HaproxyInstance implements it.
 * Contract: removeCertificate MUST remove every crt-list entry of `path` before the certificate,
 * MUST resolve `deleted: false` (not fail) when HAProxy does not know `path`, and MUST fail when
 * HAProxy still uses it.
 */
export interface RemovalEndpoint {
  readonly label: string;
  removeCertificate(path: string): Promise<{ deleted: boolean; removedFrom: string[] }>;
}

/** Adapters removeCertificate drives. */
export interface RemoveDeps extends CertificateLockDeps {
  store: CertificateStore;
  /** This node's bundles: the path HAProxy knows the certificate by, deleted last. */
  bundles: Pick<LocalBundles, 'pathOf' | 'remove'>;
  /** Every configured HAProxy; may be empty (then only the files change). */
  endpoints: RemovalEndpoint[];
  /** The on-disk crt-list HAProxy loads at the next reload. Default: none. */
  crtList?: CrtList;
  logger: Logger;
}

/** What happened on one HAProxy. */
export interface RemovalOutcome {
  endpoint: string;
  /** `removed`: deleted at runtime; `not-loaded`: HAProxy did not know it; `failed`: see error. */
  outcome: 'removed' | 'not-loaded' | 'failed';
  /** The crt-lists (or crt directories) it was deleted from. */
  removedFrom: string[];
  error?: string;
}

/** What `acme remove` did. */
export interface RemoveResult {
  name: string;
  /** The bundle path HAProxy knew the certificate by. */
  path: string;
  /** False when an endpoint failed: then nothing on disk was touched, and a second run retries everything. */
  removed: boolean;
  endpoints: RemovalOutcome[];
  /** True when a line was deleted from the crt-list file. */
  crtListEntryRemoved: boolean;
  /** The archive the store moved the certificate to; undefined when an endpoint failed or nothing was left. */
  archive: RemovedCertificate | undefined;
  /** True when this node's bundle was still there and was deleted (the file store archives it itself). */
  bundleRemoved: boolean;
}

async function removeFrom(endpoint: RemovalEndpoint, path: string, log: Logger): Promise<RemovalOutcome> {
  try {
    const { deleted, removedFrom } = await endpoint.removeCertificate(path);
    log.info(deleted ? 'Certificate removed from HAProxy' : 'HAProxy did not have the certificate', {
      endpoint: endpoint.label,
      removedFrom,
    });
    return { endpoint: endpoint.label, outcome: deleted ? 'removed' : 'not-loaded', removedFrom };
  } catch (error) {
    log.warn('Cannot remove the certificate from HAProxy', { endpoint: endpoint.label, error: messageOf(error) });
    return { endpoint: endpoint.label, outcome: 'failed', removedFrom: [], error: messageOf(error) };
  }
}

/**
 * Takes a certificate out of service, in the order that keeps every HAProxy reload working:
 * 1. each HAProxy drops it at runtime (`del ssl crt-list`, `del ssl cert`); if one fails, stop
 *    here with nothing on disk changed, so that the same command can be run again;
 * 2. the crt-list file loses its line, so the next reload does not look for the bundle;
 * 3. only then does the store archive it (the file store moves versions, bundle, deploy and
 *    renewal state to `<home>/archive/<name>-<stamp>/`) and this node's bundle go: a line
 *    pointing at a missing file would make the next reload fail.
 * Idempotent: a second run after a crash finishes what is left.
 * @throws ConfigError for an unsafe name; CertificateError when nothing of it exists anywhere; StorageError when the crt-list or the files cannot be changed
 */
export async function removeCertificate(
  requested: string,
  deps: RemoveDeps,
  options: { signal?: AbortSignal } = {},
): Promise<RemoveResult> {
  const name = sanitiseName(requested);
  return withCertificateLock(name, deps, options.signal, (signal, lock) => removeHolding(name, deps, signal, lock));
}

async function removeHolding(
  name: string,
  deps: RemoveDeps,
  signal: AbortSignal,
  lock: HeldLock,
): Promise<RemoveResult> {
  const path = deps.bundles.pathOf(name);
  const log = deps.logger.child({ certificate: name, path });
  const known = (await deps.store.listCertificateNames()).includes(name);
  const endpoints: RemovalOutcome[] = [];
  for (const endpoint of deps.endpoints) endpoints.push(await removeFrom(endpoint, path, log));
  if (endpoints.some((e) => e.outcome === 'failed')) {
    return {
      name,
      path,
      removed: false,
      endpoints,
      crtListEntryRemoved: false,
      archive: undefined,
      bundleRemoved: false,
    };
  }
  const crtListEntryRemoved = deps.crtList === undefined ? false : await deps.crtList.removeEntry(path);
  signal.throwIfAborted();
  const archive = await deps.store.removeCertificate(name, { signal, lock });
  const bundleRemoved = await deps.bundles.remove(name);
  if (
    !known &&
    !crtListEntryRemoved &&
    archive === undefined &&
    !bundleRemoved &&
    endpoints.every((e) => e.outcome === 'not-loaded')
  ) {
    throw new CertificateError(
      `Cannot remove "${name}": no such certificate in the store; run "acme list" to see the names`,
    );
  }
  if (deps.endpoints.length === 0)
    log.warn('No HAProxy runtime socket given: a running HAProxy keeps serving the certificate until it reloads');
  return {
    name,
    path,
    removed: true,
    endpoints,
    crtListEntryRemoved,
    archive: archive === undefined ? undefined : { archiveId: archive.archiveId },
    bundleRemoved,
  };
}
