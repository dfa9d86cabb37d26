import type { Clock } from '../clock';
import { AppError, messageOf } from '../errors';
import type { ManualCertificateScan } from '../manual';
import { openFilesErrno } from '../storage';
import { checkExpiry, checkServedSerials, type CertificateFacts } from './checkCertificates';
import { checkChallengeRoute, type ChallengeProbe } from './checkChallengeRoute';
import { checkHomeModes, type HomeScan } from './checkHomeModes';
import { checkLegoAdoption } from './checkLegoAdoption';
import { checkListeners } from './checkListeners';
import { checkManualCertificates } from './checkManualCertificates';
import { checkRuntimeSocket, type RuntimeSocketFacts } from './checkRuntimeSocket';
import { checkSharedStore } from './checkSharedStore';
import { passed, problem, skipped, summariseChecks, type DoctorCheck, type DoctorSummary } from './DoctorCheck';
import type { SharedStoreFacts } from './inspectSharedStore';
import type { LegoHomeFindings } from './readLegoHome';
import type { ListenerScan } from './readListeners';

/** What runDoctor() examines, each behind a function so that tests pass their own. */
export interface DoctorDeps {
  clock: Clock;
  /** Ports expected on loopback only (Config.localPorts). */
  localPorts: readonly number[];
  /** The probe of the challenge route (probeChallengeRoute()). */
  probeChallengeRoute: () => Promise<ChallengeProbe>;
  /** One entry per configured runtime socket (inspectRuntimeSocket()); empty when none is configured. */
  inspectRuntimeSockets: () => Promise<RuntimeSocketFacts[]>;
  scanHome: () => Promise<HomeScan>;
  /** What the in-place adoption would do with lego's files in --home now (readLegoHome()); undefined without lego files. */
  readLegoHome: () => Promise<LegoHomeFindings | undefined>;
  /** The stored certificates with what each endpoint serves, asked live (listCertificates()). */
  listCertificates: () => Promise<CertificateFacts[]>;
  /** The certificates users put into `<home>/haproxy/` by hand (readManualCertificates()). */
  readManualCertificates: () => Promise<ManualCertificateScan>;
  readListeners: () => Promise<ListenerScan>;
  /** Rejects when a hook directory, hook or reload command could be changed by another user (Services.checkPrograms). */
  checkPrograms: () => Promise<void>;
  /** What the shared store answered (inspectSharedStore()); absent on the file store. */
  inspectSharedStore?: () => Promise<SharedStoreFacts>;
}

/** The doctor's findings, in table order. */
export interface DoctorReport {
  summary: DoctorSummary;
  checks: DoctorCheck[];
}

/** What to do when the certificates cannot be read: only a damaged file is moved aside; a full file table or an I/O error leaves the files alone. */
function unreadableFix(error: unknown): string {
  const code = error instanceof AppError ? error.code : undefined;
  if (code === 'STORAGE_CORRUPT') return 'Move the damaged file aside (see the message) and run "acme list"';
  if (code === 'STORAGE_OPEN_FILES_LIMIT' || openFilesErrno(error) !== undefined)
    return 'The files are fine: raise the open-files limit ("ulimit -n 4096", or LimitNOFILE= for a service), then run "acme doctor" again';
  return 'Fix the cause in the message (permissions, disk), then run "acme doctor" again';
}

async function certificateChecks(deps: DoctorDeps): Promise<DoctorCheck[]> {
  let certificates: CertificateFacts[];
  try {
    certificates = await deps.listCertificates();
  } catch (error) {
    return [
      problem('certificates', 'stored certificates', {
        status: 'fail',
        detail: `cannot read them: ${messageOf(error)}`,
        fix: unreadableFix(error),
      }),
    ];
  }
  return [...checkServedSerials(certificates), ...checkExpiry(certificates, deps.clock.now())];
}

/** The same check `acme renew` runs before it starts: would it refuse to run a program? */
async function programsCheck(deps: DoctorDeps): Promise<DoctorCheck> {
  const title = 'hooks and reload command';
  try {
    await deps.checkPrograms();
    return passed(
      'programs',
      title,
      'only root or this user can change the hook directory, the hooks and the reload command',
    );
  } catch (error) {
    const message = messageOf(error).replace(/^Refusing to start: /, '');
    const fix = /fix with "([^"]+)"/.exec(message)?.[1];
    return problem('programs', title, {
      status: 'fail',
      detail: `acme renew would refuse to start: ${message}`,
      fix: fix === undefined ? 'See docs/hooks.md "Safety checks"' : `Run "${fix}"`,
    });
  }
}

/**
 * Runs every check in turn: the shared store (when there is one), challenge route, runtime sockets, home permissions, lego's
 * certificates in the home (when it holds any), hooks and reload command, served serials,
 * expiry and next renewal, manual certificates, ports that should be local. Each check reports its own failure, so
 * this never throws for what it finds.
 */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const checks: DoctorCheck[] =
    deps.inspectSharedStore === undefined ? [] : checkSharedStore(await deps.inspectSharedStore());
  checks.push(checkChallengeRoute(await deps.probeChallengeRoute()));
  const sockets = await deps.inspectRuntimeSockets();
  checks.push(
    ...(sockets.length === 0
      ? [
          skipped(
            'runtime-socket',
            'runtime socket',
            'no --haproxy-socket configured: certificates are only written to disk, never hot-swapped',
          ),
        ]
      : sockets.map(checkRuntimeSocket)),
  );
  const scan = await deps.scanHome();
  checks.push(checkHomeModes(scan));
  const lego = await deps
    .readLegoHome()
    .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  checks.push(...checkLegoAdoption(lego, scan.home));
  checks.push(await programsCheck(deps));
  checks.push(...(await certificateChecks(deps)));
  const manual = await deps
    .readManualCertificates()
    .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  checks.push(...checkManualCertificates(manual, deps.clock.now()));
  const listeners = await deps.readListeners();
  checks.push(
    checkListeners(listeners.listeners, {
      localPorts: deps.localPorts,
      read: listeners.read,
      unreadable: listeners.unreadable,
    }),
  );
  return { summary: summariseChecks(checks), checks };
}
