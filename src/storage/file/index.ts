/**
 * The file backend: every storage contract kept as files under one `--home` directory (0700
 * folders, 0600 files), each written atomically (temp, fsync, rename) so that a process killed at
 * any point leaves a home the next run reads and finishes (crash recovery, leftovers, the home
 * layout migration); plus what this node materialises for HAProxy (bundles, crt-list). It passes
 * the contract suites in test/contract/: certificateStoreContract.ts, accountStoreContract.ts,
 * renewalStateContract.ts, deployStateContract.ts and locksContract.ts (run by
 * test/unit/storage/certificate-store-contract.test.ts, state-contracts.test.ts and
 * locks-contract.test.ts), and test/integration/crash-safety.test.ts kills it mid-write.
 */
export { FileAccountKeyStage } from './_account-key-stage';
export { archiveRoot, type ArchivedCertificate } from './_archive';
export { ensureDir, writeFileAtomic, type FileSystem, type WriteOptions } from './_atomic';
export { openFileBackend, type FileBackend, type FileBackendOptions } from './_backend';
export { FileCrtList, listedCertificates, type CrtList, type FileCrtListOptions } from './_crt-list';
export { FileDeployStateStore } from './_deploy-state';
export { FileIssuedCertificateStore } from './_issued';
export {
  IO_CONCURRENCY,
  mapLimited,
  openFilesErrno,
  YIELD_EVERY_MS,
  type MapLimitedOptions,
  type OpenFilesErrno,
} from './_io-limit';
export type { Recovery } from './_leftovers';
export { FileLocalBundles, type FileLocalBundlesOptions } from './_local-bundles';
export { FileLock, type FileLockOptions } from './_lock';
export { FileLocks, lockPath, type FileLocksOptions } from './_locks';
export {
  HOME_LAYOUT,
  layoutPath,
  migrateHome,
  readHomeLayout,
  type HomeMigration,
  type MigrateHomeOptions,
} from './_migrate';
export { FileRenewalStateStore } from './_renewal-state';
export { FileCertificateStore, type FileCertificateStoreOptions } from './_store';
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
