/**
 * In-place adoption: lego and haproxy-acme share one home (a snap that ran `lego --path
 * $SNAP_COMMON/acme` and now runs haproxy-acme with that directory as `--home`). lego's entries
 * there, as Debian's lego 4.9.1 writes them:
 * ```
 * accounts/<server>/<email>/account.json, keys/<email>.key
 * certificates/<domain>.crt, <domain>.key, <domain>.issuer.crt, <domain>.json   (regular files)
 * haproxy/cert.crt, cert.crt.key     (symlinks a wrapper makes to lego's files; never read)
 * ```
 * sit next to ours without a clash (our account folders have no `@`, our certificates are
 * symlinks, our bundles are `haproxy/<name>.pem`). Adoption copies lego's account and certificates
 * into our layout and leaves every lego file as it is, so that lego can take over again.
 */
import type { Dirent } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { isForeignAccountFolder } from '../storage';
import { adoptPlan, type AccountImport, type CertificateImport, type LegoImportDeps } from './_adoptPlan';
import { classifyCertificateFile, isLegoServerFolderOf, type LegoProblem, type LegoSnapshot } from './_legoFiles';
import { LegoDirectoryReader } from './LegoDirectoryReader';
import { planLegoImport } from './planLegoImport';

/** The directory calls hasLegoLayout() makes. */
export type LegoLayoutFileSystem = Pick<typeof fsp, 'readdir'>;

/** Options of adoptLegoHome(). */
export interface LegoAdoptionOptions {
  /** The lego account folder to adopt, when the home has one of that name for the CA. Default: the only one of the CA, else the first valid one in sorted order. */
  email?: string;
  /** Read and decide, write and deliver nothing (`acme list`, `acme import lego --dry-run`). Default: false. */
  dryRun?: boolean;
  /** Default: a LegoDirectoryReader on node:fs/promises. */
  reader?: Pick<LegoDirectoryReader, 'readHome'>;
  /** For the detection. Default: node:fs/promises. */
  fs?: LegoLayoutFileSystem;
}

/** What adoptLegoHome() found and did. Never a key. */
export interface LegoAdoptionReport {
  home: string;
  directoryUrl: string;
  /** False when the home holds none of lego's entries: nothing else was read. */
  present: boolean;
  dryRun: boolean;
  /** True when something was written or delivered: an account, a certificate, a crt-list line, a deploy. */
  changed: boolean;
  /** Undefined when lego's layout is absent. */
  account: AccountImport | undefined;
  certificates: CertificateImport[];
  /** lego files that cannot be used (invalid or refused): left alone and not adopted. */
  problems: LegoProblem[];
  /** Account server folders of other CAs, left alone. */
  otherServers: string[];
  /** True when a certificate could not be stored or a deploy is pending. */
  failed: boolean;
}

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

async function entriesOf(fs: LegoLayoutFileSystem, dir: string): Promise<Dirent[]> {
  try {
    // All of them: a cut could hide lego's files behind our own, which share certificates/.
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    // Missing, not a directory, unreadable: no lego layout here; the store reports its own errors.
    if (code(error) !== undefined) return [];
    throw error;
  }
}

/**
 * Whether the home holds lego's layout: a regular lego file in `certificates/` (`<domain>.crt`,
 * `.key`, `.issuer.crt`, `.json`), or an account folder named after an email under
 * `accounts/<server>/`. Cheap when absent: one readdir of `certificates/`, one of `accounts/` and
 * one per server folder (one per CA used). Never throws for what it finds.
 */
export async function hasLegoLayout(home: string, fs: LegoLayoutFileSystem = fsp): Promise<boolean> {
  const certificates = await entriesOf(fs, join(home, 'certificates'));
  if (
    certificates.some(
      (entry) =>
        entry.isFile() && !entry.name.startsWith('.') && classifyCertificateFile(entry.name)?.role !== undefined,
    )
  )
    return true;
  for (const server of await entriesOf(fs, join(home, 'accounts'))) {
    if (!server.isDirectory()) continue;
    const folders = await entriesOf(fs, join(home, 'accounts', server.name));
    if (folders.some((folder) => isForeignAccountFolder(folder.name))) return true;
  }
  return false;
}

/** `email` when the home has a lego account folder of that name for the CA, else undefined (pick the only or first one). */
function accountEmail(snapshot: LegoSnapshot, directoryUrl: string, email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const wanted = email.toLowerCase();
  return snapshot.accounts.some(
    (a) => isLegoServerFolderOf(a.server, directoryUrl) && a.folder.toLowerCase() === wanted,
  )
    ? email
    : undefined;
}

function absent(home: string, directoryUrl: string, dryRun: boolean): LegoAdoptionReport {
  return {
    home,
    directoryUrl,
    present: false,
    dryRun,
    changed: false,
    account: undefined,
    certificates: [],
    problems: [],
    otherServers: [],
    failed: false,
  };
}

/**
 * Adopts, in place, the lego layout of `home`: the lego account of `deps.directoryUrl` (unless the
 * home already has an account for it) and every valid lego certificate of that CA that is not
 * stored yet, or that lego issued after the stored one (a revert to lego, which renewed, then a
 * refresh again): same account key and URL, same certificate and serial, recorded as adopted from
 * lego, listed in the crt-list and delivered to every endpoint like `acme import lego`. No ACME
 * request of any kind; no lego file is written, moved or deleted. A lego file that cannot be used
 * is skipped with a warning, never a failure. Idempotent: a second run adopts nothing (outcomes
 * `already-imported`, `changed: false`), and finishes what a killed run left (a stored certificate
 * not yet in the crt-list or not yet deployed). The caller MUST hold the home lock unless `dryRun`.
 * @throws StorageError when --home's own files cannot be read or written
 */
export async function adoptLegoHome(
  home: string,
  deps: LegoImportDeps,
  options: LegoAdoptionOptions = {},
): Promise<LegoAdoptionReport> {
  const dryRun = options.dryRun === true;
  if (!(await hasLegoLayout(home, options.fs))) return absent(home, deps.directoryUrl, dryRun);
  const snapshot = await (options.reader ?? new LegoDirectoryReader()).readHome(home);
  if (snapshot === undefined) return absent(home, deps.directoryUrl, dryRun);
  // A killed adoption may have left temps or a bundle not rewritten: finish them first, as every writer does.
  if (!dryRun) await deps.bundles.reconcile();
  const email = accountEmail(snapshot, deps.directoryUrl, options.email);
  const plan = planLegoImport(snapshot, {
    directoryUrl: deps.directoryUrl,
    now: deps.clock.now(),
    ...(email === undefined ? {} : { email }),
  });
  for (const problem of plan.problems)
    deps.logger.warn("Cannot adopt one of lego's files in --home; left it alone", {
      file: problem.file,
      problem: problem.message,
    });
  const { account, certificates } = await adoptPlan(plan, deps, { dryRun, rule: 'issued-later', deliverOwed: true });
  const changed =
    !dryRun &&
    (account.outcome === 'imported' ||
      certificates.some(
        (c) => c.outcome === 'imported' || (c.outcome === 'already-imported' && c.deploy !== undefined),
      ));
  const failed = certificates.some(
    (c) => c.outcome === 'failed' || (c.deploy ?? []).some((d) => d.outcome === 'pending'),
  );
  if (!changed && !dryRun) deps.logger.debug("lego's files in --home: nothing left to adopt", { home });
  return {
    home,
    directoryUrl: deps.directoryUrl,
    present: true,
    dryRun,
    changed,
    account,
    certificates,
    problems: plan.problems,
    otherServers: plan.otherServers,
    failed,
  };
}
