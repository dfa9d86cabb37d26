import { basename } from 'node:path';
import { CERTIFICATES_IN_FLIGHT } from './_limit';
import { fromStored } from './_ariState';
import { policyFacts } from './_failure';
import type { Clock } from '../clock';
import { messageOf } from '../errors';
import { MAX_MANUAL_CERTIFICATES, type ManualCertificateScan } from '../manual';
import { ariCertIdHasSerial } from '../pem';
import { isAriWindowUsable, shouldRenew, type AriWindow, type RenewalDecision } from '../renewal';
import {
  mapLimited,
  type CertificateMeta,
  type CertificateStore,
  type DeployState,
  type DeployStateStore,
  type LocalBundles,
  type RenewalState,
  type RenewalStateStore,
} from '../storage';
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

/** What the deploy state records for one endpoint of one node. */
export interface NodeEndpointStatus {
  endpoint: string;
  /** `deployed`: it served `serial` when last checked; `pending`: it must still get it. */
  status: 'deployed' | 'pending';
  serial: string;
  /** How it got there (`swap`, `add`, `reload`); null when not recorded. */
  method: string | null;
  /** ISO 8601 time of the last attempt. */
  at: string;
  /** The last deploy error, when pending; null otherwise. */
  lastError: string | null;
}

/** What one node (one HAProxy host sharing the store) recorded deploying, from the deploy state. */
export interface NodeDeployStatus {
  node: string;
  /** True for the node this command runs as (`--node`). */
  thisNode: boolean;
  endpoints: NodeEndpointStatus[];
}

/** Why the next renewal happens when it does: the rule that set `at`, or `backoff` after failures. */
export type NextRenewalReason = Exclude<RenewalDecision['reason'], 'not-yet'>;

/** When `acme renew` will renew the certificate next, and why, as `shouldRenew()` decides from stored state. */
export interface NextRenewal {
  /** ISO 8601; the listing time when it is due now. */
  at: string;
  /** True when the next `acme renew` (or daemon check) renews it. */
  due: boolean;
  reason: NextRenewalReason;
  /** One sentence, the same as `acme renew` logs. */
  detail: string;
}

/** The stored RFC 9773 window of the current certificate. */
export interface AriStatus {
  start: string;
  end: string;
  /** The random instant chosen inside the window. */
  chosenAt: string;
  /** When `acme renew` will ask the CA for the window again. */
  retryAfter: string;
  explanationUrl: string | null;
}

/** The last renewal failure; cleared by a success. */
export interface LastError {
  message: string;
  /** ISO 8601 time of the failure. */
  at: string;
  /** Consecutive failures so far. */
  failures: number;
  /** ISO 8601; `acme renew` without --force waits until then. */
  nextAttemptAt: string;
}

/** One post-renew hook result of the last successful renewal. */
export interface HookStatus {
  label: string;
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  at: string;
  error: string | null;
}

/** One row of `acme list`; `null` means "none" so that every key is always present. */
export interface CertificateSummary {
  name: string;
  domains: string[];
  serial: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter, rounded down; negative once expired. */
  daysLeft: number;
  keyType: string;
  /** The ACME profile it was ordered with; null for the CA's default. */
  profile: string | null;
  bundlePath: string;
  nextRenewal: NextRenewal;
  /** Null when no window is stored for the current certificate (no ARI, or not asked yet). */
  ari: AriStatus | null;
  lastError: LastError | null;
  /** ISO 8601 time of the last successful renewal by `acme renew`; null when none was recorded. */
  lastSuccessAt: string | null;
  /** ISO 8601 time of the last failed renewal, also after a later success; null when none failed. */
  lastFailureAt: string | null;
  /** Failed renewal attempts ever; a success does not reset it (lastError.failures counts the current streak). */
  failuresTotal: number;
  /** Results of the post-renew hooks of the last renewal; empty when none ran. */
  hooks: HookStatus[];
  /** One entry per configured HAProxy endpoint; empty when none is configured. */
  endpoints: EndpointStatus[];
  /** `lego` when the current version was adopted from lego without an order (`acme import lego`, or in place); null otherwise. */
  adoptedFrom: 'lego' | null;
  /** Recorded deploys per node, this node first, then the others by name; empty when none was recorded. Last, so the older keys keep their order. */
  nodes: NodeDeployStatus[];
}

/**
 * One row of `acme list` for a manual certificate: a file a user put into `<home>/haproxy/`, which
 * HAProxy serves as it is and haproxy-acme never renews (so it is never due). Never holds key material.
 */
