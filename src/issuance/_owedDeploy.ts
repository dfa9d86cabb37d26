import { deployCertificate, type DeployDeps, type EndpointOutcome } from './deployCertificate';

/**
 * Delivers a stored certificate that an endpoint has not got yet, although nothing is due: the
 * deploy state records, for an endpoint of this run, a pending deploy or another serial. That is a
 * run killed between storing and deploying (found by test/integration/crash-safety.test.ts: HAProxy
 * kept the old certificate until the next renewal, weeks later), or HAProxy down at the last
 * attempt. An endpoint with no record is left alone: `acme deploy` or `acme issue` introduce a
 * certificate to an endpoint. Returns undefined when nothing was owed.
 * @throws StorageError when the deploy state or the certificate cannot be read
 */
export async function deployIfOwed(name: string, serial: string, deps: DeployDeps): Promise<EndpointOutcome[] | undefined> {
  if (deps.endpoints.length === 0) return undefined;
  const state = await deps.deployState.load(name);
  const owed = deps.endpoints.filter((endpoint) => {
    const recorded = state.endpoints[endpoint.label];
    return recorded !== undefined && (recorded.status === 'pending' || recorded.serial !== serial);
  });
  if (owed.length === 0) return undefined;
  deps.logger.info('Delivering a stored certificate that HAProxy has not got yet', { certificate: name, serial, endpoints: owed.map((e) => e.label) });
  return deployCertificate(name, deps);
}
