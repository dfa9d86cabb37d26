/**
 * The memory backend: every storage contract held in maps of one process, with the file
 * backend's validation and none of its files; for tests of other modules (and hooks that let a
 * test fail a write, plant a dead lock holder, mark an entry corrupt). It passes the same contract
 * suites as the file backend: test/contract/certificateStoreContract.ts, accountStoreContract.ts,
 * renewalStateContract.ts, deployStateContract.ts and locksContract.ts (run by
 * test/unit/storage/certificate-store-contract.test.ts, state-contracts.test.ts and
 * locks-contract.test.ts). It imports nothing from the file backend.
 */
export { MemoryAccountKeyStage } from './_account-key-stage';
export { MemoryDeployStateStore } from './_deploy-state';
export { MemoryIssuedCertificateStore } from './_issued';
export { MemoryLocalBundles, type MemoryLocalBundlesOptions } from './_local-bundles';
export { MemoryLocks, type MemoryLocksOptions } from './_locks';
export { MemoryRenewalStateStore } from './_renewal-state';
export { MemoryCertificateStore, type MemoryArchivedCertificate, type MemoryCertificateStoreOptions } from './_store';