export interface ManualCertificateSummary {
  kind: 'manual';
  /** The file's name in `<home>/haproxy/`, e.g. `cert.crt`. */
  name: string;
  /** Its DNS and IP subjectAltNames (the subject's CN when it has none); empty when it does not parse. */
  domains: string[];
  /** Null when it does not parse (see problem), as are the dates. */
  serial: string | null;
  notBefore: string | null;
  notAfter: string | null;
  /** Whole days until notAfter, rounded down; negative once expired. */
  daysLeft: number | null;
  /** The file HAProxy loads. */
  bundlePath: string;
  /** Where its key is: bundlePath itself, or `<bundlePath>.key`; null when there is none. */
  keyPath: string | null;
  /** Why HAProxy cannot load it (the manual crt-list leaves it out); null when it can. */
  problem: string | null;
  /** Always null: haproxy-acme never renews a manual certificate. */
  nextRenewal: null;
}

/** Adapters listCertificates reads. */
export interface ListDeps {
  /** Read for each certificate's metadata alone: no certificate, chain or key is read. */
  store: Pick<CertificateStore, 'listCertificateNames' | 'loadCertificateMeta'>;
  /** Where this node's HAProxy loads each bundle from. */
  bundles: Pick<LocalBundles, 'pathOf'>;
  clock: Clock;
  /** Asked live, in parallel, what they serve. Default: none. */
  endpoints?: HaproxyEndpoint[];
  deployState?: DeployStateStore;
  /** This node's id (`config.nodeId`): whose deploy state `endpoints` report. Default: none (no node is this one). */
  node?: string;
  /** Stored ARI windows, failures and hook results. Default: none (lifetime rule, no history). */
  renewalState?: RenewalStateStore;
}

const MS_PER_DAY = 86_400_000;

/**
 * Summarises every stored certificate, sorted by name: what each endpoint serves and when and why
 * it renews next. The decision uses only stored state (no request to the CA), with the next check
 * taken as now, so `due: true` means the next `acme renew` renews it. Reads each certificate's
 * metadata, renewal state and deploy state, for CERTIFICATES_IN_FLIGHT certificates at a time (10,000
 * certificates fit under an open-files limit of 1,024).
 * @throws StorageError when a certificate's metadata or its renewal or deploy state cannot be read
 */
export async function listCertificates(deps: ListDeps): Promise<CertificateSummary[]> {
  const now = deps.clock.now();
  const names = await deps.store.listCertificateNames();
  const rows = await mapLimited(
    names,
    async (name) => {
      const meta = await deps.store.loadCertificateMeta(name);
      return meta === undefined ? undefined : summarise(meta, { deps, now });
    },
    { limit: CERTIFICATES_IN_FLIGHT },
  );
  return rows.filter((row): row is CertificateSummary => row !== undefined);
}

async function summarise(meta: CertificateMeta, context: { deps: ListDeps; now: Date }): Promise<CertificateSummary> {
  const { deps, now } = context;
  const bundlePath = deps.bundles.pathOf(meta.name);
  const [state, deployed] = await Promise.all([
    deps.renewalState === undefined ? {} : deps.renewalState.load(meta.name).then((held) => held.value),
    deps.deployState === undefined ? {} : deps.deployState.loadAllNodes(meta.name),
  ]);
  const ari = currentAri(meta, state);
  return {
    name: meta.name,
    domains: meta.domains,
    serial: meta.serial,
    notBefore: meta.notBefore,
    notAfter: meta.notAfter,
    daysLeft: Math.floor((Date.parse(meta.notAfter) - now.getTime()) / MS_PER_DAY),
    keyType: meta.keyType,
    profile: meta.profile ?? null,
    bundlePath,
    nextRenewal: nextRenewalOf(meta, { state, ari: ari === undefined ? undefined : fromStored(ari), now }),
    ari:
      ari === undefined
        ? null
        : {
            start: ari.start,
            end: ari.end,
            chosenAt: ari.chosenAt,
            retryAfter: ari.retryAfter,
            explanationUrl: ari.explanationUrl ?? null,
          },
    ...historyOf(state),
    endpoints: await endpointStatuses(deployed, bundlePath, meta.sha1Fingerprint, deps),
    adoptedFrom: meta.adoptedFrom ?? null,
    nodes: nodeStatuses(deployed, deps.node),
  };
}

