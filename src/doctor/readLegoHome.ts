import { adoptLegoHome, type CertificateImport, type LegoImportDeps } from '../migration';

/** One lego certificate in --home, as the adoption would treat it now. Never a key. */
export interface LegoCertificateFinding {
  legoName: string;
  /**
   * `adopt`: no certificate of ours of that name, the next state-changing command adopts it;
   * `newer`: lego's is newer than ours (lego renewed after a revert), the next command adopts it;
   * `adopted`: ours is this one or newer; `ignored`: never adopted (`detail` says why);
   * `failed`: ours could not be read (`detail`).
   */
  state: 'adopt' | 'newer' | 'adopted' | 'ignored' | 'failed';
  /** Upper-case hex, when lego's certificate was read. */
  serial?: string;
  /** ISO 8601, when lego's certificate was read. */
  notAfter?: string;
  /** For `newer`: the serial of ours it would replace. */
  ours?: string;
  detail: string;
}

/** What readLegoHome() found: lego's certificates and the lego files that cannot be used. */
export interface LegoHomeFindings {
  home: string;
  certificates: LegoCertificateFinding[];
  /** lego files left alone because they cannot be used (invalid, too large, a link loop). */
  problems: Array<{ file: string; message: string }>;
}

/** Options of readLegoHome(). */
export interface ReadLegoHomeOptions {
  /** The lego account folder adoption would pick (Config.email). Default: adoption's own choice. */
  email?: string;
}

function facts(c: CertificateImport): Pick<LegoCertificateFinding, 'legoName' | 'serial' | 'notAfter' | 'detail'> {
  return {
    legoName: c.legoName,
    ...(c.serial === undefined ? {} : { serial: c.serial }),
    ...(c.notAfter === undefined ? {} : { notAfter: c.notAfter }),
    detail: c.detail,
  };
}

async function findingOf(c: CertificateImport, store: LegoImportDeps['store']): Promise<LegoCertificateFinding> {
  switch (c.outcome) {
    case 'imported': {
      const ours = c.name === undefined ? undefined : await store.loadCertificateMeta(c.name);
      return ours === undefined ? { ...facts(c), state: 'adopt' } : { ...facts(c), state: 'newer', ours: ours.serial };
    }
    case 'already-imported':
      return { ...facts(c), state: 'adopted' };
    case 'skipped':
      // Skipped with our name: --home holds a newer certificate of that name. Without: never adopted.
      return { ...facts(c), state: c.name === undefined ? 'ignored' : 'adopted' };
    case 'failed':
      return { ...facts(c), state: 'failed' };
  }
}

/**
 * What the in-place adoption of lego's files in `home` would do now: adoptLegoHome() as a dry
 * run (the report `acme list` and `acme import lego --dry-run` show), nothing written. Undefined
 * when the home holds none of lego's files.
 * @throws StorageError when --home's own files cannot be read
 */
export async function readLegoHome(
  home: string,
  deps: LegoImportDeps,
  options: ReadLegoHomeOptions = {},
): Promise<LegoHomeFindings | undefined> {
  const report = await adoptLegoHome(home, deps, {
    dryRun: true,
    ...(options.email === undefined ? {} : { email: options.email }),
  });
  if (!report.present) return undefined;
  const certificates: LegoCertificateFinding[] = [];
  for (const c of report.certificates) certificates.push(await findingOf(c, deps.store));
  return { home, certificates, problems: report.problems.map((p) => ({ file: p.file, message: p.message })) };
}
