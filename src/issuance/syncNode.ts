import type { Logger } from '../log';
import { messageOf } from '../errors';
import type { CertificateStore, CrtList, LocalBundles } from '../storage';
import { deployCertificate, type DeployDeps, type EndpointOutcome } from './deployCertificate';
import type { RemovalEndpoint } from './removeCertificate';

/** What syncing one certificate did on this node. */
export interface SyncOutcome {
  name: string;
  /**
   * `current`: this node serves the store's current version (bundle and every endpoint);
   * `updated`: it did not, and now does (see `bundleRewritten` and `deploy`); `removed`: the store
   * no longer has it, and this node took it out of HAProxy and its crt-list; `absent`: neither the
   * store nor this node has it; `failed`: see `error` (the next sync retries).
   */
  outcome: 'current' | 'updated' | 'removed' | 'absent' | 'failed';
  /** The store's current version, when it has one. */
  version?: string;
  serial?: string;
  /** True when this node's bundle file was rewritten to the current version. */
  bundleRewritten?: boolean;
  deploy?: EndpointOutcome[];
  error?: string;
}

/** Adapters syncCertificates() drives: the shared store, this node's bundles, crt-list and HAProxy. */
export interface SyncDeps extends Omit<DeployDeps, 'bundles' | 'endpoints'> {
  store: CertificateStore;
  bundles: Pick<LocalBundles, 'pathOf' | 'reconcile' | 'remove'>;
  /** Every configured HAProxy of this node; may be empty (then only bundles change). */
  endpoints: Array<DeployDeps['endpoints'][number] & RemovalEndpoint>;
  crtList?: CrtList;
  logger: Logger;
}

/**
 * Makes this node serve what the shared store holds for each of `names`: the bundle file is
 * rewritten when it is not the current version's (atomically), every HAProxy endpoint gets the
 * current version live and verified (deployCertificate(): unchanged when it already serves it),
 * and a certificate the store no longer has is taken out of HAProxy, the crt-list and the bundles.
 * Idempotent; callers hold the home lock. Never throws for one certificate: its outcome says
 * `failed` and the next sync retries it.
 * @throws the signal's reason when aborted
 */
export async function syncCertificates(
  names: readonly string[],
  deps: SyncDeps,
  options: { signal?: AbortSignal } = {},
): Promise<SyncOutcome[]> {
  const outcomes: SyncOutcome[] = [];
  for (const name of names) {
    options.signal?.throwIfAborted();
    try {
      outcomes.push(await syncOne(name, deps, options.signal));
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      deps.logger.warn('Cannot bring this node up to the stored certificate; the next sync retries', {
        certificate: name,
        error: messageOf(error),
      });
      outcomes.push({ name, outcome: 'failed', error: messageOf(error) });
    }
  }
  return outcomes;
}

async function syncOne(name: string, deps: SyncDeps, signal: AbortSignal | undefined): Promise<SyncOutcome> {
  const meta = await deps.store.loadCertificateMeta(name);
  if (meta === undefined) return removeLocally(name, deps);
  const bundleRewritten = (await deps.bundles.reconcile([name])).length > 0;
  const deploy =
    deps.endpoints.length === 0
      ? []
      : await deployCertificate(name, { ...deps, bundles: deps.bundles }, signal === undefined ? {} : { signal });
  const failed = deploy.find((outcome) => outcome.outcome === 'pending');
  const changed = bundleRewritten || deploy.some((outcome) => outcome.outcome !== 'unchanged');
  if (changed)
    deps.logger.info('This node now serves the stored certificate', {
      certificate: name,
      version: meta.version,
      serial: meta.serial,
      bundleRewritten,
    });
  return {
    name,
    outcome: failed !== undefined ? 'failed' : changed ? 'updated' : 'current',
    version: meta.version,
    serial: meta.serial,
    bundleRewritten,
    deploy,
    ...(failed?.error === undefined ? {} : { error: failed.error }),
  };
}

/** The store no longer has `name`: HAProxy first, then the crt-list line, then the bundle file. */
async function removeLocally(name: string, deps: SyncDeps): Promise<SyncOutcome> {
  const path = deps.bundles.pathOf(name);
  let deleted = false;
  for (const endpoint of deps.endpoints) {
    const result = await endpoint.removeCertificate(path);
    deleted ||= result.deleted;
  }
  const unlisted = deps.crtList === undefined ? false : await deps.crtList.removeEntry(path);
  const bundleRemoved = await deps.bundles.remove(name);
  if (!deleted && !unlisted && !bundleRemoved) return { name, outcome: 'absent' };
  deps.logger.info('Removed from this node: the shared store no longer has it', { certificate: name });
  return { name, outcome: 'removed' };
}
