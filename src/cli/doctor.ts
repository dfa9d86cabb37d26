import type { Command } from 'commander';
import { formatListenAddress } from '../challenge';
import type { Config } from '../config';
import {
  inspectRuntimeSocket,
  inspectSharedStore,
  postgresSharedStoreProbe,
  probeChallengeRoute,
  readLegoHome,
  readListeners,
  runDoctor,
  scanHome,
  type CertificateFacts,
  type DoctorCheck,
  type DoctorReport,
  type SharedStoreFacts,
} from '../doctor';
import { listCertificates } from '../issuance';
import type { Logger } from '../log';
import { readManualCertificates } from '../manual';
import { adoptionDeps } from './_adopt';
import type { CliDeps, Services } from './_context';
import { EXIT_FAILED, EXIT_OK } from './_errors';
import { addConfigOptions } from './_options';
import { formatTable, printJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  # Everything, including the challenge route through HAProxy's HTTP frontend on port 80
  $ acme doctor --haproxy-socket /run/haproxy/admin.sock --preflight http://127.0.0.1:80

  # With TLS-ALPN-01 the probe is a handshake with ALPN acme-tls/1 through HAProxy's port 443
  $ acme doctor --challenge-type tls-alpn-01 --preflight https://127.0.0.1:443

  # On a shared store: connection, schema, notifications, leases and clocks, besides the rest
  $ acme doctor --storage postgres://acme@db.internal:5432/acme --http01-mode stateless --preflight http://127.0.0.1:80

  # Only these ports must be bound to loopback; the JSON document for a monitoring script
  $ acme doctor --local-ports 5432,6379 --json | jq '.checks[] | select(.status == "fail")'

Exit codes: 0 when no check failed (warnings allowed), 1 when one did, 2 for bad input.
`;

const STATUS_TEXT: Record<DoctorCheck['status'], string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** The name HAProxy routes: the configured domain, else the first stored one, else the preflight URL's host. */
function probeHost(config: Config, certificates: CertificateFacts[] | Error): string {
  const stored = certificates instanceof Error ? undefined : certificates[0]?.domains[0];
  return (
    config.domains[0] ??
    stored ??
    (config.preflightUrl === undefined ? 'localhost' : new URL(config.preflightUrl).hostname.replace(/^\[|\]$/g, ''))
  );
}

/**
 * The shared store as a separate connection sees it, asked before any other check uses the store
 * (which would migrate its schema first); undefined on the file store. The pg driver loads only here.
 */
async function sharedStoreFacts(deps: CliDeps, config: Config, logger: Logger): Promise<SharedStoreFacts | undefined> {
  if (config.storage.kind !== 'postgres') return undefined;
  const { openPgDatabase, SCHEMA_VERSION } = await import('../storage/postgres');
  const db = openPgDatabase(config.storage.url, { applicationName: `haproxy-acme ${config.nodeId} doctor`, logger });
  return inspectSharedStore(postgresSharedStoreProbe(db), { clock: deps.clock, knownSchemaVersion: SCHEMA_VERSION });
}

/** Stateless mode: the thumbprint of the account stored for --directory, which HAProxy must answer with. */
async function storedThumbprint(config: Config, services: Services): Promise<string | undefined> {
  const account = await services.store.loadAccount(config.directoryUrl);
  if (account === undefined) return undefined;
  const { accountKeyThumbprint } = await import('../acme');
  return accountKeyThumbprint(account.keyPem);
}

async function diagnose(
  deps: CliDeps,
  context: { config: Config; logger: Logger; services: Services },
): Promise<DoctorReport> {
  const { config, logger, services } = context;
  const shared = await sharedStoreFacts(deps, config, logger);
  // Listed once: the probe needs a stored name as its Host, the checks need what HAProxy serves.
  const certificates: CertificateFacts[] | Error = await listCertificates({
    store: services.store,
    bundles: services.bundles,
    clock: deps.clock,
    endpoints: services.haproxyEndpoints,
    deployState: services.deployState,
    node: services.node,
    renewalState: services.renewalState,
  }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  return runDoctor({
    ...(shared === undefined ? {} : { inspectSharedStore: async () => shared }),
    clock: deps.clock,
    localPorts: config.localPorts,
    probeChallengeRoute: () =>
      probeChallengeRoute({
        responder: services.responder,
        challengeType: config.challengeType,
        preflight: services.preflight,
        preflightUrl: config.preflightUrl,
        host: probeHost(config, certificates),
        responderLabel: formatListenAddress(config.httpAddress),
        mode: config.http01Mode,
        accountThumbprint: () => storedThumbprint(config, services),
        directoryUrl: config.directoryUrl,
      }),
    inspectRuntimeSockets: () =>
      Promise.all(config.haproxy.sockets.map((socket) => inspectRuntimeSocket(socket, { logger }))),
    scanHome: () => scanHome(config.home),
    // The dry run `acme list` makes: exactly what the next state-changing command would adopt.
    readLegoHome: () =>
      readLegoHome(
        config.home,
        adoptionDeps({ config, logger, services, clock: deps.clock }),
        config.email === undefined ? {} : { email: config.email },
      ),
    listCertificates: async () => {
      if (certificates instanceof Error) throw certificates;
      return certificates;
    },
    readManualCertificates: async () =>
      readManualCertificates(config.home, { names: await services.store.listCertificateNames() }),
    readListeners: () => readListeners(),
    checkPrograms: () => services.checkPrograms(),
  });
}

function printReport(deps: CliDeps, report: DoctorReport): void {
  const { checks, summary } = report;
  deps.stdout.write(
    formatTable(
      ['STATUS', 'CHECK', 'DETAIL'],
      checks.map((c) => [STATUS_TEXT[c.status], c.title, c.detail]),
    ),
  );
  const toFix = checks.filter((c) => c.fix !== null);
  if (toFix.length > 0) {
    deps.stdout.write(`\nTo fix:\n${toFix.map((c) => `  ${STATUS_TEXT[c.status]} ${c.title}: ${c.fix}\n`).join('')}`);
  }
  const { counts } = summary;
  deps.stdout.write(`\n${counts.fail} failed, ${counts.warn} warning(s), ${counts.ok} ok, ${counts.skip} skipped\n`);
}

/** Registers `acme doctor`. */
export function registerDoctorCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('doctor')
    .description(
      "check the setup: the shared store (--storage postgres://…), challenge route through HAProxy (for each --http01-mode), runtime socket, file modes under --home, lego's certificates there, served serials, expiry, and ports that should be local",
    )
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command);
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger }) => {
      const services = deps.createServices(config, logger);
      const report = await diagnose(deps, { config, logger, services });
      if (config.output.json)
        printJson(deps.stdout, { ok: report.summary.ok, counts: report.summary.counts, checks: report.checks });
      else printReport(deps, report);
      return report.summary.ok ? EXIT_OK : EXIT_FAILED;
    }),
  );
}
