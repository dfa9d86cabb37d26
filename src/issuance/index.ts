export { issueCertificate } from './issueCertificate';
export type { AcmeOrderClient, IssueRequest, IssueResult, IssuanceDeps } from './issueCertificate';
export { listCertificates, listManualCertificates } from './listCertificates';
export type { CertificateSummary, EndpointStatus, ListDeps, ManualCertificateSummary } from './listCertificates';
export { deployBundle, deployCertificate, readDelivery } from './deployCertificate';
export type {
  CertificateDelivery,
  DeployDeps,
  EndpointOutcome,
  HaproxyEndpoint,
  ReloadFallback,
  ServedCertificate,
} from './deployCertificate';
export { renewCertificates } from './renewCertificates';
export { storedButUndelivered } from './_owedDeploy';
export type { HookOutcome, RenewalDeps, RenewOptions, RenewOutcome } from './renewCertificates';
export { postRenewHooksDir, runPostRenewHooks } from './runPostRenewHooks';
export type { PostRenewHookOptions } from './runPostRenewHooks';
export { accountShow, rolloverAccount } from './accountOps';
export type { AccountDeps, AccountSummary, AcmeAccountClient, RolloverOptions, RolloverResult } from './accountOps';
export { revokeCertificate } from './revokeCertificate';
export type { RevocationReason, RevokeDeps, RevokeResult } from './revokeCertificate';
export { removeCertificate } from './removeCertificate';
export type { RemovalEndpoint, RemovalOutcome, RemoveDeps, RemoveResult } from './removeCertificate';
export { syncCertificates } from './syncNode';
export type { SyncDeps, SyncOutcome } from './syncNode';
export { NodeFollower } from './NodeFollower';
export type { NodeFollowerOptions } from './NodeFollower';
