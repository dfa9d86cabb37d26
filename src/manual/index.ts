/**
 * Manual certificates: the files a user drops into `<home>/haproxy/` next to our bundles
 * (`cert.crt` with its chain, its key inside or in `cert.crt.key`), which HAProxy serves as they
 * are and haproxy-acme lists, checks and never renews. Pure classification, inspection and
 * crt-list rendering; a bounded reader; the crt-list writer run at every HAProxy start.
 */
export {
  classifyHaproxyEntry,
  COMPANION_EXTENSIONS,
  type EntryVerdict,
  type HaproxyDirEntry,
  type ManualEntryContext,
} from './classifyHaproxyEntry';
export {
  firstKeyBlock,
  inspectManualCertificate,
  type ManualCertificate,
  type ManualFiles,
  type ReadResult,
} from './inspectManualCertificate';
export { renderManualCrtList, type SkippedManualCertificate } from './renderManualCrtList';
export {
  MAX_HAPROXY_DIR_ENTRIES,
  MAX_MANUAL_CERTIFICATES,
  MAX_MANUAL_FILE_BYTES,
  readManualCertificates,
  type ManualCertificateScan,
  type ReadManualOptions,
} from './readManualCertificates';
export { writeManualCrtList, type ManualCrtListResult } from './writeManualCrtList';