/** The same decision `acme renew` would make now, without refreshing the ARI window. */
function nextRenewalOf(
  meta: CertificateMeta,
  context: { state: RenewalState; ari: AriWindow | undefined; now: Date },
): NextRenewal {
  const decision = shouldRenew({
    ...policyFacts(meta, context.state),
    desired: { domains: meta.domains, keyType: meta.keyType, profile: meta.profile },
    ari: context.ari,
    now: context.now,
    nextCheckAt: context.now,
  });
  if (decision.due)
    return { at: context.now.toISOString(), due: true, reason: decision.reason, detail: decision.detail };
  // Only the ARI window or the lifetime rule schedule a later renewal; a usable window wins.
  const reason =
    decision.reason === 'backoff'
      ? 'backoff'
      : context.ari !== undefined && isAriWindowUsable(context.ari)
        ? 'ari-window'
        : 'lifetime';
  return { at: decision.notBefore.toISOString(), due: false, reason, detail: decision.detail };
}

/**
 * The stored window when it belongs to this certificate (a renewed certificate has a new CertID):
 * its CertID carries this serial, the same test `acme renew` makes, so no certificate is parsed.
 */
function currentAri(meta: CertificateMeta, state: RenewalState): NonNullable<RenewalState['ari']> | undefined {
  return state.ari !== undefined && ariCertIdHasSerial(state.ari.certId, meta.serial) ? state.ari : undefined;
}

/** What the renewal state remembers of past renewals, as `acme list --json` shows it. */
function historyOf(
  state: RenewalState,
): Pick<CertificateSummary, 'lastError' | 'lastSuccessAt' | 'lastFailureAt' | 'failuresTotal' | 'hooks'> {
  return {
    lastError: lastErrorOf(state),
    lastSuccessAt: state.lastSuccessAt ?? null,
    // States written before the counter existed still show their current streak.
    lastFailureAt: state.lastFailureAt ?? state.failure?.lastFailureAt ?? null,
    failuresTotal: state.failuresTotal ?? state.failure?.failures ?? 0,
    hooks: (state.hooks ?? []).map((h) => ({
      label: h.label,
      ok: h.ok,
      exitCode: h.exitCode,
      timedOut: h.timedOut,
      at: h.at,
      error: h.error ?? null,
    })),
  };
}

function lastErrorOf(state: RenewalState): LastError | null {
  const { failure } = state;
  if (failure === undefined) return null;
  return {
    message: failure.lastError,
    at: failure.lastFailureAt,
    failures: failure.failures,
    nextAttemptAt: failure.nextAttemptAt,
  };
}

/** Every node's recorded deploys, this node first, then the others by name. */
function nodeStatuses(deployed: Record<string, DeployState>, thisNode: string | undefined): NodeDeployStatus[] {
  return Object.entries(deployed)
    .filter(([, state]) => Object.keys(state.endpoints).length > 0)
    .sort(([a], [b]) => (a === thisNode ? -1 : b === thisNode ? 1 : a.localeCompare(b)))
    .map(([node, state]) => ({
      node,
      thisNode: node === thisNode,
      endpoints: Object.entries(state.endpoints)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([endpoint, e]) => ({
          endpoint,
          status: e.status,
          serial: e.serial,
          method: e.method ?? null,
          at: e.at,
          lastError: e.lastError ?? null,
        })),
    }));
}

async function endpointStatuses(
  deployed: Record<string, DeployState>,
  bundlePath: string,
  sha1: string,
  deps: ListDeps,
): Promise<EndpointStatus[]> {
  const endpoints = deps.endpoints ?? [];
  if (endpoints.length === 0) return [];
  const state = (deps.node === undefined ? undefined : deployed[deps.node]) ?? { endpoints: {} };
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

/**
 * Summarises the manual certificates of `<home>/haproxy/`, sorted by file name; those past the
 * reader's cap are listed with the reason they are neither checked nor served.
 * @throws StorageError when the directory exists but cannot be listed
 */
export async function listManualCertificates(deps: {
  clock: Clock;
  readManualCertificates: () => Promise<ManualCertificateScan>;
}): Promise<ManualCertificateSummary[]> {
  const now = deps.clock.now().getTime();
  const scan = await deps.readManualCertificates();
  const rows = scan.certificates.map((c): ManualCertificateSummary => ({
    kind: 'manual',
    name: basename(c.path),
    domains: c.names,
    serial: c.serial,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    daysLeft: c.notAfter === null ? null : Math.floor((Date.parse(c.notAfter) - now) / MS_PER_DAY),
    bundlePath: c.path,
    keyPath: c.keyPath,
    problem: c.problem,
    nextRenewal: null,
  }));
  const unread = scan.notInspected.map((path): ManualCertificateSummary => ({
    kind: 'manual',
    name: basename(path),
    domains: [],
    serial: null,
    notBefore: null,
    notAfter: null,
    daysLeft: null,
    bundlePath: path,
    keyPath: null,
    problem: `not read: only the first ${MAX_MANUAL_CERTIFICATES} manual certificates by name are read and served`,
    nextRenewal: null,
  }));
  return [...rows, ...unread];
}
