import type { Clock } from '../clock';
import { messageOf } from '../errors';
import type { CertificateStore, DeployStateStore } from '../storage';
import type { HaproxyEndpoint } from './deployCertificate';

/** What one HAProxy endpoint serves for a certificate, compared with the stored one. */
export interface EndpointStatus {
  endpoint: string;
  /** Serial HAProxy serves under the bundle path; null when it does not know the path or was unreachable. */
  servedSerial: string | null;
  /** True when HAProxy serves exactly the stored certificate (SHA-1 fingerprint match). */
  current: boolean;
  /** True when the last deploy to this endpoint did not complete. */
  pendingDeploy: boolean;
  /** Why the endpoint could not be asked, or the last deploy error. */
  error: string | null;
}

/** One row of `acme list`. */
export interface CertificateSummary {
  name: string;
  domains: string[];
  serial: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter, rounded down; negative once expired. */
  daysLeft: number;
  keyType: string;
  bundlePath: string;
  /** One entry per configured HAProxy endpoint; empty when none is configured. */
  endpoints: EndpointStatus[];
}

/** Adapters listCertificates reads. */
export interface ListDeps {
  store: CertificateStore;
  clock: Clock;
  /** Asked live, in parallel, what they serve. Default: none. */
  endpoints?: HaproxyEndpoint[];
  deployState?: DeployStateStore;
}

const MS_PER_DAY = 86_400_000;

/** Summarises every stored certificate, sorted by name, with what each endpoint serves. @throws StorageError */
export async function listCertificates(deps: ListDeps): Promise<CertificateSummary[]> {
  const now = deps.clock.now().getTime();
  const stored = await deps.store.listCertificates();
  return Promise.all(
    stored.map(async ({ meta, paths }) => ({
      name: meta.name,
      domains: meta.domains,
      serial: meta.serial,
      notBefore: meta.notBefore,
      notAfter: meta.notAfter,
      daysLeft: Math.floor((Date.parse(meta.notAfter) - now) / MS_PER_DAY),
      keyType: meta.keyType,
      bundlePath: paths.bundle,
      endpoints: await endpointStatuses(meta.name, paths.bundle, meta.sha1Fingerprint, deps),
    })),
  );
}

async function endpointStatuses(name: string, bundlePath: string, sha1: string, deps: ListDeps): Promise<EndpointStatus[]> {
  const endpoints = deps.endpoints ?? [];
  if (endpoints.length === 0) return [];
  const state = deps.deployState === undefined ? { endpoints: {} } : await deps.deployState.load(name);
  return Promise.all(
    endpoints.map(async (endpoint): Promise<EndpointStatus> => {
      const recorded = state.endpoints[endpoint.label];
      const pendingDeploy = recorded?.status === 'pending';
      try {
        const served = await endpoint.servedCertificate(bundlePath);
        return {
          endpoint: endpoint.label,
          servedSerial: served?.serial ?? null,
          current: served?.sha1Fingerprint === sha1,
          pendingDeploy,
          error: pendingDeploy ? (recorded?.lastError ?? null) : null,
        };
      } catch (error) {
        return { endpoint: endpoint.label, servedSerial: null, current: false, pendingDeploy, error: messageOf(error) };
      }
    }),
  );
}
