import { deployCertificate, readDelivery, type DeployDeps, type EndpointOutcome } from './deployCertificate';
import type { CertificateMeta } from '../storage';
import type { IssueRequest, IssueResult } from './issueCertificate';

/**
 * Delivers a stored certificate that an endpoint has not got yet, although nothing is due: the
 * deploy state records, for an endpoint of this run, a pending deploy or another serial. That is a
 * run killed between storing and deploying (found by test/integration/crash-safety.test.ts: HAProxy
 * kept the old certificate until the next renewal, weeks later), or HAProxy down at the last
 * attempt. An endpoint with no record is left alone: `acme deploy` or `acme issue` introduce a
 * certificate to an endpoint. Returns undefined when nothing was owed.
 * @throws StorageError when the deploy state or the certificate cannot be read
 */
export async function deployIfOwed(
  name: string,
  serial: string,
  deps: DeployDeps,
): Promise<EndpointOutcome[] | undefined> {
  const owed = await owedEndpoints(name, serial, deps);
  if (owed.length === 0) return undefined;
  deps.logger.info('Delivering a stored certificate that HAProxy has not got yet', {
    certificate: name,
    serial,
    endpoints: owed.map((e) => e.label),
  });
  return deployCertificate(name, deps);
}

/** The endpoints of this run whose deploy state records a pending deploy or another serial for `name`. */
async function owedEndpoints(
  name: string,
  serial: string,
  deps: Pick<DeployDeps, 'endpoints' | 'deployState' | 'node'>,
): Promise<DeployDeps['endpoints']> {
  if (deps.endpoints.length === 0) return [];
  const state = await deps.deployState.load(name, deps.node);
  return deps.endpoints.filter((endpoint) => {
    const recorded = state.endpoints[endpoint.label];
    return recorded !== undefined && (recorded.status === 'pending' || recorded.serial !== serial);
  });
}

/**
 * For `acme issue`: the stored certificate of `request.name` when it is exactly what the request
 * asks for (same CA, names, key type and profile), has not expired, and an endpoint of this run
 * still owes its deploy. That is an earlier issue whose deploy failed (HAProxy down): running it
 * again delivers that certificate instead of ordering another one. Undefined otherwise.
 * @throws StorageError when the store or the deploy state cannot be read
 */
export async function storedButUndelivered(
  request: IssueRequest,
  deps: DeployDeps & { directoryUrl: string },
): Promise<IssueResult | undefined> {
  if (deps.endpoints.length === 0) return undefined;
  const meta = await deps.store.loadCertificateMeta(request.name);
  const now = deps.clock.now();
  if (
    meta === undefined ||
    !storedMatches(request, meta, { directoryUrl: deps.directoryUrl, now }) ||
    (await owedEndpoints(request.name, meta.serial, deps)).length === 0
  ) {
    return undefined;
  }
  deps.logger.info('The stored certificate was never delivered to HAProxy; delivering it instead of ordering another', {
    certificate: request.name,
    serial: meta.serial,
  });
  return resultOfStored(request, meta, { ...deps, startedAt: now });
}

/**
 * Whether the stored version `meta` is exactly what `request` asks for: same CA, names (in order),
 * key type and profile, and not expired at `now` (pure).
 */
export function storedMatches(
  request: IssueRequest,
  meta: CertificateMeta,
  context: { directoryUrl: string; now: Date },
): boolean {
  return (
    meta.directoryUrl === context.directoryUrl &&
    meta.domains.join(' ') === request.domains.join(' ') &&
    meta.keyType === request.keyType &&
    meta.profile === request.profile &&
    Date.parse(meta.notAfter) > context.now.getTime()
  );
}

/** The IssueResult of a stored version that is used instead of a new order (`resumed`: nothing was ordered). */
export async function resultOfStored(
  request: IssueRequest,
  meta: CertificateMeta,
  deps: Pick<DeployDeps, 'store' | 'bundles' | 'clock'> & { directoryUrl: string; startedAt: Date },
): Promise<IssueResult> {
  const now = deps.startedAt;
  const account = await deps.store.loadAccount(deps.directoryUrl);
  return {
    name: request.name,
    domains: meta.domains,
    serial: meta.serial,
    notBefore: new Date(meta.notBefore),
    notAfter: new Date(meta.notAfter),
    keyType: meta.keyType,
    accountUrl: account?.accountUrl ?? '',
    accountReused: true,
    bundlePath: deps.bundles.pathOf(request.name),
    stored: true,
    delivery: await readDelivery(request.name, deps),
    durationMs: deps.clock.now().getTime() - now.getTime(),
    resumed: true,
  };
}
