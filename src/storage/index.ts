/**
 * Storage of ACME accounts and certificates behind backend-neutral contracts: CertificateStore,
 * LocalBundles (this node's HAProxy bundles), RenewalStateStore, DeployStateStore,
 * IssuedCertificateStore, AccountKeyStage and the named Locks. This folder holds the contracts and
 * what every backend shares (names, PEM preparation, lock errors); each backend is a folder that
 * passes the contract suites of test/contract/: file/ (the `--home` directory) and memory/ (a fake
 * for tests). This index re-exports all three.
 */
export type { AccountKeyStage } from './_account-key-stage';
export type { CertificateChange, ChangeFeed, ChangeFeedHandlers } from './_change-feed';
export {
  checkNodeId,
  type DeployState,
  type DeployStateSaveOptions,
  type DeployStateStore,
  type EndpointDeployState,
} from './_deploy-state';
export type { IssuedCertificate, IssuedCertificateStore } from './_issued';
export {
  certificateLockName,
  DEFAULT_LOCK_STALE_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  type AcquireOptions,
  type HeldLock,
  type LockHolderInfo,
  type LockName,
  type Locks,
} from './_lock';
export { LocksByScope } from './_routed-locks';
export { archiveFolderName, MAX_NAME_LENGTH, sanitiseName, versionName } from './_names';
export { bundleOf } from './_prepare';
export type { RenewalState, RenewalStateStore, Revisioned, RevisionedSaveOptions } from './_renewal-state';
export type {
  CertificateMeta,
  CertificateMetaInput,
  CertificateStore,
  LocalBundles,
  RemoveCertificateOptions,
  RemovedCertificate,
  SaveCertificateInput,
  SaveCertificateOptions,
  StoredAccount,
  StoredCertificate,
} from './_types';
export {
  accountDir,
  archiveRoot,
  certificateDir,
  certificatePaths,
  certificatesDir,
  ensureDir,
  FileAccountKeyStage,
  FileCertificateStore,
  FileCrtList,
  FileDeployStateStore,
  FileIssuedCertificateStore,
  FileLocalBundles,
  FileLock,
  FileLocks,
  FileRenewalStateStore,
  haproxyBundlePath,
  haproxyDir,
  HOME_LAYOUT,
  IO_CONCURRENCY,
  isForeignAccountFolder,
  issuedDir,
  issuedPath,
  layoutPath,
  listedCertificates,
  lockPath,
  mapLimited,
  YIELD_EVERY_MS,
  migrateHome,
  openFileBackend,
  openFilesErrno,
  readHomeLayout,
  writeFileAtomic,
  type ArchivedCertificate,
  type CertificatePaths,
  type CrtList,
  type FileBackend,
  type FileBackendOptions,
  type FileCertificateStoreOptions,
  type FileCrtListOptions,
  type MapLimitedOptions,
  type OpenFilesErrno,
  type FileLocalBundlesOptions,
  type FileLockOptions,
  type FileLocksOptions,
  type FileSystem,
  type HomeMigration,
  type MigrateHomeOptions,
  type Recovery,
  type WriteOptions,
} from './file';
export {
  MemoryAccountKeyStage,
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryLocks,
  MemoryRenewalStateStore,
  type MemoryArchivedCertificate,
  type MemoryCertificateStoreOptions,
  type MemoryLocalBundlesOptions,
  type MemoryLocksOptions,
} from './memory';
