/**
 * Migration into --home from another ACME client. lego (the reference deployment's client):
 * LegoDirectoryReader reads a lego directory without trusting it, planLegoImport validates it
 * (pure), importLego adopts its account and certificates through the existing stores;
 * adoptLegoHome does the same in place, for a home that lego shares with us.
 */
export {
  classifyCertificateFile,
  isLegoServerFolderOf,
  legoFileBase,
  MAX_LEGO_DIR_ENTRIES,
  MAX_LEGO_FILE_BYTES,
  serverOfUrl,
  type LegoAccountFiles,
  type LegoCertificateFiles,
  type LegoFile,
  type LegoProblem,
  type LegoSnapshot,
} from './_legoFiles';
export { parseLegoAccount, type LegoAccount } from './_parseAccount';
export { parseLegoCertificate, type LegoCertificate, type LegoCertificateResult } from './_parseCertificate';
export {
  planLegoImport,
  type LegoImportPlan,
  type PlanLegoImportOptions,
  type PlannedAccount,
  type PlannedCertificate,
  type SkippedCertificate,
} from './planLegoImport';
export { LegoDirectoryReader, type LegoDirectoryReaderOptions, type LegoReaderFileSystem } from './LegoDirectoryReader';
export { importLego, type LegoImportOptions, type LegoImportReport } from './importLego';
export {
  decideLegoCertificate,
  type AccountImport,
  type CertificateImport,
  type LegoCertificateDecision,
  type LegoImportDeps,
  type ReplaceRule,
} from './_adoptPlan';
export {
  adoptLegoHome,
  hasLegoLayout,
  type LegoAdoptionOptions,
  type LegoAdoptionReport,
  type LegoLayoutFileSystem,
} from './adoptLegoHome';
export { adoptLegoHomeLocked, type AdoptLegoHomeLockedOptions } from './adoptLegoHomeLocked';
