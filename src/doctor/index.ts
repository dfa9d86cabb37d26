/**
 * `acme doctor`: pure check evaluation (each check: ok, warn, fail or skip, with a fix) and the
 * small adapters that gather the facts (/proc/net/tcp, lstat under --home, `show cli level`, a
 * probe through HAProxy, a dry-run adoption of lego's files in --home, the shared store's
 * connection, schema, notifications, leases and clock).
 */
export {
  passed,
  problem,
  skipped,
  summariseChecks,
  type CheckStatus,
  type DoctorCheck,
  type DoctorSummary,
} from './DoctorCheck';
export { isLoopbackAddress, parseProcNetTcp, type ParseProcNetTcpOptions, type TcpListener } from './parseProcNetTcp';
export { checkListeners, type CheckListenersOptions } from './checkListeners';
export { checkHomeModes, type HomeEntry, type HomeScan } from './checkHomeModes';
export { checkRuntimeSocket, type RuntimeSocketFacts } from './checkRuntimeSocket';
export { checkExpiry, checkServedSerials, type CertificateFacts } from './checkCertificates';
export { checkChallengeRoute, type ChallengeProbe, type ChallengeProbeFailure } from './checkChallengeRoute';
export { checkManualCertificates, MANUAL_EXPIRY_WARNING_DAYS } from './checkManualCertificates';
export { PROC_NET_TCP_FILES, readListeners, type ListenerScan, type ReadListenersOptions } from './readListeners';
export { scanHome, type ScanHomeOptions } from './scanHome';
export { checkLegoAdoption } from './checkLegoAdoption';
export {
  readLegoHome,
  type LegoCertificateFinding,
  type LegoHomeFindings,
  type ReadLegoHomeOptions,
} from './readLegoHome';
export { inspectRuntimeSocket, parseCliLevel, type InspectRuntimeSocketOptions } from './inspectRuntimeSocket';
export { probeChallengeRoute, type ProbeChallengeRouteOptions, type ProbeResponder } from './probeChallengeRoute';
export { checkSharedStore, CLOCK_SKEW_WARNING_MS } from './checkSharedStore';
export {
  inspectSharedStore,
  type InspectSharedStoreOptions,
  type LeaseFact,
  type LeaseTableFacts,
  type SharedStoreFacts,
  type SharedStoreProbe,
  type Step,
} from './inspectSharedStore';
export { postgresSharedStoreProbe, type ListenConnection, type SharedStoreDatabase } from './postgresSharedStoreProbe';
export { runDoctor, type DoctorDeps, type DoctorReport } from './runDoctor';
