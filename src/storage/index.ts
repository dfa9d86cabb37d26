/**
 * Storage of ACME accounts and certificates behind the backend-neutral CertificateStore interface
 * (FileCertificateStore is the file-system backend, MemoryCertificateStore a fake), and this
 * node's HAProxy bundles behind LocalBundles (FileLocalBundles, MemoryLocalBundles).
 */
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
  certificateDir,
  certificatePaths,
  certificatesDir,
  haproxyBundlePath,
  haproxyDir,
  isForeignAccountFolder,
  issuedDir,
  issuedPath,
  type CertificatePaths,
} from './paths';
export { archiveFolderName, MAX_NAME_LENGTH, sanitiseName, versionName } from './_names';
export { ensureDir, writeFileAtomic, type FileSystem, type WriteOptions } from './_atomic';
export { FileCertificateStore, type FileCertificateStoreOptions } from './_file-store';
export type { Recovery } from './_leftovers';
export { bundleOf } from './_prepare';
export { FileLocalBundles, type FileLocalBundlesOptions } from './_local-bundles';
export { openFileBackend, type FileBackend, type FileBackendOptions } from './_file-backend';
export { checkNodeId, FileDeployStateStore } from './_deploy-state';
export type { DeployState, DeployStateSaveOptions, DeployStateStore, EndpointDeployState } from './_deploy-state';
export {
  HOME_LAYOUT,
  layoutPath,
  migrateHome,
  readHomeLayout,
  type HomeMigration,
  type MigrateHomeOptions,
} from './_migrate';
export { FileCrtList, listedCertificates, type CrtList, type FileCrtListOptions } from './_crt-list';
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
export { FileLock, type FileLockOptions } from './_file-lock';
export { FileLocks, lockPath, type FileLocksOptions } from './_file-locks';
export { FileRenewalStateStore } from './_renewal-state';
export type { RenewalState, RenewalStateStore, Revisioned, RevisionedSaveOptions } from './_renewal-state';
export { archiveRoot, type ArchivedCertificate } from './_archive';
export { FileIssuedCertificateStore, type IssuedCertificate, type IssuedCertificateStore } from './_issued';
export { FileAccountKeyStage, type AccountKeyStage } from './_account-key-stage';
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
