import type { Clock } from '../clock';
import { listCertificates, type CertificateSummary } from '../issuance';
import {
  mapLimited,
  type CertificateStore,
  type DeployState,
  type DeployStateStore,
  type LocalBundles,
  type RenewalStateStore,
} from '../storage';
import type { CertificateMetrics, MetricsSnapshot } from './renderMetrics';

/** The stores collectMetrics() reads; nothing here talks to HAProxy or the CA. */
export interface CollectMetricsDeps {
  store: CertificateStore;
  /** Where this node's HAProxy loads each bundle from. */
  bundles: Pick<LocalBundles, 'pathOf'>;
  deployState: DeployStateStore;
  /** This node's id (`config.nodeId`): the metrics report its deploys. */
  node: string;
  renewalState: RenewalStateStore;
  clock: Clock;
  /** Labels of the configured HAProxy endpoints (`unix@/run/haproxy/admin.sock`); each gets a sample even before its first deploy. Default: none. */
  endpointLabels?: readonly string[];
}

/**
 * One certificate's metrics from its `acme list` summary and deploy state (pure). An endpoint
 * matches when its last deploy completed with the stored serial; the deploy verified that serial
 * with `show ssl cert` right after the commit, so no request to HAProxy is made here.
 */
export function toCertificateMetrics(
  summary: CertificateSummary,
  options: { deployState: DeployState; endpointLabels?: readonly string[] },
): CertificateMetrics {
  const recorded = options.deployState.endpoints;
  const labels = [...new Set([...(options.endpointLabels ?? []), ...Object.keys(recorded)])];
  return {
    name: summary.name,
    notAfter: new Date(summary.notAfter),
    nextRenewalAt: new Date(summary.nextRenewal.at),
    lastSuccessAt: summary.lastSuccessAt === null ? undefined : new Date(summary.lastSuccessAt),
    lastFailureAt: summary.lastFailureAt === null ? undefined : new Date(summary.lastFailureAt),
    failures: summary.lastError?.failures ?? 0,
    failuresTotal: summary.failuresTotal,
    endpoints: labels.map((endpoint) => {
      const entry = recorded[endpoint];
      return { endpoint, servedSerialMatches: entry?.status === 'deployed' && entry.serial === summary.serial };
    }),
  };
}

/**
 * Reads every stored certificate, its renewal state and its deploy state into a snapshot.
 * @throws StorageError when a certificate or its state cannot be read
 */
export async function collectMetrics(deps: CollectMetricsDeps): Promise<MetricsSnapshot> {
  const generatedAt = deps.clock.now();
  const summaries = await listCertificates({
    store: deps.store,
    bundles: deps.bundles,
    clock: deps.clock,
    renewalState: deps.renewalState,
  });
  // Bounded like every per-certificate pass: 10,000 deploy states must not mean 10,000 open files.
  const certificates = await mapLimited(summaries, async (summary) =>
    toCertificateMetrics(summary, {
      deployState: await deps.deployState.load(summary.name, deps.node),
      endpointLabels: deps.endpointLabels,
    }),
  );
  return { generatedAt, certificates };
}
